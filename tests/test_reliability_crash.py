"""Crash safety (issue 6): `ingest normalize` killed with SIGKILL between any two writes leaves a
folder a reader can use (manifest parses, every listed record exists, every record file is the old
or the new complete version, no torn JSONL line), and the next run finishes the work: the same
bytes as an uninterrupted run, and `ingest verify` finds nothing.

The run is real (a subprocess of the CLI against the session's Prefect server); it is stopped at
fault points announced by ``INGEST_FAULT_AT`` (see :func:`ingest.store.files.fault_point`)."""

from __future__ import annotations

import json
import re
import shutil
from types import SimpleNamespace

import pytest

from ingest.core.models import Record
from ingest.store.verify import verify_dir

from .helpers import ROOT
from .reliability import (
    cli_env,
    kill,
    normalize_cmd,
    published_files,
    reader_view_problems,
    run_cli,
    second_version,
    seed_corpus,
    start_paused,
)


@pytest.fixture(scope="module")
def api_url(prefect_harness) -> str:
    from prefect.settings import PREFECT_API_URL

    return str(PREFECT_API_URL.value())


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, api_url):
    """Version 1 published to ``v1``; the raw dir then holds version 2 (2 updated, 1 removed, 1 new);
    ``ref`` is ``v1`` brought to version 2 by an uninterrupted run, listing its fault points."""
    base = tmp_path_factory.mktemp("crash")
    raw, v1, ref = base / "raw", base / "v1", base / "ref"
    seed_corpus(raw)
    first = run_cli(normalize_cmd(raw, v1), cli_env(api_url))
    assert first.returncode == 0, first.stderr
    second_version(raw)
    shutil.copytree(v1, ref)
    second = run_cli(normalize_cmd(raw, ref), cli_env(api_url, INGEST_FAULT_PAUSE="0"))
    assert second.returncode == 0, second.stderr
    points = [line.split(" ", 2)[2] for line in second.stderr.splitlines() if line.startswith("ingest-fault: ")]
    allowed: dict[str, set[str]] = {}
    for d in (v1, ref):
        for p in (d / "records").glob("*.json"):
            r = Record.model_validate_json(p.read_bytes())
            allowed.setdefault(r.id, set()).add(r.content_sha256)
    return SimpleNamespace(base=base, raw=raw, v1=v1, ref=ref, points=points, allowed=allowed, api_url=api_url)


def test_the_uninterrupted_second_run_updates_adds_withdraws_and_keeps_history(corpus) -> None:
    manifest = json.loads((corpus.ref / "manifest.json").read_bytes())
    versions = {e["input"]: e["version"] for e in manifest["records"]}
    assert versions["raw/000_1cf3df3bac4fc228.txt"] == 2 and versions["raw/004_c67a55daeefbee0f.txt"] == 2
    assert versions["raw/010_new.md"] == 1 and versions["raw/001_d2d436e0fefeada2.txt"] == 1
    assert [w["input"] for w in manifest["withdrawn"]] == ["raw/003_a791fc4135c499f1.txt"]
    assert len(list((corpus.ref / "history").glob("*/v1.json"))) == 3  # 2 replaced + 1 withdrawn
    events = [json.loads(line)["event"] for line in (corpus.ref / "changes.jsonl").read_text().splitlines()]
    assert sorted(events[5:]) == ["added", "updated", "updated", "withdrawn"]  # after run 1's 5 "added"
    assert verify_dir(corpus.ref, ROOT / "schemas")[0] == []
    assert len(corpus.points) >= 10, corpus.points


KILL_POINTS = [
    ("after the first batch, before anything is published", r"^batch"),
    ("after the first old version was copied to history", r"^history"),
    ("after the third record file was written", r"^record", 3),
    ("after changes.jsonl, before the manifest", r"^changes\.jsonl"),
    ("after the chunk feed, before chunks.jsonl", r"^chunk-changes\.jsonl"),
    ("after chunks.jsonl, before the manifest", r"^chunks\.jsonl"),
    ("after the manifest, before the withdrawn record file is removed", r"^withdraw"),
]


@pytest.mark.parametrize("when", KILL_POINTS, ids=[k[0] for k in KILL_POINTS])
def test_a_run_killed_with_sigkill_leaves_complete_files_and_the_next_run_finishes_the_work(corpus, when) -> None:
    _name, pattern, *nth = when
    hits = [i for i, p in enumerate(corpus.points) if re.search(pattern, p)]
    assert len(hits) >= (nth[0] if nth else 1), (pattern, corpus.points)
    at = hits[(nth[0] if nth else 1) - 1] + 1
    out = corpus.base / f"killed-{at}"
    shutil.copytree(corpus.v1, out)
    env = cli_env(corpus.api_url)

    proc, point = start_paused(normalize_cmd(corpus.raw, out), env, at)
    assert re.search(pattern, point)
    kill(proc)
    assert proc.returncode == -9
    assert reader_view_problems(out, corpus.allowed) == []

    rerun = run_cli(normalize_cmd(corpus.raw, out), env)
    assert rerun.returncode == 0, rerun.stderr
    assert published_files(out) == published_files(corpus.ref)
    assert sorted(p.relative_to(out).as_posix() for p in (out / "history").rglob("*.json")) == sorted(
        p.relative_to(corpus.ref).as_posix() for p in (corpus.ref / "history").rglob("*.json")
    )
    assert verify_dir(out, ROOT / "schemas")[0] == []
