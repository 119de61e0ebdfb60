"""Hostile raw folders (issue 17): discovery never leaves the raw folder, never blocks on a FIFO, and
one bad file name or unreadable corner never stops the run; each is skipped with its reason, in the
manifest's ``skipped`` and the summary, and names are escaped in every line a person reads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import ingest.store.discovery as discovery
from ingest.store.discovery import read, scan

GOOD = "Leukemia facts\n\nLeukemia is a cancer of the blood cells found in the bone marrow.\n"
NEWLINE_NAME = "evil\nQUARANTINED fake.txt: decode: forged.txt"


def hostile_raw(tmp_path: Path) -> Path:
    """A raw folder with every hostile corner of the issue, and one good page."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("Secret\n\nSECRET-MARKER text that must never be published.\n")
    raw = tmp_path / "raw"
    (raw / "sub").mkdir(parents=True)
    (raw / "good.txt").write_text(GOOD)
    (raw / "sub" / "inside.txt").write_text(GOOD.replace("facts", "inside"))
    os.symlink("/etc/passwd", raw / "passwd.txt")
    os.symlink(outside / "secret.txt", raw / "secret.txt")
    os.symlink(outside, raw / "linked")  # a symlinked directory outside
    os.symlink(raw / "sub" / "inside.txt", raw / "alias.txt")  # inside: an input
    os.symlink(raw / "sub", raw / "sublink")  # a symlinked directory inside: never followed
    os.symlink(raw / "missing.txt", raw / "broken.txt")
    os.symlink(raw / "loop-b.txt", raw / "loop-a.txt")
    os.symlink(raw / "loop-a.txt", raw / "loop-b.txt")
    os.mkfifo(raw / "pipe.html")
    (raw / "p.html").write_text("<html><body><h1>P</h1><p>" + GOOD + "</p></body></html>")
    os.mkfifo(raw / "p.html.meta.json")  # a FIFO sidecar: opening it for reading would block
    fd = os.open(os.fsencode(raw) + b"/bad\xffname.txt", os.O_CREAT | os.O_WRONLY, 0o644)
    os.write(fd, GOOD.encode())
    os.close(fd)
    (raw / NEWLINE_NAME).write_bytes(b"")  # quarantined (empty): its QUARANTINED line must stay one line
    return raw


def test_discovery_skips_every_hostile_corner_with_its_reason_and_keeps_the_good_files(tmp_path: Path) -> None:
    raw = hostile_raw(tmp_path)
    found = scan([raw])
    assert [r.input for r in found.refs] == ["raw/alias.txt", f"raw/{NEWLINE_NAME}", "raw/good.txt", "raw/p.html",
                                             "raw/sub/inside.txt"]
    assert {s.path: s.kind for s in found.skipped} == {
        "raw/bad\\xffname.txt": "bad_name",
        "raw/broken.txt": "broken_link",
        "raw/linked": "outside_link",
        "raw/loop-a.txt": "link_loop",
        "raw/loop-b.txt": "link_loop",
        "raw/passwd.txt": "outside_link",
        "raw/pipe.html": "special",
        "raw/secret.txt": "outside_link",
        "raw/sublink": "linked_dir",
    }
    assert all(s.reason for s in found.skipped)


def test_reading_an_input_whose_sidecar_is_a_fifo_fails_at_once_instead_of_blocking(tmp_path: Path) -> None:
    raw = hostile_raw(tmp_path)
    [ref] = [r for r in scan([raw]).refs if r.input == "raw/p.html"]
    with pytest.raises(OSError, match="not a regular file"):
        read(ref)


def test_an_unreadable_subdirectory_is_skipped_and_the_rest_is_discovered(tmp_path: Path, monkeypatch) -> None:
    raw = tmp_path / "raw"
    (raw / "locked").mkdir(parents=True)
    (raw / "locked" / "x.txt").write_text(GOOD)
    (raw / "good.txt").write_text(GOOD)
    real = os.scandir

    def scandir(path):  # chmod 000 does not stop root (CI runs as root): refuse like the kernel would
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(discovery.os, "scandir", scandir)
    found = scan([raw])
    assert [r.input for r in found.refs] == ["raw/good.txt"]
    assert [(s.path, s.kind) for s in found.skipped] == [("raw/locked", "unreadable")]
    assert "Permission denied" in found.skipped[0].reason


@pytest.mark.slow
def test_ingest_normalize_over_a_hostile_raw_folder_finishes_publishes_the_rest_and_says_what_it_skipped(
    tmp_path: Path,
) -> None:
    raw = hostile_raw(tmp_path)
    out = tmp_path / "out"
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / ".prefect"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    proc = subprocess.run([sys.executable, "-m", "ingest.cli", "normalize", str(raw), "--out", str(out)],
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 1, proc.stderr  # quarantined inputs and problem skips: exit 1, never 2
    manifest = json.loads((out / "manifest.json").read_bytes())
    assert sorted(e["input"] for e in manifest["records"]) == ["raw/alias.txt", "raw/good.txt", "raw/sub/inside.txt"]
    quarantined = {q["input"]: q for q in manifest["quarantined"]}
    assert sorted(quarantined) == [f"raw/{NEWLINE_NAME}", "raw/p.html"]
    assert "not a regular file" in quarantined["raw/p.html"]["reason"]
    assert {s["path"] for s in manifest["skipped"]} >= {"raw/passwd.txt", "raw/secret.txt", "raw/bad\\xffname.txt",
                                                       "raw/pipe.html", "raw/linked"}
    published = "".join(p.read_text() for p in (out / "records").glob("*.json"))
    assert "SECRET-MARKER" not in published and "root:x:0:0" not in published
    lines = proc.stdout.splitlines()
    assert "SKIPPED raw/passwd.txt: a symlink to outside the raw folder (never followed)" in lines
    assert any(line.startswith("skipped 9 files that are not inputs:") for line in lines)
    # the newline in the name is escaped: no forged line, exactly one QUARANTINED line per quarantined input
    assert not any(line.startswith("QUARANTINED fake.txt") for line in lines)
    assert sum(line.startswith("QUARANTINED ") for line in lines) == 2
    assert f"QUARANTINED raw/{NEWLINE_NAME!s}".replace("\n", "\\n") in "\n".join(lines)
    report = (out / "report.md").read_text()
    assert "\nQUARANTINED fake.txt" not in report and "forged" in report
