"""``ingest inspect``: one self-contained HTML page showing what cleaning did to one input.

Left, the document as the pipeline saw it: the decoded text (Markdown as written, front matter
dimmed; HTML and XML as their visible text, block elements on their own lines). Every text the
record's ``provenance.removals`` lists is located in it and struck through, labelled with its rule
(hover: kind and reason); every ``provenance.repairs`` line is struck and labelled with what replaced
it; glossary terms and citations are highlighted; for HTML and XML, text that is neither in the
record nor struck (page chrome outside the content zone, which no rule logs) is grey, "not read".
Right, the record: sections, notices, citations, glossary, dates. Below, every removal with how many
of its occurrences were located; one that could not be located is flagged, never silently dropped;
a dropped link (kind ``link``) takes no words out of the body and is listed, not struck.

Nothing here changes the normalizer: the page is built from the raw bytes and the record the normal
pipeline returns (``pipeline.process``). This module: the file-level entry (:func:`inspect_file`) and
the page with its counts (:class:`InspectPage`); :mod:`.inspect_view` builds the source view and
locates the spans in it (pure), :mod:`.inspect_render` renders the HTML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.cli.inspect_render import render_page
from ingest.cli.inspect_view import (
    LINK_ONLY_KINDS,
    SourceView,
    highlight_spans,
    locate,
    not_read_spans,
    source_view,
)
from ingest.core.errors import IngestError
from ingest.core.pipeline import Published, Quarantined, process
from ingest.store.discovery import RawRef, read


class InspectError(IngestError):
    """INPUT cannot be inspected as asked (the CLI exits 2)."""


@dataclass
class InspectPage:
    input: str
    html: str
    record: dict[str, Any] | None
    quarantined: dict[str, Any] | None
    removals: list[dict[str, Any]] = field(default_factory=list)
    located: list[int] = field(default_factory=list)
    repairs: int = 0

    @property
    def unlocated(self) -> list[dict[str, Any]]:
        return [r for r, n in zip(self.removals, self.located, strict=False)
                if n < int(r.get("count", 1)) and r.get("kind") not in LINK_ONLY_KINDS]

    def summary_line(self) -> str:
        if self.quarantined is not None:
            return f"quarantined at {self.quarantined['stage']}: {self.quarantined['reason']}"
        times = sum(int(r.get("count", 1)) for r in self.removals)
        links = sum(int(r.get("count", 1)) for r in self.removals if r.get("kind") in LINK_ONLY_KINDS)
        return (f"{len(self.removals)} removals ({times} times: {sum(self.located)} struck"
                + (f", {links} dropped links" if links else "")
                + (f", {len(self.unlocated)} not found" if self.unlocated else "") + "), "
                f"{self.repairs} repairs, {len((self.record or {}).get('sections') or [])} sections")

    def as_dict(self) -> dict[str, Any]:
        return {"input": self.input, "quarantined": self.quarantined,
                "record_id": (self.record or {}).get("id"),
                "removals": [{**r, "located": n} for r, n in zip(self.removals, self.located, strict=False)],
                "repairs": self.repairs}


def build_page(input_name: str, view: SourceView, record: dict[str, Any] | None,
               quarantined: dict[str, Any] | None) -> InspectPage:
    prov = (record or {}).get("provenance") or {}
    removals: list[dict[str, Any]] = list(prov.get("removals") or [])
    repairs: list[dict[str, Any]] = list(prov.get("repairs") or [])
    spans, located = locate(view, removals, repairs)
    spans += not_read_spans(view, record, spans)
    spans += highlight_spans(view.text, view.body_start, record, spans)
    page = render_page(input_name, view, spans, record, quarantined, removals, located, repairs)
    return InspectPage(input_name, page, record, quarantined, removals, located, len(repairs))


def inspect_file(path: Path, raw_dir: Path | None = None) -> InspectPage:
    """Normalize one file exactly as ``ingest normalize`` would (same input name, same pipeline) and
    build its page. Raises :class:`InspectError` if ``path`` is not under ``raw_dir``, ``OSError`` if
    it cannot be read."""
    raw_dir = (raw_dir or path.parent).resolve()
    try:
        rel = path.resolve().relative_to(raw_dir).as_posix()
    except ValueError as e:
        raise InspectError(f"input {path} is not under --raw-dir {raw_dir}") from e
    # named as sources.discover names it: the raw folder's own name, then the relative path
    input_name = f"{raw_dir.name or raw_dir.anchor}/{rel}"
    raw, meta = read(RawRef(path, input_name))
    outcome = process(raw, meta)
    view = source_view(raw, meta)
    if isinstance(outcome, Published):
        record = outcome.record.model_dump(mode="json")
        quarantined = None
    else:
        assert isinstance(outcome, Quarantined)
        record = None
        quarantined = {"stage": outcome.stage, "kind": outcome.kind, "reason": outcome.reason}
    return build_page(input_name, view, record, quarantined)
