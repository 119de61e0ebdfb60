"""The embedded search index (issue 15): ``OUT_DIR/index.sqlite``, an SQLite FTS5 full-text index of
``chunks.jsonl``, kept current from the chunk feed.

Tables: ``chunks`` (``chunk_id``, ``record_id``, ``sha`` = the chunk's ``content_sha256``, ``data`` =
the chunk's canonical JSON without ``record_version``, which changes with edits elsewhere in the
record and would otherwise force rewriting unchanged chunks), ``fts`` (FTS5: title, heading path,
text; Porter stemming; rowid = ``chunks.rowid``) and ``meta`` (how far the chunk feed was read).

:func:`update_index`: reads the chunk feed from where the last update stopped; for the records it
names, the chunks in ``chunks.jsonl`` are compared (by id and hash) with those in the index and only
the differing ones are deleted or inserted; the feed position moves in the same transaction, so a
killed update leaves the index as it was and the next one redoes the work. No new feed line: the
database is not written at all. No index yet, a feed that was replaced or cut, or ``rebuild``: the
index is built from ``chunks.jsonl`` alone (a new file renamed into place). After any sequence of
updates the index holds exactly what a rebuild would (tests/test_index.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson

from ingest.core.errors import IngestError
from ingest.store.chunks import CHUNK_CHANGES_NAME, INDEX_NAME, iter_chunks, read_chunk_changes
from ingest.store.files import TMP_PREFIX, fault_point

INDEX_FORMAT = "1"
_HEAD_BYTES = 4096

_SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE chunks(rowid INTEGER PRIMARY KEY, chunk_id TEXT NOT NULL UNIQUE, record_id TEXT NOT NULL,
                    sha TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX chunks_record ON chunks(record_id);
CREATE VIRTUAL TABLE fts USING fts5(title, headings, text, tokenize = 'porter unicode61');
"""


class IndexMissing(IngestError):
    """``ingest search`` on an OUT_DIR without an index. The CLI exits 2."""


@dataclass(slots=True)
class IndexSummary:
    mode: str = "unchanged"  # unchanged, incremental, rebuilt
    records: int = 0  # records whose chunks were compared
    inserted: int = 0
    deleted: int = 0
    chunks: int = 0  # chunks in the index afterwards

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def index_path(out_dir: Path) -> Path:
    return out_dir / INDEX_NAME


def _feed_head(out_dir: Path, offset: int) -> str:
    """Hash of the feed's first bytes (up to ``offset``): tells a replaced feed from an appended one."""
    try:
        with (out_dir / CHUNK_CHANGES_NAME).open("rb") as f:
            return hashlib.sha256(f.read(min(offset, _HEAD_BYTES))).hexdigest()
    except FileNotFoundError:
        return hashlib.sha256(b"").hexdigest()


def _row(c: dict[str, Any]) -> tuple[str, str, str, str, str, str, str]:
    data = {k: v for k, v in c.items() if k != "record_version"}
    return (c["id"], c["record_id"], c["content_sha256"],
            orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode(),
            c.get("title") or "", " / ".join(c.get("heading_path") or []), c.get("text") or "")


def _sync(db: sqlite3.Connection, out_dir: Path, records: set[str] | None, summary: IndexSummary) -> None:
    """Make the index's chunks of ``records`` (None: all) equal to chunks.jsonl's."""
    want = {}
    for c in iter_chunks(out_dir):
        if records is None or c["record_id"] in records:
            want[c["id"]] = _row(c)
    if records is None:
        have = dict(db.execute("SELECT chunk_id, sha FROM chunks"))
        summary.records = len({r[1] for r in want.values()} | {r for (r,) in db.execute("SELECT DISTINCT record_id FROM chunks")})
    else:
        have = {}
        for rid in sorted(records):
            have.update(db.execute("SELECT chunk_id, sha FROM chunks WHERE record_id = ?", (rid,)))
        summary.records = len(records)
    gone = [cid for cid, sha in have.items() if cid not in want or want[cid][2] != sha]
    new = [row for cid, row in want.items() if have.get(cid) != row[2]]
    for cid in sorted(gone):
        (rowid,) = db.execute("SELECT rowid FROM chunks WHERE chunk_id = ?", (cid,)).fetchone()
        db.execute("DELETE FROM fts WHERE rowid = ?", (rowid,))
        db.execute("DELETE FROM chunks WHERE rowid = ?", (rowid,))
    for cid, rid, sha, data, title, headings, text in sorted(new):
        cur = db.execute("INSERT INTO chunks(chunk_id, record_id, sha, data) VALUES (?, ?, ?, ?)", (cid, rid, sha, data))
        db.execute("INSERT INTO fts(rowid, title, headings, text) VALUES (?, ?, ?, ?)", (cur.lastrowid, title, headings, text))
    summary.deleted, summary.inserted = len(gone), len(new)


def _set_meta(db: sqlite3.Connection, out_dir: Path, offset: int) -> None:
    for k, v in (("format", INDEX_FORMAT), ("feed_offset", str(offset)), ("feed_head", _feed_head(out_dir, offset))):
        db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (k, v))


def _meta(db: sqlite3.Connection) -> dict[str, str]:
    try:
        return dict(db.execute("SELECT key, value FROM meta"))
    except sqlite3.DatabaseError:
        return {}


def rebuild_index(out_dir: Path, target: Path | None = None) -> IndexSummary:
    """Build the index from chunks.jsonl into a new file, renamed over ``target`` (default
    OUT_DIR/index.sqlite) when complete."""
    target = target or index_path(out_dir)
    tmp = target.with_name(f"{TMP_PREFIX}{target.name}")
    for p in (tmp, tmp.with_name(tmp.name + "-journal")):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()
    summary = IndexSummary(mode="rebuilt")
    _, offset = read_chunk_changes(out_dir)
    db = sqlite3.connect(tmp, isolation_level=None)
    try:
        db.executescript(_SCHEMA)
        db.execute("BEGIN")
        _sync(db, out_dir, None, summary)
        _set_meta(db, out_dir, offset)
        db.execute("COMMIT")
        summary.chunks = db.execute("SELECT count(*) FROM chunks").fetchone()[0]
    finally:
        db.close()
    fault_point("index rebuild")
    os.replace(tmp, target)
    return summary


def update_index(out_dir: Path, rebuild: bool = False) -> IndexSummary:
    """Bring OUT_DIR/index.sqlite up to date with the chunk feed (see the module docstring)."""
    path = index_path(out_dir)
    if rebuild or not path.exists():
        return rebuild_index(out_dir)
    db = sqlite3.connect(path, isolation_level=None)
    try:
        meta = _meta(db)
        try:
            offset = int(meta.get("feed_offset", "-1"))
        except ValueError:
            offset = -1
        size = (out_dir / CHUNK_CHANGES_NAME).stat().st_size if (out_dir / CHUNK_CHANGES_NAME).exists() else 0
        if meta.get("format") != INDEX_FORMAT or offset < 0 or offset > size or meta.get("feed_head") != _feed_head(out_dir, offset):
            db.close()
            return rebuild_index(out_dir)
        events, new_offset = read_chunk_changes(out_dir, offset)
        summary = IndexSummary()
        if new_offset == offset:
            summary.chunks = db.execute("SELECT count(*) FROM chunks").fetchone()[0]
            return summary  # nothing new: not a single write
        summary.mode = "incremental"
        db.execute("BEGIN IMMEDIATE")
        _sync(db, out_dir, {ev["record_id"] for ev in events if "record_id" in ev}, summary)
        fault_point("index update")  # the crash tests kill here: the transaction is not committed
        _set_meta(db, out_dir, new_offset)
        db.execute("COMMIT")
        summary.chunks = db.execute("SELECT count(*) FROM chunks").fetchone()[0]
        return summary
    finally:
        db.close()


def index_contents(path: Path) -> list[tuple[str, str, str, str]]:
    """(chunk_id, record_id, sha, data) of every chunk, sorted: what two indexes must agree on."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return sorted(db.execute("SELECT chunk_id, record_id, sha, data FROM chunks"))
    finally:
        db.close()


_QUERY_WORD = re.compile(r"\w+", re.UNICODE)


def fts_query(text: str, any_word: bool = False) -> str:
    """A safe FTS5 query from free text: every word quoted, all required (or any, ``any_word``).

    >>> fts_query('relapsed CLL "treatment"-options')
    '"relapsed" "CLL" "treatment" "options"'
    """
    words = [f'"{w}"' for w in _QUERY_WORD.findall(text)]
    return (" OR " if any_word else " ").join(words)


def search(out_dir: Path, query: str, limit: int = 10) -> list[dict[str, Any]]:
    """Ranked passages for ``query`` (BM25; title and headings weigh more than the text). Every word
    must occur; when no passage has them all, passages with any of them are ranked instead."""
    path = index_path(out_dir)
    if not path.exists():
        raise IndexMissing(f"no search index in {out_dir}: run `ingest index {out_dir}` first")
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows: Iterable[tuple[str, float, str]] = []
        for any_word in (False, True):
            q = fts_query(query, any_word)
            if not q:
                return []
            rows = db.execute(
                "SELECT c.data, bm25(fts, 4.0, 2.0, 1.0) AS score, snippet(fts, 2, '[', ']', ' … ', 32) "
                "FROM fts JOIN chunks c ON c.rowid = fts.rowid WHERE fts MATCH ? "
                "ORDER BY score, c.chunk_id LIMIT ?", (q, limit),
            ).fetchall()
            if rows:
                break
    finally:
        db.close()
    out = []
    for data, score, snippet in rows:
        c = orjson.loads(data)
        out.append({
            "score": round(-score, 4), "chunk_id": c["id"], "record_id": c["record_id"], "title": c["title"],
            "heading_path": c["heading_path"], "url": c["url"], "publisher": c["publisher"],
            "dates": c["dates"], "ai_generated": c["ai_generated"], "notices": c["notices"],
            "citations": c["citations"], "snippet": snippet, "text": c["text"],
        })
    return out
