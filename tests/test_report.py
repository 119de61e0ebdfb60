"""The run report: per-source counts against the previous manifest, reasons, removals, escaping; the
flow writes OUT_DIR/report.md and a Prefect markdown artifact; `ingest validate` ignores the report."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from ingest.core.pipeline import Published, Quarantined
from ingest.orchestration.report import (
    REPORT_NAME,
    RunReport,
    artifact_key,
    build_report_data,
    md,
    render_markdown,
    source_of,
    top_removals,
)
from ingest.store.publish import publish
from ingest.store.validate import validate_dir

from .conftest import make_record, write_files


@pytest.mark.parametrize(
    ("input_name", "source"),
    [
        ("raw/000_x.txt", "raw"),
        ("raw/nci/a.html", "nci"),
        ("raw/acs/sub/b.html", "acs"),
        ("https://www.cancer.gov/types/a", "www.cancer.gov"),
    ],
    ids=["a-file-directly-in-the-raw-folder", "a-fetched-source-folder", "a-deeper-file", "a-url"],
)
def test_an_inputs_source_is_its_folder_under_the_raw_folder(input_name, source) -> None:
    assert source_of(input_name) == source


@pytest.mark.parametrize(
    ("out_dir", "what", "key"),
    [
        ("/data/normalized", "report", "ingest-report-normalized-7b855030"),
        ("/data/Out_Dir 2/", "quarantined", "ingest-quarantined-out-dir-2-92c2dd64"),
        ("/__", "report", "ingest-report-out-"),
    ],
    ids=["plain", "mixed-case-and-spaces", "nothing-left"],
)
def test_artifact_keys_are_lowercase_letters_digits_and_dashes(out_dir, what, key) -> None:
    assert artifact_key(out_dir, what).startswith(key)
    assert re.fullmatch(r"[a-z0-9-]+", artifact_key(out_dir, what))


def test_each_out_dir_has_its_own_artifact_key_the_same_on_every_run(tmp_path: Path, monkeypatch) -> None:
    a, b = tmp_path / "a" / "normalized", tmp_path / "b" / "normalized"
    assert artifact_key(a) != artifact_key(b), "two OUT_DIRs called normalized"
    monkeypatch.chdir(tmp_path)
    assert artifact_key("a/normalized") == artifact_key(a), "relative or absolute: the same folder"


@pytest.mark.parametrize(
    ("text", "must_not_contain"),
    [
        ("<script>alert(1)</script>", "<script>"),
        ("a | b", " | "),
        ("[click](javascript:alert(1))", "[click]"),
        ("line one\nline two", "\n"),
        ("**bold**", "**"),
    ],
    ids=["html", "table-pipe", "link", "newline", "emphasis"],
)
def test_document_text_in_the_report_is_inert_markdown(text, must_not_contain) -> None:
    assert must_not_contain not in md(text)


def _entry(inp: str, rid: str, sha: str = "a" * 64) -> dict:
    return {"id": rid, "input": inp, "content_sha256": sha, "raw_sha256": "b" * 64, "path": f"records/{rid}.json"}


def test_per_source_counts_compare_with_the_previous_manifest() -> None:
    previous = {"records": [_entry("raw/nci/same.html", "doc-1"), _entry("raw/nci/changed.html", "doc-2"),
                            _entry("raw/acs/gone.html", "doc-3")]}
    now = {
        "records": [_entry("raw/nci/same.html", "doc-1"), _entry("raw/nci/changed.html", "doc-2", "c" * 64),
                    _entry("raw/acs/new.html", "doc-4")],
        "quarantined": [{"input": "raw/acs/bad.html", "stage": "decode", "kind": "EmptyInput", "reason": "empty"}],
        "duplicates": [{"input": "raw/nci/copy.html", "duplicate_of": "raw/nci/same.html"}],
        "fetch_failures": [{"source": "acs", "url": "https://www.cancer.org/x", "status": 503, "reason": "503"}],
    }
    data = build_report_data(previous, now, [])
    got = {name: vars(row) for name, row in data.rows.items()}
    assert got == {
        "acs": {"published": 1, "new": 1, "updated": 0, "unchanged": 0, "quarantined": 1, "duplicates": 0,
                "removed": 1, "fetch_failures": 1},
        "nci": {"published": 2, "new": 0, "updated": 1, "unchanged": 1, "quarantined": 0, "duplicates": 1,
                "removed": 0, "fetch_failures": 0},
    }


def test_the_most_frequent_removals_count_times_and_documents_per_rule() -> None:
    def rec(inp: str, removals: list[dict]) -> Published:
        return Published(inp, make_record(provenance={"input": inp, "removals": removals}))

    r = {"kind": "boilerplate", "reason": "banner", "text": "Banner", "count": 2}
    outcomes = [
        rec("raw/a.txt", [{"rule": "x.banner", **r}, {"rule": "y.once", **r, "count": 1}]),
        rec("raw/b.txt", [{"rule": "x.banner", **r, "count": 1}]),
        Quarantined("raw/c.txt", "decode", "EmptyInput", "empty", None),
    ]
    top = top_removals(outcomes)
    assert [(t["rule"], t["times"], t["documents"]) for t in top] == [("x.banner", 3, 2), ("y.once", 1, 1)]


def test_the_markdown_has_a_row_per_source_the_quarantine_reasons_failures_and_removals() -> None:
    now = {
        "records": [_entry("raw/nci/a.html", "doc-1")],
        "quarantined": [{"input": "raw/acs/bad.html", "stage": "extract", "kind": "NoContent",
                         "reason": "a JavaScript-only shell <noscript>"}],
        "fetch_failures": [{"source": "acs", "url": "https://www.cancer.org/x", "reason": "HTTP 503 after 3 tries"}],
    }
    data = build_report_data(None, now, [])
    text = render_markdown(data, summary={"written": 1, "unchanged": 0}, out_dir="normalized",
                           started=dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC), duration=2.5,
                           pipeline_version="2026.11.1", run_name="calm-otter", source_seconds={"nci": 1.25})
    assert "Run calm-otter started 2026-01-02 03:04:05 UTC, took 2.5 s" in text
    assert "| acs | 0 | 0 | 0 | 0 | 1 | 0 | 0 | 1 | – |" in text
    assert "| nci | 1 | 1 | 0 | 0 | 0 | 0 | 0 | 0 | 1.2 s |" in text
    assert "| **total** | 1 | 1 | 0 | 0 | 1 | 0 | 0 | 1 | 2.5 s |" in text
    assert "a JavaScript-only shell &lt;noscript&gt;" in text
    assert "HTTP 503 after 3 tries" in text
    assert "No text was removed" in text


def test_validate_does_not_look_at_report_md(tmp_path: Path) -> None:
    publish(tmp_path, [Published("raw/a.txt", make_record(provenance={"input": "raw/a.txt"}))])
    (tmp_path / REPORT_NAME).write_text("# anything\n")
    assert validate_dir(tmp_path) == []


def test_a_report_that_cannot_be_written_is_a_warning_not_a_failure(tmp_path: Path, caplog) -> None:
    report = RunReport.begin(tmp_path / "missing-dir")
    assert report.publish({"published": 0}, []) is None
    assert "cannot write" in caplog.text


# --------------------------------------------------------------------------- through the flow

@pytest.mark.slow
def test_every_flow_run_writes_report_md_and_a_prefect_markdown_artifact(
    prefect_harness, fake_normalizer, tmp_path: Path
) -> None:
    from prefect.artifacts import Artifact

    from ingest.orchestration.normalize_flow import normalize_flow

    raw = write_files(tmp_path / "raw", {"nci/a.txt": "Doc A\nBody.", "nci/b.txt": "", "acs/c.txt": "Doc C\nBody."})
    out = tmp_path / "report-out"
    normalize_flow(raw_dirs=[str(raw)], out_dir=str(out), batch_size=2)
    first = (out / REPORT_NAME).read_text()
    assert "| acs | 1 | 1 | 0 | 0 | 0 |" in first
    assert "| nci | 1 | 1 | 0 | 0 | 1 |" in first
    assert "raw/nci/b.txt" in first and "EmptyInput" in first

    untouched = {p: p.stat().st_mtime_ns for p in [out, out / "manifest.json", *out.glob("records/*")]}
    normalize_flow(raw_dirs=[str(raw)], out_dir=str(out), batch_size=2)
    second = (out / REPORT_NAME).read_text()
    assert "| acs | 1 | 0 | 0 | 1 | 0 |" in second, "a rerun counts the record as unchanged"
    assert second != first
    assert {p: p.stat().st_mtime_ns for p in untouched} == untouched, "the report is rewritten in place"

    artifact = Artifact.get(artifact_key(out))
    assert artifact is not None and artifact.type == "markdown"
    assert artifact.data == second
    assert "published 2, quarantined 1" in (artifact.description or "")
    assert artifact_key(out) in second, "the report names its artifact"
    table = Artifact.get(artifact_key(out, "quarantined"))
    assert table is not None and table.type == "table"
    [row] = json.loads(table.data)
    assert (row["source"], row["input"], row["kind"]) == ("nci", "raw/nci/b.txt", "EmptyInput")


def test_quarantine_and_fetch_failure_lists_hold_at_most_max_listed_entries_then_say_how_many_more() -> None:
    from ingest.orchestration.report import MAX_LISTED

    n = MAX_LISTED + 2
    now = {
        "records": [],
        "quarantined": [{"input": f"raw/acs/{i:03d}.html", "stage": "decode", "kind": "EmptyInput",
                         "reason": "the file is empty"} for i in range(n)],
        "fetch_failures": [{"source": "nci", "url": f"https://www.cancer.gov/p{i}", "reason": "HTTP 404"}
                           for i in range(3)],
    }
    text = render_markdown(build_report_data(None, now, []), summary={"written": 0, "unchanged": 0},
                           out_dir="normalized", started=dt.datetime(2026, 1, 2, tzinfo=dt.UTC), duration=1.0,
                           pipeline_version="x", run_name="r", source_seconds={})
    assert f"## Quarantined ({n})\n\n- **acs** `raw/acs/000.html`: decode, EmptyInput: the file is empty\n" in text
    assert text.count(", EmptyInput: ") == MAX_LISTED
    assert "\n… and 2 more (see manifest.json)." in text
    assert "## Fetch failures (3)\n\n- **nci** https://www.cancer.gov/p0: HTTP 404\n" in text
    assert "- **nci** https://www.cancer.gov/p2: HTTP 404" in text


def test_slim_outcomes_with_removal_summaries_give_the_same_top_removals_as_full_records(tmp_path) -> None:
    """The flow keeps slim records (no removals) and per-record summaries: same table as full records."""
    from ingest.core.pipeline import process
    from ingest.orchestration.workers import normalize_and_stage
    from ingest.store.discovery import discover, read
    from ingest.store.files import ensure_out_dir

    from .helpers import RAW

    refs = discover([RAW])
    full = [process(*read(r)) for r in refs]
    ensure_out_dir(tmp_path)
    items = normalize_and_stage(refs, str(tmp_path))
    slim_outcomes = [o for o, _ in items]
    staged = {o.input: s for o, s in items if s is not None}
    assert all(not o.record.provenance.removals for o in slim_outcomes), "slim records carry no removals"
    expected = top_removals(full)
    assert expected, "the seeds have removals"
    assert top_removals(slim_outcomes, staged=staged) == expected
