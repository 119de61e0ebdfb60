"""The throughput machinery: the benchmark's corpus and table, how batches are split and scheduled.

No timings are asserted here: speed targets live in ``bench/throughput.py`` and its reported numbers.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from bench.throughput import Corpus, Run, Series, build_corpus, table
from ingest.core.models import Record
from ingest.core.pipeline import Published
from ingest.core.serialize import canonical_json
from ingest.orchestration.normalize_flow import _in_order
from ingest.orchestration.workers import chunks, normalize_and_stage
from ingest.store.discovery import RawRef, discover
from ingest.store.files import ensure_out_dir

from .helpers import CORPUS, ROOT

HTML = CORPUS / "cancer-gov-html"


def fake_source(root: Path) -> Path:
    src = root / "src"
    src.mkdir()
    pages = []
    for i, name in enumerate(["a.html", "b.html"]):
        (src / name).write_text(f"<html><body><main><p>Page {i}</p></main></body></html>")
        pages.append({"file": name, "url": f"https://www.cancer.gov/{name[0]}", "crawled_utc": "2024-03-24T20:32:55Z",
                      "content_type": "text/html; charset=UTF-8"})
    pages.append({"file": "missing.html", "url": "https://www.cancer.gov/missing"})
    (src / "pages.json").write_text(json.dumps(pages))
    return src


def test_the_benchmark_corpus_gives_every_copy_of_a_page_its_own_url(tmp_path: Path) -> None:
    src = fake_source(tmp_path)
    corpus = build_corpus(src, tmp_path / "corpus", copies=3)
    html = sorted(p.name for p in corpus.path.glob("*.html"))
    assert html == [f"c{c:02d}__{n}" for c in range(3) for n in ("a.html", "b.html")]
    urls = [json.loads((corpus.path / f"{n}.meta.json").read_text())["url"] for n in html]
    assert len(set(urls)) == 6
    assert "https://www.cancer.gov/a" in urls and "https://www.cancer.gov/a?copy=2" in urls
    assert (corpus.pages, corpus.bytes) == (6, 3 * sum((src / n).stat().st_size for n in ("a.html", "b.html")))


@pytest.mark.skipif(not (HTML / "pages.json").is_file(), reason="needs ../shared/corpus/cancer-gov-html")
def test_every_copy_of_a_real_page_becomes_its_own_record(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    keep = ["types__leukemia.html", "about-cancer__coping__feelings.html"]
    pages = [p for p in json.loads((HTML / "pages.json").read_text()) if p["file"] in keep]
    for p in pages:
        shutil.copyfile(HTML / p["file"], src / p["file"])
    (src / "pages.json").write_text(json.dumps(pages))
    corpus = build_corpus(src, tmp_path / "raw", copies=2)
    out = tmp_path / "out"
    ensure_out_dir(out)
    items = normalize_and_stage(discover([corpus.path]), str(out))
    ids = [o.record.id for o, _ in items if isinstance(o, Published)]
    assert len(ids) == 4 and len(set(ids)) == 4


def test_the_scale_run_prints_one_row_per_corpus_size_with_the_rss_growth(tmp_path: Path, capsys) -> None:
    """``--scale`` runs the command once per size (here a stand-in for ingest that allocates nothing)."""
    import sys

    from bench.throughput import main

    src = fake_source(tmp_path)
    stand_in = f"{sys.executable} -c pass"
    assert main(["--source", str(src), "--scale", "1,3", "--ingest", stand_in, "--work", str(tmp_path / "w")]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert [r.split(" | ")[:2] for r in rows] == [["| 1", "2"], ["| 3", "6"]]
    assert rows[0].endswith("|  |") and rows[1].split(" | ")[-1].rstrip(" |").replace(".", "").lstrip("-").isdigit()


def test_the_benchmark_table_gives_best_median_spread_rates_and_ratios() -> None:
    corpus = Corpus(Path("x"), pages=200, bytes=40_000_000)
    traf = Series("trafilatura", [Run(10.0, 100_000_000, 0), Run(12.0, 120_000_000, 0), Run(11.0, 90_000_000, 0)])
    first = Series("first", [Run(5.0, 500_000_000, 1), Run(6.0, 400_000_000, 1)])
    rerun = Series("rerun", [Run(1.0, 300_000_000, 1)])
    lines = table(corpus, [traf, first, rerun], baseline="trafilatura", first="first").splitlines()
    assert lines[2] == "| trafilatura | 10.00 | 11.00 (10.00-12.00) | 20.0 | 4.0 | 120 | 1.00 |  |"
    assert lines[3] == "| first | 5.00 | 5.50 (5.00-6.00) | 40.0 | 8.0 | 500 | 0.50 | 1.00 |"
    assert lines[4] == "| rerun | 1.00 | 1.00 (1.00-1.00) | 200.0 | 40.0 | 300 | 0.10 | 0.20 |"


@pytest.mark.parametrize(
    ("n", "workers", "sizes"),
    [
        (50, 2, [8, 8, 8, 8, 8, 8, 2]),
        (20, 2, [7, 7, 6]),
        (3, 2, [2, 1]),
        (1, 2, [1]),
        (0, 2, []),
        (10, 1, [5, 5]),
    ],
    ids=[
        "a batch of 50 on two workers is cut into chunks of at most 8",
        "a batch of 20 on two workers is cut into three chunks",
        "a batch smaller than the workers still keeps every worker busy",
        "a single input is one chunk",
        "an empty batch has no chunks",
        "one worker still gets chunks of at most 8",
    ],
)
def test_a_batch_is_split_into_chunks_that_keep_every_worker_busy(n: int, workers: int, sizes: list[int]) -> None:
    refs = [RawRef(Path(f"{i}.txt"), f"raw/{i}.txt") for i in range(n)]
    got = chunks(refs, workers)
    assert [len(c) for c in got] == sizes
    assert [r for c in got for r in c] == refs


class FakeFuture:
    def __init__(self, log: list[str], batch: list[str]) -> None:
        self.log, self.batch = log, batch

    def result(self) -> list[str]:
        self.log.append(f"result {self.batch[0]}")
        return self.batch


@pytest.mark.parametrize(
    ("window", "max_in_flight"),
    [(2, 2), (4, 4), (None, 6)],
    ids=["a window of 2 keeps two batches in flight", "a window of 4 keeps four", "no window submits everything"],
)
def test_batches_are_gathered_in_input_order_with_a_bounded_number_in_flight(
    window: int | None, max_in_flight: int
) -> None:
    log: list[str] = []
    batches = [[f"b{i}"] for i in range(6)]

    def submit(batch: list[str]) -> FakeFuture:
        log.append(f"submit {batch[0]}")
        return FakeFuture(log, batch)

    results = list(_in_order(batches, submit, window))
    assert results == batches
    in_flight = peak = 0
    for event in log:
        in_flight += 1 if event.startswith("submit") else -1
        peak = max(peak, in_flight)
    assert peak == max_in_flight


# --------------------------------------------------------------------------- serialization (fast path)


class _Floaty(BaseModel):
    x: float
    y: Any = None


class _Plain(BaseModel):
    n: int | None
    tags: list[str]


def _reference(value: Any) -> bytes:
    data = value.model_dump(mode="json") if isinstance(value, BaseModel) else value
    return (json.dumps(data, sort_keys=True, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


@pytest.mark.parametrize(
    "value",
    [
        {"b": 1, "a": "é 漢 \u2028 \x00 \x1f \x7f \t\n \"q\" \\ /"},
        {"nested": {"z": [1, {"y": None, "x": True}], "a": []}, "e": {}},
        {"floats": [0.1, 1.5, -0.25, 1e16, 1e15, 1e-05, 1e300]},
        {"text that looks like numbers": ["1e5", "2.5,\n", "x: 1.5"]},
        {2: "int keys", 10: "sorted as ints"},
        {"big": 10**30},
        [],
        1.5,
        _Floaty(x=1e-05, y={"a": 0.00001}),
        _Plain(n=3, tags=["1.5", "2e3"]),
    ],
    ids=[
        "unicode, controls and escapes",
        "nesting, empty lists and objects",
        "floats of every notation",
        "strings that look like floats",
        "int keys",
        "ints beyond 64 bits",
        "an empty list",
        "a bare float",
        "a model with float and untyped fields",
        "a model without floats",
    ],
)
def test_canonical_json_writes_exactly_what_json_dumps_writes(value: Any) -> None:
    assert canonical_json(value) == _reference(value)


def test_canonical_json_of_every_published_seed_record_is_its_file(tmp_path: Path) -> None:
    for path in sorted((ROOT / "normalized" / "records").glob("*.json")):
        data = path.read_bytes()
        assert canonical_json(Record.model_validate_json(data)) == data
        assert canonical_json(json.loads(data)) == data
