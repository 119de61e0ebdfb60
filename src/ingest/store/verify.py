"""``ingest verify OUT_DIR``: do manifest.json, the record files, records.jsonl, changes.jsonl and
history/ agree? What a downstream reader relies on (issue 6); :mod:`ingest.store.validate` checks the
records themselves and is run first."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson

from ingest.core.models import Record
from ingest.core.serialize import canonical_json, sha256_hex
from ingest.store.chunks import CHUNK_CHANGES_NAME, CHUNKS_JSONL, INDEX_NAME, chunks_problems
from ingest.store.feed import CHANGES_NAME, RECORDS_JSONL, read_changes
from ingest.store.files import RECORDS_DIR, record_path
from ingest.store.history import HISTORY_DIR, history_path
from ingest.store.lock import LOCK_NAME
from ingest.store.manifest import MANIFEST_NAME, load_manifest
from ingest.store.validate import check_dir

#: Files and dirs OUT_DIR may hold. report.md: the run report; .publish.lock: `ingest fetch`'s lock.
EXPECTED = {MANIFEST_NAME, RECORDS_DIR, RECORDS_JSONL, CHANGES_NAME, HISTORY_DIR, "report.md", LOCK_NAME,
            ".publish.lock", CHUNKS_JSONL, CHUNK_CHANGES_NAME, INDEX_NAME, INDEX_NAME + "-journal"}


def content_sha256(record: Record) -> str:
    """What ``content_sha256`` must be: everything but provenance, the version and the hash itself."""
    data = record.model_dump(mode="json", exclude={"provenance", "content_sha256", "version", "schema_version"})
    return sha256_hex(canonical_json(data))


def verify_dir(out_dir: Path, schema_dir: Path | None = None) -> tuple[list[str], dict[str, int]]:
    """``(problems, counts)`` for ``out_dir``; no problems means consistent."""
    problems = list(check_dir(out_dir, schema_dir).problems)
    manifest = load_manifest(out_dir)
    counts = {"records": 0, "withdrawn": 0, "changes": 0}
    if manifest is None:
        return problems or [f"{MANIFEST_NAME}: missing or not a JSON object"], counts
    entries = [e for e in manifest.get("records") or [] if isinstance(e, dict)]
    withdrawn = [e for e in manifest.get("withdrawn") or [] if isinstance(e, dict)]
    counts["records"], counts["withdrawn"] = len(entries), len(withdrawn)

    records: dict[str, Record] = {}
    for e in entries:
        try:
            path = record_path(out_dir, str(e.get("id")))
            rec = Record.model_validate_json(path.read_bytes())
        except (OSError, ValueError):
            continue  # reported by check_dir
        records[rec.id] = rec
        if content_sha256(rec) != rec.content_sha256:
            problems.append(f"{RECORDS_DIR}/{rec.id}.json: content_sha256 does not match its content")

    problems.extend(_records_jsonl_problems(out_dir, entries))
    problems.extend(_changes_problems(out_dir, entries, withdrawn, counts))
    problems.extend(chunks_problems(out_dir, {rid: r.version for rid, r in records.items()}))

    for e in withdrawn:
        rid = str(e.get("id"))
        if rid in records:
            problems.append(f"{MANIFEST_NAME}: {rid} is both published and withdrawn")
        try:
            hist = history_path(out_dir, rid, int(e.get("version") or 1))
        except (ValueError, TypeError):
            problems.append(f"{MANIFEST_NAME}: withdrawn entry with an unsafe id {rid!r}")
            continue
        if not hist.is_file():
            problems.append(f"{MANIFEST_NAME}: withdrawn {rid} v{e.get('version')}: {hist.relative_to(out_dir)} missing")

    for p in sorted(out_dir.iterdir()):
        if p.name not in EXPECTED:
            problems.append(f"{p.name}: unexpected file in OUT_DIR")
    for p in sorted((out_dir / RECORDS_DIR).glob(".*")) if (out_dir / RECORDS_DIR).is_dir() else []:
        problems.append(f"{RECORDS_DIR}/{p.name}: temp file left by an interrupted run (the next run removes it)")
    return problems, counts


def _records_jsonl_problems(out_dir: Path, entries: list[dict[str, Any]]) -> list[str]:
    try:
        data = (out_dir / RECORDS_JSONL).read_bytes()
    except FileNotFoundError:
        return [f"{RECORDS_JSONL}: missing"]
    lines = data.splitlines()
    ids = [str(e.get("id")) for e in entries]
    problems = []
    got = []
    for i, line in enumerate(lines, 1):
        try:
            got.append(json.loads(line))
        except ValueError:
            problems.append(f"{RECORDS_JSONL}: line {i} is not JSON")
    if [g.get("id") for g in got if isinstance(g, dict)] != ids:
        problems.append(f"{RECORDS_JSONL}: ids do not match the manifest's records ({len(got)} lines, {len(ids)} records)")
        return problems
    for rid, g in zip(ids, got, strict=True):
        try:
            on_disk = orjson.loads(record_path(out_dir, rid).read_bytes())
        except (OSError, ValueError):
            continue
        if g != on_disk:
            problems.append(f"{RECORDS_JSONL}: the line of {rid} differs from {RECORDS_DIR}/{rid}.json")
    return problems


def _changes_problems(
    out_dir: Path, entries: list[dict[str, Any]], withdrawn: list[dict[str, Any]], counts: dict[str, int]
) -> list[str]:
    try:
        changes = read_changes(out_dir)
    except ValueError as e:
        return [f"{CHANGES_NAME}: a line is not JSON: {e}"]
    counts["changes"] = len(changes)
    last: dict[str, dict[str, Any]] = {}
    problems = []
    for i, c in enumerate(changes, 1):
        if not isinstance(c, dict) or not {"event", "id", "version", "content_sha256", "run_id", "time"} <= set(c):
            problems.append(f"{CHANGES_NAME}: line {i} lacks event, id, version, content_sha256, run_id or time")
            continue
        last[str(c["id"])] = c
    expect = {str(e.get("id")): ("current", e) for e in entries}
    expect.update({str(e.get("id")): ("withdrawn", e) for e in withdrawn})
    for rid, (state, e) in sorted(expect.items()):
        c = last.get(rid)
        if c is None:
            problems.append(f"{CHANGES_NAME}: no line for {state} record {rid}")
            continue
        event_ok = c["event"] == "withdrawn" if state == "withdrawn" else c["event"] in ("added", "updated")
        if not event_ok or c["version"] != e.get("version", 1) or c["content_sha256"] != e.get("content_sha256"):
            problems.append(
                f"{CHANGES_NAME}: last line for {rid} ({c['event']} v{c['version']}) does not match the manifest "
                f"({state} v{e.get('version', 1)})"
            )
    for rid in sorted(set(last) - set(expect)):
        problems.append(f"{CHANGES_NAME}: {rid} is neither published nor withdrawn in the manifest")
    return problems
