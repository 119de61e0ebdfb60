"""The Prefect flow: discover raw inputs, normalize them in batches, publish once.

Tasks are per batch, never per document (a task run costs ~10 ms of orchestration). Input problems
are outcomes (``Quarantined``), not exceptions, so normalize tasks have no retries; a task only fails
on a bug or an environment error. ``flows/normalize_flow.py`` re-exports this module's flow so that
``prefect deploy`` and the ``ingest`` CLI run the same object.

The tasks use ``NO_CACHE``: the normalize task's inputs are paths whose content may change between
runs, publishing has side effects, and hashing thousands of records for a cache key is wasted work.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from .pipeline import Outcome, Quarantined, process_batch
from .publish import PublishSummary, publish
from .sources import RawRef, discover, read


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
    processed = iter(process_batch(items))
    return [failed[i] if i in failed else next(processed) for i in range(len(refs))]


@task(name="normalize_batch", cache_policy=NO_CACHE)
def normalize_batch(refs: list[RawRef]) -> list[Outcome]:
    """Normalize one batch of raw inputs (reads the files, then the pure ``process_batch``)."""
    return normalize_refs(refs)


@task(name="publish_outcomes", cache_policy=NO_CACHE)
def publish_outcomes(out_dir: str, outcomes: list[Outcome]) -> PublishSummary:
    """Write records and the manifest for all outcomes (in input order)."""
    return publish(Path(out_dir), outcomes)


@flow(name="normalize")
def normalize_flow(raw_dirs: list[str], out_dir: str, batch_size: int = 50) -> dict[str, Any]:
    """Normalize every input under ``raw_dirs`` and publish the records to ``out_dir``.

    Returns :meth:`PublishSummary.as_dict` (counts plus every quarantined input with its stage and
    reason). Raises ``InputDirError`` / ``OutputDirError`` for environment problems.
    """
    logger = get_run_logger()
    refs = discover([Path(d) for d in raw_dirs])
    batches = batched(refs, batch_size)
    logger.info("%d inputs in %d batches of up to %d", len(refs), len(batches), batch_size)
    futures = [normalize_batch.submit(batch) for batch in batches]
    # Results are gathered in submission order, so outcomes stay in input order whatever finishes first.
    outcomes: list[Outcome] = [o for fut in futures for o in fut.result()]
    summary = publish_outcomes(out_dir, outcomes)
    for q in summary.quarantined_outcomes:
        logger.info("quarantined %s: %s: %s", q.input, q.stage, q.reason)
    logger.info(summary.counts_line())
    return summary.as_dict()
