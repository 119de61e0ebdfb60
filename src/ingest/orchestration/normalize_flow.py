"""The Prefect flow: discover raw inputs, normalize them in parallel batches, publish once.

Tasks are per batch, never per document (a task run costs ~10 ms of orchestration). Input problems
are outcomes (``Quarantined``), not exceptions, so normalize tasks have no retries; a task only fails
on a bug or an environment error. ``flows/normalize_flow.py`` re-exports this module's flow so that
``prefect deploy`` and the ``ingest`` CLI run the same object.

How a run scales (see README, "Throughput"):

- **Parallel batches.** With the default task runner, batch tasks run in threads of the flow
  process and hand their work to a pool of ``workers`` processes (default: one per core,
  ``INGEST_WORKERS``), so both cores normalize. With another task runner (``--dask-address``:
  prefect-dask's ``DaskTaskRunner``), each batch runs inline on a worker of that engine.
- **Workers write, the flow renames.** A batch serializes its records and stages their bytes in
  ``records/`` (see :mod:`ingest.orchestration.workers`); it returns slim outcomes, so the flow never holds a
  corpus of full records. One final task resolves duplicates, renames staged files into place,
  writes the manifest and removes stale files (:func:`ingest.store.publish.publish`).
- **Incremental reruns.** Before any batch is submitted, the ``reuse_unchanged`` task settles every
  input whose raw bytes, sidecar and pipeline version match the manifest: its record is read back
  (slim) and its file stays byte-identical, or its quarantine verdict is kept; only the others are
  batched, so an unchanged rerun starts no worker (``incremental=False`` / ``--force``
  re-normalizes everything; ``retry_quarantined`` normalizes quarantined inputs again).

The tasks use ``NO_CACHE``: the normalize task's inputs are paths whose content may change between
runs, publishing has side effects, and hashing thousands of records for a cache key is wasted work.
Big collections are passed to tasks wrapped in ``quote()``: Prefect otherwise walks every object
of a task's parameters (seconds for a few hundred records).
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
from collections import Counter, deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext
from prefect.futures import PrefectFuture
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from ingest.core.display import printable
from ingest.core.errors import QuarantineError
from ingest.core.pipeline import Outcome, Published, Quarantined, process_batch
from ingest.orchestration import server as prefect_api
from ingest.orchestration.progress import FlowProgress
from ingest.orchestration.report import RunReport
from ingest.orchestration.run_state import (
    counts_line,
    emit_publish_events,
    events_wanted,
    final_state,
    problems_line,
    skipped_problems,
)
from ingest.orchestration.workers import (
    Item,
    LocalPool,
    current_pool,
    default_workers,
    inputs_may_have_changed,
    normalize_and_stage,
    reuse_unchanged,
)
from ingest.store.chunks import ChunkSettings
from ingest.store.discovery import PROBLEM_KINDS, RawRef, read, scan
from ingest.store.files import ensure_out_dir, fault_point
from ingest.store.lock import out_dir_lock
from ingest.store.manifest import reusable_entries
from ingest.store.publish import DEFAULT_MAX_WITHDRAW_SHARE, PublishSummary, publish
from ingest.store.staging import Staged

#: Fewest inputs to normalize for which a run starts worker processes (~0.5 s of start-up and imports,
#: ~30 ms of work per page): below it, the batches run in the flow's process.
MIN_POOL_INPUTS = 16


def batched(items: list[RawRef], size: int) -> list[list[RawRef]]:
    """Consecutive chunks of ``size`` (the last may be shorter), in order."""
    if size < 1:
        raise ValueError(f"batch size must be at least 1, got {size}")
    return [items[i : i + size] for i in range(0, len(items), size)]


def normalize_refs(refs: list[RawRef]) -> list[Outcome]:
    """Read each input and run the pure pipeline over the batch; one outcome per ref, in order.

    A file that cannot be read (deleted since discovery, permissions, unreadable sidecar) is
    quarantined at stage ``read`` instead of failing the batch.
    """
    items = []
    failed: dict[int, Quarantined] = {}
    for i, ref in enumerate(refs):
        try:
            items.append(read(ref))
        except OSError as e:
            failed[i] = Quarantined(
                ref.input, "read", type(e).__name__, f"cannot read: {e.strerror or e}", None
            )
        except QuarantineError as e:  # over the size cap: never read
            failed[i] = Quarantined(ref.input, e.stage, e.kind, e.reason, None)
    processed = iter(process_batch(items))
    return [failed[i] if i in failed else next(processed) for i in range(len(refs))]


@task(name="normalize_batch", cache_policy=NO_CACHE)
def normalize_batch(refs: list[RawRef]) -> list[Outcome]:
    """Normalize one batch of raw inputs (reads the files, then the pure ``process_batch``).

    Returns full outcomes; the normalize flow uses :func:`normalize_stage_batch` instead.
    """
    return normalize_refs(refs)


@task(name="normalize_stage_batch", cache_policy=NO_CACHE)
def normalize_stage_batch(refs: list[RawRef], out_dir: str, chunking: ChunkSettings | None = None) -> list[Item]:
    """Normalize one batch and stage its published records' bytes in ``out_dir`` (and their chunk
    lines, made with ``chunking``).

    Runs on the flow run's local process pool when there is one, else inline (one thread here, or
    a Dask worker). Returns ``(slim outcome, staged)`` per ref, in order (:mod:`ingest.orchestration.workers`).
    """
    pool = current_pool()
    if pool is not None:
        return pool.run(refs, out_dir, chunking)
    # inline: this module's ``process_batch``, looked up now (tests substitute it)
    return normalize_and_stage(refs, out_dir, process_batch=process_batch, chunking=chunking)


@task(name="reuse_unchanged", cache_policy=NO_CACHE)
def reuse_unchanged_inputs(
    refs: list[RawRef], out_dir: str, reusable: dict[str, dict[str, Any]]
) -> list[Item | None]:
    """Settle the inputs unchanged since the last run (their record read back, or their quarantine);
    None for those to normalize. See :func:`ingest.orchestration.workers.reuse_unchanged`."""
    return reuse_unchanged(refs, out_dir, reusable)


@task(name="publish_outcomes", cache_policy=NO_CACHE)
def publish_outcomes(
    out_dir: str,
    outcomes: list[Outcome],
    fetch_failures: list[dict[str, Any]] | None = None,
    staged: dict[str, Staged] | None = None,
    raw_dirs: list[str] | None = None,
    run_id: str | None = None,
    skipped: list[dict[str, str]] | None = None,
    withdraw: str = "guard",
    max_withdraw_share: float = DEFAULT_MAX_WITHDRAW_SHARE,
    chunk_tokens: int | None = None,
) -> PublishSummary:
    """Write records and the manifest for all outcomes (in input order); ``fetch_failures`` from
    ``ingest fetch``; ``staged``: records whose bytes a batch already wrote (see :class:`Staged`);
    ``skipped``: files discovery left out, with their reasons."""
    return publish(Path(out_dir), outcomes, fetch_failures, staged=staged, raw_dirs=raw_dirs, run_id=run_id,
                   skipped=skipped, withdraw=withdraw, max_withdraw_share=max_withdraw_share,
                   chunk_tokens=chunk_tokens)


def manifest_raw_dirs(raw_dirs: list[str], out_dir: str) -> list[str]:
    """The raw dirs as the manifest records them: POSIX paths relative to OUT_DIR's parent, so that a
    manifest does not depend on the machine and ``ingest replay OUT_DIR`` finds them from anywhere.

    >>> manifest_raw_dirs(["raw"], "normalized")
    ['raw']
    """
    base = os.path.dirname(os.path.abspath(out_dir))
    return [Path(os.path.relpath(os.path.abspath(d), base)).as_posix() for d in raw_dirs]


def _run_id() -> str:
    """The Prefect flow run's id (what changes.jsonl names the run by); a random one outside a flow."""
    import uuid

    ctx = FlowRunContext.get()
    run = getattr(ctx, "flow_run", None) if ctx is not None else None
    return str(run.id) if run is not None else uuid.uuid4().hex


def _tasks_run_in_this_process() -> bool:
    ctx = FlowRunContext.get()
    return ctx is None or isinstance(ctx.task_runner, ThreadPoolTaskRunner)


def _in_order(
    batches: list[list[RawRef]], submit: Callable[[list[RawRef]], PrefectFuture[list[Item]]], window: int | None
) -> Iterator[list[Item]]:
    """Each batch's result, in submission order, with at most ``window`` batches in flight (None: all)."""
    todo = iter(batches)
    pending: deque[PrefectFuture[list[Item]]] = deque()
    for batch in todo:
        pending.append(submit(batch))
        if window is not None and len(pending) >= window:
            break
    while pending:
        result = pending.popleft().result()
        nxt = next(todo, None)
        if nxt is not None:
            pending.append(submit(nxt))
        yield result


@flow(name="normalize")
def normalize_flow(
    raw_dirs: list[str],
    out_dir: str,
    batch_size: int = 50,
    workers: int | None = None,
    incremental: bool = True,
    fetch_failures: list[dict[str, Any]] | None = None,
    only_inputs: list[str] | None = None,
    retry_quarantined: bool = False,
    include: list[str] | None = None,
    exclude: list[str] | None = None,
    withdraw: str = "guard",
    max_withdraw_share: float = DEFAULT_MAX_WITHDRAW_SHARE,
    fail_on_problems: bool = False,
    chunk_tokens: int | None = None,
) -> Any:
    """Normalize every input under ``raw_dirs`` and publish the records to ``out_dir``.

    ``withdraw``: ``"guard"`` (default) fails the run, before anything is written, when it would
    withdraw more than ``max_withdraw_share`` of the published records; ``"allow"`` withdraws what
    is gone; ``"merge"`` never withdraws (see :func:`ingest.store.publish.publish`).

    Which files are inputs: :func:`ingest.store.discovery.scan` (loader suffixes, no documentation
    files; ``include`` globs replace that default, ``exclude`` globs remove files); what it skips is
    listed with its reason in the manifest's ``skipped`` and the result.

    Holds ``OUT_DIR/.lock`` for the whole run (:func:`ingest.store.lock.out_dir_lock`: a second run on the
    same OUT_DIR refuses with :class:`~ingest.store.lock.LockBusy`). ``only_inputs`` (``ingest replay``):
    normalize only the inputs with these names (the others are left out of the run, so publish as
    usual only the records they give; replay passes every input the manifest knows).

    ``workers``: local worker processes (default :func:`ingest.orchestration.workers.default_workers`: one per
    core; 1 normalizes in this process). ``incremental``: reuse the published record, or the
    quarantine, of every input unchanged since the last run (False re-normalizes everything);
    ``retry_quarantined``: normalize quarantined inputs again even when unchanged (``ingest replay``).
    ``fetch_failures``: written to the manifest (``ingest fetch`` runs this flow as a subflow after
    fetching).

    Returns :meth:`PublishSummary.as_dict` (counts plus every quarantined input with its stage and
    reason) plus ``normalized``, ``reused``, ``added``, ``updated``. The run's final state says
    whether inputs were quarantined (:mod:`ingest.orchestration.run_state`: ``CompletedWithProblems``
    with "N quarantined; published ..."; ``Failed`` with ``fail_on_problems``); it emits an event per
    record added, updated or withdrawn and per quarantined input. Raises ``InputDirError`` /
    ``OutputDirError`` for environment problems.
    """
    with out_dir_lock(Path(out_dir)):
        result = _normalize_run(
            raw_dirs, out_dir, batch_size, workers, incremental, fetch_failures, only_inputs, retry_quarantined,
            include, exclude, withdraw, max_withdraw_share, chunk_tokens,
        )
    return final_state(result, problems_line(result["quarantined"], 0, skipped_problems(result)), counts_line(result),
                       fail_on_problems)


def _normalize_run(
    raw_dirs: list[str],
    out_dir: str,
    batch_size: int,
    workers: int | None,
    incremental: bool,
    fetch_failures: list[dict[str, Any]] | None,
    only_inputs: list[str] | None,
    retry_quarantined: bool = False,
    include: list[str] | None = None,
    exclude: list[str] | None = None,
    withdraw: str = "guard",
    max_withdraw_share: float = DEFAULT_MAX_WITHDRAW_SHARE,
    chunk_tokens: int | None = None,
) -> dict[str, Any]:
    logger = get_run_logger()
    report = RunReport.begin(out_dir)  # issue 7: remembers the previous manifest and the start time
    found = scan([Path(d) for d in raw_dirs], include, exclude, only=only_inputs)
    refs = found.refs
    skipped = [s.as_dict() for s in found.skipped]
    for s in found.skipped:
        if s.kind in PROBLEM_KINDS:
            logger.warning("skipped %s: %s", printable(s.path), s.reason)
    ensure_out_dir(Path(out_dir))  # batches stage records in it
    # Workers get absolute paths: a Dask worker's working directory is not ours.
    task_out = os.path.abspath(out_dir)
    refs = [RawRef(Path(os.path.abspath(r.path)), r.input) for r in refs]
    # Incremental: unchanged inputs are settled here, before any batch is handed to a worker.
    reusable = reusable_entries(Path(out_dir), quarantines=not retry_quarantined) if incremental else {}
    known = [r for r in refs if r.input in reusable]
    found = reuse_unchanged_inputs(quote(known), task_out, quote({r.input: reusable[r.input] for r in known})) if known else []
    reused_items = {r.input: item for r, item in zip(known, found, strict=True) if item is not None}
    todo = [r for r in refs if r.input not in reused_items]
    batches = batched(todo, batch_size)
    workers = workers or default_workers()
    local = _tasks_run_in_this_process()
    pool = current_pool()
    opened_by_caller = pool is not None and pool.workers == workers  # run_normalize's warm pool
    # A pool costs ~0.5 s of process start-up and imports: only worth it for a few inputs or more.
    use_pool = local and workers > 1 and (opened_by_caller or len(todo) >= MIN_POOL_INPUTS)
    logger.info(
        "%d inputs: %d unchanged since the last run (reused), %d to normalize in %d batches of up to %d, %s",
        len(refs), len(reused_items), len(todo), len(batches), batch_size,
        f"{workers} worker processes" if use_pool else "in this process" if local else "on the task runner's workers",
    )

    # the chunk settings publishing will use (the previous manifest's unless chunk_tokens is given):
    # batches chunk the records they normalize, in the workers, with them
    chunking = ChunkSettings.from_manifest(report.previous or {}, chunk_tokens)

    def submit(batch: list[RawRef]) -> PrefectFuture[list[Item]]:
        return normalize_stage_batch.submit(batch, task_out, chunking)

    # issue 7: bar in the CLI, log lines in workers; over the inputs normalized (reuse takes no time)
    progress = FlowProgress("normalize", len(todo), logger) if todo else None
    normalized: dict[str, Item] = {}
    with LocalPool(workers) if use_pool and not opened_by_caller else contextlib.nullcontext():
        for items in _in_order(batches, submit, max(2, 2 * workers) if local else None):
            for item in items:
                normalized[item[0].input] = item
            if progress is not None:
                progress.advance(len(items))
            fault_point(f"batch of {len(items)}")  # crash tests: a SIGKILL between batches
    # Outcomes in input order, whichever way each was settled.
    outcomes: list[Outcome] = []
    staged: dict[str, Staged] = {}
    for r in refs:
        outcome, s = reused_items.get(r.input) or normalized[r.input]
        outcomes.append(outcome)
        if s is not None:
            staged[outcome.input] = s
    reused = len(reused_items)
    logger.info("normalized %d inputs, reused %d unchanged records", len(outcomes) - reused, reused)
    summary = publish_outcomes(
        out_dir, quote(outcomes), fetch_failures=fetch_failures, staged=quote(staged),
        raw_dirs=manifest_raw_dirs(raw_dirs, out_dir), run_id=_run_id(), skipped=skipped,
        withdraw=withdraw, max_withdraw_share=max_withdraw_share, chunk_tokens=chunk_tokens,
    )
    for q in summary.quarantined_outcomes:
        logger.info("quarantined %s: %s: %s", printable(q.input), q.stage, q.reason)
    logger.info(summary.counts_line())
    report.publish(summary, outcomes, logger, staged=staged)  # issue 7: OUT_DIR/report.md + Prefect artifacts
    if events_wanted():  # issue 12: what downstream reacts to, as Prefect events
        titles = {o.record.id: o.record.title for o in outcomes if isinstance(o, Published)}
        n = emit_publish_events(out_dir, summary.change_events, summary.quarantined_outcomes, titles)
        logger.info("sent %d events (records added, updated, withdrawn; quarantined inputs)", n)
    by_event = Counter(c["event"] for c in summary.change_events)
    return {**summary.as_dict(), "normalized": len(outcomes) - reused, "reused": reused,
            "added": by_event["added"], "updated": by_event["updated"], "skipped": skipped}


def dask_task_runner(address: str) -> Any:
    """prefect-dask's ``DaskTaskRunner`` for the Dask scheduler at ``address`` (``tcp://host:8786``)."""
    try:
        from prefect_dask import DaskTaskRunner
    except ImportError as e:  # pragma: no cover - it is in requirements.lock
        raise RuntimeError("--dask-address needs prefect-dask (pip install prefect-dask)") from e
    return DaskTaskRunner(address=address)


def run_normalize(
    raw_dirs: list[str],
    out_dir: str,
    batch_size: int = 50,
    workers: int | None = None,
    incremental: bool = True,
    dask_address: str | None = None,
    only_inputs: list[str] | None = None,
    retry_quarantined: bool = False,
    include: list[str] | None = None,
    exclude: list[str] | None = None,
    withdraw: str = "guard",
    max_withdraw_share: float = DEFAULT_MAX_WITHDRAW_SHARE,
    chunk_tokens: int | None = None,
) -> dict[str, Any]:
    """Run :func:`normalize_flow`, on the Dask cluster at ``dask_address`` when one is given."""
    f = normalize_flow if not dask_address else normalize_flow.with_options(task_runner=dask_task_runner(dask_address))
    workers = workers or default_workers()
    # The local worker processes start (and import) while Prefect's API server comes up, unless the
    # run will most likely find nothing to normalize (then the flow starts them only if it must).
    warm = not dask_address and workers > 1 and (
        not incremental or retry_quarantined or inputs_may_have_changed(raw_dirs, out_dir, only_inputs, include, exclude)
    )
    pool = (lambda: LocalPool(workers, warm=True)) if warm else contextlib.nullcontext
    if dask_address and not _is_loopback(dask_address):
        # Remote Dask workers cannot reach a temporary server on this machine's loopback address.
        prefect_api.discard()
        if not os.environ.get("PREFECT_API_URL"):
            logging.getLogger("ingest").warning(
                "--dask-address without PREFECT_API_URL: every Dask worker starts a temporary Prefect "
                "server of its own; point PREFECT_API_URL at a Prefect server the workers can reach"
            )
    params = dict(raw_dirs=raw_dirs, out_dir=out_dir, batch_size=batch_size, workers=workers, incremental=incremental,
                  only_inputs=only_inputs, retry_quarantined=retry_quarantined, include=include, exclude=exclude,
                  withdraw=withdraw, max_withdraw_share=max_withdraw_share,
                  chunk_tokens=chunk_tokens)
    with contextlib.suppress(Exception):  # Prefect validates them again; this builds its model while
        f.validate_parameters(params)  # the temporary server boots (~0.1 s off the critical path)
    with prefect_api.flow_api(), pool():  # the temporary API server the CLI started early, if any
        return f(**params)


def _is_loopback(address: str) -> bool:
    """Whether a Dask scheduler address (``tcp://host:port``) is on this machine's loopback.

    >>> _is_loopback("tcp://127.0.0.1:8786"), _is_loopback("localhost:8786"), _is_loopback("tcp://10.0.0.5:8786")
    (True, True, False)
    """
    host = urlsplit(address if "://" in address else f"tcp://{address}").hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
