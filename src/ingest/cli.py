"""The ``ingest`` command line.

    ingest normalize RAW_DIR... --out OUT_DIR [--batch-size N]
    ingest validate OUT_DIR [--schemas DIR]

Exit codes: 0 ok, 1 something was quarantined / invalid, 2 usage or environment error.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path

from .errors import IngestError

EXIT_OK, EXIT_PROBLEMS, EXIT_ENV = 0, 1, 2

#: Where ``ingest validate`` looks for schemas by default: the repo's schemas/ next to src/.
DEFAULT_SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"


class UsageError(IngestError):
    """Bad arguments or environment detected before any work starts (exit 2)."""


NORMALIZE_HELP = """\
Normalize every input file under RAW_DIR(s) into validated JSON records in OUT_DIR;
exit 1 if any input was quarantined.

Every non-hidden file is an input (except <file>.meta.json sidecars, which carry its URL and fetch
metadata); file types without a loader are quarantined, not skipped. Runs as a Prefect flow: inputs
are processed in batches of --batch-size, then published.

Outputs:
  OUT_DIR/records/<id>.json   one record per published input (rewritten only if it changed)
  OUT_DIR/manifest.json       records (id, path, input, hashes, title) and quarantined inputs
                              (input, stage, kind, reason); stale record files are removed
  stdout                      "published N (written W, unchanged U), quarantined Q, stale removed S"
                              then one "QUARANTINED input: stage: reason" line per quarantined input
"""

VALIDATE_HELP = """\
Check a published OUT_DIR: every records/*.json against the JSON Schema and the record model, and
manifest.json against the record files (each listed file exists, ids and hashes match, no record
file is unlisted). Prints one line per problem, then "N records valid".
"""

TOP_EXIT = """\
exit codes:
  0  ok
  1  an input was quarantined (normalize) or a problem was found (validate)
  2  usage or environment error

Run `ingest COMMAND --help` for a command's arguments and outputs.
"""

NORMALIZE_EXIT = """\
exit codes:
  0  every input was published
  1  at least one input was quarantined (listed on stdout and in manifest.json)
  2  usage or environment error: missing raw dir, unwritable OUT_DIR, internal error

example:
  ingest normalize raw --out normalized
"""

VALIDATE_EXIT = """\
exit codes:
  0  OUT_DIR is valid
  1  at least one problem was found
  2  usage or environment error: OUT_DIR or --schemas DIR does not exist

example:
  ingest validate normalized
"""


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks on errors"
    )
    common.add_argument(
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

    n = sub.add_parser(
        "normalize",
        parents=[common],
        help="normalize raw inputs into OUT_DIR (exit 1 if any input was quarantined)",
        description=NORMALIZE_HELP,
        epilog=NORMALIZE_EXIT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
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

    v = sub.add_parser(
        "validate",
        parents=[common],
        help="check records and manifest in OUT_DIR (exit 1 on any problem)",
        description=VALIDATE_HELP,
        epilog=VALIDATE_EXIT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    v.add_argument("out_dir", metavar="OUT_DIR", type=Path, help="a folder written by `ingest normalize`")
    v.add_argument(
        "--schemas",
        metavar="DIR",
        type=Path,
        default=None,
        help="folder holding record.schema.json (default: the repo's schemas/, else generated from the models)",
    )
    return parser


def _configure_prefect_env(verbose: bool) -> None:
    """Must run before prefect is imported: its settings are read at import time."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    if not verbose:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
        os.environ.setdefault("PREFECT_LOGGING_SERVER_LEVEL", "WARNING")


def cmd_normalize(args: argparse.Namespace) -> int:
    from .publish import ensure_out_dir
    from .sources import check_raw_dirs

    if args.batch_size < 1:
        raise UsageError(f"--batch-size must be at least 1, got {args.batch_size}")
    # Fail fast, before Prefect starts (seconds) and without a flow-failure traceback in its logs.
    check_raw_dirs(args.raw_dirs)
    for raw in args.raw_dirs:
        out, raw_r = args.out.resolve(), raw.resolve()
        if out == raw_r or out.is_relative_to(raw_r):
            raise UsageError(f"OUT_DIR {args.out} is inside raw dir {raw}: its records would become inputs")
    ensure_out_dir(args.out)

    _configure_prefect_env(getattr(args, "verbose", False))
    from .flow import normalize_flow

    result = normalize_flow(
        raw_dirs=[str(d) for d in args.raw_dirs], out_dir=str(args.out), batch_size=args.batch_size
    )
    return print_normalize_summary(result)


def print_normalize_summary(result: dict) -> int:
    """Print the summary line and one line per quarantined input; return the exit code."""
    print(
        f"published {result['published']} (written {result['written']}, unchanged {result['unchanged']}), "
        f"quarantined {result['quarantined']}, stale removed {result['removed_stale']}"
    )
    for q in result["quarantined_outcomes"]:
        print(f"QUARANTINED {q['input']}: {q['stage']}: {q['reason']}")
    return EXIT_PROBLEMS if result["quarantined"] else EXIT_OK


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
    for problem in report.problems:
        print(problem)
    print(
        f"{report.records_valid} records valid"
        + (f", {len(report.problems)} problems" if report.problems else "")
    )
    return EXIT_OK if report.ok else EXIT_PROBLEMS


COMMANDS = {"normalize": cmd_normalize, "validate": cmd_validate}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    debug = getattr(args, "debug", False)
    try:
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print("ingest: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # noqa: BLE001 - the one place that turns errors into exit codes
        if debug:
            traceback.print_exc()
        known = isinstance(e, IngestError | OSError)
        what = str(e) if known else f"internal error: {type(e).__name__}: {e}"
        hint = "" if debug or known else " (rerun with --debug for the traceback)"
        print(f"ingest: error: {what}{hint}", file=sys.stderr)
        return EXIT_ENV


if __name__ == "__main__":
    sys.exit(main())
