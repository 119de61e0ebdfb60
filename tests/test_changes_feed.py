"""The change feed and record versions (issue 6): each run appends one changes.jsonl line per record
added, updated or withdrawn (none when nothing changed); a record's version grows when its content
changes and every earlier version stays in history/; a document removed from the sources is
withdrawn (listed in the manifest, its last version in history), never silently deleted;
records.jsonl holds the current records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.core.models import Record
from ingest.core.pipeline import Published, Quarantined
from ingest.core.serialize import canonical_json
from ingest.store.feed import append_changes, read_changes
from ingest.store.manifest import load_manifest
from ingest.store.publish import publish

from .conftest import make_record


def pub(name: str, title: str = "What Is Breast Cancer?") -> Published:
    return Published(f"raw/{name}.txt", make_record(title=title, provenance={"input": f"raw/{name}.txt"}))


def snapshot(out: Path) -> dict[str, tuple[bytes, int]]:
    return {p.relative_to(out).as_posix(): (p.read_bytes() if p.is_file() else b"", p.stat().st_mtime_ns)
            for p in sorted([out, *out.rglob("*")])}


def events(out: Path) -> list[tuple[str, str, int]]:
    return [(c["event"], c["input"], c["version"]) for c in read_changes(out)]


#: (what happens, the outcomes of this run, the change lines it appends, versions in the manifest after it)
RUNS = [
    ("the first run adds every record", [pub("a"), pub("b")],
     [("added", "raw/a.txt", 1), ("added", "raw/b.txt", 1)], {"raw/a.txt": 1, "raw/b.txt": 1}),
    ("an unchanged run appends nothing", [pub("a"), pub("b")], [], {"raw/a.txt": 1, "raw/b.txt": 1}),
    ("a changed record gets version 2", [pub("a", "A new title"), pub("b")],
     [("updated", "raw/a.txt", 2)], {"raw/a.txt": 2, "raw/b.txt": 1}),
    ("a removed document is withdrawn", [pub("a", "A new title")],
     [("withdrawn", "raw/b.txt", 1)], {"raw/a.txt": 2}),
    ("a withdrawn document that comes back continues its versions", [pub("a", "A new title"), pub("b")],
     [("added", "raw/b.txt", 2)], {"raw/a.txt": 2, "raw/b.txt": 2}),
    ("a document quarantined now keeps its record and appends nothing",
     [pub("a", "A new title"), Quarantined("raw/b.txt", "decode", "EmptyInput", "empty", None)],
     [], {"raw/a.txt": 2, "raw/b.txt": 2}),
    ("changing back is another version, not the old one", [pub("a"), pub("b")],
     [("updated", "raw/a.txt", 3)], {"raw/a.txt": 3, "raw/b.txt": 2}),
]


def test_a_sequence_of_runs_gives_the_change_lines_versions_and_history_a_reader_expects(tmp_path: Path) -> None:
    out = tmp_path / "out"
    seen = 0
    for what, outcomes, appended, versions in RUNS:
        before = snapshot(out) if out.exists() else None
        publish(out, outcomes)
        assert sorted(events(out)[seen:]) == sorted(appended), what
        seen += len(appended)
        manifest = load_manifest(out)
        assert {e["input"]: e["version"] for e in manifest["records"]} == versions, what
        for e in manifest["records"]:
            record = Record.model_validate_json((out / e["path"]).read_bytes())
            assert record.version == e["version"], what
        lines = [json.loads(line) for line in (out / "records.jsonl").read_text().splitlines()]
        assert [r["id"] for r in lines] == [e["id"] for e in manifest["records"]], what
        if not appended and before is not None:
            after = snapshot(out)
            if what.startswith("an unchanged run"):
                assert after == before, f"{what}: nothing may be rewritten"
            kept = [k for k in before if k.startswith(("records", "changes", "history"))]
            assert {k: after[k] for k in kept} == {k: before[k] for k in kept}, what

    history = sorted(p.relative_to(out).as_posix() for p in (out / "history").rglob("*.json"))
    a_id, b_id = pub("a").record.id, pub("b").record.id
    # a: v1 and v2 replaced; b: v1 withdrawn (v2 is current)
    assert history == sorted([f"history/{a_id}/v1.json", f"history/{a_id}/v2.json", f"history/{b_id}/v1.json"])
    v1 = Record.model_validate_json((out / "history" / a_id / "v1.json").read_bytes())
    assert (v1.version, v1.title) == (1, "What Is Breast Cancer?")


def test_a_withdrawn_record_is_listed_in_the_manifest_with_its_last_version(tmp_path: Path) -> None:
    out = tmp_path / "out"
    publish(out, [pub("a"), pub("b")])
    summary = publish(out, [pub("a")])
    b = pub("b").record
    assert summary.removed_stale == 1
    assert load_manifest(out)["withdrawn"] == [
        {"id": b.id, "input": "raw/b.txt", "version": 1, "content_sha256": b.content_sha256, "title": b.title}
    ]
    assert not (out / "records" / f"{b.id}.json").exists()
    assert (out / "history" / b.id / "v1.json").read_bytes() == canonical_json(b)


def test_every_line_of_one_run_names_the_run_and_the_time(tmp_path: Path) -> None:
    out = tmp_path / "out"
    publish(out, [pub("a"), pub("b")], run_id="run-1")
    publish(out, [pub("a", "A new title")], run_id="run-2")
    lines = read_changes(out)
    assert [c["run_id"] for c in lines] == ["run-1", "run-1", "run-2", "run-2"]
    assert all(c["time"].endswith("Z") and len(c["content_sha256"]) == 64 for c in lines)
    assert {c["time"] for c in lines[:2]} == {lines[0]["time"]}


@pytest.mark.parametrize("torn", [b'{"event":"added","id":"doc-0', b"garbage"], ids=["half a line", "a stray tail"])
def test_a_torn_last_line_left_by_a_killed_run_is_cut_before_the_next_append(tmp_path: Path, torn: bytes) -> None:
    out = tmp_path / "out"
    publish(out, [pub("a")])
    with open(out / "changes.jsonl", "ab") as f:
        f.write(torn)
    assert len(read_changes(out)) == 1  # readers skip a torn last line
    append_changes(out, [{"event": "updated", "id": "x", "input": "raw/x", "version": 2, "content_sha256": "0" * 64}])
    data = (out / "changes.jsonl").read_bytes()
    assert torn not in data and data.endswith(b"\n")
    assert [c["event"] for c in read_changes(out)] == ["added", "updated"]


def test_an_existing_out_dir_without_a_change_feed_gets_one_line_per_current_record(tmp_path: Path) -> None:
    out = tmp_path / "out"
    publish(out, [pub("a"), pub("b")])
    (out / "changes.jsonl").unlink()  # as published before issue 6
    publish(out, [pub("a"), pub("b")])
    assert sorted(events(out)) == [("added", "raw/a.txt", 1), ("added", "raw/b.txt", 1)]
