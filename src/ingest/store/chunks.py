"""The chunk outputs of OUT_DIR (issue 15): ``chunks.jsonl`` and the chunk change feed.

``chunks.jsonl``: every current chunk (:class:`ingest.core.chunking.Chunk`), one compact canonical
JSON line each, records in manifest order, chunks in document order. Rewritten (atomically, only
when its bytes change) whenever ``records.jsonl`` is.

``chunk-changes.jsonl``: append-only, one line per chunk ``removed`` or ``added`` by a record version
(``event``, ``chunk_id``, ``content_sha256``, ``record_id``, ``record_version``, ``run_id``,
``time``). A chunk whose text stayed but whose context changed (dates, citations, ...) keeps its id:
it is ``removed`` with the old hash and ``added`` with the new one, in that order. The feed names
chunks; their bodies are in ``chunks.jsonl``. Delivery is at least once, readers dedupe: the feed
is appended *before* ``chunks.jsonl`` is replaced, and the events are the difference between the
new chunks and the ``chunks.jsonl`` on disk, so a run killed between the two appends the same
events again when it is rerun.

The chunking settings (token budget, overlap, tokenizer, chunker version) are written to the
manifest under ``chunking``; a change of settings rewrites every chunk.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from ingest.core.chunking import (
    CHUNKER_VERSION,
    DEFAULT_CHUNK_TOKENS,
    DEFAULT_OVERLAP_TOKENS,
    DEFAULT_TOKENIZER,
    Tokenizer,
    chunk_record,
)
from ingest.core.models import Record
from ingest.store.feed import append_events
from ingest.store.files import fault_point, record_path, write_stream_if_changed

CHUNKS_JSONL = "chunks.jsonl"
CHUNK_CHANGES_NAME = "chunk-changes.jsonl"
#: The SQLite search index `ingest index` keeps in OUT_DIR (:mod:`ingest.store.index`).
INDEX_NAME = "index.sqlite"


@dataclass(frozen=True, slots=True)
class ChunkSettings:
    max_tokens: int = DEFAULT_CHUNK_TOKENS
    overlap: int = DEFAULT_OVERLAP_TOKENS
    tokenizer: Tokenizer = DEFAULT_TOKENIZER

    def as_dict(self) -> dict[str, Any]:
        return {"max_tokens": self.max_tokens, "overlap": self.overlap, "tokenizer": self.tokenizer.name,
                "chunker_version": CHUNKER_VERSION}

    @classmethod
    def from_manifest(cls, manifest: dict[str, Any], max_tokens: int | None = None,
                      overlap: int | None = None) -> ChunkSettings:
        """Given values, else the previous manifest's, else the defaults."""
        prev = manifest.get("chunking") if isinstance(manifest.get("chunking"), dict) else {}
        def pick(given: int | None, key: str, default: int) -> int:
            if given is not None:
                return int(given)
            v = prev.get(key)
            return v if isinstance(v, int) and not isinstance(v, bool) else default
        return cls(pick(max_tokens, "max_tokens", DEFAULT_CHUNK_TOKENS), pick(overlap, "overlap", DEFAULT_OVERLAP_TOKENS))


@dataclass(slots=True)
class ChunkSummary:
    chunks: int = 0
    added: int = 0
    removed: int = 0
    written: bool = False


def read_chunk_keys(out_dir: Path) -> dict[str, tuple[str, str, int]]:
    """chunk id -> (record id, content_sha256, record_version) of the current ``chunks.jsonl``."""
    out: dict[str, tuple[str, str, int]] = {}
    try:
        f = (out_dir / CHUNKS_JSONL).open("rb")
    except FileNotFoundError:
        return out
    with f:
        for line in f:
            if line.strip():
                c = orjson.loads(line)
                out[c["id"]] = (c["record_id"], c["content_sha256"], c["record_version"])
    return out


def iter_chunks(out_dir: Path) -> Iterator[dict[str, Any]]:
    """Every chunk of ``chunks.jsonl`` as a dict (nothing when there is none)."""
    try:
        f = (out_dir / CHUNKS_JSONL).open("rb")
    except FileNotFoundError:
        return
    with f:
        for line in f:
            if line.strip():
                yield orjson.loads(line)


def _old_ranges(out_dir: Path) -> tuple[dict[str, tuple[str, str, int]], dict[str, tuple[int, int, int]]]:
    """The current chunks.jsonl: chunk keys (see :func:`read_chunk_keys`) and, per record whose lines
    are contiguous, ``(record_version, start, end)`` byte offsets of its lines."""
    keys: dict[str, tuple[str, str, int]] = {}
    ranges: dict[str, tuple[int, int, int]] = {}
    broken: set[str] = set()
    try:
        f = (out_dir / CHUNKS_JSONL).open("rb")
    except FileNotFoundError:
        return keys, ranges
    with f:
        pos, last = 0, None
        for line in f:
            start, pos = pos, pos + len(line)
            if not line.strip():
                continue
            c = orjson.loads(line)
            rid, ver = c["record_id"], c["record_version"]
            keys[c["id"]] = (rid, c["content_sha256"], ver)
            if rid == last and ranges[rid][0] == ver:
                ranges[rid] = (ver, ranges[rid][1], pos)
            elif rid in ranges:
                broken.add(rid)
            else:
                ranges[rid] = (ver, start, pos)
            last = rid
    return keys, {rid: r for rid, r in ranges.items() if rid not in broken}


def chunk_lines(out_dir: Path, entries: list[dict[str, Any]], settings: ChunkSettings,
                keys: dict[str, tuple[str, str, int]],
                reuse: tuple[dict[str, tuple[str, str, int]], dict[str, tuple[int, int, int]]] | None = None,
                ) -> Iterator[bytes]:
    """The lines of ``chunks.jsonl`` for the manifest's ``entries``; fills ``keys`` as it goes.

    ``reuse`` (the current file's keys and ranges, same settings): a record whose version is the one
    its chunks were made from is not chunked again; its lines are copied from the current file."""
    old_keys, ranges = reuse or ({}, {})
    by_record: dict[str, list[str]] = {}
    for cid, (rid, _sha, _ver) in old_keys.items():
        by_record.setdefault(rid, []).append(cid)
    old = (out_dir / CHUNKS_JSONL).open("rb") if ranges else None
    try:
        for e in entries:
            yield from _record_lines(out_dir, e, settings, keys, old, ranges, old_keys, by_record)
    finally:
        if old is not None:
            old.close()


def _record_lines(out_dir: Path, e: dict[str, Any], settings: ChunkSettings, keys: dict[str, tuple[str, str, int]],
                  old: Any, ranges: dict[str, tuple[int, int, int]], old_keys: dict[str, tuple[str, str, int]],
                  by_record: dict[str, list[str]]) -> Iterator[bytes]:
    rid = str(e["id"])
    if old is not None and rid in ranges and ranges[rid][0] == e.get("version"):
        _ver, start, end = ranges[rid]
        old.seek(start)
        for cid in by_record.get(rid, []):
            keys[cid] = old_keys[cid]
        yield old.read(end - start)
        return
    record = Record.model_validate_json(record_path(out_dir, rid).read_bytes())
    for c in chunk_record(record, settings.max_tokens, settings.overlap, settings.tokenizer):
        keys[c.id] = (c.record_id, c.content_sha256, c.record_version)
        yield orjson.dumps(c.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS) + b"\n"


def chunk_events(old: dict[str, tuple[str, str, int]], new: dict[str, tuple[str, str, int]]) -> list[dict[str, Any]]:
    """Removed and added chunks between two ``chunks.jsonl`` (by id and content hash), grouped by
    record, removals first; independent of input order."""
    events = []
    for cid, (rid, sha, ver) in old.items():
        if new.get(cid, (None, None))[:2] != (rid, sha):
            events.append({"event": "removed", "chunk_id": cid, "record_id": rid, "content_sha256": sha,
                           "record_version": ver})
    for cid, (rid, sha, ver) in new.items():
        if old.get(cid, (None, None))[:2] != (rid, sha):
            events.append({"event": "added", "chunk_id": cid, "record_id": rid, "content_sha256": sha,
                           "record_version": ver})
    events.sort(key=lambda ev: (ev["record_id"], ev["event"] != "removed", ev["chunk_id"]))
    return events


def append_chunk_changes(out_dir: Path, events: list[dict[str, Any]], run_id: str | None = None) -> None:
    """Append ``events`` to ``chunk-changes.jsonl`` (:func:`~ingest.store.feed.append_events`)."""
    append_events(out_dir / CHUNK_CHANGES_NAME, events, run_id)


def publish_chunks(out_dir: Path, entries: list[dict[str, Any]], settings: ChunkSettings,
                   run_id: str | None = None, reuse: bool = False) -> ChunkSummary:
    """Chunk every current record, append the differences to the chunk feed, then replace
    ``chunks.jsonl`` (only if its bytes changed). Called by :func:`ingest.store.publish.publish`
    after ``changes.jsonl`` and before the manifest. ``reuse``: the settings are those the current
    chunks.jsonl was made with, so records of the same version keep their lines without rechunking."""
    old, ranges = _old_ranges(out_dir)
    new: dict[str, tuple[str, str, int]] = {}
    summary = ChunkSummary()
    path = out_dir / CHUNKS_JSONL
    # the new file is streamed to a temp file first; the feed must be appended before it replaces
    # chunks.jsonl, so stream into a staging file, then append the events, then rename
    staging = out_dir / f".tmp-{CHUNKS_JSONL}.next"
    changed = write_stream_if_changed(
        staging, chunk_lines(out_dir, entries, settings, new, (old, ranges) if reuse else None)
    )
    del changed
    events = chunk_events(old, new)
    summary.chunks = len(new)
    summary.added = sum(ev["event"] == "added" for ev in events)
    summary.removed = len(events) - summary.added
    if events or not (out_dir / CHUNK_CHANGES_NAME).exists():
        append_chunk_changes(out_dir, events, run_id)
        fault_point("chunk-changes.jsonl")
    if _same_bytes(staging, path):
        staging.unlink()
    else:
        os.replace(staging, path)
        summary.written = True
        fault_point("chunks.jsonl")
    return summary


def _same_bytes(a: Path, b: Path) -> bool:
    try:
        if a.stat().st_size != b.stat().st_size:
            return False
    except FileNotFoundError:
        return False
    with a.open("rb") as fa, b.open("rb") as fb:
        while True:
            x, y = fa.read(1 << 20), fb.read(1 << 20)
            if x != y:
                return False
            if not x:
                return True


def read_chunk_changes(out_dir: Path, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """The complete lines of the chunk feed from byte ``offset`` on, and the offset after the last
    complete line (a torn last line is left for later)."""
    try:
        with (out_dir / CHUNK_CHANGES_NAME).open("rb") as f:
            f.seek(offset)
            data = f.read()
    except FileNotFoundError:
        return [], 0
    end = data.rfind(b"\n") + 1
    return [orjson.loads(line) for line in data[:end].splitlines() if line.strip()], offset + end


def replay_chunk_changes(events: list[dict[str, Any]], state: dict[str, str] | None = None) -> dict[str, str]:
    """chunk id -> content_sha256 after applying ``events`` in order (duplicates are harmless)."""
    state = {} if state is None else state
    for ev in events:
        if ev.get("event") == "added":
            state[ev["chunk_id"]] = ev["content_sha256"]
        elif ev.get("event") == "removed" and state.get(ev["chunk_id"]) == ev["content_sha256"]:
            del state[ev["chunk_id"]]
    return state


def chunks_problems(out_dir: Path, versions: dict[str, int]) -> list[str]:
    """For ``ingest verify``: chunks.jsonl belongs to the current records (``versions``: record id ->
    version) and replaying the chunk feed gives exactly its chunks."""
    if not (out_dir / CHUNKS_JSONL).exists():
        return [f"{CHUNKS_JSONL}: missing (the next run that publishes writes it)"] if versions else []
    problems: list[str] = []
    try:
        keys = read_chunk_keys(out_dir)
    except (ValueError, KeyError) as e:
        return [f"{CHUNKS_JSONL}: a line does not parse or lacks a field: {e}"]
    for cid, (rid, _sha, ver) in sorted(keys.items()):
        if rid not in versions:
            problems.append(f"{CHUNKS_JSONL}: chunk {cid} of {rid}, which is not a current record")
        elif versions[rid] != ver:
            problems.append(f"{CHUNKS_JSONL}: chunk {cid} has version {ver} of {rid}, the record is v{versions[rid]}")
    try:
        events, _ = read_chunk_changes(out_dir)
    except ValueError:
        return [*problems, f"{CHUNK_CHANGES_NAME}: a line does not parse"]
    if replay_chunk_changes(events) != {cid: sha for cid, (_r, sha, _v) in keys.items()}:
        problems.append(f"{CHUNK_CHANGES_NAME}: replaying it does not give the chunks of {CHUNKS_JSONL}")
    return problems
