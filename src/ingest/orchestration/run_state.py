"""What a flow run tells Prefect at its end: a final state that says how it went, and events.

**Final state.** A run that published everything ends ``Completed`` with a message of counts. A run
that quarantined inputs or had URLs fail ends in a Completed state named
:data:`PROBLEMS_STATE` (``CompletedWithProblems``) with the problems first in its message::

    3 quarantined, 1 URL failed; published 12 (2 added, 1 updated), withdrawn 0

so the UI, ``prefect flow-run ls`` and automations on ``prefect.flow-run.CompletedWithProblems`` see
it. With the flow parameter ``fail_on_problems=True`` such a run is ``Failed`` instead (same message),
for teams that alert on failed runs. Either way the flow's return value is the same dict.

**Events** (README "Operating a run: Prefect events"), each with the flow run, flow, deployment and
tags as related resources (Prefect adds them) and OUT_DIR as a related resource of role ``out-dir``:

- ``ingest.record.added`` / ``ingest.record.updated`` / ``ingest.record.withdrawn``: one per line
  appended to ``changes.jsonl``; resource ``ingest.record.<id>``; payload ``id``, ``input``,
  ``version``, ``content_sha256``, ``out_dir``;
- ``ingest.input.quarantined``: one per input quarantined by this run (unchanged inputs keep their
  verdict and are reported every run, as in the CLI summary); resource ``ingest.input.<input>``;
  payload ``input``, ``stage``, ``kind``, ``reason``, ``out_dir``;
- ``ingest.fetch.failed``: one per URL this run could not fetch; resource ``ingest.url.<url>``;
  payload ``source``, ``url``, ``status``, ``kind``, ``reason``.

They are sent only to a Prefect server that outlives the run (``PREFECT_API_URL``): a CLI run on the
temporary server sends none, since nothing could ever read them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

#: The name of the Completed state of a run that quarantined inputs or had URLs fail.
PROBLEMS_STATE = "CompletedWithProblems"

def problems_line(quarantined: int, fetch_failed: int = 0, skipped_problems: int = 0) -> str:
    """
    >>> problems_line(3, 1), problems_line(1), problems_line(0, 2), problems_line(0)
    ('3 quarantined, 1 URL failed', '1 quarantined', '2 URLs failed', '')
    >>> problems_line(0, 0, 2)
    '2 files skipped (symlinks out of the raw folder, FIFOs, bad names...)'
    """
    parts = []
    if quarantined:
        parts.append(f"{quarantined} quarantined")
    if fetch_failed:
        parts.append(f"{fetch_failed} URL{'s' if fetch_failed != 1 else ''} failed")
    if skipped_problems:
        parts.append(f"{skipped_problems} file{'s' if skipped_problems != 1 else ''} skipped "
                     "(symlinks out of the raw folder, FIFOs, bad names...)")
    return ", ".join(parts)


def skipped_problems(result: Mapping[str, Any]) -> int:
    """Files the normalize flow skipped for a problem (not documentation or unsupported types)."""
    from ingest.store.discovery import PROBLEM_KINDS

    return sum(1 for s in result.get("skipped") or [] if s.get("kind") in PROBLEM_KINDS)


def counts_line(publish: Mapping[str, Any]) -> str:
    """The normalize flow's counts (its result dict), for a state message.

    >>> counts_line({"published": 12, "added": 2, "updated": 1, "removed_stale": 0})
    'published 12 (2 added, 1 updated), withdrawn 0'
    """
    detail = ", ".join(f"{publish[k]} {k}" for k in ("added", "updated") if publish.get(k))
    return (f"published {publish.get('published', 0)}" + (f" ({detail})" if detail else "")
            + f", withdrawn {publish.get('removed_stale', 0)}")


def final_state(result: Any, problems: str, counts: str, fail_on_problems: bool = False) -> Any:
    """The state a flow returns (its data is ``result``): see the module docstring."""
    from prefect.states import Completed, Failed

    if not problems:
        return Completed(message=counts, data=result)
    message = f"{problems}; {counts}"
    if fail_on_problems:
        return Failed(message=message, data=result)
    return Completed(name=PROBLEMS_STATE, message=message, data=result)


# --------------------------------------------------------------------------- events


def events_wanted() -> bool:
    """Whether this run talks to a Prefect server that outlives it (events sent elsewhere are lost)."""
    from prefect.settings import PREFECT_API_URL

    from ingest.orchestration import server

    url = (PREFECT_API_URL.value() or "").strip()
    return bool(url) and url != server.temporary_api_url()


def _related(out_dir: str) -> list[dict[str, str]]:
    return [{"prefect.resource.id": f"ingest.out-dir.{out_dir}", "prefect.resource.role": "out-dir",
             "prefect.resource.name": os.path.basename(out_dir.rstrip("/")) or out_dir}]


def emit_publish_events(out_dir: str, change_events: Iterable[Mapping[str, Any]],
                        quarantined: Iterable[Any], titles: Mapping[str, str] | None = None) -> int:
    """One event per record added, updated or withdrawn and per quarantined input; returns how many."""
    from prefect.events import emit_event

    out = os.path.abspath(out_dir)
    related = _related(out)
    n = 0
    for c in change_events:
        rid = str(c.get("id"))
        resource = {"prefect.resource.id": f"ingest.record.{rid}", "ingest.input": str(c.get("input") or "")}
        if titles and titles.get(rid):
            resource["prefect.resource.name"] = titles[rid][:200]
        payload = {k: c.get(k) for k in ("id", "input", "version", "content_sha256")}
        emit_event(event=f"ingest.record.{c.get('event')}", resource=resource, related=related,
                   payload={**payload, "out_dir": out})
        n += 1
    for q in quarantined:
        emit_event(
            event="ingest.input.quarantined",
            resource={"prefect.resource.id": f"ingest.input.{q.input}", "prefect.resource.name": q.input},
            related=related,
            payload={"input": q.input, "stage": q.stage, "kind": q.kind, "reason": q.reason, "out_dir": out},
        )
        n += 1
    return n


def emit_fetch_failures(failures: Iterable[Mapping[str, Any]], out_dir: str) -> int:
    """One ``ingest.fetch.failed`` event per URL that failed; returns how many."""
    from prefect.events import emit_event

    related = _related(os.path.abspath(out_dir))
    n = 0
    for f in failures:
        url = str(f.get("url"))
        emit_event(
            event="ingest.fetch.failed",
            resource={"prefect.resource.id": f"ingest.url.{url}", "prefect.resource.name": url,
                      "ingest.source": str(f.get("source") or "")},
            related=related,
            payload={k: f.get(k) for k in ("source", "url", "status", "kind", "reason")},
        )
        n += 1
    return n
