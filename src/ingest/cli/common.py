"""What every command shares: exit codes, :class:`UsageError`, output per the global options
(:class:`UI`), the progress display, Prefect start-up checks and the normalize summary.

The command modules (:mod:`.normalize`, :mod:`.records`, :mod:`.inspect`, :mod:`.fetch`) import
this; it imports none of them, so the commands never import each other or :mod:`.main`.
"""

from __future__ import annotations

import argparse
import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

from ingest.core.errors import IngestError

EXIT_OK, EXIT_PROBLEMS, EXIT_ENV = 0, 1, 2

#: Where ``ingest validate`` looks for schemas by default: the repo's schemas/ next to src/.
DEFAULT_SCHEMA_DIR = Path(__file__).resolve().parents[3] / "schemas"
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
    from ingest.cli.progress import make_sink

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



def add_lock_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--wait-lock", type=float, default=0, metavar="SECONDS",
        help="when another run holds OUT_DIR's lock, wait up to SECONDS for it (default: refuse at once, exit 2)",
    )


def add_withdraw_arguments(p: argparse.ArgumentParser) -> None:
    """--allow-withdraw / --merge / --max-withdraw-share (issue 16: a run must not silently withdraw
    most of what downstream reads)."""
    g = p.add_mutually_exclusive_group()
    g.add_argument("--allow-withdraw", action="store_true",
                   help="withdraw every published record whose input is gone, however many")
    g.add_argument("--merge", action="store_true",
                   help="never withdraw: records of inputs this run does not see stay published")
    p.add_argument("--max-withdraw-share", type=_share, default=0.2, metavar="F",
                   help="refuse (exit 2, nothing written) a run that would withdraw more than this share of the "
                        "published records, unless --allow-withdraw (default: 0.2)")


def _share(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= v <= 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {v:g}")
    return v


def withdraw_mode(args: argparse.Namespace) -> str:
    if getattr(args, "allow_withdraw", False):
        return "allow"
    return "merge" if getattr(args, "merge", False) else "guard"


def print_normalize_summary(result: dict, out: UI | None = None, out_dir: Path | None = None) -> int:
    """Print the summary line, a count of skipped files by kind, one line per quarantined input and
    per file skipped for a problem (a symlink to outside the raw dir, a FIFO...); return the exit code
    (1 when anything was quarantined or skipped for a problem). Names are shown escaped
    (:func:`~ingest.core.display.printable`): a file name cannot forge a line."""
    from ingest.core.display import printable
    from ingest.store.discovery import PROBLEM_KINDS

    out = out or UI()
    skipped = result.get("skipped") or []
    problems = [s for s in skipped if s.get("kind") in PROBLEM_KINDS]
    code = EXIT_PROBLEMS if result["quarantined"] or problems else EXIT_OK
    out.say(
        f"published {result['published']} (written {result['written']}, unchanged {result['unchanged']}), "
        f"quarantined {result['quarantined']}, withdrawn {result['removed_stale']}"
    )
    if skipped:
        counts = Counter(str(s.get("kind")) for s in skipped)
        out.say(f"skipped {len(skipped)} files that are not inputs: "
                + ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in sorted(counts.items()))
                + " (reasons in manifest.json \"skipped\")")
    for q in result["quarantined_outcomes"]:
        out.problem(f"QUARANTINED {printable(q['input'])}: {q['stage']}: {printable(q['reason'])}")
    for s in problems:
        out.problem(f"SKIPPED {printable(s['path'])}: {printable(s['reason'])}")
    if out.json:
        from ingest.orchestration.report import REPORT_NAME

        report = out_dir / REPORT_NAME if out_dir is not None else None
        out.result({"ok": code == EXIT_OK, "exit_code": code, **result,
                    "report": str(report) if report is not None and report.is_file() else None})
    return code
