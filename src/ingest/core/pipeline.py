"""Pure batch processing: (bytes, InputMeta) in, outcomes out. Never raises for a bad input."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ingest.core.errors import QuarantineError
from ingest.core.inputs import InputMeta
from ingest.core.models import Record
from ingest.core.serialize import sha256_hex


@dataclass(frozen=True, slots=True)
class Published:
    input: str
    record: Record


@dataclass(frozen=True, slots=True)
class Quarantined:
    input: str
    stage: str
    kind: str
    reason: str
    raw_sha256: str | None
    #: sha256 of the input's sidecar, when it has one (set by the batch that read it; lets the next
    #: run reuse this verdict while neither the input nor its sidecar changes)
    meta_sha256: str | None = None


Outcome = Published | Quarantined


def normalize(raw: bytes, meta: InputMeta) -> Record:
    """:func:`ingest.core.normalize.normalize`, imported on first use: the flow's own process imports this
    module for the outcome types only, and normalizing needs lxml, numpy, markdown-it... (~0.1 s of
    imports an unchanged rerun does without). Tests replace this name to fake the normalizer."""
    from ingest.core.normalize import normalize as normalize_document

    return normalize_document(raw, meta)


def process(raw: bytes, meta: InputMeta) -> Outcome:
    """Normalize one input; a bad input becomes a :class:`Quarantined` outcome, never an exception.

    Unexpected exceptions (bugs) are quarantined too, at stage ``internal``, so that one document
    can never stop the others; the reason names the exception type.
    """
    try:
        return Published(meta.input, normalize(raw, meta))
    except QuarantineError as e:
        return Quarantined(meta.input, e.stage, e.kind, e.reason, sha256_hex(raw))
    except RecursionError:  # nesting beyond what any parser here handles: the input's structure, not a bug
        return Quarantined(meta.input, "load", "PathologicalInput", "document nested too deeply", sha256_hex(raw))
    except Exception as e:  # noqa: BLE001 - isolation boundary: one input must not stop the run
        return Quarantined(meta.input, "internal", type(e).__name__, f"unexpected error: {e}", sha256_hex(raw))


def process_batch(items: Iterable[tuple[bytes, InputMeta]]) -> list[Outcome]:
    """Process a batch in order (a Prefect task wraps this; one task per batch, not per document)."""
    return [process(raw, meta) for raw, meta in items]
