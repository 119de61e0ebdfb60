"""Throughput: `ingest normalize` (whole process, Prefect included) vs bare trafilatura, same pages.

    python -m bench.throughput [--copies 5] [--repeat 3] [--workers N] [--profile]     (make bench)
    python -m bench.throughput --scale 5,10,20       (peak RSS as the corpus grows)
    python -m bench.throughput --generic [--repeat 3]    (only the generic path's CPU per page)

1. Builds a corpus from the real cancer.gov pages in ``../shared/corpus/cancer-gov-html``: every
   page ``--copies`` times, each copy with a ``<file>.meta.json`` sidecar giving it its own URL
   (``?copy=N``), so every copy is its own record (5 copies: 215 pages, ~36 MB).
2. Times, in one run on the same files, each ``--repeat`` times:
   - ``trafilatura``: one Python process that imports trafilatura and calls ``trafilatura.extract``
     (default options) on every page: the tool a user would otherwise pick;
   - ``ingest first run``: ``ingest normalize CORPUS --out OUT`` in a subprocess, fresh OUT;
   - ``ingest unchanged rerun``: the same command again over the unchanged corpus (incremental);
   - the same two with ``PREFECT_API_URL`` pointing at a running ``prefect server start`` (how a
     team runs Prefect), so that Prefect's temporary server's ~3.5 s start is not in the figures
     (``--no-server`` skips these rows).
   Each is the wall time of the whole process, start-up included; peak RSS is the largest sum of
   the RSS of the process and all its descendants (worker processes, Prefect's temporary server),
   sampled every 20 ms.
3. Prints a table (best wall time, median and spread over the repeats, pages/s, MB/s, peak RSS, and
   the ratios to trafilatura and to the first run) with the machine and the date: the README's
   "Throughput" section.

4. The generic path (issue 14): CPU per page of ``load_html_generic`` and of the whole in-process
   pipeline vs bare ``trafilatura.extract`` (defaults, given the page's bytes as ``process`` is) on
   the WCXB pages (``../shared/corpus/
   wcxb-dev-more`` and ``wcxb-health``: pages without a site profile), page by page in one process,
   the best of ``--repeat`` for each (``--no-generic`` skips it). One-time costs (imports, the first
   pages' lazy set-up on both sides, the language model) are paid before the clock starts.

``--profile`` also runs pyinstrument over the in-process pipeline (no Prefect) on the same corpus
and prints where the time goes. The machine has other load on it? Run with ``--repeat 5`` and read
the best and the spread.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = ROOT.parent / "shared" / "corpus" / "cancer-gov-html"

TRAFILATURA_SCRIPT = """
import sys, time
from pathlib import Path
t0 = time.perf_counter()
import trafilatura
files = sorted(p for p in Path(sys.argv[1]).iterdir() if p.suffix == ".html")
extracted = 0
for f in files:
    extracted += bool(trafilatura.extract(f.read_bytes()))
print(f"{len(files)} {extracted} {time.perf_counter() - t0:.3f}")
"""


# --------------------------------------------------------------------------- corpus


@dataclass
class Corpus:
    path: Path
    pages: int
    bytes: int

    @property
    def mb(self) -> float:
        return self.bytes / 1e6


# the URL inside <link rel="canonical" href="..."> and <meta property="og:url" content="...">
_CANONICAL = re.compile(rb'(<(?:link[^>]*rel="canonical"[^>]*href|meta[^>]*property="og:url"[^>]*content)=")([^"]*)(")', re.I)


def build_corpus(source: Path, dest: Path, copies: int) -> Corpus:
    """Copy every page of ``source`` (listed in its ``pages.json``) ``copies`` times into ``dest``.

    Copy ``c`` of ``types__breast.html`` is ``c01__types__breast.html`` with a sidecar
    ``{"url": "https://www.cancer.gov/types/breast?copy=1", "fetched_at": ..., "content_type": ...}``
    (copy 0 keeps the page's own URL), so every copy gets its own record id. A page's own
    ``<link rel=canonical>`` and ``og:url`` name it first (README, "The record"), so a copy's are
    rewritten to the copy's URL too.
    """
    if copies < 1:
        raise ValueError(f"copies must be at least 1, got {copies}")
    pages = json.loads((source / "pages.json").read_text(encoding="utf-8"))
    dest.mkdir(parents=True, exist_ok=True)
    n = size = 0
    for c in range(copies):
        for page in pages:
            src = source / page["file"]
            if not src.is_file():
                continue
            name = f"c{c:02d}__{page['file']}"
            if c:
                copy_url = (page["url"] + f"?copy={c}").encode()
                data = _CANONICAL.sub(lambda m, u=copy_url: m.group(1) + u + m.group(3), src.read_bytes())
                (dest / name).write_bytes(data)
            else:
                shutil.copyfile(src, dest / name)
            meta = {
                "url": page["url"] + (f"?copy={c}" if c else ""),
                "fetched_at": page.get("crawled_utc"),
                "content_type": page.get("content_type"),
            }
            (dest / f"{name}.meta.json").write_text(json.dumps({k: v for k, v in meta.items() if v}), encoding="utf-8")
            n += 1
            size += src.stat().st_size
    return Corpus(dest, n, size)


# --------------------------------------------------------------------------- measuring


@dataclass
class Run:
    wall: float
    peak_rss: int  # bytes: the largest sum over the process tree
    returncode: int
    stdout: str = ""


def _tree_rss(proc: psutil.Process) -> int:
    total = 0
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def measure(cmd: list[str], env: dict[str, str] | None = None, interval: float = 0.02) -> Run:
    """Wall time of ``cmd`` as a subprocess, and the peak RSS of its process tree."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
    ps = psutil.Process(proc.pid)
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, _tree_rss(ps))
            stop.wait(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = proc.communicate()
    wall = time.perf_counter() - t0
    stop.set()
    sampler.join()
    return Run(wall, peak, proc.returncode, out)


@dataclass
class Series:
    name: str
    runs: list[Run] = field(default_factory=list)

    @property
    def best(self) -> float:
        return min(r.wall for r in self.runs)

    @property
    def median(self) -> float:
        return statistics.median(r.wall for r in self.runs)

    @property
    def worst(self) -> float:
        return max(r.wall for r in self.runs)

    @property
    def peak_rss(self) -> int:
        return max(r.peak_rss for r in self.runs)


def ingest_cmd(corpus: Path, out: Path, workers: int | None, ingest: str | None = None) -> list[str]:
    """``ingest normalize CORPUS --out OUT``; ``ingest``: another command to run instead of this venv's
    ``ingest`` (e.g. ``"python old_checkout_cli.py"`` to measure an older version)."""
    exe = shlex.split(ingest) if ingest else [shutil.which("ingest", path=str(Path(sys.executable).parent)) or "ingest"]
    cmd = [*exe, "normalize", str(corpus), "--out", str(out)]
    return cmd + (["--workers", str(workers)] if workers else [])


class PrefectServer:
    """``prefect server start`` on a free loopback port, for the runs that use PREFECT_API_URL."""

    def __init__(self, env: dict[str, str]) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/api"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(self.port)],
            env={**env, "PREFECT_UI_ENABLED": "false"}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    def wait(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=1):  # noqa: S310 - loopback
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"prefect server did not start on {self.url}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# --------------------------------------------------------------------------- report


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} cores{f' ({model})' if model else ''}{mem}, Python {platform.python_version()}, {platform.system()}"


def table(corpus: Corpus, series: list[Series], baseline: str, first: str | dict[str, str]) -> str:
    """The Markdown table of the figures (best wall time; median and range over the repeats).

    ``first``: the series every "vs first run" ratio is taken against, or per series name.
    """
    by = {s.name: s for s in series}
    head = ("| run | best wall s | median (min-max) s | pages/s | MB/s | peak RSS MB | vs trafilatura | vs first run |\n"
            "|---|---:|---:|---:|---:|---:|---:|---:|")
    rows = [head]
    for s in series:
        vs_base = f"{s.best / by[baseline].best:.2f}" if baseline in by else ""
        f = first.get(s.name) if isinstance(first, dict) else first
        vs_first = f"{s.best / by[f].best:.2f}" if f in by and s.name != baseline else ""
        rows.append(
            f"| {s.name} | {s.best:.2f} | {s.median:.2f} ({s.best:.2f}-{s.worst:.2f}) | "
            f"{corpus.pages / s.best:.1f} | {corpus.mb / s.best:.1f} | {s.peak_rss / 1e6:.0f} | {vs_base} | {vs_first} |"
        )
    return "\n".join(rows)


def profile(corpus: Path) -> str:
    """pyinstrument over the in-process pipeline (read, normalize, serialize), no Prefect."""
    from pyinstrument import Profiler

    from ingest.core.pipeline import Published, process
    from ingest.core.serialize import canonical_json
    from ingest.store.discovery import discover, read

    refs = discover([corpus])
    profiler = Profiler(interval=0.002)
    profiler.start()
    for ref in refs:
        o = process(*read(ref))
        if isinstance(o, Published):
            canonical_json(o.record)
    profiler.stop()
    return profiler.output_text(unicode=True, color=False, show_all=False)


def scale(args: argparse.Namespace, env: dict[str, str], work: Path, copies: list[int]) -> int:
    """One first run per corpus size: does peak RSS stay flat as the corpus grows?"""
    rows = []
    for i, c in enumerate(copies):
        corpus = build_corpus(args.source, work / f"scale{c}", c)
        if i == 0:  # warm-up (not counted), as in the main table
            measure(ingest_cmd(corpus.path, work / "scale-warmup", args.workers, args.ingest), env)
        run = measure(ingest_cmd(corpus.path, work / f"scale-out{c}", args.workers, args.ingest), env)
        rows.append((c, corpus, run))
        print(f"{corpus.pages} pages: {run.wall:.2f} s, peak RSS {run.peak_rss / 1e6:.0f} MB", flush=True)
    print()
    print(f"{dt.date.today().isoformat()}, {machine()}")
    print("| copies | pages | MB | first run s | pages/s | peak RSS MB | RSS MB per 100 more pages |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    base = rows[0]
    for c, corpus, run in rows:
        extra = corpus.pages - base[1].pages
        growth = f"{(run.peak_rss - base[2].peak_rss) / 1e6 / extra * 100:.1f}" if extra else ""
        print(f"| {c} | {corpus.pages} | {corpus.mb:.1f} | {run.wall:.2f} | {corpus.pages / run.wall:.1f} | "
              f"{run.peak_rss / 1e6:.0f} | {growth} |")
    return 0


# --------------------------------------------------------------------------- main


GENERIC_SCRIPT = """
import gzip, sys, time, warnings, logging
from pathlib import Path
warnings.filterwarnings("ignore"); logging.disable(logging.WARNING)
import trafilatura
from ingest.core.inputs import InputMeta
from ingest.core.pipeline import Published, process
from ingest.core.loaders.html import load_html_generic
pages = []
for folder in sys.argv[2:]:
    for f in sorted(Path(folder, "html").glob("*.html.gz")):
        pages.append((f.name, gzip.decompress(f.read_bytes())))
repeat = int(sys.argv[1])
# one-time costs are not per-page costs: each side runs the first pages once before the clock (imports,
# lazily built tables, justext's stoplists), and the language model a page without a lang attribute
# needs is loaded (~0.8 s once per process: py3langid)
from ingest.core.detect import detect_language
detect_language("This sentence is long enough to be classified by the language model.")
for _, warm in pages[:3]:
    trafilatura.extract(warm); process(warm, InputMeta(input="w", filename="w.html"))
best = {}
for _ in range(repeat):
    for name, raw in pages:
        html = raw.decode("utf-8", "replace")  # for the loader alone, which takes text
        # both sides get the file's bytes, as in the whole-process table above: each decodes them itself
        t0 = time.process_time(); trafilatura.extract(raw)
        t1 = time.process_time(); load_html_generic(html)
        t2 = time.process_time(); out = process(raw, InputMeta(input=name, filename=name[:-3]))
        t3 = time.process_time()
        b = best.setdefault(name, [1e9, 1e9, 1e9, isinstance(out, Published)])
        b[0] = min(b[0], t1 - t0); b[1] = min(b[1], t2 - t1); b[2] = min(b[2], t3 - t2)
for name, b in best.items():
    print(name, b[0], b[1], b[2], int(b[3]))
"""


def generic_cpu(env: dict[str, str], folders: list[Path], repeat: int) -> None:
    """Per-page CPU of the generic path (pages without a site profile: the WCXB pages) vs bare
    ``trafilatura.extract`` with its defaults, in one process, page by page (the best of ``repeat``
    for each page): the loader alone (``load_html_generic``) and the whole in-process pipeline
    (``process``: loader, rules, record, validation)."""
    folders = [f for f in folders if (f / "html").is_dir()]
    if not folders:
        print("generic path: no WCXB pages found", file=sys.stderr)
        return
    env = {**env, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    out = subprocess.run([sys.executable, "-c", GENERIC_SCRIPT, str(repeat), *map(str, folders)], env=env,
                         capture_output=True, text=True, check=True).stdout.split("\n")
    rows = [line.split() for line in out if line.strip()]
    traf = sum(float(r[1]) for r in rows)
    loader = sum(float(r[2]) for r in rows)
    pipe = sum(float(r[3]) for r in rows)
    ratios = sorted(float(r[3]) / float(r[1]) for r in rows if float(r[1]) > 0)
    n = len(rows)
    print()
    print(f"Generic path, CPU per page ({n} WCXB pages: {', '.join(f.name for f in folders)}; best of {repeat}; "
          f"{sum(int(r[4]) for r in rows)} published)")
    print()
    print("| run | CPU s (all pages) | ms per page | vs trafilatura |")
    print("|---|---:|---:|---:|")
    print(f"| trafilatura.extract, defaults | {traf:.2f} | {1000 * traf / n:.1f} | 1.00 |")
    print(f"| load_html_generic (the generic loader) | {loader:.2f} | {1000 * loader / n:.1f} | {loader / traf:.2f} |")
    print(f"| process (whole pipeline, in process) | {pipe:.2f} | {1000 * pipe / n:.1f} | {pipe / traf:.2f} |")
    print(f"\nper-page ratio process / trafilatura: median {ratios[len(ratios) // 2]:.2f}, "
          f"p90 {ratios[int(len(ratios) * 0.9)]:.2f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.throughput", description=__doc__.split("\n\n")[0])
    ap.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="folder of pages with pages.json")
    ap.add_argument("--copies", type=int, default=5, help="copies of each page (default 5: 215 pages, ~36 MB)")
    ap.add_argument("--repeat", type=int, default=3, help="measure each run this many times (default 3)")
    ap.add_argument("--workers", type=int, default=None, help="pass --workers N to ingest normalize")
    ap.add_argument("--ingest", default=None, metavar="CMD", help="command to run instead of this venv's ingest")
    ap.add_argument("--work", type=Path, default=None, help="where to build the corpus (default: a temp dir)")
    ap.add_argument("--no-server", action="store_true", help="skip the runs against a running Prefect server")
    ap.add_argument("--profile", action="store_true", help="also profile the in-process pipeline (pyinstrument)")
    ap.add_argument(
        "--scale", default=None, metavar="C1,C2,...",
        help="instead of the table: one first run at each of these --copies values (e.g. 5,10,20): "
             "wall time and peak RSS as the corpus grows",
    )
    ap.add_argument("--generic", action="store_true",
                    help="only the generic-path CPU per page vs bare trafilatura on the WCXB pages")
    ap.add_argument("--no-generic", action="store_true", help="skip the generic-path CPU table")
    args = ap.parse_args(argv)
    wcxb = [ROOT.parent / "shared" / "corpus" / d for d in ("wcxb-dev-more", "wcxb-health")]
    if args.generic:
        generic_cpu({**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}, wcxb, args.repeat)
        return 0
    if not (args.source / "pages.json").is_file():
        print(f"no pages.json in {args.source}", file=sys.stderr)
        return 2

    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.setdefault("PREFECT_HOME", str(ROOT / ".prefect"))
    work = args.work or Path(tempfile.mkdtemp(prefix="ingest-bench-"))
    if args.scale:
        try:
            return scale(args, env, work, [int(c) for c in args.scale.split(",")])
        finally:
            if args.work is None:
                shutil.rmtree(work, ignore_errors=True)
    try:
        corpus = build_corpus(args.source, work / "corpus", args.copies)
        print(f"corpus: {corpus.pages} pages, {corpus.mb:.1f} MB in {corpus.path}", flush=True)
        # warm-up (not counted): the first Prefect start on a machine creates its database
        measure(ingest_cmd(corpus.path, work / "warmup", args.workers, args.ingest), env)

        traf = Series("trafilatura.extract (one process)")
        first = Series("ingest normalize, first run")
        rerun = Series("ingest normalize, unchanged rerun")
        s_first = Series("ingest normalize, first run, PREFECT_API_URL")
        s_rerun = Series("ingest normalize, unchanged rerun, PREFECT_API_URL")
        server = None if args.no_server else PrefectServer(env)
        try:
            if server is not None:
                server.wait()
            for i in range(args.repeat):
                run = measure([sys.executable, "-c", TRAFILATURA_SCRIPT, str(corpus.path)], env)
                traf.runs.append(run)
                line = f"repeat {i + 1}/{args.repeat}: trafilatura {run.wall:.2f} s"
                runs = [(env, first, rerun, "")]
                if server is not None:
                    runs.append(({**env, "PREFECT_API_URL": server.url}, s_first, s_rerun, "server "))
                for run_env, f, r, label in runs:
                    out = work / f"out{i}-{label.strip() or 'temp'}"
                    shutil.rmtree(out, ignore_errors=True)
                    cmd = ingest_cmd(corpus.path, out, args.workers, args.ingest)
                    f.runs.append(measure(cmd, run_env))
                    r.runs.append(measure(cmd, run_env))
                    line += f", {label}first {f.runs[-1].wall:.2f} s, {label}rerun {r.runs[-1].wall:.2f} s"
                print(line, flush=True)
        finally:
            if server is not None:
                server.stop()
        summary = first.runs[-1].stdout.splitlines()[:1]
        print()
        print(f"{dt.date.today().isoformat()}, {machine()}")
        print(f"corpus: {corpus.pages} pages ({args.copies} copies of {args.source.name}), {corpus.mb:.1f} MB; "
              f"repeats: {args.repeat}; ingest: {summary[0] if summary else '?'}")
        print()
        rows = [traf, first, rerun] + ([s_first, s_rerun] if s_first.runs else [])
        firsts = {first.name: first.name, rerun.name: first.name, s_first.name: s_first.name, s_rerun.name: s_first.name}
        print(table(corpus, rows, baseline=traf.name, first=firsts))
        if any(r.returncode not in (0, 1) for s in (first, rerun, s_first, s_rerun) for r in s.runs):
            print("\nwarning: an ingest run exited with an error", file=sys.stderr)
        if args.profile:
            print()
            print(profile(corpus.path))
        if not args.no_generic:
            generic_cpu(env, wcxb, args.repeat)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
