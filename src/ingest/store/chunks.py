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

Where the lines come from, cheapest first: a record whose version is the one its current lines were
made from keeps them (copied from the old file); a record a worker batch normalized in this run has
its lines staged beside its record (:func:`stage_chunks`, ``records/.tmp-chunks-*``: chunked in the
worker processes, in parallel, from the record they already hold); any other record is read back and
chunked here. Staged chunk files are removed once ``chunks.jsonl`` is written (and by the next run
after a crash, like every temp file in ``records/``).
"""

from __future__ import annotations

import contextlib
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
    chunk_dicts,
)
from ingest.core.models import Record
from ingest.store.feed import append_events
from ingest.store.files import (
    RECORDS_DIR,
    TMP_PREFIX,
    fault_point,
    is_temp_name,
    record_path,
    write_stream_if_changed,
    write_temp,
)

CHUNKS_JSONL = "chunks.jsonl"
CHUNK_CHANGES_NAME = "chunk-changes.jsonl"
#: The SQLite search index `ingest index` keeps in OUT_DIR (:mod:`ingest.store.index`).
INDEX_NAME = "index.sqlite"
#: Chunk lines a worker staged in ``records/`` for the publish step (:func:`stage_chunks`).
CHUNK_TMP_PREFIX = f"{TMP_PREFIX}chunks-"


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


def chunk_line(chunk: dict[str, Any]) -> bytes:
    """One line of ``chunks.jsonl``: compact JSON, sorted keys."""
    return orjson.dumps(chunk, option=orjson.OPT_SORT_KEYS) + b"\n"


def stage_chunks(records_dir: Path, record: Record, settings: ChunkSettings) -> str:
    """Write ``record``'s chunk lines (made with ``settings``, for ``record.version``) to a new temp
    file in ``records_dir``; returns its name. Run by worker batches (see the module docstring); not
    fsynced: publishing reads it in the same run, and a crash leaves only a temp file to remove."""
    return write_temp(records_dir, (chunk_line(c) for c in
                                    chunk_dicts(record, settings.max_tokens, settings.overlap, settings.tokenizer)),
                      prefix=CHUNK_TMP_PREFIX, fsync=False)


def remove_staged_chunks(records_dir: Path) -> None:
    """Remove the chunk lines batches staged (after publishing, or left by an interrupted run)."""
    try:
        names = [e.name for e in os.scandir(records_dir) if e.name.startswith(CHUNK_TMP_PREFIX)]
    except FileNotFoundError:
        return
    for name in names:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(records_dir / name)


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
                staged: dict[str, tuple[str, int]] | None = None,
                ) -> Iterator[bytes]:
    """The lines of ``chunks.jsonl`` for the manifest's ``entries``; fills ``keys`` as it goes.

    ``reuse`` (the current file's keys and ranges, same settings): a record whose version is the one
    its chunks were made from is not chunked again; its lines are copied from the current file.
    ``staged``: record id -> (name of its chunk lines staged in ``records/`` with the same settings,
    the record version they carry)."""
    old_keys, ranges = reuse or ({}, {})
    by_record: dict[str, list[str]] = {}
    for cid, (rid, _sha, _ver) in old_keys.items():
        by_record.setdefault(rid, []).append(cid)
    old = (out_dir / CHUNKS_JSONL).open("rb") if ranges else None
    try:
        for e in entries:
            yield from _record_lines(out_dir, e, settings, keys, old, ranges, old_keys, by_record, staged or {})
    finally:
        if old is not None:
            old.close()


def _record_lines(out_dir: Path, e: dict[str, Any], settings: ChunkSettings, keys: dict[str, tuple[str, str, int]],
                  old: Any, ranges: dict[str, tuple[int, int, int]], old_keys: dict[str, tuple[str, str, int]],
                  by_record: dict[str, list[str]], staged: dict[str, tuple[str, int]]) -> Iterator[bytes]:
    rid = str(e["id"])
    if old is not None and rid in ranges and ranges[rid][0] == e.get("version"):
        _ver, start, end = ranges[rid]
        old.seek(start)
        for cid in by_record.get(rid, []):
            keys[cid] = old_keys[cid]
        yield old.read(end - start)
        return
    if rid in staged:
        lines = _staged_lines(out_dir, *staged[rid], e.get("version"))
        if lines is not None:
            for line in lines:
                c = orjson.loads(line)
                keys[c["id"]] = (c["record_id"], c["content_sha256"], c["record_version"])
            yield b"".join(lines)
            return
    record = Record.model_validate_json(record_path(out_dir, rid).read_bytes())
    for c in chunk_dicts(record, settings.max_tokens, settings.overlap, settings.tokenizer):
        keys[c["id"]] = (c["record_id"], c["content_sha256"], c["record_version"])
        yield chunk_line(c)


def _staged_lines(out_dir: Path, name: str, staged_version: int, version: Any) -> list[bytes] | None:
    """The staged chunk lines ``name``, carrying ``version`` (publishing may have given the record
    another version than the one it was staged with: only ``record_version`` differs, and in compact
    sorted-key JSON ``"record_version":N,`` occurs once per line, outside every string, whose quotes
    are escaped). None when the file is gone or the version is not an int."""
    if not is_temp_name(name, CHUNK_TMP_PREFIX) or not isinstance(version, int):
        return None
    try:
        data = (out_dir / RECORDS_DIR / name).read_bytes()
    except FileNotFoundError:
        return None
    if version != staged_version:
        data = data.replace(b'"record_version":%d,' % staged_version, b'"record_version":%d,' % version)
    return data.splitlines(keepends=True)


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
                   run_id: str | None = None, reuse: bool = False,
                   staged: dict[str, tuple[str, int]] | None = None) -> ChunkSummary:
    """Chunk every current record, append the differences to the chunk feed, then replace
    ``chunks.jsonl`` (only if its bytes changed). Called by :func:`ingest.store.publish.publish`
    after ``changes.jsonl`` and before the manifest. ``reuse``: the settings are those the current
    chunks.jsonl was made with, so records of the same version keep their lines without rechunking.
    ``staged``: chunk lines batches staged (see :func:`chunk_lines`)."""
    old, ranges = _old_ranges(out_dir)
    new: dict[str, tuple[str, str, int]] = {}
    summary = ChunkSummary()
    path = out_dir / CHUNKS_JSONL
    # the new file is streamed to a temp file first; the feed must be appended before it replaces
    # chunks.jsonl, so stream into a staging file, then append the events, then rename
    staging = out_dir / f".tmp-{CHUNKS_JSONL}.next"
    changed = write_stream_if_changed(
        staging, chunk_lines(out_dir, entries, settings, new, (old, ranges) if reuse else None, staged)
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
