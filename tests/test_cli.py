"""The ``ingest`` command line: help texts, exit codes, one-line errors. (Runs that start Prefect are
in test_flow.py, under the shared harness.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.cli import main as cli
from ingest.cli import records
from ingest.core.pipeline import Published
from ingest.store import schemas as schema
from ingest.store.publish import publish

from .conftest import make_record, write_files
from .helpers import ROOT


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
        (
            ["--help"],
            ["normalize", "validate", "list", "show", "inspect", "exit codes", "2  usage or environment error",
             "--quiet", "--json", "--debug"],
        ),
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
        (["list", "--help"], ["OUT_DIR", "title, source, dates and version", "exit codes", "example"]),
        (["show", "--help"], ["ID", "--out", "unique prefix", "input name", "--json", "exit codes"]),
        (["inspect", "--help"], ["INPUT", "--out", "struck through", "exit codes", "quarantined", "example"]),
        (["normalize", "--help"], ["report.md", "progress", "--json", "PREFECT_API_URL"]),
    ],
    ids=["ingest", "normalize", "validate", "list", "show", "inspect", "normalize-report-and-progress"],
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
        (lambda tmp: ["list", str(tmp / "nope")], "OUT_DIR not found"),
        (lambda tmp: ["list", str(tmp / "raw")], "no manifest.json in"),
        (lambda tmp: ["show", "doc-0000000000000000", "--out", str(tmp / "raw")], "no record 'doc-0000000000000000'"),
        (lambda tmp: ["show", "doc-1", "--out", str(tmp / "nope")], "OUT_DIR not found"),
        (lambda tmp: ["inspect", str(tmp / "nope.txt")], "input not found"),
        (lambda tmp: ["inspect", str(tmp / "raw")], "input is not a file"),
        (lambda tmp: ["inspect", str(tmp / "raw" / "a.txt"), "--out", str(tmp / "blocker" / "p.html")], "cannot write"),
        (lambda tmp: ["inspect", str(tmp / "raw" / "a.txt"), "--raw-dir", str(tmp / "blocker")], "is not under --raw-dir"),
        (lambda tmp: ["inspect", str(tmp / "raw" / "a.txt"), "--out", str(tmp / "raw" / "p.html")], "become an input"),
    ],
    ids=[
        "missing-raw-dir",
        "out-inside-raw",
        "unwritable-out",
        "bad-batch-size",
        "missing-out-dir",
        "missing-schemas",
        "list-missing-out-dir",
        "list-without-manifest",
        "show-unknown-record",
        "show-missing-out-dir",
        "inspect-missing-input",
        "inspect-a-folder",
        "inspect-unwritable-page",
        "inspect-outside-raw-dir",
        "inspect-page-inside-the-raw-dir",
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
            "ingest.cli.main",
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
    monkeypatch.setattr(records, "DEFAULT_SCHEMA_DIR", out / "no-such-dir")
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


# --------------------------------------------------------------------------- global options, Prefect


def closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    ("api_url", "message"),
    [
        (lambda: f"http://127.0.0.1:{closed_port()}/api", "Prefect server unreachable at http://127.0.0.1:"),
        (lambda: "ftp://127.0.0.1/api", "PREFECT_API_URL is not an http(s) URL"),
    ],
    ids=["closed-port", "not-http"],
)
def test_an_unreachable_prefect_server_is_one_line_and_exit_2_before_the_flow_starts(
    tmp_path: Path, monkeypatch, api_url, message, capsys
) -> None:
    write_files(tmp_path, {"raw/a.txt": "hello"})
    monkeypatch.setenv("PREFECT_API_URL", api_url())
    code, out, err = run_main(["normalize", str(tmp_path / "raw"), "--out", str(tmp_path / "out")], capsys)
    assert (code, out) == (2, "")
    assert len(err.splitlines()) == 1 and err.startswith(f"ingest: error: {message}")
    assert not (tmp_path / "out" / "manifest.json").exists()


@pytest.mark.slow
def test_the_installed_command_line_reports_an_unreachable_prefect_server_in_one_line(tmp_path: Path) -> None:
    import os

    write_files(tmp_path, {"raw/a.txt": "hello"})
    port = closed_port()
    env = {**os.environ, "PREFECT_API_URL": f"http://127.0.0.1:{port}/api"}
    proc = subprocess.run(
        [sys.executable, "-m", "ingest.cli.main", "normalize", str(tmp_path / "raw"), "--out", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=120, env=env,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith(f"ingest: error: Prefect server unreachable at http://127.0.0.1:{port}/api: ")
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "argv",
    [["--json", "normalize", "NOPE", "--out", "OUT"], ["normalize", "NOPE", "--out", "OUT", "--json"]],
    ids=["before-the-command", "after-the-command"],
)
def test_with_json_an_error_is_also_a_json_object_on_stdout(tmp_path: Path, argv, capsys) -> None:
    argv = [str(tmp_path / a) if a in ("NOPE", "OUT") else a for a in argv]
    code, out, err = run_main(argv, capsys)
    assert code == 2
    assert json.loads(out) == {"ok": False, "exit_code": 2, "error": f"raw dir not found: {tmp_path / 'NOPE'}"}
    assert err.startswith("ingest: error: raw dir not found")


def test_an_unexpected_error_is_one_line_with_a_hint_and_debug_shows_the_traceback(monkeypatch, capsys) -> None:
    def boom(args):
        raise RuntimeError("bug\nwith two lines")

    monkeypatch.setitem(cli.COMMANDS, "list", cli.Command("list", "h", "d", "e", records.add_list_arguments, boom))
    code, _, err = run_main(["list"], capsys)
    assert code == 2
    assert err == "ingest: error: internal error: RuntimeError: bug with two lines (rerun with --debug for the traceback)\n"
    code, _, err = run_main(["list", "--debug"], capsys)
    assert code == 2 and "Traceback" in err and err.rstrip().endswith("RuntimeError: bug with two lines")


# --------------------------------------------------------------------------- list, show, validate output


@pytest.fixture
def two(tmp_path: Path) -> Path:
    out = tmp_path / "two"
    publish(out, [
        Published("raw/a.txt", make_record(provenance={"input": "raw/a.txt"}, title="Alpha <b>page</b>")),
        Published("raw/nci/b.txt", make_record(
            provenance={"input": "raw/nci/b.txt", "removals": [
                {"rule": "acs.text_size", "kind": "widget", "reason": "widget", "text": "+ -Text Size", "count": 1}]},
            title="Beta\x1b[31m page")),
    ])
    return out


def test_list_shows_each_records_title_source_dates_and_version(two: Path, capsys) -> None:
    code, out, _ = run_main(["list", str(two)], capsys)
    assert code == 0
    for text in ("Alpha <b>page</b>", "American Cancer", "(acs)", "reviewed 2024-01-17", "2 records, 0 quarantined"):
        assert text in out
    from ingest import PIPELINE_VERSION

    assert PIPELINE_VERSION in out
    assert "\x1b" not in out, "a title cannot send terminal escape sequences"


def test_list_json_is_one_object_with_every_record(two: Path, capsys) -> None:
    code, out, _ = run_main(["list", str(two), "--json"], capsys)
    data = json.loads(out)
    assert code == 0 and len(data["records"]) == 2
    assert {r["input"] for r in data["records"]} == {"raw/a.txt", "raw/nci/b.txt"}
    assert all(r["dates"]["last_reviewed"] == "2024-01-17" and r["version"] for r in data["records"])


@pytest.mark.parametrize(
    "key",
    [lambda ids: ids["raw/a.txt"], lambda ids: ids["raw/a.txt"][:9], lambda ids: "raw/a.txt"],
    ids=["full-id", "unique-prefix", "input-name"],
)
def test_show_finds_a_record_by_id_prefix_or_input_and_prints_it_readably(two: Path, key, capsys) -> None:
    ids = {e["input"]: e["id"] for e in json.loads((two / "manifest.json").read_bytes())["records"]}
    code, out, _ = run_main(["show", key(ids), "--out", str(two)], capsys)
    assert code == 0
    for text in ("Alpha <b>page</b>", f"id: {ids['raw/a.txt']}", "What is breast cancer?",
                 "Breast cancer starts when cells", "reviewed 2024-01-17 (body:Last Medical Review)"):
        assert text in out


def test_show_lists_what_cleaning_removed_and_json_prints_the_record_as_published(two: Path, capsys) -> None:
    code, out, _ = run_main(["show", "raw/nci/b.txt", "--out", str(two)], capsys)
    assert code == 0 and "acs.text_size [widget] ×1: + -Text Size" in out and "\x1b" not in out
    ids = {e["input"]: e["id"] for e in json.loads((two / "manifest.json").read_bytes())["records"]}
    code, out, _ = run_main(["show", ids["raw/nci/b.txt"], "--out", str(two), "--json"], capsys)
    assert out == (two / "records" / f"{ids['raw/nci/b.txt']}.json").read_text()


def test_an_ambiguous_prefix_names_the_candidates(two: Path, capsys) -> None:
    code, _, err = run_main(["show", "acs-", "--out", str(two)], capsys)
    assert code == 2 and "matches 2 records" in err


@pytest.mark.parametrize(
    ("flags", "expected_stdout"),
    [([], "1 records valid\n"), (["--quiet"], ""), (["-q"], "")],
    ids=["default", "quiet", "short-quiet"],
)
def test_validate_output_follows_quiet(out: Path, flags, expected_stdout, capsys) -> None:
    assert run_main(["validate", str(out), *flags], capsys)[:2] == (0, expected_stdout)


def test_validate_json_gives_counts_and_problems(out: Path, capsys) -> None:
    code, stdout, _ = run_main(["validate", str(out), "--json"], capsys)
    assert code == 0
    assert json.loads(stdout) == {"ok": True, "exit_code": 0, "records_checked": 1, "records_valid": 1,
                                  "problems": []}


# --------------------------------------------------------------------------- normalize through the flow


@pytest.mark.slow
@pytest.mark.parametrize(
    ("flags", "check"),
    [
        ([], lambda out, err: out.splitlines()[0].startswith("published 2 (written 2")
         and "normalize: 3/3 documents (100%)" in err),
        (["--quiet"], lambda out, err: out == "QUARANTINED raw/b.txt: decode: input is empty\n" and err == ""),
        (["--json"], lambda out, err: json.loads(out)["published"] == 2 and json.loads(out)["exit_code"] == 1
         and json.loads(out)["report"].endswith("report.md") and err == ""),
    ],
    ids=["plain-progress-lines-on-stderr-off-a-terminal", "quiet-prints-only-problems", "json-prints-one-object"],
)
def test_normalize_shows_progress_and_a_summary_as_the_options_say(
    prefect_harness, fake_normalizer, tmp_path: Path, flags, check, capsys
) -> None:
    raw = write_files(tmp_path / "raw", {"a.txt": "A\nbody", "b.txt": "", "c.txt": "C\nbody"})
    code, out, err = run_main(["normalize", str(raw), "--out", str(tmp_path / "out"), *flags], capsys)
    assert code == 1
    assert check(out, err), (out, err)
    assert (tmp_path / "out" / "report.md").is_file()


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (["normalize", "raw", "--otu", "x"], "unrecognized arguments: --otu (did you mean --out?)"),
        (["normalize", "raw", "--out", "x", "--batch-sise", "3"], "unrecognized arguments: --batch-sise (did you mean --batch-size?)"),
        (["normalize", "raw", "--out", "x", "--max-withdraw-share", "2"], "must be between 0 and 1"),
        (["lsit"], "invalid choice: 'lsit'"),
    ],
    ids=["typo-of-a-required-option", "typo-of-an-option", "bad-value", "unknown-command"],
)
def test_argument_errors_name_the_problem_exit_2_and_under_json_print_json(argv, error, capsys) -> None:
    for json_flag in ([], ["--json"]):
        code, out, err = run_main([*json_flag, *argv], capsys)
        assert code == 2
        assert error in err and "Traceback" not in err
        if json_flag:
            data = json.loads(out)
            assert data["ok"] is False and data["exit_code"] == 2 and error in data["error"]
        else:
            assert out == ""


def test_a_read_only_out_dir_is_one_clear_line_not_an_errno(tmp_path: Path, monkeypatch, capsys) -> None:
    import ingest.store.lock as lock

    def refuse(path, *args, **kwargs):
        raise OSError(30, "Read-only file system", str(path))

    monkeypatch.setattr(lock.os, "open", refuse)
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "a.txt").write_text("A\n\nSome text.\n")
    code, _, err = run_main(["normalize", str(tmp_path / "raw"), "--out", str(tmp_path / "out")], capsys)
    assert code == 2
    assert err.startswith("ingest: error: output dir ") and "not writable (Read-only file system)" in err
    assert "[Errno" not in err


def test_a_reader_that_closes_the_pipe_early_gets_no_traceback(tmp_path: Path) -> None:
    # `true` exits without reading: every write of ours meets a closed pipe (EPIPE), as with `| head`
    proc = subprocess.run(f"{sys.executable} -m ingest.cli --json list {ROOT / 'normalized'} | true",
                          shell=True, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr
