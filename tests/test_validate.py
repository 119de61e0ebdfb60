from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest

from ingest.core.pipeline import Published, Quarantined
from ingest.core.serialize import canonical_json
from ingest.store.publish import publish
from ingest.store.schemas import (
    CHUNK_SCHEMA_FILE,
    RECORD_SCHEMA_FILE,
    check_schemas,
    chunk_schema,
    record_schema,
    write_schemas,
)
from ingest.store.validate import check_dir, validate_dir

from .conftest import make_record

REPO = Path(__file__).resolve().parents[1]
SCHEMAS = REPO / "schemas"


def test_the_committed_schema_matches_the_models() -> None:
    committed = SCHEMAS / RECORD_SCHEMA_FILE
    assert committed.exists(), "schemas/record.schema.json is missing: run `make schemas`"
    assert committed.read_bytes() == canonical_json(record_schema()), (
        "schemas/record.schema.json is stale: run `make schemas` and commit the result"
    )


def test_the_committed_chunk_schema_matches_the_chunk_model() -> None:
    committed = SCHEMAS / CHUNK_SCHEMA_FILE
    assert committed.exists(), "schemas/chunk.schema.json is missing: run `make schemas`"
    assert committed.read_bytes() == canonical_json(chunk_schema()), (
        "schemas/chunk.schema.json is stale: run `make schemas` and commit the result"
    )
    jsonschema.Draft202012Validator.check_schema(chunk_schema())
    assert "discriminator" not in json.dumps(record_schema())  # not JSON Schema: strict validators reject it


def test_the_record_schema_is_a_valid_draft_2020_12_schema_with_an_id() -> None:
    schema = record_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"]


def test_write_schemas_then_check_schemas_round_trips_and_detects_staleness(tmp_path: Path) -> None:
    assert check_schemas(tmp_path) == [f"{tmp_path / RECORD_SCHEMA_FILE} is missing",
                                       f"{tmp_path / CHUNK_SCHEMA_FILE} is missing"]
    assert write_schemas(tmp_path) == [tmp_path / RECORD_SCHEMA_FILE, tmp_path / CHUNK_SCHEMA_FILE]
    assert write_schemas(tmp_path) == []  # unchanged: not rewritten
    assert check_schemas(tmp_path) == []
    (tmp_path / RECORD_SCHEMA_FILE).write_text("{}\n")
    assert "stale" in check_schemas(tmp_path)[0]


@pytest.fixture
def out(tmp_path: Path) -> Path:
    outcomes = [
        Published("raw/a.txt", make_record(provenance={"input": "raw/a.txt"})),
        Published("raw/b.txt", make_record(title="B", provenance={"input": "raw/b.txt"})),
        Quarantined("raw/c.txt", "decode", "EmptyInput", "input is empty", "0" * 64),
    ]
    publish(tmp_path / "out", outcomes)
    return tmp_path / "out"


def first_record(out: Path) -> Path:
    return sorted((out / "records").glob("*.json"))[0]


def edit_json(path: Path, change: Callable[[dict], None]) -> None:
    data = json.loads(path.read_bytes())
    change(data)
    path.write_bytes(canonical_json(data))


@pytest.mark.parametrize("schema_dir", [SCHEMAS, None], ids=["committed-schema", "in-memory-schema"])
def test_a_freshly_published_dir_is_valid(out: Path, schema_dir: Path | None) -> None:
    report = check_dir(out, schema_dir)
    assert report.problems == []
    assert (report.records_checked, report.records_valid) == (2, 2)


def _set_section_level(d: dict) -> None:
    d["sections"][0]["level"] = 9


def _add_unknown_field(d: dict) -> None:
    d["surprise"] = True


def _drop_title(d: dict) -> None:
    del d["title"]


def _bad_sha(d: dict) -> None:
    d["content_sha256"] = "not-a-sha"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_set_section_level, "sections/0/level"),
        (_add_unknown_field, "surprise"),
        (_drop_title, "title"),
        (_bad_sha, "content_sha256"),
    ],
    ids=["out-of-range", "unknown-field", "missing-field", "bad-pattern"],
)
def test_a_broken_record_is_reported_by_both_schema_and_model(out: Path, change, expected: str) -> None:
    path = first_record(out)
    edit_json(path, change)
    problems = validate_dir(out, SCHEMAS)
    mine = [p for p in problems if p.startswith(f"records/{path.name}: ")]
    assert any(p.startswith(f"records/{path.name}: schema:") and expected in p for p in mine), problems
    assert any(p.startswith(f"records/{path.name}: model:") for p in mine), problems


def test_a_record_file_that_is_not_json_is_reported(out: Path) -> None:
    path = first_record(out)
    path.write_text("{ nope")
    assert any("not valid JSON" in p for p in validate_dir(out, SCHEMAS))


def test_a_hand_edited_but_valid_record_is_reported_as_not_canonical(out: Path) -> None:
    path = first_record(out)
    path.write_bytes(json.dumps(json.loads(path.read_bytes())).encode())
    assert validate_dir(out, SCHEMAS) == [
        f"records/{path.name}: not in canonical form (was it edited by hand?)"
    ]


def test_a_content_hash_that_differs_from_the_manifest_is_reported(out: Path) -> None:
    path = first_record(out)
    edit_json(path, lambda d: d.update(content_sha256="1" * 64))
    problems = validate_dir(out, SCHEMAS)
    assert len(problems) == 1 and "content_sha256" in problems[0] and "does not match" in problems[0]


def test_a_manifest_entry_whose_file_is_missing_is_reported(out: Path) -> None:
    path = first_record(out)
    path.unlink()
    assert validate_dir(out, SCHEMAS) == [f"manifest.json: records[0]: records/{path.name} does not exist"]


def test_a_record_file_missing_from_the_manifest_is_reported(out: Path) -> None:
    extra = make_record(provenance={"input": "raw/extra.txt"})
    (out / "records" / f"{extra.id}.json").write_bytes(canonical_json(extra))
    assert validate_dir(out, SCHEMAS) == [f"records/{extra.id}.json: not listed in manifest.json"]


def test_a_manifest_path_escaping_records_is_reported(out: Path) -> None:
    edit_json(out / "manifest.json", lambda m: m["records"][0].update(path="../../etc/passwd"))
    problems = validate_dir(out, SCHEMAS)
    assert any("is not a file under records/" in p for p in problems)


def test_a_missing_manifest_is_reported(out: Path) -> None:
    (out / "manifest.json").unlink()
    assert validate_dir(out, SCHEMAS) == ["manifest.json: missing"]
