"""Publishing outcomes to OUT_DIR: one canonical JSON file per record plus a manifest.

Layout::

    OUT_DIR/manifest.json          canonical JSON: schema/pipeline versions, records, quarantined,
                                   withdrawn, raw_dirs
    OUT_DIR/records/<id>.json      canonical JSON of each record (with its ``version``)
    OUT_DIR/records.jsonl          every current record, one compact line each (bulk readers)
    OUT_DIR/changes.jsonl          append-only change feed: one line per record added/updated/withdrawn
    OUT_DIR/history/<id>/v<N>.json every earlier version of a record (never deleted)

Writes are atomic (temp file in the same dir, fsync, ``os.replace``) and happen only when the bytes
differ from what is on disk, so a rerun over unchanged input touches no file (mtimes unchanged).
Only changes.jsonl holds times and run ids. Record files no longer published move to history/.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import re
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import orjson
from pydantic import Field

from ingest import PIPELINE_VERSION
from ingest.core.errors import IngestError
from ingest.core.models import SCHEMA_VERSION, Citation, GlossaryEntry, Record, Section
from ingest.core.pipeline import Outcome, Published, Quarantined
from ingest.core.serialize import canonical_json, sha256_hex
from ingest.store.dedupe import near_duplicates, resolve_duplicates

MANIFEST_NAME = "manifest.json"
RECORDS_DIR = "records"
HISTORY_DIR = "history"
CHANGES_NAME = "changes.jsonl"
RECORDS_JSONL = "records.jsonl"
_ID_RE = re.compile(r"^[a-z]+-[0-9a-f]{16}$")
_TMP_PREFIX = ".tmp-"


class OutputDirError(IngestError):
    """OUT_DIR cannot be created or written. The CLI exits 2."""


@dataclass(slots=True)
class PublishSummary:
    """What :func:`publish` did. ``written``/``unchanged`` count record files only."""

    published: int = 0
    written: int = 0
    unchanged: int = 0
    quarantined: int = 0
    #: Other copies of a published page (same record id), listed in the manifest under ``duplicates``.
    duplicates: int = 0
    removed_stale: int = 0
    kept_previous: int = 0
    manifest_written: bool = False
    #: Lines appended to changes.jsonl (added, updated, withdrawn records).
    changes: int = 0
    #: Every quarantined outcome (from the pipeline and from publishing), sorted by input.
    quarantined_outcomes: list[Quarantined] = field(default_factory=list)
    #: What was appended to changes.jsonl (``event``, ``id``, ``input``, ``version``, ``content_sha256``),
    #: for the flow's events; not in :meth:`as_dict`.
    change_events: list[dict[str, Any]] = field(default_factory=list, repr=False)

    def counts_line(self) -> str:
        return (
            f"published {self.published} (written {self.written}, unchanged {self.unchanged}), "
            f"quarantined {self.quarantined}"
            + (f" (previous record kept for {self.kept_previous})" if self.kept_previous else "")
            + f", withdrawn {self.removed_stale}"
        )

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (what the flow returns)."""
        d = asdict(self)
        d.pop("change_events")
        d["quarantined_outcomes"] = [asdict(q) for q in self.quarantined_outcomes]
        return d


# --------------------------------------------------------------------------- file helpers


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: temp file in the same dir, fsync, ``os.replace``.

    Readers see either the old file or the new one, never a partial write; no temp file is left
    behind, even on error.
    """

    def write(f: BinaryIO) -> bool:
        f.write(data)
        return True

    _replace_atomically(path, write)


def write_if_changed(path: Path, data: bytes) -> bool:
    """Atomically write ``data`` unless ``path`` already holds exactly these bytes. True if written."""
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    atomic_write(path, data)
    return True


def write_stream_if_changed(path: Path, chunks: Iterable[bytes]) -> bool:
    """:func:`write_if_changed` for output too big to hold in memory (``records.jsonl`` of a whole
    corpus): ``chunks`` are streamed to a temp file in the same dir while hashed; the temp file is
    dropped if ``path`` already holds the same bytes (same size and sha256), else fsynced and renamed
    into place. True if written."""

    def write(f: BinaryIO) -> bool:
        digest, size = hashlib.sha256(), 0
        for chunk in chunks:
            f.write(chunk)
            digest.update(chunk)
            size += len(chunk)
        return not _same_file_content(path, size, digest.hexdigest())

    return _replace_atomically(path, write)


def _replace_atomically(path: Path, write: Callable[[BinaryIO], bool]) -> bool:
    """``write`` a temp file beside ``path``; if it returns True, fsync the file and rename it over
    ``path`` (keeping ``path``'s permissions), else drop it. True if replaced. The temp file never
    outlives the call, even on error."""
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o644
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=_TMP_PREFIX, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            keep = write(f)
            if keep:
                f.flush()
                os.fsync(f.fileno())
        if not keep:
            os.unlink(tmp)
            return False
        os.chmod(tmp, mode)
        os.replace(tmp, path)
        return True
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _same_file_content(path: Path, size: int, sha256: str) -> bool:
    try:
        if path.stat().st_size != size:
            return False
        digest = hashlib.sha256()
        with path.open("rb") as f:
            while block := f.read(1 << 20):
                digest.update(block)
    except FileNotFoundError:
        return False
    return digest.hexdigest() == sha256


def ensure_out_dir(out_dir: Path) -> None:
    """Create ``OUT_DIR/records`` if needed and check it is writable; raise :class:`OutputDirError`."""
    try:
        (out_dir / RECORDS_DIR).mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputDirError(f"cannot write to output dir {out_dir}: {e.strerror or e}") from e
    # os.access, not a probe file: probing would change the dirs' mtimes on every (no-op) rerun.
    for d in (out_dir, out_dir / RECORDS_DIR):
        if not os.access(d, os.W_OK | os.X_OK):
            raise OutputDirError(f"cannot write to output dir {out_dir}: {d} is not writable")


def record_path(out_dir: Path, record_id: str) -> Path:
    """``OUT_DIR/records/<id>.json``; raises ``ValueError`` if the id could escape ``records/``."""
    if not _ID_RE.match(record_id):
        raise ValueError(f"unsafe record id {record_id!r}")
    records = (out_dir / RECORDS_DIR).resolve()
    path = (records / f"{record_id}.json").resolve()
    if path.parent != records:
        raise ValueError(f"record id {record_id!r} resolves outside {records}")
    return out_dir / RECORDS_DIR / f"{record_id}.json"


# --------------------------------------------------------------------------- publishing


def _quarantine_entry(q: Quarantined) -> dict[str, Any]:
    return {
        "input": q.input,
        "stage": q.stage,
        "kind": q.kind,
        "reason": q.reason,
        "raw_sha256": q.raw_sha256,
        **({"meta_sha256": q.meta_sha256} if q.meta_sha256 else {}),
    }


#: Appended to the reason of a quarantined input whose earlier record stays published.
KEPT_NOTE = " (the previously published record is kept)"

#: Quarantine stages whose verdict depends only on the input's bytes, its sidecar and the pipeline
#: version, so an incremental run may reuse it. Not ``read`` (I/O errors and the size cap, a setting),
#: ``internal`` (a bug: worth retrying) or ``publish`` (depends on the other inputs of the run).
REUSABLE_QUARANTINE_STAGES = frozenset({"decode", "load", "parse", "extract", "validate", "normalize"})


def _quarantine_key(q: Quarantined) -> tuple[str, str, str, str]:
    return (q.input, q.stage, q.kind, q.reason)


def build_manifest(
    published: list[Published], quarantined: list[Quarantined], kept: list[dict[str, Any]] | None = None,
    duplicates: list[dict[str, Any]] | None = None,
    fetch_failures: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The manifest dict (pure). ``published`` must already be free of duplicate ids.

    ``kept`` are manifest entries of an earlier run carried over unchanged (their input was
    quarantined this time, so the last good record stays published). ``duplicates`` are the other
    copies of published pages (:func:`ingest.store.dedupe.resolve_duplicates`); ``near_duplicates`` pairs
    records with nearly the same body (:func:`ingest.store.dedupe.near_duplicates`).
    """
    records = [dict(k) for k in kept or []]
    for p in sorted(published, key=lambda p: p.record.id):
        r = p.record
        records.append(
            {
                "id": r.id,
                "path": f"{RECORDS_DIR}/{r.id}.json",
                "input": p.input,
                "content_sha256": r.content_sha256,
                "raw_sha256": r.provenance.raw_sha256,
                "title": r.title,
                "version": r.version,
            }
        )
    records.sort(key=lambda e: e["id"])
    return {
        "schema_version": SCHEMA_VERSION,
        "pipeline_version": PIPELINE_VERSION,
        "records": records,
        "quarantined": [_quarantine_entry(q) for q in sorted(quarantined, key=_quarantine_key)],
        "duplicates": list(duplicates or []),
        "near_duplicates": near_duplicates(p.record for p in published),
        # Only from `ingest fetch` (absent for `ingest normalize`): URLs this run could not fetch.
        **({"fetch_failures": list(fetch_failures)} if fetch_failures is not None else {}),
    }


def publish(
    out_dir: Path, outcomes: list[Outcome], fetch_failures: list[dict[str, Any]] | None = None,
    staged: dict[str, Staged] | None = None, raw_dirs: list[str] | None = None, run_id: str | None = None,
) -> PublishSummary:
    """Write records and the manifest for ``outcomes`` (in input order) to ``out_dir``.

    - Two outcomes with the same record id (the same page twice): the preferred copy is published
      (HTML over XML over Markdown/text, then the newest ``fetched_at``, then the input name) with
      ``provenance.duplicates`` naming the others, which are listed under the manifest's
      ``duplicates`` (not quarantined). Near-duplicate bodies are listed under ``near_duplicates``.
    - A record whose id could escape ``records/`` is quarantined (kind ``UnsafeId``).
    - An input published by an earlier run and quarantined now keeps its previous record (listed
      in both ``records`` and ``quarantined``; the reason says so).
    - Versions (issue 6): a record's ``version`` is 1 when first published and +1 whenever its
      ``content_sha256`` changes; the replaced file is first copied to ``history/<id>/v<N>.json``.
      A record published before and not now is **withdrawn**: its file moves to history, the
      manifest lists it under ``withdrawn`` (counted in ``removed_stale``). Each added, updated or
      withdrawn record gets one line in ``changes.jsonl`` (none on a run that changes nothing).
    - ``records.jsonl`` (every current record, one line each) is rewritten with the manifest.
    - Order of writes, so that a run killed at any point leaves complete files, a manifest whose
      every record file exists, and work the next run finishes: history copies, record files
      (atomic renames), ``records.jsonl``, ``changes.jsonl`` (appended: at least once),
      ``manifest.json``, then the removal of withdrawn record files (already copied to history).
    - Files are only rewritten when their bytes change; temp files of an interrupted run are removed.
    - ``fetch_failures`` (from ``ingest fetch``) are written as the manifest's ``fetch_failures``;
      ``raw_dirs`` (as given on the command line, relative to OUT_DIR's parent) as ``raw_dirs``
      (None keeps the previous manifest's).
    - ``staged`` (from the flow's batches: input -> :class:`Staged`): those records' bytes are already
      on disk and their outcomes carry slim records; see :func:`_write_record`.

    Raises :class:`OutputDirError` when ``out_dir`` cannot be written.
    """
    ensure_out_dir(out_dir)
    records_dir = out_dir / RECORDS_DIR
    prev_manifest = load_manifest(out_dir) or {}
    prev_entries = [e for e in prev_manifest.get("records") or [] if isinstance(e, dict)]
    previous = {e.get("input"): e for e in prev_entries}
    prev_by_id = {e.get("id"): e for e in prev_entries}
    prev_withdrawn = {
        e.get("id"): e for e in prev_manifest.get("withdrawn") or [] if isinstance(e, dict) and e.get("id")
    }
    if raw_dirs is None and isinstance(prev_manifest.get("raw_dirs"), list):
        raw_dirs = [str(d) for d in prev_manifest["raw_dirs"]]
    summary = PublishSummary()
    published: list[Published] = []
    quarantined: list[Quarantined] = []
    first_input: dict[str, str] = {}
    events: list[dict[str, Any]] = []
    # the same page twice (same canonical URL): one preferred copy, the others listed as duplicates
    outcomes, duplicates = resolve_duplicates(outcomes)
    summary.duplicates = len(duplicates)

    for o in outcomes:
        if isinstance(o, Quarantined):
            quarantined.append(o)
            continue
        rid = o.record.id
        raw_sha = o.record.provenance.raw_sha256
        if rid in first_input:
            reason = f"duplicate id {rid}: already published from {first_input[rid]}"
            quarantined.append(Quarantined(o.input, "publish", "DuplicateId", reason, raw_sha))
            continue
        try:
            path = record_path(out_dir, rid)
        except ValueError as e:
            quarantined.append(Quarantined(o.input, "publish", "UnsafeId", str(e), raw_sha))
            continue
        version, event = _next_version(o.record.content_sha256, prev_by_id.get(rid), prev_withdrawn.get(rid))
        if o.record.version != version:
            o = Published(o.input, o.record.model_copy(update={"version": version}))
        first_input[rid] = o.input
        published.append(o)
        try:
            if event == "updated":
                _archive(out_dir, path, keep_if_sha=o.record.content_sha256)
            changed = _write_record(out_dir, path, o, staged)
        except OSError as e:
            raise OutputDirError(f"cannot write {path}: {e.strerror or e}") from e
        if event:
            events.append(_event(event, o.input, o.record.id, version, o.record.content_sha256))
        if changed:
            summary.written += 1
            fault_point(f"record {rid}")
        else:
            summary.unchanged += 1

    # An input that was published before and is quarantined now keeps its last good record: a rule
    # change or a bad new copy must never silently take a published record away.
    kept: list[dict[str, Any]] = []
    for i, q in enumerate(quarantined):
        old = previous.get(q.input)
        if old is None or q.kind == "DuplicateId" or old.get("id") in first_input:
            continue
        try:
            old_path = record_path(out_dir, str(old.get("id")))
        except ValueError:
            continue
        if old_path.is_file():
            kept.append(old)
            first_input[str(old["id"])] = q.input
            quarantined[i] = dataclasses.replace(q, reason=q.reason + KEPT_NOTE)
    summary.kept_previous = len(kept)

    # Withdrawn: published by the previous run, not now. The file moves to history, never just deleted.
    withdrawn = {rid: e for rid, e in prev_withdrawn.items() if rid not in first_input}
    for rid, e in sorted(prev_by_id.items(), key=lambda kv: str(kv[0])):
        if rid in first_input or not isinstance(rid, str):
            continue
        entry = {
            "id": rid, "input": e.get("input"), "version": _int_version(e),
            "content_sha256": e.get("content_sha256"), "title": e.get("title"),
        }
        withdrawn[rid] = entry
        events.append(_event("withdrawn", e.get("input"), rid, entry["version"], e.get("content_sha256")))

    keep = {f"{rid}.json" for rid in first_input}
    to_remove: list[Path] = []
    try:
        for entry in sorted(records_dir.iterdir()):
            if entry.name.startswith(_TMP_PREFIX) and entry.is_file():
                entry.unlink()
            elif entry.suffix == ".json" and entry.name not in keep and entry.is_file():
                _archive(out_dir, entry)  # withdrawn, or left by an interrupted run: kept in history
                to_remove.append(entry)  # removed once the manifest no longer lists it
        manifest_data = _with_meta_hashes(
            build_manifest(published, quarantined, kept, duplicates, fetch_failures), staged
        )
        manifest_data["withdrawn"] = [withdrawn[k] for k in sorted(withdrawn)]
        if raw_dirs is not None:
            manifest_data["raw_dirs"] = list(raw_dirs)
        manifest = canonical_json(manifest_data)
        manifest_path = out_dir / MANIFEST_NAME
        try:
            manifest_same = manifest_path.read_bytes() == manifest
        except FileNotFoundError:
            manifest_same = False
        changes_path = out_dir / CHANGES_NAME
        if not changes_path.exists():  # first run with a change feed: every current record is news
            seen = {ev["id"] for ev in events}
            for e in manifest_data["records"]:
                if e["id"] not in seen:
                    events.append(_event("added", e.get("input"), e["id"], _int_version(e), e.get("content_sha256")))
        if summary.written or events or not manifest_same or not (out_dir / RECORDS_JSONL).exists():
            write_stream_if_changed(out_dir / RECORDS_JSONL, _records_jsonl(out_dir, manifest_data["records"]))
            fault_point("records.jsonl")
        if events:
            events.sort(key=lambda ev: (ev["id"], ev["event"]))  # independent of input order
            append_changes(out_dir, events, run_id)
            fault_point("changes.jsonl")
        summary.manifest_written = False if manifest_same else write_if_changed(manifest_path, manifest)
        for entry in to_remove:
            fault_point(f"withdraw {entry.stem}")
            entry.unlink()
            if entry.stem in withdrawn:
                summary.removed_stale += 1
    except OSError as e:
        raise OutputDirError(f"cannot update {out_dir}: {e.strerror or e}") from e
    if summary.written or summary.removed_stale:
        _fsync_dir(records_dir)
    if summary.manifest_written:
        _fsync_dir(out_dir)

    summary.published = len(published)
    summary.quarantined = len(quarantined)
    summary.quarantined_outcomes = sorted(quarantined, key=_quarantine_key)
    summary.changes = len(events)
    summary.change_events = events
    return summary


# --------------------------------------------------------------------------- versions, history, change feed


def _int_version(entry: dict[str, Any] | None) -> int:
    v = (entry or {}).get("version", 1)
    return v if isinstance(v, int) and not isinstance(v, bool) and v >= 1 else 1


def _next_version(
    content_sha: str, prev: dict[str, Any] | None, prev_withdrawn: dict[str, Any] | None
) -> tuple[int, str | None]:
    """``(version, event)`` of a record published now, against the previous manifest.

    >>> _next_version("a", None, None)
    (1, 'added')
    >>> _next_version("a", {"version": 3, "content_sha256": "a"}, None)
    (3, None)
    >>> _next_version("b", {"version": 3, "content_sha256": "a"}, None)
    (4, 'updated')
    >>> _next_version("a", None, {"version": 2, "content_sha256": "a"})
    (3, 'added')
    """
    if prev is not None:
        v = _int_version(prev)
        return (v, None) if prev.get("content_sha256") == content_sha else (v + 1, "updated")
    if prev_withdrawn is not None:
        return _int_version(prev_withdrawn) + 1, "added"
    return 1, "added"


def history_path(out_dir: Path, record_id: str, version: int) -> Path:
    """``OUT_DIR/history/<id>/v<version>.json`` (the id is checked as by :func:`record_path`)."""
    record_path(out_dir, record_id)
    return out_dir / HISTORY_DIR / record_id / f"v{int(version)}.json"


def _archive(out_dir: Path, path: Path, keep_if_sha: str | None = None) -> None:
    """Copy the record file at ``path`` to history (once; atomically) before it is replaced or removed.

    Nothing to do when the file is missing, or when it already holds content ``keep_if_sha`` (an
    interrupted run renamed the new version into place after archiving the old one).
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return
    try:
        parsed = json.loads(data)
        rid, version, sha = parsed["id"], parsed.get("version", 1), parsed.get("content_sha256")
        target = history_path(out_dir, str(rid), int(version))
    except (ValueError, KeyError, TypeError):  # not a record we wrote: keep it by its file name and hash
        sha = None
        target = out_dir / HISTORY_DIR / "_unreadable" / f"{path.stem}-{sha256_hex(data)[:12]}.json"
    if keep_if_sha is not None and sha == keep_if_sha:
        return
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(target, data)
    fault_point(f"history {target.parent.name}/{target.name}")


def _event(event: str, input_name: Any, rid: str, version: int, sha: Any) -> dict[str, Any]:
    return {"event": event, "id": rid, "input": input_name, "version": version, "content_sha256": sha}


def append_changes(out_dir: Path, events: list[dict[str, Any]], run_id: str | None = None) -> None:
    """Append one JSON line per event to ``OUT_DIR/changes.jsonl`` (one write, fsynced).

    Each line: ``event`` (added, updated, withdrawn), ``id``, ``input``, ``version``,
    ``content_sha256``, ``run_id``, ``time`` (UTC). A torn last line left by a killed run is cut off
    first. Delivery is at least once: a run killed after appending and before writing the manifest
    appends the same events again (same id, version and hash) when it is rerun.
    """
    run_id = run_id or uuid.uuid4().hex
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    data = b"".join(
        orjson.dumps({**ev, "run_id": run_id, "time": now}, option=orjson.OPT_SORT_KEYS) + b"\n" for ev in events
    )
    path = out_dir / CHANGES_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":  # torn line from a killed run
            tail = os.pread(fd, min(size, 1 << 20), max(0, size - (1 << 20)))
            cut = tail.rfind(b"\n")
            os.ftruncate(fd, (max(0, size - len(tail)) + cut + 1) if cut >= 0 else 0)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def read_changes(out_dir: Path) -> list[dict[str, Any]]:
    """The lines of ``OUT_DIR/changes.jsonl`` (a torn last line is skipped); [] when there is none."""
    try:
        data = (out_dir / CHANGES_NAME).read_bytes()
    except FileNotFoundError:
        return []
    out = []
    lines = data.split(b"\n")
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except ValueError:
            if i == len(lines) - 1:  # the last line, not newline-terminated: torn by a killed run
                continue
            raise
    return out


def _records_jsonl(out_dir: Path, entries: list[dict[str, Any]]) -> Iterator[bytes]:
    """Every current record (manifest order), one compact canonical JSON line each; one record at a
    time in memory (a corpus' records.jsonl is ~0.1 MB per page)."""
    for e in entries:
        data = record_path(out_dir, str(e["id"])).read_bytes()
        yield orjson.dumps(orjson.loads(data), option=orjson.OPT_SORT_KEYS) + b"\n"


_fault_count = 0


def fault_point(name: str) -> None:
    """Fault injection for the crash tests (a no-op unless one of these is set):

    - ``INGEST_FAULT_AT=N``: at the N-th fault point of the process, write ``ingest-fault: <name>``
      to stderr and sleep until killed, so a test can SIGKILL the run exactly between two writes;
    - ``INGEST_FAULT_PAUSE=SECONDS``: announce every fault point and pause that long.

    Fault points: after each batch of the flow, each history copy, record file written, record
    withdrawn, records.jsonl and changes.jsonl (the manifest is the last write).
    """
    global _fault_count
    at, pause = os.environ.get("INGEST_FAULT_AT"), os.environ.get("INGEST_FAULT_PAUSE")
    if not (at or pause):
        return
    _fault_count += 1
    if pause:
        os.write(2, f"ingest-fault: {_fault_count} {name}\n".encode())
        time.sleep(float(pause))
    if at and int(at) == _fault_count:
        os.write(2, f"ingest-fault: {_fault_count} {name}\n".encode())
        time.sleep(3600)


def load_manifest(out_dir: Path) -> dict[str, Any] | None:
    """The parsed ``OUT_DIR/manifest.json``, or None when there is none (or it is not a JSON object)."""
    try:
        data = json.loads((out_dir / MANIFEST_NAME).read_bytes())
    except FileNotFoundError:
        return None
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


# --------------------------------------------------------------------------- incremental runs (issue 5)
# The flow's batches serialize and stage records in worker processes and skip unchanged inputs;
# publishing then only renames files into place. Duplicate resolution stays in publish() above.

#: Record fields a slim record leaves out (the bulk of a record; publishing never reads them).
SLIM_FIELDS = ("sections", "citations", "glossary")


def slim(record: Record) -> Record:
    """``record`` without sections, citations, glossary and ``provenance.removals``: what a run keeps
    in memory per document once the full bytes are staged on disk (enough for the manifest and
    duplicates; the report's removal counts travel as :func:`summarize_removals`). Removals were
    ~94% of what a slim record kept before (issue 5: memory flat as the corpus grows)."""
    prov = record.provenance.model_copy(update={"removals": []})
    return record.model_copy(update={**{f: [] for f in SLIM_FIELDS}, "provenance": prov})


class _SlimRecord(Record):
    """A record read back without its sections, citations and glossary (:func:`read_back_slim`)."""

    sections: list[Section] = Field(default_factory=list)  # type: ignore[assignment]
    citations: list[Citation] = Field(default_factory=list)  # type: ignore[assignment]
    glossary: list[GlossaryEntry] = Field(default_factory=list)  # type: ignore[assignment]


def read_back_slim(data: bytes) -> tuple[Record, RemovalSummary]:
    """A published record file's slim record (:func:`slim`) and removal summary, for a reused input.

    The big fields are cut out of the bytes before parsing (:func:`_without_slim_fields`): ~5x less
    to parse than the whole record (issue 5: reading 200 records back was 0.25 s of an unchanged
    rerun). Bytes not laid out as canonical JSON are parsed whole. Raises ``ValueError`` when the file
    is not a valid record.
    """
    cut = _without_slim_fields(data)
    record: Record | None = None
    if cut is not None:
        try:
            record = _SlimRecord.model_validate_json(cut)
        except ValueError:
            record = None
    if record is None:
        record = Record.model_validate_json(data)
    return slim(record), summarize_removals(record)


def _without_slim_fields(data: bytes) -> bytes | None:
    r"""``data`` (a record's canonical JSON) with the values of :data:`SLIM_FIELDS` replaced by ``[]``,
    without parsing: in canonical JSON (sorted keys, 2-space indent) only a top-level key starts a
    line with exactly two spaces and a quote, and no string holds a raw newline. None if the bytes
    are not laid out so.

    >>> _without_slim_fields(b'{\n  "citations": [\n    1\n  ],\n  "glossary": [],\n  "id": "x",\n  "sections": [\n    2\n  ]\n}\n')
    b'{\n  "citations": [],\n  "glossary": [],\n  "id": "x",\n  "sections": []\n}\n'
    """
    out: list[bytes] = []
    pos = 0
    for key in sorted(SLIM_FIELDS):
        start = data.find(b'\n  "' + key.encode() + b'": ', pos)
        if start < 0:
            return None
        value = start + len(key) + 7  # past '\n  "', the key and '": '
        end = data.find(b'\n  "', value)
        if end < 0:  # the last key: its value ends the object
            end = data.rfind(b"\n}")
            if end < value:
                return None
            out += [data[pos:value], b"[]"]
        else:
            out += [data[pos:value], b"[],"]
        pos = end
    out.append(data[pos:])
    return b"".join(out)


#: Per cleaning rule, what one record's removals add up to: ``(rule, kinds, times, reason, example)``
#: (the first reason and removed text, cut to :data:`EXAMPLE_CHARS`), in order of first removal.
RemovalSummary = tuple[tuple[str, tuple[str, ...], int, str, str], ...]

#: Longest reason or example text a removal summary keeps (the run report shows at most 100).
EXAMPLE_CHARS = 1000


def summarize_removals(record: Record) -> RemovalSummary:
    """The removal counts of ``record`` by rule (see :data:`RemovalSummary`)."""
    by_rule: dict[str, list[Any]] = {}
    for r in record.provenance.removals:
        e = by_rule.get(r.rule)
        if e is None:
            by_rule[r.rule] = [[r.kind], r.count, r.reason[:EXAMPLE_CHARS], r.text[:EXAMPLE_CHARS]]
        else:
            if r.kind not in e[0]:
                e[0].append(r.kind)
            e[1] += r.count
    return tuple((rule, tuple(kinds), n, reason, text) for rule, (kinds, n, reason, text) in by_rule.items())


@dataclass(frozen=True, slots=True)
class Staged:
    """Where a published record's bytes already are, written by the batch that normalized it.

    ``tmp``: a fsynced temp file in ``records/`` to rename into place, or None when
    ``records/<id>.json`` already holds exactly these bytes (unchanged record, or unchanged input
    whose record was reused). ``record``: the slim record the outcome carries. ``meta_sha256``: sha256
    of the input's sidecar (None without one), recorded in the manifest entry for the next run.
    """

    input: str
    record: Record
    tmp: str | None
    meta_sha256: str | None
    #: True when the input was unchanged and its published record was reused, not normalized again.
    reused: bool = False
    #: The full record's removals by rule (the slim ``record`` has none), for the run report.
    removals: RemovalSummary = ()


def _write_record(out_dir: Path, path: Path, o: Published, staged: dict[str, Staged] | None) -> bool:
    """Put ``o``'s record at ``path``; True if the file changed. Staged bytes are renamed into place;
    a record that duplicate resolution changed is rebuilt from them (only its non-slim fields change)."""
    s = staged.get(o.input) if staged else None
    if s is None:
        return write_if_changed(path, canonical_json(o.record))
    records_dir = out_dir / RECORDS_DIR
    if s.tmp is not None and (os.sep in s.tmp or "/" in s.tmp or not s.tmp.startswith(_TMP_PREFIX)):
        raise ValueError(f"staged file {s.tmp!r} is not a temp file in {records_dir}")
    if o.record is s.record or o.record == s.record:
        if s.tmp is None:
            return False
        with contextlib.suppress(FileNotFoundError):
            os.chmod(records_dir / s.tmp, path.stat().st_mode & 0o777)
        os.replace(records_dir / s.tmp, path)
        return True
    full = Record.model_validate_json((records_dir / s.tmp if s.tmp else path).read_bytes())
    changes = {k: getattr(o.record, k) for k in type(o.record).model_fields if k not in SLIM_FIELDS}
    # the slim record's provenance has no removals: the full record's stay
    changes["provenance"] = o.record.provenance.model_copy(update={"removals": full.provenance.removals})
    return write_if_changed(path, canonical_json(full.model_copy(update=changes)))


def _with_meta_hashes(manifest: dict[str, Any], staged: dict[str, Staged] | None) -> dict[str, Any]:
    """Add ``meta_sha256`` to the manifest entries of staged inputs that have a sidecar."""
    for e in manifest["records"] if staged else []:
        s = staged.get(e.get("input"))
        if s is not None and s.meta_sha256 is not None and s.record.id == e.get("id"):
            e["meta_sha256"] = s.meta_sha256
    return manifest


def reusable_entries(
    out_dir: Path, manifest: dict[str, Any] | None = None, quarantines: bool = True
) -> dict[str, dict[str, Any]]:
    """``{input: {"id", "raw_sha256"[, "meta_sha256"]}}``: published records an incremental run may
    reuse instead of normalizing their input again, if the input's bytes and sidecar still hash to
    these values (:func:`ingest.orchestration.workers.reuse_unchanged` checks, and reads the record back).

    With ``quarantines``, also ``{input: {"quarantined": {"stage", "kind", "reason"}, "raw_sha256"[,
    "meta_sha256"]}}`` for inputs quarantined at a stage in :data:`REUSABLE_QUARANTINE_STAGES`: the
    same bytes get the same verdict, so an unchanged rerun does not normalize them again either
    (``ingest replay`` passes ``quarantines=False``: it exists to retry them).

    Nothing is reusable when the manifest was written by another pipeline or schema version. A record
    entry is left out when its record file is missing, when its input is quarantined (the record
    was kept from an earlier run), or when it took part in duplicate resolution (its record names
    other inputs, which may have changed).
    """
    manifest = load_manifest(out_dir) if manifest is None else manifest
    if not manifest or (manifest.get("pipeline_version"), manifest.get("schema_version")) != (
        PIPELINE_VERSION, SCHEMA_VERSION
    ):
        return {}
    excluded = {q.get("input") for q in manifest.get("quarantined") or [] if isinstance(q, dict)}
    for d in manifest.get("duplicates") or []:
        if isinstance(d, dict):
            excluded.update((d.get("input"), d.get("duplicate_of")))
    out: dict[str, dict[str, Any]] = {}
    for e in manifest.get("records") or []:
        if not isinstance(e, dict):
            continue
        inp, rid, raw = e.get("input"), e.get("id"), e.get("raw_sha256")
        if not (isinstance(inp, str) and isinstance(rid, str) and isinstance(raw, str)) or inp in excluded:
            continue
        try:
            if not record_path(out_dir, rid).is_file():
                continue
        except ValueError:
            continue
        out[inp] = {k: e[k] for k in ("id", "raw_sha256", "meta_sha256") if k in e}
    for q in manifest.get("quarantined") or [] if quarantines else []:
        if not isinstance(q, dict) or q.get("stage") not in REUSABLE_QUARANTINE_STAGES:
            continue
        inp, raw, kind, reason = q.get("input"), q.get("raw_sha256"), q.get("kind"), q.get("reason")
        if not all(isinstance(v, str) for v in (inp, raw, kind, reason)) or inp in out:
            continue
        reason = reason.removesuffix(KEPT_NOTE)  # publishing adds it again while the old record is kept
        entry = {"quarantined": {"stage": q["stage"], "kind": kind, "reason": reason}, "raw_sha256": raw}
        if isinstance(q.get("meta_sha256"), str):
            entry["meta_sha256"] = q["meta_sha256"]
        out[inp] = entry
    return out
