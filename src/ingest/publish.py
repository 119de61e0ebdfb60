"""Publishing outcomes to OUT_DIR: one canonical JSON file per record plus a manifest.

Layout::

    OUT_DIR/manifest.json          canonical JSON: schema/pipeline versions, records, quarantined
    OUT_DIR/records/<id>.json      canonical JSON of each record

Writes are atomic (temp file in the same dir, fsync, ``os.replace``) and happen only when the bytes
differ from what is on disk, so a rerun over unchanged input touches no file (mtimes unchanged).
Nothing time-dependent is written. Record files no longer in the manifest are removed.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import PIPELINE_VERSION
from .dedupe import near_duplicates, resolve_duplicates
from .errors import IngestError
from .models import SCHEMA_VERSION, Record
from .pipeline import Outcome, Published, Quarantined
from .serialize import canonical_json

MANIFEST_NAME = "manifest.json"
RECORDS_DIR = "records"
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
    #: Every quarantined outcome (from the pipeline and from publishing), sorted by input.
    quarantined_outcomes: list[Quarantined] = field(default_factory=list)

    def counts_line(self) -> str:
        return (
            f"published {self.published} (written {self.written}, unchanged {self.unchanged}), "
            f"quarantined {self.quarantined}"
            + (f" (previous record kept for {self.kept_previous})" if self.kept_previous else "")
            + f", stale removed {self.removed_stale}"
        )

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (what the flow returns)."""
        d = asdict(self)
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
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o644
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=_TMP_PREFIX, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_if_changed(path: Path, data: bytes) -> bool:
    """Atomically write ``data`` unless ``path`` already holds exactly these bytes. True if written."""
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    atomic_write(path, data)
    return True


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
    }


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
    copies of published pages (:func:`ingest.dedupe.resolve_duplicates`); ``near_duplicates`` pairs
    records with nearly the same body (:func:`ingest.dedupe.near_duplicates`).
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
    staged: dict[str, Staged] | None = None,
) -> PublishSummary:
    """Write records and the manifest for ``outcomes`` (in input order) to ``out_dir``.

    - Two outcomes with the same record id (the same page twice): the preferred copy is published
      (HTML over XML over Markdown/text, then the newest ``fetched_at``, then the input name) with
      ``provenance.duplicates`` naming the others, which are listed under the manifest's
      ``duplicates`` (not quarantined). Near-duplicate bodies are listed under ``near_duplicates``.
    - A record whose id could escape ``records/`` is quarantined (kind ``UnsafeId``).
    - An input published by an earlier run and quarantined now keeps its previous record (listed
      in both ``records`` and ``quarantined``; the reason says so).
    - ``records/*.json`` files not in the new manifest are removed (counted in ``removed_stale``),
      as are temp files left by an interrupted earlier run.
    - Files are only rewritten when their bytes change.
    - ``fetch_failures`` (from ``ingest fetch``) are written as the manifest's ``fetch_failures``.
    - ``staged`` (from the flow's batches: input -> :class:`Staged`): those records' bytes are already
      on disk and their outcomes carry slim records; see :func:`_write_record`.

    Raises :class:`OutputDirError` when ``out_dir`` cannot be written.
    """
    ensure_out_dir(out_dir)
    records_dir = out_dir / RECORDS_DIR
    previous = {e.get("input"): e for e in (load_manifest(out_dir) or {}).get("records", []) if isinstance(e, dict)}
    summary = PublishSummary()
    published: list[Published] = []
    quarantined: list[Quarantined] = []
    first_input: dict[str, str] = {}
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
        first_input[rid] = o.input
        published.append(o)
        try:
            changed = _write_record(out_dir, path, o, staged)
        except OSError as e:
            raise OutputDirError(f"cannot write {path}: {e.strerror or e}") from e
        if changed:
            summary.written += 1
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
            quarantined[i] = Quarantined(
                q.input, q.stage, q.kind, q.reason + " (the previously published record is kept)", q.raw_sha256
            )
    summary.kept_previous = len(kept)

    keep = {f"{rid}.json" for rid in first_input}
    try:
        for entry in sorted(records_dir.iterdir()):
            if entry.name.startswith(_TMP_PREFIX) and entry.is_file():
                entry.unlink()
            elif entry.suffix == ".json" and entry.name not in keep and entry.is_file():
                entry.unlink()
                summary.removed_stale += 1
        manifest = canonical_json(
            _with_meta_hashes(build_manifest(published, quarantined, kept, duplicates, fetch_failures), staged)
        )
        summary.manifest_written = write_if_changed(out_dir / MANIFEST_NAME, manifest)
    except OSError as e:
        raise OutputDirError(f"cannot update {out_dir}: {e.strerror or e}") from e
    if summary.written or summary.removed_stale:
        _fsync_dir(records_dir)
    if summary.manifest_written:
        _fsync_dir(out_dir)

    summary.published = len(published)
    summary.quarantined = len(quarantined)
    summary.quarantined_outcomes = sorted(quarantined, key=_quarantine_key)
    return summary


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
    """``record`` without sections, citations and glossary: what a run keeps in memory per document
    once the full bytes are staged on disk (enough for the manifest, duplicates and the report)."""
    return record.model_copy(update={f: [] for f in SLIM_FIELDS})


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
    return write_if_changed(path, canonical_json(full.model_copy(update=changes)))


def _with_meta_hashes(manifest: dict[str, Any], staged: dict[str, Staged] | None) -> dict[str, Any]:
    """Add ``meta_sha256`` to the manifest entries of staged inputs that have a sidecar."""
    for e in manifest["records"] if staged else []:
        s = staged.get(e.get("input"))
        if s is not None and s.meta_sha256 is not None and s.record.id == e.get("id"):
            e["meta_sha256"] = s.meta_sha256
    return manifest


def reusable_entries(out_dir: Path, manifest: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """``{input: {"id", "raw_sha256"[, "meta_sha256"]}}``: published records an incremental run may
    reuse instead of normalizing their input again, if the input's bytes and sidecar still hash to
    these values (the batch that reads the input checks, and reads the record back).

    Nothing is reusable when the manifest was written by another pipeline or schema version. An
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
    return out
