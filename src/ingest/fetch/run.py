"""Fetching the URLs of one source: one :class:`FetchResult` per URL, never an exception per URL
(disk errors writing a snapshot excepted: they stop the run, as for `ingest normalize`).

A URL ends in exactly one of: ``new`` / ``updated`` / ``unchanged`` (a 200 whose bytes are new,
changed, or the same as the current snapshot), ``not_modified`` (a 304: nothing downloaded, nothing
written) or ``failed`` (a :class:`~ingest.fetch.errors.FetchError`: listed in the manifest's
``fetch_failures``; the previous snapshot and record stay).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any, Literal

from ingest.fetch.client import Fetcher
from ingest.fetch.config import Source
from ingest.fetch.errors import FetchError
from ingest.fetch.snapshots import SnapshotStore

log = logging.getLogger("ingest.fetch")

Outcome = Literal["new", "updated", "unchanged", "not_modified", "failed"]
OUTCOMES: tuple[Outcome, ...] = ("new", "updated", "unchanged", "not_modified", "failed")


@dataclass(frozen=True, slots=True)
class FetchResult:
    source: str
    url: str
    outcome: Outcome
    status: int | None = None
    final_url: str | None = None
    #: The current snapshot file (None when the URL has never been fetched successfully).
    path: str | None = None
    #: Whether a file under RAW_DIR was written (body or sidecar).
    wrote: bool = False
    kind: str | None = None
    reason: str | None = None

    def failure_entry(self) -> dict[str, Any]:
        """The manifest's ``fetch_failures`` entry."""
        return {"source": self.source, "url": self.url, "status": self.status, "kind": self.kind, "reason": self.reason}


def fetch_url(source: Source, url: str, fetcher: Fetcher, store: SnapshotStore) -> FetchResult:
    """Fetch one URL (conditionally when there is a trusted snapshot) and store a 200."""
    previous = store.current(source.name, url)
    try:
        fetched = fetcher.fetch(
            url,
            allowed_hosts=source.hosts,
            content_types=frozenset(source.content_types),
            validators=previous.validators() if previous else None,
        )
    except FetchError as e:
        log.warning("fetch failed: %s %s: %s", source.name, url, e.reason)
        return FetchResult(
            source.name, url, "failed", e.status, None, str(previous.path) if previous else None, False, e.kind, e.reason
        )
    except Exception as e:  # noqa: BLE001 - a bug with one URL must not lose the other URLs' fetches
        log.exception("unexpected error fetching %s %s", source.name, url)
        return FetchResult(
            source.name, url, "failed", None, None, str(previous.path) if previous else None, False,
            type(e).__name__, f"unexpected error: {e}",
        )
    if fetched.not_modified:  # only accepted for a conditional request, so there is a snapshot
        return FetchResult(source.name, url, "not_modified", 304, fetched.final_url, str(previous.path) if previous else None)
    saved = store.save(source, fetched, previous)
    return FetchResult(source.name, url, saved.outcome, fetched.status, fetched.final_url, str(saved.path), saved.wrote)


def fetch_source(source: Source, fetcher: Fetcher, store: SnapshotStore) -> list[FetchResult]:
    """Fetch every URL of ``source`` (in file order), ``max_concurrent_per_host`` at a time; the
    fetcher's per-host throttles keep every source sharing a host polite together."""
    workers = max(1, min(len(source.urls), source.max_concurrent_per_host * len(source.allowed_hosts)))
    if workers == 1:
        return [fetch_url(source, u, fetcher, store) for u in source.urls]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"fetch-{source.name}") as pool:
        return list(pool.map(lambda u: fetch_url(source, u, fetcher, store), source.urls))


# --------------------------------------------------------------------------- pure helpers


def count_outcomes(results: Iterable[FetchResult]) -> dict[str, int]:
    """``{"fetched": 200s, "new": .., "updated": .., "unchanged": .., "not_modified": .., "failed": ..}``."""
    c = Counter(r.outcome for r in results)
    counts = {o: c.get(o, 0) for o in OUTCOMES}
    return {"fetched": counts["new"] + counts["updated"] + counts["unchanged"], **counts}


def merge_fetch_failures(
    previous: Any, results: Iterable[FetchResult], fetched_sources: Iterable[str]
) -> list[dict[str, Any]]:
    """This run's failures plus earlier ones of sources this run did not fetch (a deployment fetches
    one source; the failures of the others must stay visible). Sorted by source and URL."""
    fetched = set(fetched_sources)
    kept = [
        dict(f)
        for f in (previous if isinstance(previous, list) else [])
        if isinstance(f, dict) and f.get("source") not in fetched
    ]
    new = [r.failure_entry() for r in results if r.outcome == "failed"]
    return sorted(kept + new, key=lambda f: (str(f.get("source")), str(f.get("url"))))


def as_dicts(results: Iterable[FetchResult]) -> list[dict[str, Any]]:
    return [asdict(r) for r in results]
