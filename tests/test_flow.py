"""The Prefect flow end to end, against one temporary Prefect server for the session.

The normalizer is monkeypatched (``ingest.core.pipeline.normalize``): that works because the default
task runner runs tasks in threads of this process, which these tests check.
"""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path

import pytest

import ingest.orchestration.normalize_flow
from ingest.cli import main as cli
from ingest.core.inputs import InputMeta
from ingest.orchestration.normalize_flow import normalize_flow, normalize_refs
from ingest.store.discovery import RawRef
from ingest.store.manifest import load_manifest

from .conftest import fake_normalize, make_record, write_files

pytestmark = pytest.mark.slow


class BatchSpy:
    """Wraps the flow's batch function (``normalize_and_stage``, one call per batch task run) to record
    each call's inputs (at start and at finish) and its thread. (Inside a batch, documents are
    normalized one ``process_batch`` call each, under the per-document time budget.)"""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[list[str]] = []
        self.finished: list[list[str]] = []
        self.threads: set[int] = set()
        self._lock = threading.Lock()
        real = ingest.orchestration.normalize_flow.normalize_and_stage

        def spy(refs, out_dir, **kwargs):
            names = [r.input for r in refs]
            with self._lock:
                self.calls.append(names)
                self.threads.add(threading.get_ident())
            items = real(refs, out_dir, **kwargs)
            with self._lock:
                self.finished.append(names)
            return items

        monkeypatch.setattr(ingest.orchestration.normalize_flow, "normalize_and_stage", spy)


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch, fake_normalizer) -> BatchSpy:
    return BatchSpy(monkeypatch)


def corpus(root: Path, n: int, empty: tuple[int, ...] = ()) -> Path:
    files = {f"{i:03d}.txt": ("" if i in empty else f"Document {i}\nBody of document {i}.") for i in range(n)}
    (root / "raw").mkdir()
    return write_files(root / "raw", files)


def snapshot(out: Path) -> dict[Path, tuple[bytes, int]]:
    # except report.md (issue 7): it holds the run's time, so every run rewrites it (in place)
    paths = [p for p in [out, *out.rglob("*")] if p.name != "report.md"]
    return {p: (p.read_bytes() if p.is_file() else b"", p.stat().st_mtime_ns) for p in paths}


def run(raw: Path, out: Path, batch_size: int) -> dict:
    return normalize_flow(raw_dirs=[str(raw)], out_dir=str(out), batch_size=batch_size)


def test_the_flow_publishes_every_good_input_and_quarantines_the_bad_one(
    prefect_harness, spy: BatchSpy, tmp_path: Path
) -> None:
    raw = corpus(tmp_path, 5, empty=(2,))
    result = run(raw, tmp_path / "out", batch_size=2)
    assert (result["published"], result["written"], result["quarantined"]) == (4, 4, 1)
    manifest = load_manifest(tmp_path / "out")
    assert [r["input"] for r in sorted(manifest["records"], key=lambda r: r["input"])] == [
        "raw/000.txt",
        "raw/001.txt",
        "raw/003.txt",
        "raw/004.txt",
    ]
    assert [(q["input"], q["stage"], q["kind"]) for q in manifest["quarantined"]] == [
        ("raw/002.txt", "decode", "EmptyInput")
    ]
    assert result["quarantined_outcomes"][0]["input"] == "raw/002.txt"
    # The monkeypatched normalizer was used, in worker threads of this very process.
    assert all(r["title"].startswith("Document ") for r in manifest["records"])
    assert threading.get_ident() not in spy.threads


def test_an_unexpected_error_in_one_input_does_not_stop_the_others(
    prefect_harness, spy: BatchSpy, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def flaky(raw: bytes, meta: InputMeta):
        if meta.input.endswith("001.txt"):
            raise RuntimeError("parser bug")
        return fake_normalize(raw, meta)

    monkeypatch.setattr("ingest.core.pipeline.normalize", flaky)
    result = run(corpus(tmp_path, 4), tmp_path / "out", batch_size=4)
    assert (result["published"], result["quarantined"]) == (3, 1)
    q = result["quarantined_outcomes"][0]
    assert (q["input"], q["stage"], q["kind"]) == ("raw/001.txt", "internal", "RuntimeError")


@pytest.mark.parametrize(("n", "batch_size"), [(7, 3), (7, 50), (7, 1), (6, 3), (0, 5)])
def test_inputs_are_processed_in_ceil_n_over_batch_size_batches(
    prefect_harness, spy: BatchSpy, tmp_path: Path, n: int, batch_size: int
) -> None:
    raw = corpus(tmp_path, n)
    result = run(raw, tmp_path / "out", batch_size=batch_size)
    assert len(spy.calls) == math.ceil(n / batch_size)
    assert sorted(i for call in spy.calls for i in call) == [f"raw/{i:03d}.txt" for i in range(n)]
    assert all(len(call) <= batch_size for call in spy.calls)
    assert result["published"] == n


def test_outcomes_stay_in_input_order_when_a_later_batch_finishes_first(
    prefect_harness, spy: BatchSpy, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Both inputs get the same id; the preferred copy (same format and no fetch time: the first input
    # name) must win even though its batch finishes last, and the other is listed as its duplicate.
    def slow_first(raw: bytes, meta: InputMeta):
        if meta.input.endswith("000.txt"):
            time.sleep(0.5)
        return make_record(id="generic-00000000000000aa", provenance={"input": meta.input})

    monkeypatch.setattr("ingest.core.pipeline.normalize", slow_first)
    result = run(corpus(tmp_path, 2), tmp_path / "out", batch_size=1)
    assert [r["input"] for r in load_manifest(tmp_path / "out")["records"]] == ["raw/000.txt"]
    assert result["quarantined_outcomes"] == []
    manifest = load_manifest(tmp_path / "out")
    assert [(d["input"], d["duplicate_of"]) for d in manifest["duplicates"]] == [("raw/001.txt", "raw/000.txt")]
    assert spy.finished == [["raw/001.txt"], ["raw/000.txt"]]  # the batches really did run concurrently


def test_a_rerun_of_the_flow_over_unchanged_input_rewrites_nothing(
    prefect_harness, spy: BatchSpy, tmp_path: Path
) -> None:
    raw, out = corpus(tmp_path, 3), tmp_path / "out"
    run(raw, out, batch_size=2)
    before = snapshot(out)
    result = run(raw, out, batch_size=2)
    assert snapshot(out) == before
    assert (result["written"], result["unchanged"], result["removed_stale"]) == (0, 3, 0)


def test_the_cli_runs_the_flow_prints_the_summary_and_exits_1_on_quarantine(
    prefect_harness, fake_normalizer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = corpus(tmp_path, 3, empty=(1,))
    code = cli.main(["normalize", str(raw), "--out", str(tmp_path / "out"), "--batch-size", "2"])
    lines = capsys.readouterr().out.splitlines()
    assert code == 1
    assert lines == [
        "published 2 (written 2, unchanged 0), quarantined 1, withdrawn 0",
        "QUARANTINED raw/001.txt: decode: input is empty",
    ]
    assert cli.main(["validate", str(tmp_path / "out")]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "2 records valid"


def test_the_cli_exits_0_when_everything_was_published(
    prefect_harness, fake_normalizer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["normalize", str(corpus(tmp_path, 2)), "--out", str(tmp_path / "out")]) == 0
    assert capsys.readouterr().out.startswith("published 2 (written 2, unchanged 0), quarantined 0")


def test_a_file_that_cannot_be_read_is_quarantined_at_stage_read(fake_normalizer, tmp_path: Path) -> None:
    raw = corpus(tmp_path, 2)
    refs = [
        RawRef(raw / "000.txt", "raw/000.txt"),
        RawRef(raw / "gone.txt", "raw/gone.txt"),
        RawRef(raw / "001.txt", "raw/001.txt"),
    ]
    outcomes = normalize_refs(refs)
    assert [o.input for o in outcomes] == ["raw/000.txt", "raw/gone.txt", "raw/001.txt"]
    assert (outcomes[1].stage, outcomes[1].kind) == ("read", "FileNotFoundError")


def test_the_real_pipeline_end_to_end_publishes_the_seeds_and_quarantines_bad_files(
    prefect_harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No fake: the seeds plus an empty, a binary and a broken-front-matter file through the CLI."""
    import shutil

    from .helpers import RAW

    raw = tmp_path / "raw"
    shutil.copytree(RAW, raw)
    (raw / "empty.txt").write_bytes(b"")
    (raw / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (raw / "broken.md").write_text("---\ntitle: [unclosed\n---\n# Body\n\nText.\n")
    out = tmp_path / "out"
    assert cli.main(["normalize", str(raw), "--out", str(out), "--batch-size", "3"]) == 1
    printed = capsys.readouterr().out
    assert printed.startswith("published 5 (written 5, unchanged 0), quarantined 3")
    manifest = load_manifest(out)
    assert len(manifest["records"]) == 5
    reasons = {q["input"]: (q["stage"], q["kind"]) for q in manifest["quarantined"]}
    assert reasons == {
        "raw/broken.md": ("parse", "MalformedFrontMatter"),
        "raw/empty.txt": ("decode", "EmptyInput"),
        "raw/image.txt": ("decode", "BinaryInput"),
    }
    before = snapshot(out)
    assert cli.main(["normalize", str(raw), "--out", str(out)]) == 1
    assert snapshot(out) == before, "a rerun over unchanged input rewrites nothing"
    assert cli.main(["validate", str(out)]) == 0
