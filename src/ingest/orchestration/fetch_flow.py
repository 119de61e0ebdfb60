"""The fetch flow: fetch the sources' pages into RAW_DIR, then normalize and publish OUT_DIR.

One task per source fetches its URLs (threads inside, one shared :class:`~ingest.fetch.client.Fetcher`
so robots.txt is read once per host and politeness holds across sources). Then, under a lock on
OUT_DIR, :func:`ingest.orchestration.normalize_flow.normalize_flow` runs as a subflow over RAW_DIR: an input whose bytes and
sidecar did not change (a 304 writes nothing, nor does a failed fetch) reuses its published record
instead of being normalized again, and the manifest gets the run's ``fetch_failures`` (plus the
earlier ones of sources this run did not fetch).

Tasks have no Prefect retries: HTTP retries happen inside the fetcher, with backoff. The run's final
state says whether URLs failed or inputs were quarantined, and it emits one ``ingest.fetch.failed``
event per failed URL (:mod:`ingest.orchestration.run_state`).

:func:`build_deployments` makes what ``ingest serve`` serves: one deployment per source with its
cron schedule, and one on-demand normalize deployment (``flows/`` re-exports both flows for
``prefect deploy`` and prefect.yaml). Their entrypoints are module paths
(``ingest.orchestration.fetch_flow.fetch_flow``), so a runner or worker imports them from wherever
it runs, as long as ``ingest`` is installed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from ingest.fetch.client import Fetcher
from ingest.fetch.config import Source, SourcesFile, load_sources
from ingest.fetch.run import FetchResult, as_dicts, count_outcomes, fetch_source, merge_fetch_failures
from ingest.fetch.snapshots import SnapshotStore
from ingest.orchestration.normalize_flow import normalize_flow
from ingest.orchestration.progress import FlowProgress
from ingest.orchestration.run_state import (
    counts_line,
    emit_fetch_failures,
    events_wanted,
    final_state,
    problems_line,
    skipped_problems,
)
from ingest.store.files import ensure_out_dir
from ingest.store.manifest import load_manifest
from ingest.store.publish import DEFAULT_MAX_WITHDRAW_SHARE

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment

LOCK_NAME = ".publish.lock"


@task(name="fetch_source", cache_policy=NO_CACHE)
def fetch_source_task(source: Source, fetcher: Fetcher, store: SnapshotStore) -> list[FetchResult]:
    """Fetch every URL of one source into RAW_DIR/<source>/ (one result per URL, in order)."""
    logger = get_run_logger()
    results = fetch_source(source, fetcher, store)
    for r in results:
        if r.outcome == "failed":
            logger.warning("FAILED %s: %s: %s", r.url, r.status or "-", r.reason)
    logger.info("%s: %s", source.name, count_outcomes(results))
    return results


@contextlib.contextmanager
def publish_lock(out_dir: Path) -> Iterator[None]:
    """An exclusive lock on OUT_DIR while it is normalized and published: deployments sharing an
    OUT_DIR take turns instead of overwriting each other's manifest."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    with open(out_dir / LOCK_NAME, "a+b") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


@flow(name="fetch")
def fetch_flow(
    sources_file: str,
    raw_dir: str,
    out_dir: str,
    sources: list[str] | None = None,
    batch_size: int = 50,
    fail_on_problems: bool = False,
    withdraw: str = "guard",
    max_withdraw_share: float = DEFAULT_MAX_WITHDRAW_SHARE,
) -> Any:
    """Fetch the pages of ``sources`` (all when None) listed in ``sources_file`` into ``raw_dir``,
    then normalize what changed and publish ``out_dir``.

    Returns ``{"sources", "fetch": counts and HTTP stats, "fetch_failures": this run's,
    "publish": the normalize flow's result, "results": one dict per URL}``. The final state is
    ``CompletedWithProblems`` ("1 quarantined, 2 URLs failed; ...") when a URL failed or an input was
    quarantined, ``Failed`` then if ``fail_on_problems``. ``withdraw`` / ``max_withdraw_share``: as for
    :func:`~ingest.orchestration.normalize_flow.normalize_flow` (a fetch of one source into an OUT_DIR
    that other sources or runs filled is refused unless ``merge`` or ``allow``). Raises ``SourcesFileError`` /
    ``InputDirError`` / ``OutputDirError`` for usage and environment problems.
    """
    logger = get_run_logger()
    path = Path(sources_file)
    spec = load_sources(path)
    selected = spec.select(sources, str(path))
    raw, out = Path(raw_dir), Path(out_dir)
    raw.mkdir(parents=True, exist_ok=True)
    ensure_out_dir(out)

    fetcher = Fetcher.for_sources(spec.fetch, selected)
    store = SnapshotStore(raw)
    futures = [
        fetch_source_task.with_options(task_run_name=f"fetch-{s.name}").submit(s, fetcher, store) for s in selected
    ]
    progress = FlowProgress("fetch", sum(len(s.urls) for s in selected), logger, unit="pages")  # issue 7
    results: list[FetchResult] = []
    for fut in futures:
        done = fut.result()
        results.extend(done)
        progress.advance(len(done))
    counts = count_outcomes(results)
    stats = fetcher.stats.as_dict()
    logger.info("fetch: %s; %s requests, %s retries", counts, stats["requests"], stats["retries"])

    with publish_lock(out):
        failures = merge_fetch_failures(
            (load_manifest(out) or {}).get("fetch_failures"), results, [s.name for s in selected]
        )
        published = normalize_flow(
            raw_dirs=[str(raw)], out_dir=str(out), batch_size=batch_size, fetch_failures=failures,
            withdraw=withdraw, max_withdraw_share=max_withdraw_share,
        )
    failed = [r.failure_entry() for r in results if r.outcome == "failed"]
    if failed and events_wanted():
        emit_fetch_failures(failed, str(out))
    result = {
        "sources": [s.name for s in selected],
        "fetch": {**counts, **stats},
        "fetch_failures": failed,
        "publish": published,
        "results": as_dicts(results),
    }
    fetched = (f"fetched {counts['fetched']}, not modified {counts['not_modified']}, "
               f"failed {counts['failed']}")
    return final_state(result, problems_line(published["quarantined"], len(failed), skipped_problems(published)),
                       f"{counts_line(published)}; {fetched}", fail_on_problems)


# --------------------------------------------------------------------------- deployments


def deployment_parameters(sources_file: Path, raw_dir: Path, out_dir: Path, source: Source) -> dict[str, Any]:
    """The flow parameters of one source's deployment (absolute paths: a served run may start anywhere)."""
    return {
        "sources_file": str(sources_file.resolve()),
        "raw_dir": str(raw_dir.resolve()),
        "out_dir": str(out_dir.resolve()),
        "sources": [source.name],
    }


#: The on-demand normalize deployment's name (``normalize/folder``): raw folders and OUT_DIR as parameters.
NORMALIZE_DEPLOYMENT = "folder"


def build_deployments(
    spec: SourcesFile,
    sources_file: Path,
    raw_dir: Path,
    out_dir: Path,
    names: Sequence[str] | None = None,
    normalize: bool = True,
) -> list[RunnerDeployment]:
    """One deployment of :func:`fetch_flow` per source, named after it, on its cron schedule (in its
    time zone), fetching only that source; then (``normalize``) ``normalize/folder``, which normalizes
    ``raw_dirs`` (default: RAW_DIR) into ``out_dir`` (default: OUT_DIR) when triggered. Entrypoints
    are module paths (importable from any folder). Builds objects only: nothing is sent to a server."""
    from prefect.client.schemas.schedules import CronSchedule
    from prefect.types.entrypoint import EntrypointType

    deployments = []
    for source in spec.select(names, str(sources_file)):
        deployments.append(
            fetch_flow.to_deployment(
                name=source.name,
                schedules=[CronSchedule(cron=source.schedule, timezone=source.timezone)] if source.schedule else [],
                parameters=deployment_parameters(sources_file, raw_dir, out_dir, source),
                description=f"Re-fetch the {len(source.urls)} {source.publisher} pages of {source.name!r}, "
                "normalize what changed, publish.",
                tags=["ingest", "fetch", source.publisher],
                concurrency_limit=1,
                entrypoint_type=EntrypointType.MODULE_PATH,
            )
        )
    if normalize:
        deployments.append(
            normalize_flow.to_deployment(
                name=NORMALIZE_DEPLOYMENT,
                parameters={"raw_dirs": [str(raw_dir.resolve())], "out_dir": str(out_dir.resolve())},
                description="Normalize the raw folders (raw_dirs) into OUT_DIR (out_dir) and publish; on demand.",
                tags=["ingest", "normalize"],
                concurrency_limit=1,
                entrypoint_type=EntrypointType.MODULE_PATH,
            )
        )
    return deployments
