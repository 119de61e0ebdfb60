"""The ``ingest`` command line: help texts, exit codes, one-line errors. (Runs that start Prefect are
in test_flow.py, under the shared harness.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ingest import cli, schema
from ingest.pipeline import Published
from ingest.publish import publish

from .conftest import make_record, write_files


def run_main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = cli.main(argv)
    except SystemExit as e:  # argparse: --help and usage errors
        code = e.code if isinstance(e.code, int) else 2
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("argv", "must_mention"),
    [
        (["--help"], ["normalize", "validate", "exit codes", "2  usage or environment error"]),
        (
            ["normalize", "--help"],
            [
                "RAW_DIR",
                "--out",
                "--batch-size",
                "manifest.json",
                "exit 1 if any input was quarantined",
                "exit codes",
            ],
        ),
        (
            ["validate", "--help"],
            ["OUT_DIR", "--schemas", "records valid", "exit codes", "at least one problem"],
        ),
    ],
    ids=["ingest", "normalize", "validate"],
)
def test_help_explains_arguments_outputs_and_exit_codes(argv, must_mention, capsys) -> None:
    code, out, _ = run_main(argv, capsys)
    assert code == 0
    for phrase in must_mention:
        assert phrase in out, f"{phrase!r} missing from `ingest {' '.join(argv)}`"


@pytest.mark.parametrize(
    ("make_argv", "message"),
    [
        (lambda tmp: ["normalize", str(tmp / "nope"), "--out", str(tmp / "out")], "raw dir not found"),
        (lambda tmp: ["normalize", str(tmp / "raw"), "--out", str(tmp / "raw" / "a.txt")], "inside raw dir"),
        (
            lambda tmp: ["normalize", str(tmp / "raw"), "--out", str(tmp / "blocker" / "out")],
            "cannot write to output dir",
        ),
        (
            lambda tmp: ["normalize", str(tmp / "raw"), "--out", str(tmp / "out"), "--batch-size", "0"],
            "--batch-size",
        ),
        (lambda tmp: ["validate", str(tmp / "nope")], "OUT_DIR not found"),
        (lambda tmp: ["validate", str(tmp / "raw"), "--schemas", str(tmp / "nope")], "schema dir not found"),
    ],
    ids=[
        "missing-raw-dir",
        "out-inside-raw",
        "unwritable-out",
        "bad-batch-size",
        "missing-out-dir",
        "missing-schemas",
    ],
)
def test_environment_errors_exit_2_with_one_line_and_no_traceback(
    tmp_path: Path, make_argv, message, capsys
) -> None:
    write_files(tmp_path, {"raw/a.txt": "hello", "blocker": "a file, not a dir"})
    code, out, err = run_main(make_argv(tmp_path), capsys)
    assert code == 2
    assert out == ""
    assert len(err.splitlines()) == 1 and message in err and err.startswith("ingest: error: ")
    assert "Traceback" not in err


def test_debug_shows_the_traceback(tmp_path: Path, capsys) -> None:
    code, _, err = run_main(
        ["normalize", str(tmp_path / "nope"), "--out", str(tmp_path / "out"), "--debug"], capsys
    )
    assert code == 2 and "Traceback" in err and "InputDirError" in err


@pytest.mark.slow
def test_the_installed_command_line_reports_a_missing_raw_dir_in_one_line(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "ingest.cli",
            "normalize",
            str(tmp_path / "missing"),
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr == f"ingest: error: raw dir not found: {tmp_path / 'missing'}\n"
    assert proc.stdout == ""
    assert not (tmp_path / "out").exists()


@pytest.fixture
def out(tmp_path: Path) -> Path:
    publish(tmp_path / "out", [Published("raw/a.txt", make_record(provenance={"input": "raw/a.txt"}))])
    return tmp_path / "out"


def test_validate_on_a_good_dir_exits_0_and_counts_the_records(out: Path, capsys) -> None:
    code, stdout, _ = run_main(["validate", str(out)], capsys)
    assert (code, stdout) == (0, "1 records valid\n")


def test_validate_falls_back_to_the_models_when_there_is_no_schemas_dir(
    out: Path, monkeypatch, capsys
) -> None:
    monkeypatch.setattr(cli, "DEFAULT_SCHEMA_DIR", out / "no-such-dir")
    assert run_main(["validate", str(out)], capsys)[:2] == (0, "1 records valid\n")


def test_validate_on_a_broken_record_prints_the_problems_and_exits_1(out: Path, capsys) -> None:
    path = next((out / "records").glob("*.json"))
    data = json.loads(path.read_bytes())
    data["language"] = "English"
    path.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    code, stdout, _ = run_main(["validate", str(out)], capsys)
    lines = stdout.splitlines()
    assert code == 1
    assert any(line.startswith(f"records/{path.name}: schema: at language:") for line in lines)
    assert any(line.startswith(f"records/{path.name}: model: at language:") for line in lines)
    assert lines[-1].startswith("0 records valid, ")


@pytest.mark.parametrize(("write_first", "expected"), [(True, 0), (False, 1)], ids=["fresh", "missing"])
def test_schema_check_exits_1_when_the_schema_is_missing_or_stale(
    tmp_path: Path, write_first, expected, capsys
) -> None:
    if write_first:
        assert schema.main(["--write", str(tmp_path)]) == 0
    assert schema.main(["--check", str(tmp_path)]) == expected
