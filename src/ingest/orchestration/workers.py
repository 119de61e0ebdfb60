"""The work of one batch, as it runs in a worker process: read, skip what is unchanged, normalize, stage.

No Prefect here: this module is what local worker processes (and Dask workers) import, so it stays
light. :func:`normalize_and_stage` is called by the flow's batch task, either inline or in the
flow's local process pool (:class:`LocalPool`), one chunk of a batch per call;
:func:`reuse_unchanged` by the flow before it submits any batch.

For each input they return ``(outcome, staged)``:

- the input is **unchanged** since the last run (same raw bytes, same sidecar, same pipeline
  version, see :func:`ingest.store.manifest.reusable_entries`): it is not normalized again; its record is
  read back from ``records/<id>.json`` (slim, for the run's duplicate check and report) and
  ``staged.tmp`` is None (the file already holds the bytes), or it gets the quarantine it got then;
- otherwise it is normalized; a published record is serialized here, in parallel, and its bytes
  are either already in ``records/<id>.json`` (``staged.tmp`` None) or written to a temp file in
  ``records/`` that publishing renames into place (atomic, fsynced).

Each document gets a time budget (:func:`doc_timeout`, ``INGEST_DOC_TIMEOUT_SECONDS``, default
60 s): one that normalizes for longer is quarantined (``PathologicalInput``, "normalizing took more
than N s") and the rest of its batch goes on. In a worker process an alarm stops the document; if
it cannot (stuck in C code), the worker stops itself a few seconds later and :class:`LocalPool`
replaces it and runs that chunk's other documents again (the core has no clock: the budget lives
here).

Published outcomes that come with a ``staged`` entry carry a *slim* record (no sections, citations,
glossary or removal log: see :func:`ingest.store.staging.slim`; the removals travel summarized in
``staged.removals``), so that a whole corpus of outcomes fits in memory; the full record is in the
staged bytes.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from ingest import PIPELINE_VERSION
from ingest.core.errors import QuarantineError
from ingest.core.inputs import InputMeta
from ingest.core.pipeline import Outcome, Published, Quarantined
from ingest.core.pipeline import process_batch as _process_batch
from ingest.core.serialize import canonical_json, sha256_hex
from ingest.orchestration.lifeline import exit_with_parent
from ingest.store.chunks import ChunkSettings, stage_chunks
from ingest.store.discovery import RawRef, read_with_sidecar, scan, sidecar_path
from ingest.store.files import RECORDS_DIR, record_path, write_temp
from ingest.store.manifest import MANIFEST_NAME, load_manifest
from ingest.store.staging import Staged, read_back_slim, slim, summarize_removals

#: What one input becomes: its outcome, and where a published record's bytes are (None otherwise).
Item = tuple[Outcome, Staged | None]



def default_workers() -> int:
    """Worker processes for a local run: ``INGEST_WORKERS`` if set, else the number of cores."""
    env = os.environ.get("INGEST_WORKERS", "").strip()
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            pass
    return max(1, os.cpu_count() or 1)


#: Seconds one document may take to normalize unless ``INGEST_DOC_TIMEOUT_SECONDS`` says otherwise.
DEFAULT_DOC_TIMEOUT = 60.0
#: Seconds after the budget before a worker whose alarm could not stop a document stops itself.
HARD_STOP_GRACE = 10.0


def doc_timeout() -> float | None:
    """The per-document budget in seconds: ``INGEST_DOC_TIMEOUT_SECONDS`` if it is a positive number
    (``0`` turns the budget off: None), else :data:`DEFAULT_DOC_TIMEOUT`."""
    env = os.environ.get("INGEST_DOC_TIMEOUT_SECONDS", "").strip()
    if env:
        try:
            value = float(env)
        except ValueError:
            return DEFAULT_DOC_TIMEOUT
        return value if value > 0 else None
    return DEFAULT_DOC_TIMEOUT


def overtime_reason(budget: float) -> str:
    return f"normalizing took more than {budget:g} s"


class _Overtime(BaseException):
    """Raised by the alarm in the document over its budget (not an Exception: the core's isolation
    boundary, which quarantines an Exception at stage "internal", must let it through)."""


def _within_budget(fn: Callable[[], Outcome], input_name: str, raw: bytes) -> Outcome:
    """``fn()`` (normalizing one document) under the budget of :func:`doc_timeout`, when called in
    a process's main thread (where an alarm can interrupt it); elsewhere (a flow thread) only
    ``fn()``. The budget is CPU time of the process (``ITIMER_PROF``): the document's own work, not
    how busy the machine is. In a worker process, a watchdog thread stops the process when the
    document is still running :data:`HARD_STOP_GRACE` CPU seconds after its alarm (stuck in C code
    the alarm cannot reach)."""
    budget = doc_timeout()
    if budget is None or threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        return fn()

    def alarm(_signum: int, _frame: object) -> None:
        raise _Overtime

    previous = signal.signal(signal.SIGPROF, alarm)
    _arm_watchdog(time.process_time() + budget + HARD_STOP_GRACE)
    try:
        signal.setitimer(signal.ITIMER_PROF, budget)
        try:
            return fn()
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
    except _Overtime:
        return Quarantined(input_name, "load", "PathologicalInput", overtime_reason(budget), sha256_hex(raw))
    finally:
        _watchdog["deadline"] = None
        signal.signal(signal.SIGPROF, previous)


_watchdog: dict[str, Any] = {"deadline": None, "thread": None}


def _arm_watchdog(deadline: float) -> None:
    _watchdog["deadline"] = deadline
    if _watchdog["thread"] is None and multiprocessing.parent_process() is not None:  # worker processes only
        _watchdog["thread"] = threading.Thread(target=_watch, name="ingest-doc-watchdog", daemon=True)
        _watchdog["thread"].start()


def _watch() -> None:
    while True:
        time.sleep(0.5)
        deadline = _watchdog["deadline"]
        if deadline is not None and time.process_time() > deadline:
            os._exit(70)  # the pool sees a broken worker and replaces it (LocalPool._collect)


def normalize_and_stage(
    refs: list[RawRef],
    out_dir: str,
    process_batch: Callable[[Iterable[tuple[bytes, InputMeta]]], list[Outcome]] = _process_batch,
    chunking: ChunkSettings | None = None,
) -> list[Item]:
    """Read ``refs``, normalize them with ``process_batch`` (one call per document, under the time
    budget of :func:`doc_timeout`), and stage published records under ``out_dir/records`` (with
    their chunk lines, made with ``chunking``, when given: chunking then runs here, in the worker
    processes, not in the flow process at publish time). One item per ref, in order. A file that cannot be read is quarantined
    at stage ``read``, as in :func:`ingest.orchestration.normalize_flow.normalize_refs`. (Unchanged inputs never get here:
    the flow settles them first, with :func:`reuse_unchanged`.)
    """
    records_dir = Path(out_dir) / RECORDS_DIR
    items: list[Item | None] = [None] * len(refs)
    todo: list[tuple[int, bytes, InputMeta, str | None]] = []
    for i, ref in enumerate(refs):
        read = _read(ref)
        if isinstance(read, Quarantined):
            items[i] = read, None
            continue
        raw, meta, meta_sha = read
        todo.append((i, raw, meta, meta_sha))

    for i, raw, meta, meta_sha in todo:  # one document at a time: each under the time budget
        outcome = _within_budget(lambda raw=raw, meta=meta: process_batch([(raw, meta)])[0], meta.input, raw)
        items[i] = _stage(Path(out_dir), records_dir, outcome, meta_sha, chunking)
    return [item for item in items if item is not None]


def reuse_unchanged(refs: list[RawRef], out_dir: str, reusable: Mapping[str, Mapping[str, Any]]) -> list[Item | None]:
    """For each ref, in order: its item if the input is unchanged since the last run, else None (to
    normalize). Unchanged: same raw bytes, same sidecar, same pipeline version as the manifest entry
    in ``reusable`` (:func:`ingest.store.manifest.reusable_entries`); the item is then the published record
    read back (slim), or the same quarantine as last time. Only the inputs in ``reusable`` are read.

    The flow calls this before it hands work to worker processes, so an unchanged rerun starts none.
    """
    out: list[Item | None] = []
    for ref in refs:
        entry = reusable.get(ref.input)
        item = None
        if entry is not None:
            read = _read(ref)
            if not isinstance(read, Quarantined):
                raw, _meta, meta_sha = read
                item = _reuse(Path(out_dir), ref.input, entry, sha256_hex(raw), meta_sha)
        out.append(item)
    return out


def _read(ref: RawRef) -> tuple[bytes, InputMeta, str | None] | Quarantined:
    """``(raw, meta, sidecar sha256)``, or the quarantine of an input that cannot be read (stage
    ``read``, as in :func:`ingest.orchestration.normalize_flow.normalize_refs`)."""
    try:
        raw, meta, sidecar = read_with_sidecar(ref)
    except OSError as e:
        return Quarantined(ref.input, "read", type(e).__name__, f"cannot read: {e.strerror or e}", None)
    except QuarantineError as e:  # over the size cap: never read
        return Quarantined(ref.input, e.stage, e.kind, e.reason, None)
    return raw, meta, (sha256_hex(sidecar) if sidecar is not None else None)


def _reuse(out_dir: Path, input_name: str, entry: Mapping[str, Any], raw_sha: str, meta_sha: str | None) -> Item | None:
    """The published record (or the quarantine) of an unchanged input, or None when it must be
    normalized again."""
    if entry.get("raw_sha256") != raw_sha or entry.get("meta_sha256") != meta_sha:
        return None
    q = entry.get("quarantined")
    if isinstance(q, Mapping):  # same bytes, same pipeline: the same verdict (reusable_entries chose which)
        return Quarantined(input_name, str(q["stage"]), str(q["kind"]), str(q["reason"]), raw_sha, meta_sha), None
    try:
        path = record_path(out_dir, str(entry.get("id")))
        small, removals = read_back_slim(path.read_bytes())
    except (OSError, ValueError):  # missing, unreadable or hand-edited record file: normalize again
        return None
    prov = small.provenance
    if (small.id, prov.input, prov.raw_sha256, prov.pipeline_version) != (
        entry.get("id"), input_name, raw_sha, PIPELINE_VERSION
    ):
        return None
    return Published(input_name, small), Staged(input_name, small, None, meta_sha, reused=True, removals=removals)


def _stage(out_dir: Path, records_dir: Path, outcome: Outcome, meta_sha: str | None,
           chunking: ChunkSettings | None = None) -> Item:
    if not isinstance(outcome, Published):  # the manifest records the sidecar hash of quarantines too
        return (dataclasses.replace(outcome, meta_sha256=meta_sha) if meta_sha else outcome), None
    try:
        path = record_path(out_dir, outcome.record.id)
    except ValueError:  # publishing quarantines it (UnsafeId); keep the full record, stage nothing
        return outcome, None
    data = canonical_json(outcome.record)
    try:
        same = path.read_bytes() == data
    except FileNotFoundError:
        same = False
    tmp = None if same else write_temp(records_dir, [data])
    # a record whose bytes are already published keeps its chunk lines (or publishing chunks it from
    # disk if the settings changed): an unchanged --force rerun writes nothing into records/
    chunks_tmp = stage_chunks(records_dir, outcome.record, chunking) if chunking is not None and not same else None
    small = slim(outcome.record)
    return Published(outcome.input, small), Staged(
        outcome.input, small, tmp, meta_sha, removals=summarize_removals(outcome.record),
        chunks_tmp=chunks_tmp, chunking=chunking.as_dict() if chunking is not None else None,
    )


def inputs_may_have_changed(raw_dirs: list[str], out_dir: str, only_inputs: list[str] | None = None,
                            include: list[str] | None = None, exclude: list[str] | None = None) -> bool:
    """A cheap guess (no file is read) at whether a run will find inputs to normalize: there is no
    manifest, an input is not in it, or an input file or sidecar was modified after it was written.

    Only decides whether worker processes start early; what is reused is decided from hashes
    (:func:`reuse_unchanged`), so a wrong guess costs time, never correctness.
    """
    try:
        written = (Path(out_dir) / MANIFEST_NAME).stat().st_mtime_ns
    except OSError:
        return True
    manifest = load_manifest(Path(out_dir)) or {}
    known = {
        e.get("input") for key in ("records", "quarantined", "duplicates")
        for e in manifest.get(key) or [] if isinstance(e, dict)
    }
    for ref in scan([Path(d) for d in raw_dirs], include, exclude, only=only_inputs).refs:
        if ref.input not in known:
            return True
        for path in (ref.path, sidecar_path(ref.path)):
            try:
                if path.stat().st_mtime_ns >= written:
                    return True
            except FileNotFoundError:
                continue
    return False


# --------------------------------------------------------------------------- local process pool


def chunks(refs: list[RawRef], workers: int, max_chunk: int = 8) -> list[list[RawRef]]:
    """Split a batch into chunks small enough to keep every worker busy until the end.

    >>> [len(c) for c in chunks(list(range(20)), 2)]
    [7, 7, 6]
    >>> [len(c) for c in chunks(list(range(3)), 2)]
    [2, 1]
    """
    if not refs:
        return []
    n = max(workers, -(-len(refs) // max_chunk))
    size = -(-len(refs) // n)
    return [refs[i : i + size] for i in range(0, len(refs), size)]


class LocalPool:
    """The flow run's worker processes (``spawn``: safe next to Prefect's threads), as a context manager.

    While one is open, :func:`current_pool` returns it, so batch tasks running in threads of the
    flow process can hand their chunks to it. Left normally, it waits for the workers; left by an
    exception (SIGTERM, Ctrl-C, a failed batch) it stops them at once. Workers also end when the
    flow process is killed (:func:`ingest.orchestration.lifeline.exit_with_parent`).
    """

    _current: LocalPool | None = None
    _lock = threading.Lock()

    def __init__(self, workers: int, warm: bool = False) -> None:
        self.workers = workers
        self.executor = ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker
        )
        if warm:  # start the processes and their imports now, in the background
            for _ in range(workers):
                self.executor.submit(_warm)

    def __enter__(self) -> LocalPool:
        with LocalPool._lock:
            LocalPool._current = self
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        with LocalPool._lock:
            if LocalPool._current is self:
                LocalPool._current = None
        if exc_type is None:
            self.executor.shutdown(wait=True, cancel_futures=True)
        else:
            self.stop()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the workers now, mid-chunk (their staged temp files are removed by the next run)."""
        processes = list((getattr(self.executor, "_processes", None) or {}).values())
        self.executor.shutdown(wait=False, cancel_futures=True)
        for p in processes:
            if p.is_alive():
                p.terminate()
        deadline = time.monotonic() + timeout
        for p in processes:
            p.join(max(0.0, deadline - time.monotonic()))
            if p.is_alive():
                p.kill()

    def run(self, refs: list[RawRef], out_dir: str, chunking: ChunkSettings | None = None) -> list[Item]:
        """:func:`normalize_and_stage` over ``refs``, in chunks spread over the workers; results in order.

        A worker that stopped itself (a document stuck past its budget, see :class:`_Budget`) or
        died breaks the pool: it is replaced, and the chunks it broke run again one document per
        call; a document that breaks the pool twice on its own is quarantined as over its budget.
        """
        parts = chunks(refs, self.workers)
        futures = [self._submit(chunk, out_dir, chunking) for chunk in parts]
        return [item for chunk, fut in zip(parts, futures, strict=True)
                for item in self._collect(chunk, fut, out_dir, chunking)]

    def _submit(self, chunk: list[RawRef], out_dir: str,
                chunking: ChunkSettings | None) -> tuple[ProcessPoolExecutor, Future[list[Item]]]:
        with LocalPool._lock:
            executor = self.executor
        try:
            return executor, executor.submit(normalize_and_stage, chunk, out_dir, chunking=chunking)
        except BrokenProcessPool:
            self._replace(executor)
            return self._submit(chunk, out_dir, chunking)

    def _collect(
        self, chunk: list[RawRef], submitted: tuple[ProcessPoolExecutor, Future[list[Item]]], out_dir: str,
        chunking: ChunkSettings | None, tries: int = 0,
    ) -> list[Item]:
        executor, fut = submitted
        try:
            return fut.result()
        except BrokenProcessPool:
            self._replace(executor)
        if len(chunk) > 1:
            return [item for ref in chunk
                    for item in self._collect([ref], self._submit([ref], out_dir, chunking), out_dir, chunking)]
        if tries == 0:  # this document, or another in flight when the pool broke
            return self._collect(chunk, self._submit(chunk, out_dir, chunking), out_dir, chunking, tries=1)
        budget = doc_timeout() or DEFAULT_DOC_TIMEOUT
        reason = overtime_reason(budget) + " (its worker process was stopped)"
        return [(Quarantined(chunk[0].input, "load", "PathologicalInput", reason, None), None)]

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        """Replace a broken executor by a new one (once, whichever thread sees it first)."""
        with LocalPool._lock:
            if self.executor is not broken:
                return
            self.executor = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker
            )
        broken.shutdown(wait=False, cancel_futures=True)


def current_pool() -> LocalPool | None:
    return LocalPool._current


def _init_worker() -> None:
    """Ctrl-C is the flow process's to handle (it stops the workers); a worker ends with its parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    exit_with_parent()


def _warm() -> None:
    """Import what normalizing HTML and Markdown needs (the first chunk then does not wait for it)."""
    import numpy  # noqa: F401  # SimHash
    import trafilatura  # noqa: F401  # the generic extractor: ~1 s, else counted in a document's budget

    from ingest.core import normalize  # noqa: F401
    from ingest.core.loaders import html, markdown  # noqa: F401

