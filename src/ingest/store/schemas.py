"""The published JSON Schema, generated from the pydantic models (never edited by hand).

python -m ingest.store.schemas --write schemas    # regenerate schemas/record.schema.json, chunk.schema.json
python -m ingest.store.schemas --check schemas    # exit 1 if the committed schema is stale
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pydantic.json_schema import GenerateJsonSchema

from ingest.core.chunking import Chunk
from ingest.core.models import SCHEMA_VERSION, Record
from ingest.core.serialize import canonical_json

RECORD_SCHEMA_FILE = "record.schema.json"
CHUNK_SCHEMA_FILE = "chunk.schema.json"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
RECORD_SCHEMA_ID = f"urn:ingest:schema:record:{SCHEMA_VERSION}"
CHUNK_SCHEMA_ID = f"urn:ingest:schema:chunk:{SCHEMA_VERSION}"


class StandardJsonSchema(GenerateJsonSchema):
    """Pydantic's generator without its OpenAPI ``discriminator`` keyword, which is not JSON Schema:
    strict validators (ajv's strict mode) reject it. The ``oneOf`` it annotates says the same."""

    def tagged_union_schema(self, schema: Any) -> dict[str, Any]:
        out = super().tagged_union_schema(schema)
        out.pop("discriminator", None)
        return out


def record_schema() -> dict[str, Any]:
    """``Record.model_json_schema()`` plus ``$schema`` (Draft 2020-12) and ``$id``."""
    schema = Record.model_json_schema(schema_generator=StandardJsonSchema)
    return {"$schema": JSON_SCHEMA_DIALECT, "$id": RECORD_SCHEMA_ID, **schema}


def chunk_schema() -> dict[str, Any]:
    """The schema of one line of OUT_DIR/chunks.jsonl (issue 15)."""
    schema = Chunk.model_json_schema(schema_generator=StandardJsonSchema)
    return {"$schema": JSON_SCHEMA_DIALECT, "$id": CHUNK_SCHEMA_ID, **schema}


def expected_files() -> dict[str, bytes]:
    """File name -> exact bytes of every generated schema file."""
    return {RECORD_SCHEMA_FILE: canonical_json(record_schema()), CHUNK_SCHEMA_FILE: canonical_json(chunk_schema())}


def write_schemas(schema_dir: Path) -> list[Path]:
    """(Re)write the schema files in ``schema_dir`` atomically; returns the files that changed."""
    from ingest.store.files import write_if_changed

    schema_dir.mkdir(parents=True, exist_ok=True)
    return [
        schema_dir / name
        for name, data in expected_files().items()
        if write_if_changed(schema_dir / name, data)
    ]


def check_schemas(schema_dir: Path) -> list[str]:
    """Problems with the schema files in ``schema_dir`` (missing or stale); empty when up to date."""
    problems = []
    for name, data in expected_files().items():
        path = schema_dir / name
        try:
            on_disk = path.read_bytes()
        except FileNotFoundError:
            problems.append(f"{path} is missing")
            continue
        if on_disk != data:
            problems.append(f"{path} is stale: it no longer matches the models")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ingest.store.schemas",
        description="Generate or check the JSON Schema files derived from the record models.",
        epilog="Exit codes: 0 ok; 1 --check found a missing or stale schema; 2 usage error.",
    )
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", metavar="DIR", type=Path, help="write record.schema.json and chunk.schema.json into DIR")
    mode.add_argument(
        "--check", metavar="DIR", type=Path, help="exit 1 if DIR's schema files are missing or stale"
    )
    args = parser.parse_args(argv)
    if args.write is not None:
        for path in write_schemas(args.write):
            print(f"wrote {path}")
        return 0
    problems = check_schemas(args.check)
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        print("run `make schemas` (python -m ingest.store.schemas --write schemas) to regenerate", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
