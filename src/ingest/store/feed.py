"""The feeds of OUT_DIR: ``changes.jsonl`` and ``records.jsonl``.

``changes.jsonl`` is append-only, one line per record added, updated or withdrawn (the only file
that holds times and run ids): :func:`change_event`, :func:`append_changes`, :func:`read_changes`.
``records.jsonl`` holds every current record, one compact line each, for bulk readers; it is streamed
(:func:`records_jsonl_lines`), one record in memory at a time.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from ingest.store.files import record_path

CHANGES_NAME = "changes.jsonl"
RECORDS_JSONL = "records.jsonl"


def change_event(event: str, input_name: Any, rid: str, version: int, sha: Any) -> dict[str, Any]:
    return {"event": event, "id": rid, "input": input_name, "version": version, "content_sha256": sha}


def append_changes(out_dir: Path, events: list[dict[str, Any]], run_id: str | None = None) -> None:
    """Append one JSON line per event to ``OUT_DIR/changes.jsonl`` (one write, fsynced).

    Each line: ``event`` (added, updated, withdrawn), ``id``, ``input``, ``version``,
    ``content_sha256``, ``run_id``, ``time`` (UTC). A torn last line left by a killed run is cut off
    first. Delivery is at least once: a run killed after appending and before writing the manifest
    appends the same events again (same id, version and hash) when it is rerun.
    """
    append_events(out_dir / CHANGES_NAME, events, run_id)


def append_events(path: Path, events: list[dict[str, Any]], run_id: str | None = None) -> None:
    """Append one JSON line per event (plus ``run_id`` and ``time``) to the feed at ``path``: one
    write, fsynced; a torn last line left by a killed run is cut off first. Every feed of OUT_DIR
    (``changes.jsonl``, ``chunk-changes.jsonl``) is written through this."""
    run_id = run_id or uuid.uuid4().hex
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    data = b"".join(
        orjson.dumps({**ev, "run_id": run_id, "time": now}, option=orjson.OPT_SORT_KEYS) + b"\n" for ev in events
    )
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":  # torn line from a killed run
            tail = os.pread(fd, min(size, 1 << 20), max(0, size - (1 << 20)))
            cut = tail.rfind(b"\n")
            os.ftruncate(fd, (max(0, size - len(tail)) + cut + 1) if cut >= 0 else 0)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def read_changes(out_dir: Path) -> list[dict[str, Any]]:
    """The lines of ``OUT_DIR/changes.jsonl`` (a torn last line is skipped); [] when there is none."""
    try:
        data = (out_dir / CHANGES_NAME).read_bytes()
    except FileNotFoundError:
        return []
    out = []
    lines = data.split(b"\n")
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except ValueError:
            if i == len(lines) - 1:  # the last line, not newline-terminated: torn by a killed run
                continue
            raise
    return out


def records_jsonl_lines(out_dir: Path, entries: list[dict[str, Any]]) -> Iterator[bytes]:
    """Every current record (manifest order), one compact canonical JSON line each; one record at a
    time in memory (a corpus' records.jsonl is ~0.1 MB per page)."""
    for e in entries:
        data = record_path(out_dir, str(e["id"])).read_bytes()
        yield orjson.dumps(orjson.loads(data), option=orjson.OPT_SORT_KEYS) + b"\n"
