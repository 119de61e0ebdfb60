"""`ingest verify` (manifest, record files, records.jsonl, changes.jsonl and history agree) and
`ingest replay` (quarantined inputs re-run after a rule fix; those that pass are published)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from ingest.cli import main as cli
from ingest.core.errors import MalformedFrontMatter
from ingest.core.pipeline import Published
from ingest.core.serialize import canonical_json
from ingest.store.manifest import load_manifest
from ingest.store.publish import publish
from ingest.store.verify import verify_dir

from .conftest import fake_normalize, make_record, write_files
from .helpers import ROOT

SCHEMAS = ROOT / "schemas"


def pub(name: str, title: str = "What Is Breast Cancer?") -> Published:
    return Published(f"raw/{name}.txt", make_record(title=title, provenance={"input": f"raw/{name}.txt"}))


@pytest.fixture
def good(tmp_path: Path) -> Path:
    """Three runs: a and b added, a updated, b withdrawn."""
    out = tmp_path / "out"
    publish(out, [pub("a"), pub("b")])
    publish(out, [pub("a", "A new title"), pub("b")])
    publish(out, [pub("a", "A new title")])
    return out


def rec_file(out: Path) -> Path:
    return next((out / "records").glob("*.json"))


def edit_record_canonically(out: Path) -> None:
    path = rec_file(out)
    data = json.loads(path.read_bytes())
    data["title"] = "Edited by hand"
    path.write_bytes(canonical_json(data))


def drop_last_change(out: Path) -> None:
    lines = (out / "changes.jsonl").read_bytes().splitlines(keepends=True)
    (out / "changes.jsonl").write_bytes(b"".join(lines[:-1]))


def bump_manifest_version(out: Path) -> None:
    m = load_manifest(out)
    m["records"][0]["version"] = 7
    (out / "manifest.json").write_bytes(canonical_json(m))


#: (what is wrong, how to break a good OUT_DIR, a words the problem line holds)
BREAKS: list[tuple[str, Callable[[Path], None], str]] = [
    ("a record edited by hand no longer matches its hash", edit_record_canonically, "content_sha256"),
    ("a record file that is not listed", lambda o: shutil.copy(rec_file(o), o / "records" / "doc-0000000000000000.json"),
     "not listed"),
    ("a stray file in OUT_DIR", lambda o: (o / "notes.txt").write_text("x"), "unexpected file"),
    ("a temp file left by a killed run", lambda o: (o / "records" / ".tmp-x.part").write_text("x"), "temp file"),
    ("records.jsonl missing a record", lambda o: (o / "records.jsonl").write_bytes(b""), "records.jsonl"),
    ("records.jsonl missing", lambda o: (o / "records.jsonl").unlink(), "records.jsonl: missing"),
    ("the change feed lost its last line", drop_last_change, "changes.jsonl"),
    ("a change line that does not parse", lambda o: (o / "changes.jsonl").write_bytes(b"{x\n" + (o / "changes.jsonl").read_bytes()),
     "not JSON"),
    ("a manifest version that is not the record's", bump_manifest_version, "version"),
    ("a withdrawn record's history is gone", lambda o: shutil.rmtree(o / "history"), "history"),
    ("no manifest", lambda o: (o / "manifest.json").unlink(), "manifest.json"),
]


def test_a_folder_written_by_publish_verifies(good: Path) -> None:
    problems, counts = verify_dir(good, SCHEMAS)
    assert problems == []
    assert counts == {"records": 1, "withdrawn": 1, "changes": 4}


@pytest.mark.parametrize(("breaks", "words"), [b[1:] for b in BREAKS], ids=[b[0] for b in BREAKS])
def test_verify_reports_every_mismatch_and_the_cli_exits_1(good: Path, breaks, words: str, capsys) -> None:
    breaks(good)
    problems, _ = verify_dir(good, SCHEMAS)
    assert any(words in p for p in problems), problems
    assert cli.main(["verify", str(good)]) == 1
    assert words in capsys.readouterr().out


def test_the_cli_verify_exits_0_on_a_consistent_folder_and_2_without_one(good: Path, tmp_path: Path, capsys) -> None:
    assert cli.main(["verify", str(good)]) == 0
    assert capsys.readouterr().out.strip() == "1 records, 1 withdrawn, 4 change lines: consistent"
    assert cli.main(["verify", str(tmp_path / "nope")]) == 2


@pytest.mark.slow
def test_replay_publishes_the_quarantined_inputs_a_rule_fix_lets_through(
    prefect_harness, fake_normalizer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    raw = write_files(tmp_path / "raw", {"000.txt": "Good page\nbody", "001.txt": "Needs the fix\nbody",
                                         "002.txt": "   "})
    out = tmp_path / "out"

    def strict(raw_bytes: bytes, meta):  # the rule before the fix
        if b"Needs the fix" in raw_bytes:
            raise MalformedFrontMatter("a rule that was too strict")
        return fake_normalize(raw_bytes, meta)

    monkeypatch.setattr("ingest.core.pipeline.normalize", strict)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["normalize", "raw", "--out", "out"]) == 1
    manifest = load_manifest(out)
    assert manifest["raw_dirs"] == ["raw"]  # relative to OUT_DIR's parent: machine-independent
    assert sorted(q["input"] for q in manifest["quarantined"]) == ["raw/001.txt", "raw/002.txt"]
    good_record = (out / manifest["records"][0]["path"]).read_bytes()
    (raw / "003.txt").write_text("A new file\nbody")  # not known to the manifest: left for the next normalize
    capsys.readouterr()

    monkeypatch.setattr("ingest.core.pipeline.normalize", fake_normalize)  # the fix
    monkeypatch.chdir(ROOT)  # replay finds the raw dir from the manifest, wherever it runs
    assert cli.main(["replay", str(out)]) == 1  # 002.txt is still empty
    said = capsys.readouterr().out
    assert "replayed 2 quarantined inputs: 1 now published, 1 still quarantined" in said
    manifest = load_manifest(out)
    assert sorted(e["input"] for e in manifest["records"]) == ["raw/000.txt", "raw/001.txt"]
    assert [q["input"] for q in manifest["quarantined"]] == ["raw/002.txt"]
    assert (out / manifest["records"][0]["path"]).read_bytes() == good_record
    assert verify_dir(out, SCHEMAS)[0] == []
    assert [c["input"] for c in map(json.loads, (out / "changes.jsonl").read_text().splitlines())][-1] == "raw/001.txt"
