"""The work of one batch, as it runs in a worker process: read, skip what is unchanged, normalize, stage.

No Prefect here: this module is what local worker processes (and Dask workers) import, so it stays
light. :func:`normalize_and_stage` is called by the flow's batch task, either inline or in the
flow's local process pool (:class:`LocalPool`), one chunk of a batch per call;
:func:`reuse_unchanged` by the flow before it submits any batch.

For each input they return ``(outcome, staged)``:

- the input is **unchanged** since the last run (same raw bytes, same sidecar, same pipeline
  version, see :func:`ingest.store.publish.reusable_entries`): it is not normalized again; its record is
  read back from ``records/<id>.json`` (slim, for the run's duplicate check and report) and
  ``staged.tmp`` is None (the file already holds the bytes), or it gets the quarantine it got then;
- otherwise it is normalized; a published record is serialized here, in parallel, and its bytes
  are either already in ``records/<id>.json`` (``staged.tmp`` None) or written to a temp file in
  ``records/`` that publishing renames into place (atomic, fsynced).

Published outcomes that come with a ``staged`` entry carry a *slim* record (no sections, citations,
glossary or removal log: see :func:`ingest.store.publish.slim`; the removals travel summarized in
``staged.removals``), so that a whole corpus of outcomes fits in memory; the full record is in the
staged bytes.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

from ingest import PIPELINE_VERSION
from ingest.core.errors import QuarantineError
from ingest.core.inputs import InputMeta
from ingest.core.pipeline import Outcome, Published, Quarantined
from ingest.core.pipeline import process_batch as _process_batch
from ingest.core.serialize import canonical_json, sha256_hex
from ingest.orchestration.lifeline import exit_with_parent
from ingest.store.discovery import RawRef, discover, read_with_sidecar, sidecar_path
from ingest.store.publish import (
    MANIFEST_NAME,
    RECORDS_DIR,
    Staged,
    load_manifest,
    read_back_slim,
    record_path,
    slim,
    summarize_removals,
)

#: What one input becomes: its outcome, and where a published record's bytes are (None otherwise).
Item = tuple[Outcome, Staged | None]

_TMP_PREFIX = ".tmp-"  # the prefix publish.py cleans up after an interrupted run


def default_workers() -> int:
    """Worker processes for a local run: ``INGEST_WORKERS`` if set, else the number of cores."""
    env = os.environ.get("INGEST_WORKERS", "").strip()
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            pass
    return max(1, os.cpu_count() or 1)


def normalize_and_stage(
    refs: list[RawRef],
    out_dir: str,
    process_batch: Callable[[Iterable[tuple[bytes, InputMeta]]], list[Outcome]] = _process_batch,
) -> list[Item]:
    """Read ``refs``, normalize them with one ``process_batch`` call, and stage published records
    under ``out_dir/records``. One item per ref, in order. A file that cannot be read is quarantined
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

    outcomes = process_batch([(raw, meta) for _, raw, meta, _ in todo]) if todo else []
    for (i, _raw, _meta, meta_sha), outcome in zip(todo, outcomes, strict=True):
        items[i] = _stage(Path(out_dir), records_dir, outcome, meta_sha)
    return [item for item in items if item is not None]


def reuse_unchanged(refs: list[RawRef], out_dir: str, reusable: Mapping[str, Mapping[str, Any]]) -> list[Item | None]:
    """For each ref, in order: its item if the input is unchanged since the last run, else None (to
    normalize). Unchanged: same raw bytes, same sidecar, same pipeline version as the manifest entry
    in ``reusable`` (:func:`ingest.store.publish.reusable_entries`); the item is then the published record
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


def _stage(out_dir: Path, records_dir: Path, outcome: Outcome, meta_sha: str | None) -> Item:
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
    tmp = None if same else _write_temp(records_dir, data)
    small = slim(outcome.record)
    return Published(outcome.input, small), Staged(
        outcome.input, small, tmp, meta_sha, removals=summarize_removals(outcome.record)
    )


def _write_temp(records_dir: Path, data: bytes) -> str:
    """Write ``data`` to a new fsynced temp file in ``records_dir``; returns its name."""
    fd, tmp = tempfile.mkstemp(dir=records_dir, prefix=_TMP_PREFIX, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return os.path.basename(tmp)


def inputs_may_have_changed(raw_dirs: list[str], out_dir: str, only_inputs: list[str] | None = None) -> bool:
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
    wanted = set(only_inputs) if only_inputs is not None else None
    for ref in discover([Path(d) for d in raw_dirs]):
        if wanted is not None and ref.input not in wanted:
            continue
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

    def run(self, refs: list[RawRef], out_dir: str) -> list[Item]:
        """:func:`normalize_and_stage` over ``refs``, in chunks spread over the workers; results in order."""
        futures: list[Future[list[Item]]] = [
            self.executor.submit(normalize_and_stage, chunk, out_dir) for chunk in chunks(refs, self.workers)
        ]
        return [item for fut in futures for item in fut.result()]


def current_pool() -> LocalPool | None:
    return LocalPool._current


def _init_worker() -> None:
    """Ctrl-C is the flow process's to handle (it stops the workers); a worker ends with its parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    exit_with_parent()


def _warm() -> None:
    """Import what normalizing HTML and Markdown needs (the first chunk then does not wait for it)."""
    import numpy  # noqa: F401  # SimHash

    from ingest.core import normalize  # noqa: F401
    from ingest.core.loaders import html, markdown  # noqa: F401

