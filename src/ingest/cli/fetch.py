"""``ingest fetch`` and ``ingest serve`` (registered in :mod:`ingest.cli.main`).

Imports nothing heavy at module level: ``ingest --help`` must stay fast.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

FETCH_SHORT = "fetch the sources' pages into RAW_DIR, normalize what changed into OUT_DIR"
FETCH_HELP = """\
Fetch every URL of the sources file into RAW_DIR, then normalize what changed into OUT_DIR (the same
records and manifest as `ingest normalize RAW_DIR --out OUT_DIR`); exit 1 if a URL could not be
fetched or an input was quarantined.

Each request sends the ETag / Last-Modified of the current snapshot back: a 304 costs no download
and no re-normalization. robots.txt is read once per host and obeyed; only allowed_hosts are
fetched (redirects included); timeouts, connection errors, 429 and 5xx are retried with backoff.

Outputs:
  RAW_DIR/<source>/<slug>.html (+ .meta.json)   the current snapshot of each URL (one per URL)
  RAW_DIR/<source>/.history/<slug>/...          every earlier version (never deleted)
  OUT_DIR/records/<id>.json, OUT_DIR/manifest.json   as `ingest normalize`; the manifest's
                        fetch_failures lists every URL that failed (url, status, kind, reason);
                        a failed URL's previous record stays published
  stdout                "published ..." and QUARANTINED lines as `ingest normalize`, one FAILED line
                        per URL that failed, then "fetched N (new, updated, unchanged), not modified
                        M, failed F; requests R, retries T; normalized X, reused Y unchanged"
"""
FETCH_EXIT = """\
exit codes:
  0  every URL was fetched (or not modified) and every input published
  1  a URL failed (listed as FAILED and in manifest.json) or an input was quarantined
  2  usage or environment error: malformed sources file (FILE:LINE: source: field: problem),
     unknown --source, unwritable RAW_DIR or OUT_DIR, unreachable PREFECT_API_URL

example:
  ingest fetch --sources sources.toml --raw fetched/raw --out fetched/normalized
"""

SERVE_SHORT = "serve one scheduled Prefect deployment per source (cron from the sources file) and normalize/folder"
SERVE_HELP = """\
Serve the fetch flow as one Prefect deployment per source, named fetch/<source>, on the source's
cron schedule (and time zone; a source without a schedule is served without one, run on demand
from the UI or `prefect deployment run fetch/<source>`), with the parameters of `ingest fetch --sources FILE --raw RAW_DIR
--out OUT_DIR --source <source>`; and normalize/folder, which normalizes raw_dirs (default: RAW_DIR)
into out_dir (default: OUT_DIR) when triggered (UI, `prefect deployment run normalize/folder`).
Runs until interrupted; the schedules are paused on exit. Flow runs execute in subprocesses of this
one, which imports them as modules (ingest.orchestration.*): start it from any folder.

A run that quarantined inputs or had URLs fail ends in the state CompletedWithProblems, with a
message such as "1 quarantined, 2 URLs failed; published ..."; the flow parameter fail_on_problems
makes it Failed instead. Runs emit Prefect events (ingest.record.added/updated/withdrawn,
ingest.input.quarantined, ingest.fetch.failed; README "Operating a run").

Needs a Prefect server that outlives this process (`prefect server start`, then set
PREFECT_API_URL). To deploy to a work pool instead, see prefect.yaml and the README.
--dry-run prints the deployments and exits without serving.
"""
SERVE_EXIT = """\
exit codes:
  0  stopped cleanly (or --dry-run)
  2  usage or environment error: malformed sources file, unknown --source, PREFECT_API_URL not set
     or unreachable

example:
  ingest serve --sources sources.toml --raw fetched/raw --out fetched/normalized
"""


def _add_common(p: argparse.ArgumentParser, raw_out_required: bool) -> None:
    p.add_argument("--sources", required=True, metavar="FILE", type=Path, help="the sources file (TOML)")
    p.add_argument(
        "--raw", required=raw_out_required, default=Path("fetched/raw"), metavar="RAW_DIR", type=Path,
        help="where snapshots are kept (created if missing)" + ("" if raw_out_required else "; default: fetched/raw"),
    )
    p.add_argument(
        "--out", required=raw_out_required, default=Path("fetched/normalized"), metavar="OUT_DIR", type=Path,
        help="where records are published (created if missing)" + ("" if raw_out_required else "; default: fetched/normalized"),
    )
    p.add_argument(
        "--source", action="append", default=None, metavar="NAME",
        help="only this source (repeat for several; default: every source in the file)",
    )


def add_fetch_arguments(p: argparse.ArgumentParser) -> None:
    from ingest.cli.common import add_lock_arguments, add_withdraw_arguments

    add_lock_arguments(p)
    add_withdraw_arguments(p)
    _add_common(p, raw_out_required=True)
    p.add_argument(
        "--batch-size", type=int, default=50, metavar="N", help="inputs per normalize task run (default: 50)"
    )


def add_serve_arguments(p: argparse.ArgumentParser) -> None:
    _add_common(p, raw_out_required=False)
    p.add_argument("--dry-run", action="store_true", help="print the deployments, do not serve them")


def _check_dirs(raw: Path, out: Path) -> None:
    from ingest.cli.common import UsageError

    out_r, raw_r = out.resolve(), raw.resolve()
    if out_r == raw_r or out_r.is_relative_to(raw_r):
        raise UsageError(f"OUT_DIR {out} is inside RAW_DIR {raw}: its records would become inputs")
    if raw_r.is_relative_to(out_r):
        raise UsageError(f"RAW_DIR {raw} is inside OUT_DIR {out}: keep snapshots and records apart")


def cmd_fetch(args: argparse.Namespace) -> int:
    from ingest.cli.common import (
        UsageError,
        configure_prefect_env,
        progress_sink,
        start_prefect,
        withdraw_mode,
    )
    from ingest.fetch.config import load_sources
    from ingest.orchestration import server as prefect_api
    from ingest.orchestration.progress import attached
    from ingest.store.files import ensure_out_dir
    from ingest.store.lock import out_dir_lock

    if args.batch_size < 1:
        raise UsageError(f"--batch-size must be at least 1, got {args.batch_size}")
    # Fail fast, before Prefect starts: a malformed sources file names its line and field.
    load_sources(args.sources).select(args.source, str(args.sources))
    _check_dirs(args.raw, args.out)
    args.raw.mkdir(parents=True, exist_ok=True)
    ensure_out_dir(args.out)

    # one run per OUT_DIR (issue 6), taken before Prefect starts; --wait-lock waits for a running one
    with out_dir_lock(args.out, wait=args.wait_lock):
        configure_prefect_env(getattr(args, "verbose", False))  # first: the early server inherits it
        prefect_api.start_early()  # issue 5: Prefect's temporary API server boots while Prefect is imported
        start_prefect(args)
        from ingest.orchestration.fetch_flow import fetch_flow

        # issue 7: a bar per phase (fetch, normalize) or plain lines; issue 5: the early server, no heartbeats
        with attached(progress_sink(args)), prefect_api.flow_api():
            result = fetch_flow(
                sources_file=str(args.sources),
                raw_dir=str(args.raw),
                out_dir=str(args.out),
                sources=args.source,
                batch_size=args.batch_size,
                withdraw=withdraw_mode(args),
                max_withdraw_share=args.max_withdraw_share,
            )
    return print_fetch_summary(result, args)


def fetch_line(result: dict[str, Any]) -> str:
    f = result["fetch"]
    return (
        f"fetched {f['fetched']} (new {f['new']}, updated {f['updated']}, unchanged {f['unchanged']}), "
        f"not modified {f['not_modified']}, failed {f['failed']}; requests {f['requests']}, retries {f['retries']}; "
        f"normalized {result['publish']['normalized']}, reused {result['publish']['reused']} unchanged"
    )


def print_fetch_summary(result: dict[str, Any], args: argparse.Namespace) -> int:
    """The publish summary (as `ingest normalize`), FAILED lines, then the fetch counts; the exit code."""
    from ingest.cli.common import EXIT_OK, EXIT_PROBLEMS, print_normalize_summary, ui

    out = ui(args)
    failures = result["fetch_failures"]
    if out.json:
        publish = result["publish"]
        code = EXIT_PROBLEMS if failures or publish["quarantined"] else EXIT_OK
        out.result({"ok": code == EXIT_OK, "exit_code": code, **result})
        return code
    code = print_normalize_summary(result["publish"], out, out_dir=args.out)
    for f in failures:
        out.problem(f"FAILED {f['source']} {f['url']}: {f['status'] or '-'}: {f['reason']}")
    out.say(fetch_line(result))
    return EXIT_PROBLEMS if failures else code


def cmd_serve(args: argparse.Namespace) -> int:
    from ingest.cli.common import EXIT_OK, UsageError, prefect_api_url, start_prefect, ui
    from ingest.fetch.config import load_sources

    spec = load_sources(args.sources)
    spec.select(args.source, str(args.sources))
    _check_dirs(args.raw, args.out)
    out = ui(args)
    if not args.dry_run:
        if not prefect_api_url():
            raise UsageError(
                "ingest serve needs a Prefect server that outlives it (schedules, the UI): run `prefect server "
                "start` and set PREFECT_API_URL=http://127.0.0.1:4200/api"
            )
        start_prefect(args)
    from ingest.orchestration.fetch_flow import build_deployments

    deployments = build_deployments(spec, args.sources, args.raw, args.out, args.source)
    rows = []
    for d in deployments:
        schedule = d.schedules[0].schedule if d.schedules else None
        rows.append({
            "deployment": f"{d.flow_name}/{d.name}",
            "cron": getattr(schedule, "cron", None),
            "timezone": getattr(schedule, "timezone", None),
            "entrypoint": d.entrypoint,
            "parameters": d.parameters,
        })
    for r in rows:
        p = r["parameters"]
        if r["cron"]:
            out.say(f"{r['deployment']}: cron {r['cron']!r} ({r['timezone']}), sources {p['sources']}")
        elif "sources" in p:
            out.say(f"{r['deployment']}: on demand (no schedule), sources {p['sources']}")
        else:
            out.say(f"{r['deployment']}: on demand, raw_dirs {p['raw_dirs']} -> out_dir {p['out_dir']!r}")
    if args.dry_run:
        out.result({"ok": True, "exit_code": EXIT_OK, "deployments": rows})
        return EXIT_OK
    from prefect import serve

    serve(*deployments, print_starting_message=not (out.quiet or out.json))
    return EXIT_OK
