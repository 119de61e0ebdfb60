"""``OUT_DIR/manifest.json``: building it (pure), reading it back, and what an incremental run may reuse.

The manifest (canonical JSON) holds the schema and pipeline versions, the published ``records``, the
``quarantined`` inputs, ``duplicates`` and ``near_duplicates``, and (added by
:func:`ingest.store.publish.publish`) ``withdrawn`` and ``raw_dirs``. :func:`reusable_entries` reads
from it which inputs an unchanged rerun need not normalize again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ingest import PIPELINE_VERSION
from ingest.core.models import SCHEMA_VERSION
from ingest.core.pipeline import Published, Quarantined
from ingest.store.dedupe import near_duplicates
from ingest.store.files import RECORDS_DIR, record_path
from ingest.store.staging import Staged

MANIFEST_NAME = "manifest.json"


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


def quarantine_key(q: Quarantined) -> tuple[str, str, str, str]:
    return (q.input, q.stage, q.kind, q.reason)


def build_manifest(
    published: list[Published], quarantined: list[Quarantined], kept: list[dict[str, Any]] | None = None,
    duplicates: list[dict[str, Any]] | None = None,
    fetch_failures: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The manifest dict (pure). ``published`` must already be free of duplicate ids.

    ``kept`` are manifest entries of an earlier run carried over unchanged (their input was
    quarantined this time, so the last good record stays published). ``duplicates`` are the other
    copies of published pages (:func:`ingest.store.dedupe.resolve_duplicates`); ``near_duplicates`` lists
    the clusters of records with nearly the same body, each once, capped in size
    (:func:`ingest.store.dedupe.near_duplicates`).
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
        "quarantined": [_quarantine_entry(q) for q in sorted(quarantined, key=quarantine_key)],
        "duplicates": list(duplicates or []),
        "near_duplicates": near_duplicates(p.record for p in published),
        # Only from `ingest fetch` (absent for `ingest normalize`): URLs this run could not fetch.
        **({"fetch_failures": list(fetch_failures)} if fetch_failures is not None else {}),
    }


def load_manifest(out_dir: Path) -> dict[str, Any] | None:
    """The parsed ``OUT_DIR/manifest.json``, or None when there is none (or it is not a JSON object)."""
    try:
        data = json.loads((out_dir / MANIFEST_NAME).read_bytes())
    except FileNotFoundError:
        return None
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def with_meta_hashes(manifest: dict[str, Any], staged: dict[str, Staged] | None) -> dict[str, Any]:
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
