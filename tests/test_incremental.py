"""Incremental reruns: an input unchanged since it was published is not normalized again, and the
output of an incremental run is byte for byte the output of a full run over the same inputs."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

import ingest.orchestration.normalize_flow
from ingest.cli import main as cli
from ingest.core.pipeline import Published, process_batch
from ingest.orchestration.workers import inputs_may_have_changed, normalize_and_stage, reuse_unchanged
from ingest.store.discovery import discover
from ingest.store.files import ensure_out_dir
from ingest.store.manifest import KEPT_NOTE, load_manifest, reusable_entries
from ingest.store.publish import publish

from .helpers import RAW

SEED = "000_1cf3df3bac4fc228.txt"


class Spy:
    """Wraps ``process_batch``: which inputs were really normalized."""

    def __init__(self) -> None:
        self.inputs: list[str] = []

    def __call__(self, items):
        items = list(items)
        self.inputs.extend(meta.input for _, meta in items)
        return process_batch(items)


def run(raw: Path, out: Path, incremental: bool = True) -> tuple[list[str], object]:
    """What the flow does, in this process and without Prefect: stage every input, then publish."""
    spy = Spy()
    ensure_out_dir(out)
    reusable = reusable_entries(out) if incremental else {}
    refs = discover([raw])
    reused = reuse_unchanged(refs, str(out), reusable)
    todo = [r for r, item in zip(refs, reused, strict=True) if item is None]
    fresh = iter(normalize_and_stage(todo, str(out), process_batch=spy))
    items = [item if item is not None else next(fresh) for item in reused]
    outcomes = [o for o, _ in items]
    staged = {o.input: s for o, s in items if s is not None}
    return spy.inputs, publish(out, outcomes, staged=staged)


def tree(out: Path) -> dict[str, bytes]:
    """Every file's bytes; changes.jsonl without the run ids and times (issue 6: its only
    run-dependent data)."""
    files = {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    for feed in ("changes.jsonl", "chunk-changes.jsonl"):
        if feed in files:
            lines = [json.loads(line) for line in files[feed].splitlines()]
            files[feed] = repr([{k: v for k, v in d.items() if k not in ("run_id", "time")} for d in lines]).encode()
    return files


def mtimes(out: Path) -> dict[str, int]:
    return {p.relative_to(out).as_posix(): p.stat().st_mtime_ns for p in sorted([out, *out.rglob("*")])}


def record_of(out: Path, input_name: str) -> Path:
    entry = next(e for e in load_manifest(out)["records"] if e["input"] == input_name)
    return out / entry["path"]


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """The five seeds, one of them with a fetcher sidecar."""
    raw = tmp_path / "raw"
    shutil.copytree(RAW, raw)
    (raw / f"{SEED}.meta.json").write_text(json.dumps({"url": "https://www.cancer.gov/a", "fetched_at": "2025-01-01T00:00:00Z"}))
    return raw


def touch_nothing(raw: Path, out: Path) -> None:
    pass


def edit_an_input(raw: Path, out: Path) -> None:
    p = raw / "001_d2d436e0fefeada2.txt"
    p.write_bytes(p.read_bytes() + b"\n\nOne more paragraph about follow-up care after treatment ends.\n")


def refetch_a_page(raw: Path, out: Path) -> None:
    (raw / f"{SEED}.meta.json").write_text(json.dumps({"url": "https://www.cancer.gov/a", "fetched_at": "2026-02-02T00:00:00Z"}))


def add_a_sidecar(raw: Path, out: Path) -> None:
    (raw / "002_79f085dad6b30bb4.txt.meta.json").write_text(json.dumps({"url": "https://www.cancer.gov/b"}))


def add_an_input(raw: Path, out: Path) -> None:
    (raw / "new.txt").write_text("A New Page\n\nThis page is about screening for colorectal cancer in adults.\n")


def remove_an_input(raw: Path, out: Path) -> None:
    (raw / "003_a791fc4135c499f1.txt").unlink()


def delete_a_record_file(raw: Path, out: Path) -> None:
    record_of(out, "raw/003_a791fc4135c499f1.txt").unlink()


def truncate_a_record_file(raw: Path, out: Path) -> None:
    path = record_of(out, "raw/004_c67a55daeefbee0f.txt")
    path.write_bytes(path.read_bytes()[:100])


def add_a_newer_copy_of_a_reused_page(raw: Path, out: Path) -> None:
    shutil.copyfile(raw / SEED, raw / "copy.txt")
    (raw / "copy.txt.meta.json").write_text(json.dumps({"url": "https://www.cancer.gov/a", "fetched_at": "2026-03-03T00:00:00Z"}))


def add_an_older_copy_of_a_reused_page(raw: Path, out: Path) -> None:
    """The reused record stays preferred, and now names the copy: it is rebuilt from its file."""
    shutil.copyfile(raw / SEED, raw / "copy.txt")
    (raw / "copy.txt.meta.json").write_text(json.dumps({"url": "https://www.cancer.gov/a", "fetched_at": "2020-01-01T00:00:00Z"}))


CASES: list[tuple[str, Callable[[Path, Path], None], set[str]]] = [
    ("nothing changed: nothing is normalized again", touch_nothing, set()),
    ("an edited input is normalized again, the others are reused", edit_an_input, {"raw/001_d2d436e0fefeada2.txt"}),
    ("a changed sidecar (refetched page) is normalized again", refetch_a_page, {f"raw/{SEED}"}),
    ("a new sidecar is normalized again", add_a_sidecar, {"raw/002_79f085dad6b30bb4.txt"}),
    ("a new input is normalized, the others are reused", add_an_input, {"raw/new.txt"}),
    ("a removed input's record is removed, the others are reused", remove_an_input, set()),
    ("a deleted record file is made again", delete_a_record_file, {"raw/003_a791fc4135c499f1.txt"}),
    ("a truncated record file is made again", truncate_a_record_file, {"raw/004_c67a55daeefbee0f.txt"}),
    ("a newer copy of a reused page is resolved as in a full run", add_a_newer_copy_of_a_reused_page, {"raw/copy.txt"}),
    ("an older copy of a reused page is resolved as in a full run", add_an_older_copy_of_a_reused_page, {"raw/copy.txt"}),
]


@pytest.mark.parametrize(("change", "normalized_again"), [(c[1], c[2]) for c in CASES], ids=[c[0] for c in CASES])
def test_an_incremental_run_normalizes_only_what_changed_and_publishes_what_a_full_run_would(
    corpus: Path, tmp_path: Path, change, normalized_again: set[str]
) -> None:
    out = tmp_path / "out"
    first, _ = run(corpus, out)
    assert len(first) == 5
    # the full run starts from the same published state (record versions and history depend on it)
    shutil.copytree(out, tmp_path / "full")
    change(corpus, out)
    again, _ = run(corpus, out)
    assert set(again) == normalized_again
    full, _ = run(corpus, tmp_path / "full", incremental=False)
    assert tree(out) == tree(tmp_path / "full")


# --------------------------------------------------------------------------- quarantined inputs


def break_the_bad_input_differently(raw: Path, out: Path) -> None:
    (raw / "bad.txt").write_bytes(b"\x00\x01binary now")


def give_the_bad_input_a_sidecar(raw: Path, out: Path) -> None:
    (raw / "bad.txt.meta.json").write_text(json.dumps({"url": "https://www.cancer.gov/bad"}))


def mend_the_bad_input(raw: Path, out: Path) -> None:
    (raw / "bad.txt").write_text("A Mended Page\n\nThis page is about screening for colorectal cancer in adults.\n")


QUARANTINE_CASES: list[tuple[str, Callable[[Path, Path], None], set[str]]] = [
    ("an unchanged quarantined input is not normalized again", touch_nothing, set()),
    ("a changed quarantined input is normalized again", break_the_bad_input_differently, {"raw/bad.txt"}),
    ("a quarantined input with a new sidecar is normalized again", give_the_bad_input_a_sidecar, {"raw/bad.txt"}),
    ("a mended input is normalized and published", mend_the_bad_input, {"raw/bad.txt"}),
]


@pytest.mark.parametrize(
    ("change", "normalized_again"), [(c[1], c[2]) for c in QUARANTINE_CASES], ids=[c[0] for c in QUARANTINE_CASES]
)
def test_quarantine_verdicts_are_reused_while_the_input_is_unchanged(
    corpus: Path, tmp_path: Path, change, normalized_again: set[str]
) -> None:
    (corpus / "bad.txt").write_bytes(b"")  # EmptyInput, stage decode
    out = tmp_path / "out"
    first, summary = run(corpus, out)
    assert "raw/bad.txt" in first and summary.quarantined == 1
    shutil.copytree(out, tmp_path / "full")
    change(corpus, out)
    again, _ = run(corpus, out)
    assert set(again) == normalized_again
    run(corpus, tmp_path / "full", incremental=False)
    assert tree(out) == tree(tmp_path / "full")


def test_a_kept_record_and_its_quarantine_are_reused_without_repeating_the_note(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(corpus, out)
    (corpus / "001_d2d436e0fefeada2.txt").write_bytes(b"")  # published before, quarantined now: record kept
    assert run(corpus, out)[0] == ["raw/001_d2d436e0fefeada2.txt"]
    before = tree(out)
    again, summary = run(corpus, out)
    assert again == [] and summary.kept_previous == 1
    assert tree(out) == before
    [q] = load_manifest(out)["quarantined"]
    assert q["reason"].endswith(KEPT_NOTE) and q["reason"].count(KEPT_NOTE) == 1


@pytest.mark.parametrize(
    ("stage", "reusable"),
    [("decode", True), ("load", True), ("parse", True), ("extract", True), ("validate", True),
     ("read", False), ("internal", False), ("publish", False)],
)
def test_only_quarantines_that_depend_on_the_bytes_alone_are_reusable(tmp_path: Path, stage: str, reusable: bool) -> None:
    from ingest import PIPELINE_VERSION
    from ingest.core.models import SCHEMA_VERSION

    (tmp_path / "manifest.json").write_text(json.dumps({
        "pipeline_version": PIPELINE_VERSION, "schema_version": SCHEMA_VERSION, "records": [],
        "quarantined": [{"input": "raw/x.txt", "stage": stage, "kind": "K", "reason": "r", "raw_sha256": "ab"}],
    }))
    assert ("raw/x.txt" in reusable_entries(tmp_path)) is reusable
    assert reusable_entries(tmp_path, quarantines=False) == {}


# --------------------------------------------------------------------------- the early guess


def test_the_guess_whether_inputs_changed_looks_at_the_manifest_and_modification_times(
    corpus: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert inputs_may_have_changed([str(corpus)], str(out)), "no manifest yet"
    run(corpus, out)
    assert not inputs_may_have_changed([str(corpus)], str(out)), "nothing touched since"
    (corpus / "new.txt").write_text("A New Page\n\nAbout screening.\n")
    assert inputs_may_have_changed([str(corpus)], str(out)), "an input the manifest does not know"
    assert not inputs_may_have_changed([str(corpus)], str(out), only_inputs=[f"raw/{SEED}"])
    (corpus / "new.txt").unlink()
    manifest_time = (out / "manifest.json").stat().st_mtime_ns
    os.utime(corpus / f"{SEED}.meta.json", ns=(manifest_time + 10**9, manifest_time + 10**9))
    assert inputs_may_have_changed([str(corpus)], str(out)), "a sidecar written after the manifest"


def test_a_rerun_over_unchanged_input_leaves_every_file_untouched(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(corpus, out)
    before = (tree(out), mtimes(out))
    again, summary = run(corpus, out)
    assert again == []
    assert (summary.written, summary.unchanged, summary.removed_stale, summary.manifest_written) == (0, 5, 0, False)
    assert (tree(out), mtimes(out)) == before


def test_a_full_run_normalizes_everything_and_still_rewrites_nothing(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(corpus, out)
    before = (tree(out), mtimes(out))
    again, summary = run(corpus, out, incremental=False)
    assert len(again) == 5
    assert (summary.written, summary.unchanged) == (0, 5)
    assert (tree(out), mtimes(out)) == before


def test_a_new_pipeline_version_normalizes_everything_again(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    run(corpus, out)
    for module in ("ingest.store.manifest", "ingest.core.record", "ingest.orchestration.workers"):
        monkeypatch.setattr(f"{module}.PIPELINE_VERSION", "2099.1.1")
    again, _ = run(corpus, out)
    assert len(again) == 5
    assert load_manifest(out)["pipeline_version"] == "2099.1.1"


def test_the_manifest_records_the_sidecar_hash_that_decides_a_rerun(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(corpus, out)
    entries = {e["input"]: e for e in load_manifest(out)["records"]}
    assert len(entries[f"raw/{SEED}"]["meta_sha256"]) == 64
    assert "meta_sha256" not in entries["raw/001_d2d436e0fefeada2.txt"], "no sidecar, no hash"
    assert set(reusable_entries(out)) == set(entries)


def test_batches_return_slim_records_and_stage_the_full_bytes(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    ensure_out_dir(out)
    items = normalize_and_stage(discover([corpus]), str(out))
    for outcome, staged in items:
        assert isinstance(outcome, Published) and staged is not None
        assert outcome.record.sections == [] and staged.tmp is not None
        full = (out / "records" / staged.tmp).read_text()
        assert json.loads(full)["sections"], "the staged file holds the whole record"


# --------------------------------------------------------------------------- through the flow and the CLI


@pytest.mark.slow
def test_the_cli_reuses_unchanged_records_and_force_normalizes_everything_again(
    prefect_harness, corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    spy = Spy()
    monkeypatch.setattr(ingest.orchestration.normalize_flow, "process_batch", spy)
    monkeypatch.setenv("INGEST_WORKERS", "1")  # the spy lives in this process
    out = tmp_path / "out"
    argv = ["normalize", str(corpus), "--out", str(out), "--batch-size", "2"]
    assert cli.main(argv) == 0
    assert len(spy.inputs) == 5
    before = (tree(out / "records"), mtimes(out / "records"), (out / "manifest.json").read_bytes())

    spy.inputs.clear()
    assert cli.main(argv) == 0
    assert spy.inputs == []
    assert cli.main([*argv, "--force"]) == 0
    assert len(spy.inputs) == 5
    assert (tree(out / "records"), mtimes(out / "records"), (out / "manifest.json").read_bytes()) == before
    assert "published 5 (written 0, unchanged 5)" in capsys.readouterr().out


@pytest.mark.slow
def test_an_unchanged_rerun_starts_no_worker_processes(
    prefect_harness, corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ingest.orchestration.workers import LocalPool

    started: list[int] = []
    real_init = LocalPool.__init__

    def spy_init(self, workers: int, warm: bool = False) -> None:
        started.append(workers)
        real_init(self, workers, warm)

    monkeypatch.setattr(LocalPool, "__init__", spy_init)
    out = tmp_path / "out"
    first = ingest.orchestration.normalize_flow.run_normalize([str(corpus)], str(out), workers=2)
    assert (first["normalized"], started) == (5, [2]), "the first run normalizes in 2 worker processes"
    again = ingest.orchestration.normalize_flow.run_normalize([str(corpus)], str(out), workers=2)
    assert (again["normalized"], again["reused"], started) == (0, 5, [2]), "the rerun starts none"
