"""The ``ingest`` command line.

    ingest normalize RAW_DIR... --out OUT_DIR [--batch-size N]
    ingest validate OUT_DIR [--schemas DIR]
    ingest list [OUT_DIR]
    ingest show ID [--out OUT_DIR]
    ingest inspect INPUT [--out PAGE.html]
    ingest fetch --sources FILE --raw RAW_DIR --out OUT_DIR [--source NAME]...
    ingest serve --sources FILE [--raw RAW_DIR] [--out OUT_DIR] [--source NAME]... [--dry-run]

Global options, accepted before or after the command: ``--quiet``, ``--json``, ``--debug``,
``--verbose``. Exit codes: 0 ok, 1 something was quarantined / invalid, 2 usage or environment error.

Adding a command: write ``cmd_x(args) -> int`` and ``add_x_arguments(parser)``, then
``register(Command("x", help=..., description=..., epilog=..., add_arguments=add_x_arguments,
run=cmd_x))``. Every command then gets the global options, one-line errors (an :class:`IngestError` or
``OSError`` prints ``ingest: error: <message>`` and exits 2; ``--debug`` adds the traceback) and, with
``--json``, ``{"ok": false, "error": ...}`` on stdout for errors. Use :func:`ui` for output (it honours
``--quiet`` / ``--json``), :func:`progress_sink` for a progress display and :func:`start_prefect`
before running a flow (quiet Prefect logs, fail fast when PREFECT_API_URL is unreachable).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import json
import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import IngestError
from .fetch import commands as fetch_commands

EXIT_OK, EXIT_PROBLEMS, EXIT_ENV = 0, 1, 2

#: Where ``ingest validate`` looks for schemas by default: the repo's schemas/ next to src/.
DEFAULT_SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"
#: Where ``ingest show`` / ``ingest list`` look for records by default.
DEFAULT_OUT_DIR = Path("normalized")
#: Seconds to wait for PREFECT_API_URL's /health before giving up.
PREFECT_HEALTH_TIMEOUT = 3.0


class UsageError(IngestError):
    """Bad arguments or environment detected before any work starts (exit 2)."""


# --------------------------------------------------------------------------- output


class UI:
    """Where a command's output goes, per the global options.

    - ``say``: human lines on stdout (silent with ``--quiet`` or ``--json``)
    - ``problem``: problem lines on stdout (silent with ``--json`` only; ``--quiet`` keeps them)
    - ``result``: the command's one JSON document on stdout (only with ``--json``)
    """

    def __init__(self, quiet: bool = False, json_mode: bool = False) -> None:
        self.quiet = quiet
        self.json = json_mode

    def say(self, line: str = "") -> None:
        if not (self.quiet or self.json):
            print(line)

    def problem(self, line: str) -> None:
        if not self.json:
            print(line)

    def result(self, data: Any) -> None:
        if self.json:
            print(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True))


def ui(args: argparse.Namespace) -> UI:
    return UI(quiet=getattr(args, "quiet", False), json_mode=getattr(args, "json", False))


def progress_sink(args: argparse.Namespace) -> Any:
    """A rich bar on a terminal, plain periodic lines otherwise, nothing with --quiet/--json (stderr)."""
    from .progress import make_sink

    return make_sink(quiet=getattr(args, "quiet", False), json_mode=getattr(args, "json", False))


# --------------------------------------------------------------------------- Prefect


def configure_prefect_env(verbose: bool) -> None:
    """Must run before prefect is imported: its settings are read at import time.

    Without ``--verbose`` Prefect's console output is silenced (its failure logs carry tracebacks;
    the CLI prints one line instead) while its loggers keep INFO, so flow-run logs (progress lines)
    still reach the Prefect API and UI.
    """
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")  # Prefect's client telemetry and its first-run notice
    if not verbose:
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_DEBUG_LEVEL", "CRITICAL")
        os.environ.setdefault("PREFECT_LOGGING_SERVER_LEVEL", "WARNING")


# Kept for callers of the old name.
_configure_prefect_env = configure_prefect_env


def prefect_api_url() -> str | None:
    """PREFECT_API_URL from the environment, else from the active Prefect profile; None = temporary server."""
    url = os.environ.get("PREFECT_API_URL", "").strip()
    if url:
        return url
    try:
        from prefect.settings import PREFECT_API_URL

        return (PREFECT_API_URL.value() or "").strip() or None
    except Exception:  # noqa: BLE001 - no profile: Prefect starts a temporary server
        return None


def check_prefect_api(url: str | None, timeout: float = PREFECT_HEALTH_TIMEOUT) -> None:
    """Raise :class:`UsageError` unless ``url``'s ``/health`` answers within ``timeout`` seconds.

    Any HTTP answer but 404 counts as reachable (auth problems are Prefect's to report); a refused
    connection, a DNS failure or a timeout does not.
    """
    if not url:
        return
    import urllib.error
    import urllib.request

    health = url.rstrip("/") + "/health"
    hint = "start it, or unset PREFECT_API_URL to run with a temporary local server"
    if not health.lower().startswith(("http://", "https://")):
        raise UsageError(f"PREFECT_API_URL is not an http(s) URL: {url!r}")
    try:
        with urllib.request.urlopen(health, timeout=timeout):  # noqa: S310 - scheme checked above
            return
    except urllib.error.HTTPError as e:
        if e.code == 404:
            raise UsageError(f"Prefect server at {url} has no /health (is PREFECT_API_URL the API URL, "
                             "ending in /api?)") from e
        return
    except (urllib.error.URLError, OSError, ValueError) as e:
        reason = getattr(e, "reason", e)
        reason = getattr(reason, "strerror", None) or str(reason) or type(e).__name__
        if isinstance(e, TimeoutError) or "timed out" in str(reason):
            reason = f"no answer within {timeout:g} s"
        raise UsageError(f"Prefect server unreachable at {url}: {reason} ({hint})") from e


def start_prefect(args: argparse.Namespace) -> None:
    """Call before importing the flow module: quiet Prefect logs, then check the server is reachable."""
    configure_prefect_env(getattr(args, "verbose", False))
    check_prefect_api(prefect_api_url())


# --------------------------------------------------------------------------- help texts

NORMALIZE_HELP = """\
Normalize every input file under RAW_DIR(s) into validated JSON records in OUT_DIR;
exit 1 if any input was quarantined.

Every non-hidden file is an input (except <file>.meta.json sidecars, which carry its URL and fetch
metadata); file types without a loader are quarantined, not skipped. Runs as a Prefect flow: inputs
are processed in batches of --batch-size, then published.

Outputs:
  OUT_DIR/records/<id>.json   one record per published input (rewritten only if it changed)
  OUT_DIR/manifest.json       records (id, path, input, hashes, title) and quarantined inputs
                              (input, stage, kind, reason), withdrawn records, raw_dirs
  OUT_DIR/records.jsonl       every current record, one line each (for bulk readers)
  OUT_DIR/changes.jsonl       one line appended per record added, updated or withdrawn (none when
                              nothing changed): event, id, version, content_sha256, run_id, time
  OUT_DIR/history/<id>/v<N>.json  every earlier version, and the last version of withdrawn records
  OUT_DIR/report.md           the run report (per source: published, new, updated, unchanged,
                              quarantined with reasons; most frequent removals); rewritten every
                              run, also published as the Prefect artifact normalize-report-<OUT_DIR>
  stderr                      progress: a bar on a terminal, a plain line every 10 s otherwise
  stdout                      "published N (written W, unchanged U), quarantined Q, withdrawn S"
                              then one "QUARANTINED input: stage: reason" line per quarantined input
                              (--json: the summary as one JSON object; --quiet: the QUARANTINED lines)

If PREFECT_API_URL is set, the server's /health must answer within a few seconds, else exit 2.
One run per OUT_DIR: a second run refuses (exit 2, naming the holder's pid) unless --wait-lock.
Inputs over --max-input-bytes are quarantined without being read.

Speed: inputs unchanged since the last run (same bytes, sidecar and pipeline version) are not
normalized again, and their files are not touched; --force normalizes everything. Without
PREFECT_API_URL every run starts a temporary Prefect server (~3 s); for repeated runs start
`prefect server start` once and set PREFECT_API_URL=http://127.0.0.1:4200/api.
"""

VALIDATE_HELP = """\
Check a published OUT_DIR: every records/*.json against the JSON Schema and the record model, and
manifest.json against the record files (each listed file exists, ids and hashes match, no record
file is unlisted). Prints one line per problem, then "N records valid". Other files in OUT_DIR
(report.md) are not checked.
"""

LIST_HELP = """\
List the records published in OUT_DIR (default: normalized): id, title, source, dates and version
(the pipeline version of the manifest), then the number of quarantined inputs.
"""

SHOW_HELP = """\
Print one record readably: title, source, dates, notices, sections, citations, glossary and what
cleaning removed. ID is a record id (doc-4c1ae767377997c4), a unique prefix of one (doc-4c1a), or an
input name as listed in the manifest (raw/000_1cf3df3bac4fc228.txt). --json prints the record as
published.
"""

INSPECT_HELP = """\
Write one self-contained HTML page that shows INPUT as the pipeline saw it (the decoded text; HTML
and XML as their visible text), with every span that cleaning removed struck through and labelled with
its rule, redaction repairs, glossary terms and citations highlighted, HTML outside the content zone
greyed as not read, and beside it the resulting record's sections, notices, citations and glossary. Exit 1 if INPUT is quarantined (the page says
why). Nothing is published; the page contains no scripts and escapes all document text.
"""

TOP_EXIT = """\
exit codes:
  0  ok
  1  an input was quarantined (normalize, inspect) or a problem was found (validate)
  2  usage or environment error (one line on stderr; --debug for the traceback)

Run `ingest COMMAND --help` for a command's arguments and outputs.
"""

NORMALIZE_EXIT = """\
exit codes:
  0  every input was published
  1  at least one input was quarantined (listed on stdout and in manifest.json)
  2  usage or environment error: missing raw dir, unwritable OUT_DIR, Prefect server unreachable,
     internal error

examples:
  ingest normalize raw --out normalized
  ingest normalize raw --out normalized --json | jq .quarantined
"""

VALIDATE_EXIT = """\
exit codes:
  0  OUT_DIR is valid
  1  at least one problem was found
  2  usage or environment error: OUT_DIR or --schemas DIR does not exist

example:
  ingest validate normalized
"""

LIST_EXIT = """\
exit codes:
  0  listed
  2  OUT_DIR or its manifest.json does not exist

example:
  ingest list normalized
"""

SHOW_EXIT = """\
exit codes:
  0  shown
  2  no such record (or an ambiguous prefix), or OUT_DIR does not exist

examples:
  ingest show doc-4c1ae767377997c4
  ingest show raw/004_c67a55daeefbee0f.txt --out normalized
"""

INSPECT_EXIT = """\
exit codes:
  0  the page was written and INPUT would be published
  1  the page was written and INPUT would be quarantined
  2  INPUT does not exist, or the page cannot be written

example:
  ingest inspect raw/000_1cf3df3bac4fc228.txt --out page.html
"""


# --------------------------------------------------------------------------- commands


def add_normalize_arguments(n: argparse.ArgumentParser) -> None:
    n.add_argument(
        "raw_dirs",
        nargs="+",
        metavar="RAW_DIR",
        type=Path,
        help="folder(s) of raw inputs, walked recursively",
    )
    n.add_argument(
        "--out", required=True, metavar="OUT_DIR", type=Path, help="output folder (created if missing)"
    )
    n.add_argument(
        "--batch-size", type=int, default=50, metavar="N", help="inputs per Prefect task run (default: 50)"
    )
    # issue 5: parallelism, scale-out, incremental reruns (README "Throughput")
    n.add_argument(
        "--workers", type=int, default=None, metavar="N",
        help="local worker processes (default: INGEST_WORKERS, else one per core; 1 = in-process)",
    )
    n.add_argument(
        "--dask-address", default=None, metavar="ADDR",
        help="run the batches on the Dask cluster whose scheduler is at ADDR (tcp://host:8786); "
             "raw dirs and OUT_DIR must be at the same paths on every worker",
    )
    add_lock_arguments(n)
    n.add_argument(
        "--max-input-bytes", type=int, default=None, metavar="N",
        help="quarantine inputs larger than N bytes, checked before reading "
             "(default: INGEST_MAX_INPUT_BYTES, else 20 MB)",
    )
    n.add_argument(
        "--force", action="store_true",
        help="normalize every input again, even those unchanged since the last run (after a rule change "
             "that did not bump the pipeline version)",
    )


def add_lock_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--wait-lock", type=float, default=0, metavar="SECONDS",
        help="when another run holds OUT_DIR's lock, wait up to SECONDS for it (default: refuse at once, exit 2)",
    )


def cmd_normalize(args: argparse.Namespace) -> int:
    from .lock import out_dir_lock
    from .publish import ensure_out_dir
    from .sources import check_raw_dirs

    if args.max_input_bytes is not None:
        if args.max_input_bytes < 1:
            raise UsageError(f"--max-input-bytes must be at least 1, got {args.max_input_bytes}")
        os.environ["INGEST_MAX_INPUT_BYTES"] = str(args.max_input_bytes)  # worker processes inherit it
    if args.batch_size < 1:
        raise UsageError(f"--batch-size must be at least 1, got {args.batch_size}")
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers must be at least 1, got {args.workers}")
    # Fail fast, before Prefect starts (seconds) and without a flow-failure traceback in its logs.
    check_raw_dirs(args.raw_dirs)
    for raw in args.raw_dirs:
        out, raw_r = args.out.resolve(), raw.resolve()
        if out == raw_r or out.is_relative_to(raw_r):
            raise UsageError(f"OUT_DIR {args.out} is inside raw dir {raw}: its records would become inputs")
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError:
        ensure_out_dir(args.out)  # raises OutputDirError with the usual one-line message
        raise
    # issue 6: one run per OUT_DIR, taken before Prefect starts and before any write
    with out_dir_lock(args.out, wait=args.wait_lock):
        ensure_out_dir(args.out)
        result = _run_flow(args, [str(d) for d in args.raw_dirs], incremental=not args.force)
    return print_normalize_summary(result, ui(args), out_dir=args.out)


def _run_flow(args: argparse.Namespace, raw_dirs: list[str], incremental: bool,
              only_inputs: list[str] | None = None, retry_quarantined: bool = False) -> dict:
    from .prefect_api import start_early

    configure_prefect_env(getattr(args, "verbose", False))  # first: the early server inherits it
    start_early()  # issue 5: Prefect's temporary API server boots while Prefect is imported (~3 s a run)
    start_prefect(args)
    from .flow import run_normalize
    from .progress import attached

    with attached(progress_sink(args)):
        return run_normalize(
            raw_dirs=raw_dirs, out_dir=str(args.out), batch_size=args.batch_size,
            workers=args.workers, incremental=incremental, dask_address=getattr(args, "dask_address", None),
            only_inputs=only_inputs, retry_quarantined=retry_quarantined,
        )


def print_normalize_summary(result: dict, out: UI | None = None, out_dir: Path | None = None) -> int:
    """Print the summary line and one line per quarantined input; return the exit code."""
    out = out or UI()
    code = EXIT_PROBLEMS if result["quarantined"] else EXIT_OK
    out.say(
        f"published {result['published']} (written {result['written']}, unchanged {result['unchanged']}), "
        f"quarantined {result['quarantined']}, withdrawn {result['removed_stale']}"
    )
    for q in result["quarantined_outcomes"]:
        out.problem(f"QUARANTINED {q['input']}: {q['stage']}: {q['reason']}")
    if out.json:
        from .report import REPORT_NAME

        report = out_dir / REPORT_NAME if out_dir is not None else None
        out.result({"ok": code == EXIT_OK, "exit_code": code, **result,
                    "report": str(report) if report is not None and report.is_file() else None})
    return code


def add_validate_arguments(v: argparse.ArgumentParser) -> None:
    v.add_argument("out_dir", metavar="OUT_DIR", type=Path, help="a folder written by `ingest normalize`")
    v.add_argument(
        "--schemas",
        metavar="DIR",
        type=Path,
        default=None,
        help="folder holding record.schema.json (default: the repo's schemas/, else generated from the models)",
    )


def cmd_validate(args: argparse.Namespace) -> int:
    from .validate import check_dir

    if not args.out_dir.is_dir():
        raise UsageError(f"OUT_DIR not found: {args.out_dir}")
    schema_dir = args.schemas
    if schema_dir is not None and not schema_dir.is_dir():
        raise UsageError(f"schema dir not found: {schema_dir}")
    if schema_dir is None and DEFAULT_SCHEMA_DIR.is_dir():
        schema_dir = DEFAULT_SCHEMA_DIR
    report = check_dir(args.out_dir, schema_dir)
    out = ui(args)
    for problem in report.problems:
        out.problem(problem)
    out.say(
        f"{report.records_valid} records valid"
        + (f", {len(report.problems)} problems" if report.problems else "")
    )
    out.result({"ok": report.ok, "exit_code": EXIT_OK if report.ok else EXIT_PROBLEMS,
                "records_checked": report.records_checked, "records_valid": report.records_valid,
                "problems": report.problems})
    return EXIT_OK if report.ok else EXIT_PROBLEMS


def add_list_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("out_dir", metavar="OUT_DIR", type=Path, nargs="?", default=DEFAULT_OUT_DIR,
                   help="a folder written by `ingest normalize` (default: normalized)")


def cmd_list(args: argparse.Namespace) -> int:
    from . import show

    rows, manifest = show.list_records(args.out_dir)
    out = ui(args)
    if out.json:
        out.result({"ok": True, "exit_code": EXIT_OK, "pipeline_version": manifest.get("pipeline_version"),
                    "records": rows, "quarantined": manifest.get("quarantined", [])})
    elif not out.quiet:
        show.print_list(rows, manifest)
    return EXIT_OK


def add_show_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("record", metavar="ID", help="record id, unique id prefix, or input name")
    p.add_argument("--out", metavar="OUT_DIR", type=Path, default=DEFAULT_OUT_DIR,
                   help="where the records are (default: normalized)")


def cmd_show(args: argparse.Namespace) -> int:
    from . import show

    path = show.find_record(args.out, args.record)
    out = ui(args)
    if out.json:
        sys.stdout.write(path.read_text(encoding="utf-8"))
    elif not out.quiet:
        show.print_record(json.loads(path.read_bytes()))
    return EXIT_OK


def add_inspect_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("input", metavar="INPUT", type=Path, help="a raw input file (.txt, .md, .html)")
    p.add_argument("--out", metavar="PAGE", type=Path, default=None,
                   help="where to write the page (default: ./<INPUT file name>.inspect.html; - for stdout)")
    p.add_argument("--raw-dir", metavar="DIR", type=Path, default=None,
                   help="the raw folder INPUT is named relative to, as by `ingest normalize` "
                        "(default: INPUT's own folder); it decides the record id of an input without URL")


def cmd_inspect(args: argparse.Namespace) -> int:
    from .inspect_page import inspect_file

    path: Path = args.input
    if not path.exists():
        raise UsageError(f"input not found: {path}")
    if not path.is_file():
        raise UsageError(f"input is not a file: {path}")
    page = inspect_file(path, args.raw_dir)
    target = args.out if args.out is not None else Path(path.name + ".inspect.html")
    if str(target) == "-":
        sys.stdout.write(page.html)
    else:
        from .publish import atomic_write

        if target.is_dir():
            raise UsageError(f"--out is a directory: {target}")
        raw_dir = (args.raw_dir or path.parent).resolve()
        if target.resolve().is_relative_to(raw_dir):
            raise UsageError(f"the page {target} would be inside raw dir {raw_dir} and become an input: "
                             "pass --out elsewhere")
        try:
            atomic_write(target, page.html.encode("utf-8"))
        except OSError as e:
            raise UsageError(f"cannot write {target}: {e.strerror or e}") from e
    code = EXIT_OK if page.quarantined is None else EXIT_PROBLEMS
    out = ui(args)
    if str(target) != "-":
        out.say(f"wrote {target}: {page.summary_line()}")
        if page.quarantined is not None:
            out.problem(f"QUARANTINED {page.input}: {page.quarantined['stage']}: {page.quarantined['reason']}")
        out.result({"ok": code == EXIT_OK, "exit_code": code, "page": str(target), **page.as_dict()})
    return code


VERIFY_HELP = """\
Check that a published OUT_DIR is consistent, as a downstream reader relies on it: everything
`ingest validate` checks (records against the schema, manifest entries against the record files,
no unlisted record file), plus: every record's content_sha256 recomputed from its content; every
manifest entry's version matches its record; records.jsonl holds exactly the current records;
changes.jsonl parses and its last line per id matches the manifest (version and content_sha256 of
each record; "withdrawn" for each withdrawn id); every withdrawn record's last version is in
history/; no unexpected files in OUT_DIR. Prints one line per problem.
"""

VERIFY_EXIT = """\
exit codes:
  0  OUT_DIR is consistent
  1  at least one mismatch (listed)
  2  OUT_DIR does not exist
"""

REPLAY_HELP = """\
Re-run the inputs OUT_DIR's manifest lists as quarantined (after a rule fix) and publish those that
now pass. The raw dirs are the manifest's raw_dirs (recorded by `ingest normalize` relative to
OUT_DIR's parent, so a manifest does not depend on the machine); --raw-dir overrides them. Only
inputs the manifest already knows take part (published, quarantined, duplicates): unchanged
published inputs are reused byte for byte, new files under the raw dirs are left for the next
`ingest normalize`. Takes OUT_DIR's lock like `ingest normalize`.
"""

REPLAY_EXIT = """\
exit codes:
  0  every input is published now
  1  some inputs are still quarantined (listed)
  2  no manifest, raw dirs not found, or OUT_DIR locked
"""


def add_verify_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("out_dir", metavar="OUT_DIR", type=Path, help="a folder written by `ingest normalize`")
    p.add_argument("--schemas", metavar="DIR", type=Path, default=None,
                   help="folder holding record.schema.json (default: the repo's schemas/)")


def cmd_verify(args: argparse.Namespace) -> int:
    from .verify import verify_dir

    if not args.out_dir.is_dir():
        raise UsageError(f"OUT_DIR not found: {args.out_dir}")
    schema_dir = args.schemas or (DEFAULT_SCHEMA_DIR if DEFAULT_SCHEMA_DIR.is_dir() else None)
    problems, counts = verify_dir(args.out_dir, schema_dir)
    out = ui(args)
    for p in problems:
        out.problem(p)
    out.say(f"{counts['records']} records, {counts['withdrawn']} withdrawn, {counts['changes']} change lines: "
            + (f"{len(problems)} problems" if problems else "consistent"))
    code = EXIT_PROBLEMS if problems else EXIT_OK
    out.result({"ok": not problems, "exit_code": code, "problems": problems, **counts})
    return code


def add_replay_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("out", metavar="OUT_DIR", type=Path, help="a folder written by `ingest normalize`")
    p.add_argument("--raw-dir", dest="raw_dirs", action="append", type=Path, default=None, metavar="DIR",
                   help="raw dir to read the inputs from (repeatable; default: the manifest's raw_dirs)")
    p.add_argument("--batch-size", type=int, default=50, metavar="N", help=argparse.SUPPRESS)
    p.add_argument("--workers", type=int, default=None, metavar="N", help="local worker processes")
    add_lock_arguments(p)


def cmd_replay(args: argparse.Namespace) -> int:
    from .lock import out_dir_lock
    from .publish import load_manifest
    from .sources import check_raw_dirs

    manifest = load_manifest(args.out)
    if manifest is None:
        raise UsageError(f"no manifest.json in {args.out}: nothing to replay")
    if args.raw_dirs:
        raw_dirs = list(args.raw_dirs)
    else:
        recorded = manifest.get("raw_dirs")
        if not isinstance(recorded, list) or not recorded:
            raise UsageError(f"{args.out}/manifest.json records no raw_dirs: pass --raw-dir DIR")
        base = args.out.resolve().parent
        raw_dirs = [base / str(d) for d in recorded]
    check_raw_dirs(raw_dirs)
    known: set[str] = set()
    for key in ("records", "quarantined", "duplicates"):
        known.update(e["input"] for e in manifest.get(key) or [] if isinstance(e, dict) and isinstance(e.get("input"), str))
    before = {e.get("input") for e in manifest.get("quarantined") or [] if isinstance(e, dict)}
    with out_dir_lock(args.out, wait=args.wait_lock):
        result = _run_flow(args, [str(d) for d in raw_dirs], incremental=True, only_inputs=sorted(known),
                           retry_quarantined=True)
    still = {q["input"] for q in result["quarantined_outcomes"]}
    out = ui(args)
    out.say(f"replayed {len(before)} quarantined inputs: {len(before - still)} now published, "
            f"{len(before & still)} still quarantined")
    return print_normalize_summary(result, out, out_dir=args.out)


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    description: str
    epilog: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


#: Commands in the order `ingest --help` lists them; :func:`register` adds one.
COMMANDS: dict[str, Command] = {}


def register(command: Command) -> Command:
    COMMANDS[command.name] = command
    return command


register(Command("normalize", "normalize raw inputs into OUT_DIR (exit 1 if any input was quarantined)",
                 NORMALIZE_HELP, NORMALIZE_EXIT, add_normalize_arguments, cmd_normalize))
register(Command("validate", "check records and manifest in OUT_DIR (exit 1 on any problem)",
                 VALIDATE_HELP, VALIDATE_EXIT, add_validate_arguments, cmd_validate))
register(Command("list", "list the records in OUT_DIR with title, source, dates and version",
                 LIST_HELP, LIST_EXIT, add_list_arguments, cmd_list))
register(Command("show", "print one record readably", SHOW_HELP, SHOW_EXIT, add_show_arguments, cmd_show))
register(Command("inspect", "write an HTML page showing what cleaning removed from one input",
                 INSPECT_HELP, INSPECT_EXIT, add_inspect_arguments, cmd_inspect))
register(Command("verify", "check that manifest, records, records.jsonl and changes.jsonl agree (exit 1 if not)",
                 VERIFY_HELP, VERIFY_EXIT, add_verify_arguments, cmd_verify))
register(Command("replay", "re-run the quarantined inputs of OUT_DIR and publish those that now pass",
                 REPLAY_HELP, REPLAY_EXIT, add_replay_arguments, cmd_replay))
register(Command("fetch", fetch_commands.FETCH_SHORT, fetch_commands.FETCH_HELP, fetch_commands.FETCH_EXIT,
                 fetch_commands.add_fetch_arguments, fetch_commands.cmd_fetch))
register(Command("serve", fetch_commands.SERVE_SHORT, fetch_commands.SERVE_HELP, fetch_commands.SERVE_EXIT,
                 fetch_commands.add_serve_arguments, fetch_commands.cmd_serve))


# --------------------------------------------------------------------------- parser and main


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    g = common.add_argument_group("global options (before or after the command)")
    # SUPPRESS: an option given before the command is not reset by the subcommand's defaults.
    g.add_argument(
        "--quiet", "-q", action="store_true", default=argparse.SUPPRESS,
        help="no progress and no summary; only problems and errors",
    )
    g.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS,
        help='one JSON document on stdout (errors too: {"ok": false, "error": ...})',
    )
    g.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show the traceback of an error"
    )
    g.add_argument(
        "--verbose",
        "-v",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show Prefect's own log output",
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(
        prog="ingest",
        parents=[common],
        description="Normalize patient-facing cancer information into validated, cited JSON records.",
        epilog=TOP_EXIT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for c in COMMANDS.values():
        p = sub.add_parser(
            c.name,
            parents=[common],
            help=c.help,
            description=c.description,
            epilog=c.epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        c.add_arguments(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    debug = getattr(args, "debug", False)
    json_mode = getattr(args, "json", False)
    try:
        return COMMANDS[args.command].run(args)
    except KeyboardInterrupt:
        print("ingest: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # noqa: BLE001 - the one place that turns errors into exit codes
        if debug:
            traceback.print_exc()
        known = isinstance(e, IngestError | OSError)
        what = str(e) if known else f"internal error: {type(e).__name__}: {e}"
        what = " ".join(what.split())  # one line, whatever the message holds
        hint = "" if debug or known else " (rerun with --debug for the traceback)"
        print(f"ingest: error: {what}{hint}", file=sys.stderr)
        if json_mode:
            print(json.dumps({"ok": False, "exit_code": EXIT_ENV, "error": what}))
        return EXIT_ENV


def entry() -> None:
    """The ``ingest`` console script: :func:`main`, then a quick exit.

    After a flow run a normal interpreter exit spends ~0.2 s tearing down Prefect's modules (issue 5:
    ~10% of an unchanged rerun). Here the exit handlers run as usual (Prefect sends its last logs to
    the API, the temporary server is stopped, logging is shut down), output is flushed, and then the
    process ends without the teardown. Prefect's threads are daemon threads, which an exit does not
    wait for anyway. ``main()`` itself (tests, ``python -m ingest.cli``) exits normally.
    """
    code = main()
    try:
        atexit._run_exitfuncs()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
