"""Record versions and ``OUT_DIR/history/<id>/v<N>.json``, every earlier version of a record (never deleted).

A record's ``version`` is 1 when first published and +1 whenever its ``content_sha256`` changes
(:func:`next_version`); :func:`archive` copies a record file to history before it is replaced or
removed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ingest.core.serialize import sha256_hex
from ingest.store.files import atomic_write, fault_point, record_path

HISTORY_DIR = "history"


def int_version(entry: dict[str, Any] | None) -> int:
    v = (entry or {}).get("version", 1)
    return v if isinstance(v, int) and not isinstance(v, bool) and v >= 1 else 1


def next_version(
    content_sha: str, prev: dict[str, Any] | None, prev_withdrawn: dict[str, Any] | None
) -> tuple[int, str | None]:
    """``(version, event)`` of a record published now, against the previous manifest.

    >>> next_version("a", None, None)
    (1, 'added')
    >>> next_version("a", {"version": 3, "content_sha256": "a"}, None)
    (3, None)
    >>> next_version("b", {"version": 3, "content_sha256": "a"}, None)
    (4, 'updated')
    >>> next_version("a", None, {"version": 2, "content_sha256": "a"})
    (3, 'added')
    """
    if prev is not None:
        v = int_version(prev)
        return (v, None) if prev.get("content_sha256") == content_sha else (v + 1, "updated")
    if prev_withdrawn is not None:
        return int_version(prev_withdrawn) + 1, "added"
    return 1, "added"


def history_path(out_dir: Path, record_id: str, version: int) -> Path:
    """``OUT_DIR/history/<id>/v<version>.json`` (the id is checked as by :func:`record_path`)."""
    record_path(out_dir, record_id)
    return out_dir / HISTORY_DIR / record_id / f"v{int(version)}.json"


def archive(out_dir: Path, path: Path, keep_if_sha: str | None = None) -> None:
    """Copy the record file at ``path`` to history (once; atomically) before it is replaced or removed.

    Nothing to do when the file is missing, or when it already holds content ``keep_if_sha`` (an
    interrupted run renamed the new version into place after archiving the old one).
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return
    try:
        parsed = json.loads(data)
        rid, version, sha = parsed["id"], parsed.get("version", 1), parsed.get("content_sha256")
        target = history_path(out_dir, str(rid), int(version))
    except (ValueError, KeyError, TypeError):  # not a record we wrote: keep it by its file name and hash
        sha = None
        target = out_dir / HISTORY_DIR / "_unreadable" / f"{path.stem}-{sha256_hex(data)[:12]}.json"
    if keep_if_sha is not None and sha == keep_if_sha:
        return
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(target, data)
    fault_point(f"history {target.parent.name}/{target.name}")
