"""The committed normalized/ is exactly what the pipeline makes of raw/ today."""

from __future__ import annotations

from pathlib import Path

from ingest.orchestration.normalize_flow import normalize_refs
from ingest.store.discovery import discover
from ingest.store.publish import publish
from ingest.store.validate import validate_dir
from ingest.store.verify import verify_dir

from .helpers import ROOT

#: Not reproducible by a fresh run: report.md (written by the flow, holds the run's time, not
#: committed), .lock (the CLI's lock file, not committed), changes.jsonl (run ids and times) and
#: history/ (what earlier runs replaced). changes.jsonl is checked by `verify` below. Issue 15: the
#: chunk feed (run ids and times) and index.sqlite (the search index `make run` builds, not committed).
_RUN_DEPENDENT = ("report.md", ".lock", "changes.jsonl", "chunk-changes.jsonl", "index.sqlite")


def _tree(d: Path) -> dict[str, bytes]:
    return {
        rel: p.read_bytes()
        for p in sorted(d.rglob("*"))
        if p.is_file()
        and (rel := p.relative_to(d).as_posix()) not in _RUN_DEPENDENT
        and not rel.startswith("history/")
    }


def test_the_committed_normalized_folder_matches_a_fresh_run_over_raw(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)  # inputs are named relative to the raw folder as given on the command line
    # raw_dirs as `ingest normalize raw --out normalized` records them (relative to OUT_DIR's parent)
    summary = publish(tmp_path, normalize_refs(discover([Path("raw")])), raw_dirs=["raw"])
    assert summary.quarantined == 0
    fresh, committed = _tree(tmp_path), _tree(ROOT / "normalized")
    assert sorted(fresh) == sorted(committed), "normalized/ is stale: run `make run` and commit it"
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert not stale, f"normalized/ differs for {stale}: run `make run` and commit it"


def test_the_committed_normalized_folder_validates_against_the_committed_schema():
    assert validate_dir(ROOT / "normalized", ROOT / "schemas") == []


def test_the_committed_normalized_folder_passes_verify_so_its_change_feed_matches_the_manifest():
    problems, counts = verify_dir(ROOT / "normalized", ROOT / "schemas")
    assert problems == []
    assert counts["records"] == 5 and counts["changes"] >= 5
