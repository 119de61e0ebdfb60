"""The committed normalized/ is exactly what the pipeline makes of raw/ today."""

from __future__ import annotations

from pathlib import Path

from ingest.flow import normalize_refs
from ingest.publish import publish
from ingest.sources import discover
from ingest.validate import validate_dir

from .helpers import ROOT


def _tree(d: Path) -> dict[str, bytes]:
    # report.md is written by the flow (`make run`), not by publish(); it holds the run's time and is
    # not committed (.gitignore)
    return {
        p.relative_to(d).as_posix(): p.read_bytes()
        for p in sorted(d.rglob("*"))
        if p.is_file() and p.relative_to(d).as_posix() != "report.md"
    }


def test_the_committed_normalized_folder_matches_a_fresh_run_over_raw(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)  # inputs are named relative to the raw folder as given on the command line
    summary = publish(tmp_path, normalize_refs(discover([Path("raw")])))
    assert summary.quarantined == 0
    fresh, committed = _tree(tmp_path), _tree(ROOT / "normalized")
    assert sorted(fresh) == sorted(committed), "normalized/ is stale: run `make run` and commit it"
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert not stale, f"normalized/ differs for {stale}: run `make run` and commit it"


def test_the_committed_normalized_folder_validates_against_the_committed_schema():
    assert validate_dir(ROOT / "normalized", ROOT / "schemas") == []
