"""Records staged by the flow's batches, and the slim records a run keeps in memory (issue 5).

The flow's batches serialize and stage records in worker processes and skip unchanged inputs;
publishing then only renames files into place (:class:`Staged`, :func:`write_record`). Per document a
run keeps a slim record (:func:`slim`; :func:`read_back_slim` for a reused input) and its removals
summarized by rule (:func:`summarize_removals`). Duplicate resolution stays in
:func:`ingest.store.publish.publish`.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field

from ingest.core.models import Citation, GlossaryEntry, Record, Section
from ingest.core.pipeline import Published
from ingest.core.serialize import canonical_json
from ingest.store.files import RECORDS_DIR, is_temp_name, write_if_changed

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
    #: The record's chunk lines, staged in ``records/`` by the batch (:func:`ingest.store.chunks.stage_chunks`),
    #: and the chunking settings they were made with (``ChunkSettings.as_dict()``); None when not staged.
    chunks_tmp: str | None = None
    chunking: dict[str, Any] | None = None


def write_record(out_dir: Path, path: Path, o: Published, staged: dict[str, Staged] | None) -> bool:
    """Put ``o``'s record at ``path``; True if the file changed. Staged bytes are renamed into place;
    a record that duplicate resolution changed is rebuilt from them (only its non-slim fields change)."""
    s = staged.get(o.input) if staged else None
    if s is None:
        return write_if_changed(path, canonical_json(o.record))
    records_dir = out_dir / RECORDS_DIR
    if s.tmp is not None and not is_temp_name(s.tmp):
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
