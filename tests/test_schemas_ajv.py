"""The generated schemas pass a strict non-Python validator (issue 15): ajv 8, draft 2020-12, strict
mode, via tools/schema-check. Skipped where node or its packages are missing (`npm ci` in
tools/schema-check), except when INGEST_REQUIRE_AJV is set (.ci/run sets it and installs them)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from ingest.core.chunking import chunk_record
from ingest.store.publish import publish

from .helpers import ROOT
from .test_chunk_feed import pub
from .test_chunks import _long_record

TOOL = ROOT / "tools" / "schema-check"


def _ajv(*args: str) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    if node is None or not (TOOL / "node_modules" / "ajv").is_dir():
        if os.environ.get("INGEST_REQUIRE_AJV"):
            pytest.fail("INGEST_REQUIRE_AJV is set but node or tools/schema-check/node_modules is missing")
        pytest.skip("node or ajv missing (run `npm ci` in tools/schema-check)")
    return subprocess.run([node, str(TOOL / "check.mjs"), *args], capture_output=True, text=True, timeout=120)


def test_the_committed_schemas_compile_in_ajv_strict_mode_and_accept_the_bundled_output() -> None:
    r = _ajv(str(ROOT / "schemas"), f"record.schema.json={ROOT / 'normalized' / 'records.jsonl'}",
             f"chunk.schema.json={ROOT / 'normalized' / 'chunks.jsonl'}")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "ok schema record.schema.json" in r.stdout and "ok schema chunk.schema.json" in r.stdout


def test_ajv_accepts_chunks_with_tables_lists_citations_and_partial_dates(tmp_path: Path) -> None:
    out = tmp_path / "out"
    publish(out, [pub("a"), pub("b"), *[type(pub("a"))("raw/long.md", _long_record())]])
    assert any(c.dates.last_reviewed for c in chunk_record(pub("a").record))
    r = _ajv(str(ROOT / "schemas"), f"record.schema.json={out / 'records.jsonl'}",
             f"chunk.schema.json={out / 'chunks.jsonl'}")
    assert r.returncode == 0, r.stdout + r.stderr


def test_ajv_rejects_a_chunk_that_breaks_the_schema(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "k-0", "text": ""}\n')
    r = _ajv(str(ROOT / "schemas"), f"chunk.schema.json={bad}")
    assert r.returncode == 1 and "FAIL" in r.stdout
