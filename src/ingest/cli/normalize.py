"""``ingest normalize`` and ``ingest replay``: run the normalize flow over raw folders into OUT_DIR."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ingest.cli.common import (
    UsageError,
    add_lock_arguments,
    add_withdraw_arguments,
    configure_prefect_env,
    print_normalize_summary,
    progress_sink,
    start_prefect,
    ui,
    withdraw_mode,
)

NORMALIZE_HELP = """\
Normalize every input file under RAW_DIR(s) into validated JSON records in OUT_DIR;
exit 1 if any input was quarantined.

Inputs: every file under RAW_DIR whose suffix has a loader (.txt .md .markdown .html .htm .xml),
except documentation files (README, SOURCES, LICENSE, CHANGELOG... any suffix). --include GLOB
(repeatable) replaces that default: only matching files are inputs (a file type without a loader is
then quarantined); --exclude GLOB removes files. Globs match the path relative to RAW_DIR from the
right ("*.html", "nci/*.md", "SOURCES.md"). Never inputs: hidden files and dirs, <file>.meta.json
sidecars (they carry the input's URL and fetch metadata). Skipped, with the reason in the manifest's
"skipped" and a count in the summary: what the globs leave out, symlinks to outside RAW_DIR, broken
symlinks, symlinked dirs, FIFOs and other special files, names that are not UTF-8, unreadable
subfolders. Runs as a Prefect flow: inputs are processed in batches of --batch-size, then published.

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
                              run, also published as the Prefect artifact
                              ingest-report-<OUT_DIR name>-<hash> (the report names it)
  stderr                      progress: a bar on a terminal, a plain line every 10 s otherwise
  stdout                      "published N (written W, unchanged U), quarantined Q, withdrawn S"
                              then one "QUARANTINED input: stage: reason" line per quarantined input
                              (--json: the summary as one JSON object; --quiet: the QUARANTINED lines)

If PREFECT_API_URL is set, the server's /health must answer within a few seconds, else exit 2.
Without it, the temporary server must start within 180 s (a first run creates its database), or
PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS when set, else exit 2 naming that setting.
One run per OUT_DIR: a second run refuses (exit 2, naming the holder's pid) unless --wait-lock.
Inputs over --max-input-bytes are quarantined without being read.

Speed: inputs unchanged since the last run (same bytes, sidecar and pipeline version) are not
normalized again, and their files are not touched; --force normalizes everything. Without
PREFECT_API_URL every run starts a temporary Prefect server (~3 s); for repeated runs start
`prefect server start` once and set PREFECT_API_URL=http://127.0.0.1:4200/api.
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
        "--include", action="append", default=None, metavar="GLOB",
        help="only files matching GLOB are inputs (repeatable; default: loader suffixes, no README/SOURCES/...)",
    )
    n.add_argument(
        "--exclude", action="append", default=None, metavar="GLOB",
        help="files matching GLOB are not inputs (repeatable)",
    )
    add_withdraw_arguments(n)
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
    n.add_argument(  # issue 15
        "--chunk-tokens", type=int, default=None, metavar="N",
        help="token budget of each chunk in OUT_DIR/chunks.jsonl (default: the last run's, else 512)",
    )


def cmd_normalize(args: argparse.Namespace) -> int:
    from ingest.store.discovery import check_raw_dirs
    from ingest.store.files import ensure_out_dir
    from ingest.store.lock import out_dir_lock

    if args.max_input_bytes is not None:
        if args.max_input_bytes < 1:
            raise UsageError(f"--max-input-bytes must be at least 1, got {args.max_input_bytes}")
        os.environ["INGEST_MAX_INPUT_BYTES"] = str(args.max_input_bytes)  # worker processes inherit it
    if args.batch_size < 1:
        raise UsageError(f"--batch-size must be at least 1, got {args.batch_size}")
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers must be at least 1, got {args.workers}")
    if args.chunk_tokens is not None and args.chunk_tokens < 32:
        raise UsageError(f"--chunk-tokens must be at least 32, got {args.chunk_tokens}")
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
    from ingest.orchestration.server import start_early

    configure_prefect_env(getattr(args, "verbose", False))  # first: the early server inherits it
    start_early()  # issue 5: Prefect's temporary API server boots while Prefect is imported (~3 s a run)
    start_prefect(args)
    from ingest.orchestration.normalize_flow import run_normalize
    from ingest.orchestration.progress import attached

    with attached(progress_sink(args)):
        return run_normalize(
            raw_dirs=raw_dirs, out_dir=str(args.out), batch_size=args.batch_size,
            workers=args.workers, incremental=incremental, dask_address=getattr(args, "dask_address", None),
            only_inputs=only_inputs, retry_quarantined=retry_quarantined,
            include=getattr(args, "include", None), exclude=getattr(args, "exclude", None),
            withdraw=withdraw_mode(args), max_withdraw_share=getattr(args, "max_withdraw_share", 0.2),
            chunk_tokens=getattr(args, "chunk_tokens", None),
        )


def add_replay_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("out", metavar="OUT_DIR", type=Path, help="a folder written by `ingest normalize`")
    p.add_argument("--raw-dir", dest="raw_dirs", action="append", type=Path, default=None, metavar="DIR",
                   help="raw dir to read the inputs from (repeatable; default: the manifest's raw_dirs)")
    p.add_argument("--batch-size", type=int, default=50, metavar="N", help=argparse.SUPPRESS)
    p.add_argument("--workers", type=int, default=None, metavar="N", help="local worker processes")
    add_lock_arguments(p)


def cmd_replay(args: argparse.Namespace) -> int:
    from ingest.store.discovery import check_raw_dirs
    from ingest.store.lock import out_dir_lock
    from ingest.store.manifest import load_manifest

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
