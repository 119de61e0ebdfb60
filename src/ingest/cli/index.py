"""``ingest index OUT_DIR`` and ``ingest search "QUERY" --out OUT_DIR`` (issue 15): the SQLite FTS5
index of OUT_DIR/chunks.jsonl (:mod:`ingest.store.index`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ingest.cli.common import DEFAULT_OUT_DIR, EXIT_OK, UsageError, add_lock_arguments, ui

INDEX_HELP = """\
Build or update OUT_DIR/index.sqlite, an SQLite FTS5 full-text index of OUT_DIR/chunks.jsonl.

Incremental: only the records named by new lines of OUT_DIR/chunk-changes.jsonl are compared, and
only their changed chunks are replaced; with no new line the index is not written at all. A missing
index, a replaced feed or --rebuild builds it from chunks.jsonl (a new file renamed into place). An
update is one transaction: a killed update leaves the previous index, and the next one redoes it.
Takes OUT_DIR's lock like `ingest normalize`.
"""
INDEX_EXIT = """\
exit codes:
  0  the index is up to date
  2  OUT_DIR has no chunks.jsonl, or it is locked
"""
SEARCH_HELP = """\
Ranked passages (BM25 over title, headings and text) of OUT_DIR's search index, each with its title,
heading path, URL, dates, citations and notices. Every word of QUERY must occur; when no passage has
them all, passages with any of them are ranked. --json prints the results as a JSON list.
"""
SEARCH_EXIT = """\
exit codes:
  0  ok (also when nothing matched)
  2  OUT_DIR has no index: run `ingest index OUT_DIR`
"""


def add_index_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("out_dir", metavar="OUT_DIR", type=Path, help="a folder written by `ingest normalize`")
    p.add_argument("--rebuild", action="store_true", help="build the index from chunks.jsonl from scratch")
    add_lock_arguments(p)


def cmd_index(args: argparse.Namespace) -> int:
    from ingest.store.chunks import CHUNKS_JSONL
    from ingest.store.index import update_index
    from ingest.store.lock import out_dir_lock

    if not (args.out_dir / CHUNKS_JSONL).is_file():
        raise UsageError(f"no {CHUNKS_JSONL} in {args.out_dir}: run `ingest normalize ... --out {args.out_dir}` first")
    with out_dir_lock(args.out_dir, wait=args.wait_lock):
        s = update_index(args.out_dir, rebuild=args.rebuild)
    out = ui(args)
    out.say(f"index {s.mode}: {s.chunks} chunks" + (
        f" ({s.records} records compared, {s.inserted} inserted, {s.deleted} deleted)" if s.mode != "unchanged" else ""))
    out.result({"ok": True, **s.as_dict()})
    return EXIT_OK


def add_search_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("query", metavar="QUERY", help="words to look for")
    p.add_argument("--out", metavar="OUT_DIR", type=Path, default=DEFAULT_OUT_DIR,
                   help="where the index is (default: normalized)")
    p.add_argument("--limit", type=int, default=10, metavar="N", help="at most N passages (default 10)")


def _date_line(dates: dict) -> str:
    names = {"last_reviewed": "reviewed", "last_revised": "revised", "published": "published"}
    return ", ".join(f"{names[k]} {v['value']}" for k, v in dates.items() if v) or "no date"


def cmd_search(args: argparse.Namespace) -> int:
    from ingest.store.index import search

    if args.limit < 1:
        raise UsageError("--limit must be at least 1")
    hits = search(args.out, args.query, args.limit)
    out = ui(args)
    out.result(hits)
    if not hits:
        out.say("no passage matches")
    for k, h in enumerate(hits, 1):
        out.say(f"{k}. {h['title']}" + (f" > {' > '.join(h['heading_path'])}" if h["heading_path"] else ""))
        out.say(f"   {h['url'] or h['record_id']}  ({_date_line(h['dates'])}; {h['publisher'] or 'unknown publisher'}"
                + ("; AI-generated" if h["ai_generated"] else "") + f"; score {h['score']})")
        out.say("   " + " ".join(h["snippet"].split()))
        for c in h["citations"]:
            out.say(f"   [{c['id']}] {c['text']}" + (f" <{c['url']}>" if c.get("url") else "")
                    + (f" PMID {c['pmid']}" if c.get("pmid") else ""))
    return EXIT_OK
