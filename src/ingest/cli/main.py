"""The ``ingest`` command line: the parser, the command registry and the one place errors become exit codes.

    ingest normalize RAW_DIR... --out OUT_DIR [--batch-size N]
    ingest validate OUT_DIR [--schemas DIR]
    ingest list [OUT_DIR]
    ingest show ID [--out OUT_DIR]
    ingest inspect INPUT [--out PAGE.html]
    ingest index OUT_DIR [--rebuild]
    ingest search QUERY [--out OUT_DIR] [--limit N]
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
import difflib
import json
import os
import signal
import sys
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import NoReturn

from ingest.cli import fetch, index, inspect, normalize, records
from ingest.cli.common import EXIT_ENV
from ingest.core.errors import IngestError

TOP_EXIT = """\
exit codes:
  0  ok
  1  an input was quarantined (normalize, inspect) or a problem was found (validate)
  2  usage or environment error (one line on stderr; --debug for the traceback)
  130, 143  stopped by Ctrl-C or SIGTERM: the temporary Prefect server and the worker processes
     are stopped too; what was published stays complete (rerun to finish)

Run `ingest COMMAND --help` for a command's arguments and outputs.
"""


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
                 normalize.NORMALIZE_HELP, normalize.NORMALIZE_EXIT, normalize.add_normalize_arguments,
                 normalize.cmd_normalize))
register(Command("validate", "check records and manifest in OUT_DIR (exit 1 on any problem)",
                 records.VALIDATE_HELP, records.VALIDATE_EXIT, records.add_validate_arguments, records.cmd_validate))
register(Command("list", "list the records in OUT_DIR with title, source, dates and version",
                 records.LIST_HELP, records.LIST_EXIT, records.add_list_arguments, records.cmd_list))
register(Command("show", "print one record readably", records.SHOW_HELP, records.SHOW_EXIT,
                 records.add_show_arguments, records.cmd_show))
register(Command("inspect", "write an HTML page showing what cleaning removed from one input",
                 inspect.INSPECT_HELP, inspect.INSPECT_EXIT, inspect.add_inspect_arguments, inspect.cmd_inspect))
register(Command("verify", "check that manifest, records, records.jsonl and changes.jsonl agree (exit 1 if not)",
                 records.VERIFY_HELP, records.VERIFY_EXIT, records.add_verify_arguments, records.cmd_verify))
register(Command("replay", "re-run the quarantined inputs of OUT_DIR and publish those that now pass",
                 normalize.REPLAY_HELP, normalize.REPLAY_EXIT, normalize.add_replay_arguments, normalize.cmd_replay))
register(Command("index", "build or update OUT_DIR's full-text index of its chunks (SQLite FTS5)",
                 index.INDEX_HELP, index.INDEX_EXIT, index.add_index_arguments, index.cmd_index))
register(Command("search", "ranked passages of OUT_DIR's index for a query, with titles, URLs, dates and citations",
                 index.SEARCH_HELP, index.SEARCH_EXIT, index.add_search_arguments, index.cmd_search))
register(Command("fetch", fetch.FETCH_SHORT, fetch.FETCH_HELP, fetch.FETCH_EXIT,
                 fetch.add_fetch_arguments, fetch.cmd_fetch))
register(Command("serve", fetch.SERVE_SHORT, fetch.SERVE_HELP, fetch.SERVE_EXIT,
                 fetch.add_serve_arguments, fetch.cmd_serve))


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


class Parser(argparse.ArgumentParser):
    """argparse with the CLI's error conventions: exit 2 with one line on stderr, and under ``--json``
    the error as JSON on stdout too; an unknown option is named (with the closest known one) even when
    a required option is missing as well (``--otu`` is a typo of ``--out``, not a missing ``--out``)."""

    def error(self, message: str) -> NoReturn:
        argv = sys.argv[1:] if self._argv is None else self._argv
        known = {o for a in self._actions for o in a.option_strings}
        for sub in self._subparsers._group_actions if self._subparsers else []:
            for p in getattr(sub, "choices", {}).values():
                known |= {o for a in p._actions for o in a.option_strings}
        unknown = [a.split("=", 1)[0] for a in argv if a.startswith("--") and a.split("=", 1)[0] not in known]
        if unknown:  # named first: a typo of a required option is not a missing option
            hints = [f"{u} (did you mean {m[0]}?)" if (m := difflib.get_close_matches(u, known, 1)) else u
                     for u in unknown]
            message = f"unrecognized arguments: {' '.join(hints)}"
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        if "--json" in argv:
            print(json.dumps({"ok": False, "exit_code": EXIT_ENV, "error": message}))
        sys.exit(EXIT_ENV)

    _argv: list[str] | None = None


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    common = _common()
    Parser._argv = argv
    parser = Parser(
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


class Terminated(BaseException):
    """SIGTERM (or SIGHUP) arrived: unwinds the run like Ctrl-C, so that its children are stopped."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _terminate(signum: int, frame: object) -> None:
    raise Terminated(signum)


@contextlib.contextmanager
def _stop_on_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP raise :class:`Terminated` in the main thread while a command runs (Prefect's
    flow engine marks the run crashed and re-raises it); with-blocks then stop the worker processes
    and exit handlers the temporary server. The default action would end the process on the spot and
    leave them running."""
    previous = {}
    for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if sig is None:
            continue
        try:
            previous[sig] = signal.signal(sig, _terminate)
        except ValueError:  # not the main thread (a test harness): leave signals alone
            pass
    try:
        yield
    finally:
        for sig, handler in previous.items():
            with contextlib.suppress(ValueError, TypeError):
                signal.signal(sig, handler)


#: Prefect's own temporary server gave up (its message starts so; it says nothing of what to do).
PREFECT_SERVER_TIMEOUT = "Timed out while attempting to connect to ephemeral Prefect API server"


def describe(e: BaseException) -> tuple[str, bool]:
    """``(one-line message, known)`` for an error; known errors get no "internal error" prefix."""
    if isinstance(e, RuntimeError) and str(e).startswith(PREFECT_SERVER_TIMEOUT):
        from ingest.orchestration.server import timeout_message

        return timeout_message(None), True
    known = isinstance(e, IngestError | OSError)
    return (str(e) if known else f"internal error: {type(e).__name__}: {e}"), known


def main(argv: list[str] | None = None) -> int:
    args = build_parser(argv).parse_args(argv)
    debug = getattr(args, "debug", False)
    json_mode = getattr(args, "json", False)
    try:
        with _stop_on_signals():
            return COMMANDS[args.command].run(args)
    except BrokenPipeError:  # `ingest list | head`: the reader left; no traceback, no second error
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, as a shell reports a command killed by it
    except KeyboardInterrupt:
        print("ingest: interrupted (what was published stays complete; rerun to finish)", file=sys.stderr)
        return 130
    except Terminated as e:
        name = signal.Signals(e.signum).name
        print(f"ingest: stopped by {name} before the run finished (what was published stays complete; "
              "rerun to finish)", file=sys.stderr)
        return 128 + e.signum
    except Exception as e:  # noqa: BLE001 - the one place that turns errors into exit codes
        if debug:
            traceback.print_exc()
        text, known = describe(e)
        # One line per problem (a sources file lists each of its problems), each line one line
        # whatever the message holds.
        lines = [" ".join(p.split()) for p in getattr(e, "problem_lines", [text])] if known else [" ".join(text.split())]
        hint = "" if debug or known else " (rerun with --debug for the traceback)"
        for line in lines:
            print(f"ingest: error: {line}{hint}", file=sys.stderr)
        if json_mode:
            print(json.dumps({"ok": False, "exit_code": EXIT_ENV, "error": "\n".join(lines)}))
        return EXIT_ENV


def entry() -> None:
    """The ``ingest`` console script: :func:`main`, then a quick exit.

    After a flow run a normal interpreter exit spends ~0.2 s tearing down Prefect's modules (issue 5:
    ~10% of an unchanged rerun). Here the exit handlers run as usual (Prefect sends its last logs to
    the API, the temporary server is stopped, logging is shut down), output is flushed, and then the
    process ends without the teardown. Prefect's threads are daemon threads, which an exit does not
    wait for anyway. ``main()`` itself (tests, ``python -m ingest.cli.main``) exits normally.
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
