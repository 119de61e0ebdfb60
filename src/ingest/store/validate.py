"""Validate a published OUT_DIR: every record against the JSON Schema and the pydantic model, and the
manifest against the record files."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
from pydantic import ValidationError

from ingest.core.models import Record
from ingest.core.serialize import canonical_json
from ingest.store.files import RECORDS_DIR
from ingest.store.manifest import MANIFEST_NAME
from ingest.store.schemas import record_schema

# Manifest record-entry field -> how to read the same value from the record.
_ENTRY_FIELDS: dict[str, Any] = {
    "id": lambda r: r.id,
    "input": lambda r: r.provenance.input,
    "content_sha256": lambda r: r.content_sha256,
    "raw_sha256": lambda r: r.provenance.raw_sha256,
    "title": lambda r: r.title,
    "version": lambda r: r.version,
}


@dataclass(slots=True)
class ValidationReport:
    problems: list[str] = field(default_factory=list)
    records_checked: int = 0
    records_valid: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def load_record_schema(schema_dir: Path | None) -> dict[str, Any]:
    """The record schema from ``schema_dir`` (the ``*.json`` file whose name contains "record"), or
    generated from the models when ``schema_dir`` is None. Raises FileNotFoundError / ValueError."""
    if schema_dir is None:
        return record_schema()
    candidates = sorted(p for p in schema_dir.glob("*.json") if "record" in p.name)
    if not candidates:
        raise FileNotFoundError(f"no record schema (*record*.json) in {schema_dir}")
    return json.loads(candidates[0].read_bytes())


def _schema_errors(validator: jsonschema.protocols.Validator, data: Any) -> list[str]:
    out = []
    for err in sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]):
        where = "/".join(str(p) for p in err.absolute_path) or "(root)"
        out.append(f"schema: at {where}: {err.message}")
    return out


def _model_errors(e: ValidationError) -> list[str]:
    out = []
    for err in e.errors():
        where = "/".join(str(p) for p in err["loc"]) or "(root)"
        out.append(f"model: at {where}: {err['msg']}")
    return out


def check_dir(out_dir: Path, schema_dir: Path | None = None) -> ValidationReport:
    """Check ``out_dir``; see :func:`validate_dir`. Also counts the records checked and found valid."""
    report = ValidationReport()
    problems = report.problems
    schema = load_record_schema(schema_dir)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)

    records: dict[str, Record] = {}  # file name -> record, for the manifest checks
    records_dir = out_dir / RECORDS_DIR
    files = sorted(records_dir.glob("*.json")) if records_dir.is_dir() else []
    for path in files:
        rel = f"{RECORDS_DIR}/{path.name}"
        report.records_checked += 1
        raw = path.read_bytes()
        try:
            data = json.loads(raw)
        except ValueError as e:
            problems.append(f"{rel}: not valid JSON: {e}")
            continue
        mine = _schema_errors(validator, data)
        try:
            record = Record.model_validate_json(raw)
        except ValidationError as e:
            mine.extend(_model_errors(e))
            record = None
        if record is not None:
            records[path.name] = record
            if path.stem != record.id:
                mine.append(f"file name does not match its id {record.id!r}")
            elif canonical_json(record) != raw:
                mine.append("not in canonical form (was it edited by hand?)")
        problems.extend(f"{rel}: {m}" for m in mine)
        if not mine:
            report.records_valid += 1

    problems.extend(_manifest_problems(out_dir, {p.name for p in files}, records))
    return report


def _manifest_problems(out_dir: Path, files: set[str], records: dict[str, Record]) -> list[str]:
    problems: list[str] = []
    try:
        manifest = json.loads((out_dir / MANIFEST_NAME).read_bytes())
    except FileNotFoundError:
        return [f"{MANIFEST_NAME}: missing"]
    except ValueError as e:
        return [f"{MANIFEST_NAME}: not valid JSON: {e}"]
    entries = manifest.get("records") if isinstance(manifest, dict) else None
    if not isinstance(entries, list):
        return [f"{MANIFEST_NAME}: has no 'records' list"]
    for key in ("schema_version", "pipeline_version", "quarantined"):
        if key not in manifest:
            problems.append(f"{MANIFEST_NAME}: no {key!r}")

    listed: set[str] = set()
    records_root = (out_dir / RECORDS_DIR).resolve()
    for i, entry in enumerate(entries):
        where = f"{MANIFEST_NAME}: records[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            problems.append(f"{where}: not an entry with a 'path'")
            continue
        rel = entry["path"]
        target = (out_dir / rel).resolve()
        if target.parent != records_root or target.suffix != ".json":
            problems.append(f"{where}: path {rel!r} is not a file under {RECORDS_DIR}/")
            continue
        listed.add(target.name)
        if target.name not in files:
            problems.append(f"{where}: {rel} does not exist")
            continue
        record = records.get(target.name)
        if record is None:  # the record itself is invalid; already reported
            continue
        for key, get in _ENTRY_FIELDS.items():
            if entry.get(key) != get(record):
                problems.append(f"{where}: {key} {entry.get(key)!r} does not match {rel} ({get(record)!r})")
    for name in sorted(files - listed):
        problems.append(f"{RECORDS_DIR}/{name}: not listed in {MANIFEST_NAME}")
    return problems


def validate_dir(out_dir: Path, schema_dir: Path | None = None) -> list[str]:
    """Problems found in a published ``out_dir`` (empty list = valid).

    Checks every ``records/*.json`` against the JSON Schema in ``schema_dir`` (Draft 2020-12; the
    file whose name contains "record"; generated from the models when ``schema_dir`` is None) and
    against ``Record.model_validate_json``; that each manifest entry's file exists and its id,
    input, title and hashes match the record; and that no record file is missing from the manifest.
    """
    return check_dir(out_dir, schema_dir).problems
