"""Shared test helpers: a valid-record factory, a fake normalizer, and the Prefect test harness."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest

from ingest import PIPELINE_VERSION
from ingest.core.errors import EmptyInput
from ingest.core.inputs import InputMeta
from ingest.core.models import Record
from ingest.core.serialize import sha256_hex

# Keep Prefect quiet and local for every test that imports it (set before prefect is imported).
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

_BASE: dict[str, Any] = {
    "schema_version": "1.0",
    "title": "What Is Breast Cancer?",
    "source": {
        "publisher": "American Cancer Society",
        "family": "acs",
        "kind": "web_page",
        "url": "https://www.cancer.org/cancer/types/breast-cancer/about/what-is-breast-cancer.html",
        "grounded_in": None,
        "format": "html",
    },
    "language": "en",
    "language_source": "html",
    "audience": "patient",
    "cancer_types": ["breast"],
    "tags": ["about"],
    "license": None,
    "dates": {
        "published": None,
        "last_reviewed": {
            "value": "2024-01-17",
            "raw": "January 17, 2024",
            "source": "body:Last Medical Review",
        },
        "last_revised": None,
    },
    "ai_generated": False,
    "notices": [],
    "sections": [
        {
            "id": "s1",
            "heading": "What is breast cancer?",
            "level": 2,
            "path": [],
            "text": "Breast cancer starts when cells in the breast begin to grow out of control.",
            "blocks": [
                {
                    "type": "paragraph",
                    "text": "Breast cancer starts when cells in the breast begin to grow out of control.",
                    "links": [],
                }
            ],
            "citation_ids": [],
        }
    ],
    "citations": [],
    "glossary": [],
    "metadata": {"breadcrumb": [], "topic": None, "related_questions": [], "front_matter": {}},
    "provenance": {
        "input": "raw/000_example.html",
        "raw_sha256": "0" * 64,
        "pipeline_version": PIPELINE_VERSION,
        "fetched_at": None,
        "removals": [],
        "repairs": [],
    },
}


def _merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def make_record(**overrides: Any) -> Record:
    """A fully valid :class:`Record`; keyword overrides replace top-level fields.

    A dict override is merged into the default (``provenance={"input": "raw/x.txt"}`` changes only
    the input); any other value replaces the field. Unless overridden, ``id`` is derived from
    ``source.family`` and ``provenance.input`` and ``content_sha256`` is computed as the pipeline
    does (everything but provenance and version), so records for different inputs get different ids.
    """
    data = _merge(_BASE, overrides)
    data.setdefault(
        "id", f"{data['source']['family']}-{sha256_hex(data['provenance']['input'].encode())[:16]}"
    )
    if "content_sha256" in data:
        return Record.model_validate(data)
    # the real content hash (what `ingest verify` recomputes): everything but provenance and version
    from ingest.store.verify import content_sha256

    provisional = Record.model_validate({**data, "content_sha256": "0" * 64})
    return provisional.model_copy(update={"content_sha256": content_sha256(provisional)})


def fake_normalize(raw: bytes, meta: InputMeta) -> Record:
    """Stand-in for ``ingest.core.normalize.normalize``: EmptyInput for blank bytes, else a valid record
    titled with the first line of the input."""
    text = raw.decode("utf-8", errors="replace")
    if not text.strip():
        raise EmptyInput("input is empty", input=meta.input)
    title = text.strip().splitlines()[0][:80]
    section_text = text.strip()
    return make_record(
        title=title,
        sections=[
            {
                "id": "s1",
                "heading": None,
                "level": 0,
                "path": [],
                "text": section_text,
                "blocks": [{"type": "paragraph", "text": section_text, "links": []}],
                "citation_ids": [],
            }
        ],
        source={"url": meta.url, "format": "text", "family": "generic", "publisher": None},
        provenance={"input": meta.input, "raw_sha256": sha256_hex(raw), "fetched_at": meta.fetched_at},
    )


@pytest.fixture
def fake_normalizer(monkeypatch: pytest.MonkeyPatch):
    """Replace the (stub) normalizer used by ``ingest.core.pipeline.process`` with :func:`fake_normalize`."""
    monkeypatch.setattr("ingest.core.pipeline.normalize", fake_normalize)
    # A monkeypatch lives in this process only: flows normalize inline, not in worker processes.
    monkeypatch.setenv("INGEST_WORKERS", "1")
    return fake_normalize


def write_files(root: Path, files: dict[str, str | bytes]) -> Path:
    """Create ``files`` (relative POSIX path -> content) under ``root``; returns ``root``."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    return root


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect server + SQLite database for the whole session (starts in ~15-20 s)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield
