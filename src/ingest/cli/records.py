"""Commands that read a published OUT_DIR: ``validate``, ``verify``, ``list`` and ``show``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ingest.cli.common import DEFAULT_OUT_DIR, DEFAULT_SCHEMA_DIR, EXIT_OK, EXIT_PROBLEMS, UsageError, ui

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
    from ingest.store.validate import check_dir

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
    from ingest.cli import show

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
    from ingest.cli import show

    path = show.find_record(args.out, args.record)
    out = ui(args)
    if out.json:
        sys.stdout.write(path.read_text(encoding="utf-8"))
    elif not out.quiet:
        show.print_record(json.loads(path.read_bytes()))
    return EXIT_OK


def add_verify_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("out_dir", metavar="OUT_DIR", type=Path, help="a folder written by `ingest normalize`")
    p.add_argument("--schemas", metavar="DIR", type=Path, default=None,
                   help="folder holding record.schema.json (default: the repo's schemas/)")


def cmd_verify(args: argparse.Namespace) -> int:
    from ingest.store.verify import verify_dir

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
