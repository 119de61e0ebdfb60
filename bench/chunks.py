"""Chunking and index cost over ../shared/corpus (issue 15, README "Retrieval").

    python -m bench.chunks [--source DIR] [--limit N]

In process, no Prefect: every input under the patient-facing cancer corpus folders is normalized
once (not timed), published to a temporary OUT_DIR, then measured: chunking CPU per page, chunk
counts and token distribution, the chunks' share of a publish (as the flow runs it: chunk lines
staged by the batches, i.e. chunked in the worker processes; and with every record chunked at
publish time), `ingest index` from scratch, an unchanged update (no new feed line) and the update
after ~10 % of the records changed one passage. `make bench` runs it after bench.throughput.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import ingest.store.publish as publish_mod
from ingest.core.chunking import DEFAULT_CHUNK_TOKENS, chunk_dicts, chunk_record
from ingest.core.pipeline import Published, process
from ingest.orchestration.workers import normalize_and_stage
from ingest.store.chunks import ChunkSettings
from ingest.store.discovery import discover, read
from ingest.store.files import ensure_out_dir
from ingest.store.index import search, update_index
from ingest.store.publish import publish

_chunk_seconds: list[float] = []
_real_publish_chunks = publish_mod.publish_chunks


def _timed_publish_chunks(*a, **k):  # the chunk outputs' share of a publish
    t = time.perf_counter()
    try:
        return _real_publish_chunks(*a, **k)
    finally:
        _chunk_seconds.append(time.perf_counter() - t)


publish_mod.publish_chunks = _timed_publish_chunks

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
DEFAULT_SOURCES = ["cancer-gov-html", "cancer-gov-html-more", "cancer-gov-markdown", "cancer-org-text",
                   "medquad-cancergov-xml", "pdq-xml"]


def pct(xs: list[int], p: float) -> int:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.chunks")
    ap.add_argument("--source", action="append", type=Path, default=None)
    ap.add_argument("--limit", type=int, default=None)
    args = ap.parse_args(argv)
    sources = args.source or [CORPUS / s for s in DEFAULT_SOURCES if (CORPUS / s).is_dir()]
    refs = discover(sources)[: args.limit]
    outcomes = [process(*read(r)) for r in refs]
    pubs = [o for o in outcomes if isinstance(o, Published)]
    print(f"inputs {len(refs)}, published {len(pubs)} from {', '.join(s.name for s in sources)}")

    t = time.process_time()
    for o in pubs:  # what the batches and publish run
        chunk_dicts(o.record)
    cpu = time.process_time() - t
    chunks = [chunk_record(o.record) for o in pubs]
    toks = [c.tokens for cs in chunks for c in cs]
    per_page = [len(cs) for cs in chunks]
    print(f"chunking ({DEFAULT_CHUNK_TOKENS} tokens): {cpu / len(pubs) * 1000:.2f} ms CPU per page, "
          f"{len(toks)} chunks, {statistics.mean(per_page):.1f} per page (max {max(per_page)})")
    print(f"tokens per chunk: min {min(toks)}, median {pct(toks, 0.5)}, p90 {pct(toks, 0.9)}, "
          f"p99 {pct(toks, 0.99)}, max {max(toks)}, mean {statistics.mean(toks):.0f}; "
          f"<=64: {sum(t <= 64 for t in toks)}, >=448: {sum(t >= 448 for t in toks)}")
    cited = sum(bool(c.citations) for cs in chunks for c in cs)
    print(f"chunks with citations {cited} ({cited / len(toks):.0%}), with glossary terms "
          f"{sum(bool(c.glossary) for cs in chunks for c in cs)}")

    with tempfile.TemporaryDirectory() as d:  # as the flow runs it: batches stage records and chunk lines
        out = Path(d) / "staged"
        ensure_out_dir(out)
        t = time.process_time()
        items = normalize_and_stage(refs, str(out), chunking=ChunkSettings())
        batch_cpu = time.process_time() - t
        t = time.perf_counter()
        s = publish(out, [o for o, _s in items], staged={o.input: st for o, st in items if st is not None})
        print(f"batches (normalize + stage + chunk, one process): {batch_cpu / len(refs) * 1000:.1f} ms CPU per input; "
              f"first publish of staged outcomes {time.perf_counter() - t:.2f} s, of which chunks "
              f"{_chunk_seconds[-1]:.2f} s ({s.chunks} chunks)")

    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "out"
        t = time.perf_counter()
        s = publish(out, pubs)
        pub_s = time.perf_counter() - t
        print(f"first publish, every record chunked at publish time {pub_s:.2f} s, of which chunks {_chunk_seconds[-1]:.2f} s ({s.chunks} chunks); chunks.jsonl "
              f"{(out / 'chunks.jsonl').stat().st_size / 1e6:.1f} MB, records.jsonl "
              f"{(out / 'records.jsonl').stat().st_size / 1e6:.1f} MB")
        for name, step in [("index from scratch", lambda: update_index(out)),
                           ("index unchanged update", lambda: update_index(out))]:
            t = time.perf_counter()
            r = step()
            print(f"{name}: {time.perf_counter() - t:.3f} s ({r.mode}, {r.chunks} chunks)")
        t = time.perf_counter()
        hits = search(out, "relapsed CLL treatment", limit=5)
        print(f'search "relapsed CLL treatment": {time.perf_counter() - t:.3f} s, {len(hits)} passages')
        for h in hits:
            print(f"  {h['score']:.2f} {h['title']} > {' > '.join(h['heading_path'])} | {h['url']} | "
                  f"{len(h['citations'])} citations | {h['dates']['last_reviewed'] or h['dates']['published']}")
        changed = []
        for k, o in enumerate(pubs):
            if k % 10 == 0:
                rec = o.record.model_copy(deep=True)
                sec = rec.sections[-1]
                for b in sec.blocks:
                    if hasattr(b, "text") and b.text:
                        b.text += " (updated)"
                        break
                rec.content_sha256 = ("0" if rec.content_sha256[0] != "0" else "1") + rec.content_sha256[1:]
                o = Published(o.input, rec)
            changed.append(o)
        t = time.perf_counter()
        s = publish(out, changed)
        print(f"10 % changed publish {time.perf_counter() - t:.2f} s, of which chunks {_chunk_seconds[-1]:.2f} s "
              f"({s.chunks_added} chunks added, "
              f"{s.chunks_removed} removed)")
        t = time.perf_counter()
        r = update_index(out)
        print(f"index update after 10 % changed: {time.perf_counter() - t:.3f} s ({r.mode}, {r.records} records "
              f"compared, {r.inserted} inserted, {r.deleted} deleted)")
        t = time.perf_counter()
        r = update_index(out, rebuild=True)
        print(f"index rebuild for comparison: {time.perf_counter() - t:.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
