"""Two `ingest fetch` runs against a real HTTP server on 127.0.0.1: the second must download nothing.

    python bench/fetch_loopback.py [--pages 20] [--flaky 0] [--keep DIR]

Serves ``--pages`` cancer.gov pages from ../shared/corpus/cancer-gov-html with ETags (304 on
If-None-Match), runs the fetch flow twice through the CLI (real normalizer, a temporary Prefect
server started once before the timing), and prints for each run: requests, 200s, 304s, retries,
bytes downloaded, what was re-normalized and written, and the wall time. ``--flaky N`` makes N
pages answer 503 once in the first run (exercises the retries). Nothing here touches the internet.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "cancer-gov-html"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=20)
    ap.add_argument("--flaky", type=int, default=0, help="pages answering 503 once in the first run")
    ap.add_argument("--keep", type=Path, default=None, help="work in DIR (kept) instead of a temp dir")
    args = ap.parse_args()

    from prefect import flow
    from prefect.testing.utilities import prefect_test_harness

    from ingest.cli.main import main as cli
    from ingest.fetch.loopback import LoopbackSite, corpus_pages, loopback_sources_toml

    pages = corpus_pages(CORPUS, limit=args.pages)
    work = args.keep or Path(tempfile.mkdtemp(prefix="fetch-loopback-"))
    work.mkdir(parents=True, exist_ok=True)

    @flow(name="warm-up")
    def warm_up() -> None:
        return None

    t0 = time.perf_counter()
    with prefect_test_harness(server_startup_timeout=120), LoopbackSite(pages) as site:
        warm_up()
        print(f"{len(pages)} pages ({sum(map(len, pages.values())) / 1e6:.1f} MB) on {site.base_url}; "
              f"Prefect started in {time.perf_counter() - t0:.1f} s (not counted)")
        flaky = set(list(pages)[: args.flaky])

        def once_503(path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
            site.scripts.pop(path)  # next time the page is served normally
            return 503, {"Retry-After": "0"}, b""

        for p in flaky:
            site.scripts[p] = once_503
        sources = work / "sources.toml"
        sources.write_text(loopback_sources_toml([site.url(p) for p in pages], backoff_base=0.05))
        argv = ["--json", "fetch", "--sources", str(sources), "--raw", str(work / "raw"), "--out", str(work / "out")]
        print(f"{'run':>3} {'exit':>4} {'requests':>8} {'200s':>5} {'304s':>5} {'503s':>5} {'retries':>7} "
              f"{'MB down':>7} {'normed':>6} {'reused':>7} {'written':>7} {'time s':>7}")
        for run in (1, 2):
            site.reset_counts()
            buf = io.StringIO()
            start = time.perf_counter()
            with contextlib.redirect_stdout(buf):
                code = cli.main(argv)
            elapsed = time.perf_counter() - start
            result = json.loads(buf.getvalue())
            f, pub = result["fetch"], result["publish"]
            print(f"{run:>3} {code:>4} {f['requests']:>8} {site.statuses[200]:>5} {site.statuses[304]:>5} "
                  f"{site.statuses[503]:>5} {f['retries']:>7} {site.bytes_sent / 1e6:>7.2f} {pub['normalized']:>6} "
                  f"{pub['reused']:>7} {pub['written']:>7} {elapsed:>7.2f}")
    print(f"(requests include robots.txt, once per run; work dir {work})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
