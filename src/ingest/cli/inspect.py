"""``ingest inspect``: one input normalized as ``ingest normalize`` would, shown as an HTML page."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ingest.cli.common import EXIT_OK, EXIT_PROBLEMS, UsageError, ui
from ingest.core.display import printable

INSPECT_HELP = """\
Write one self-contained HTML page that shows INPUT as the pipeline saw it (the decoded text; HTML
and XML as their visible text), with every span that cleaning removed struck through and labelled with
its rule, redaction repairs, glossary terms and citations highlighted, HTML outside the content zone
greyed as not read, and beside it the resulting record's sections, notices, citations and glossary. Exit 1 if INPUT is quarantined (the page says
why). Nothing is published; the page contains no scripts and escapes all document text.
"""

INSPECT_EXIT = """\
exit codes:
  0  the page was written and INPUT would be published
  1  the page was written and INPUT would be quarantined
  2  INPUT does not exist, or the page cannot be written

example:
  ingest inspect raw/000_1cf3df3bac4fc228.txt --out page.html
"""


def add_inspect_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("input", metavar="INPUT", type=Path, help="a raw input file (.txt, .md, .html)")
    p.add_argument("--out", metavar="PAGE", type=Path, default=None,
                   help="where to write the page (default: ./<INPUT file name>.inspect.html; - for stdout)")
    p.add_argument("--raw-dir", metavar="DIR", type=Path, default=None,
                   help="the raw folder INPUT is named relative to, as by `ingest normalize` "
                        "(default: INPUT's own folder); it decides the record id of an input without URL")


def cmd_inspect(args: argparse.Namespace) -> int:
    from ingest.cli.inspect_page import inspect_file

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
        from ingest.store.files import atomic_write

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
            out.problem(f"QUARANTINED {printable(page.input)}: {page.quarantined['stage']}: "
                        f"{printable(page.quarantined['reason'])}")
        out.result({"ok": code == EXIT_OK, "exit_code": code, "page": str(target), **page.as_dict()})
    return code
