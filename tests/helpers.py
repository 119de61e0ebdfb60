"""Shared test helpers (plain functions, no fixtures)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ingest.core.inputs import InputMeta
from ingest.core.models import Record
from ingest.core.normalize import normalize

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "raw"
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"


def norm(data: bytes | str, filename: str = "doc.txt", **meta: Any) -> Record:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return normalize(raw, InputMeta(input=f"raw/{filename}", filename=filename, **meta))


def norm_seed(name: str) -> Record:
    return normalize((RAW / name).read_bytes(), InputMeta(input=f"raw/{name}", filename=name))


def body_text(record: Record) -> str:
    """Everything a reader of the body sees: headings, section text, list items, table cells."""
    parts: list[str] = []
    for s in record.sections:
        if s.heading:
            parts.append(s.heading)
        parts.append(s.text)
        for b in s.blocks:
            d = b.model_dump()
            parts.extend(d.get("items") or [])
            parts.extend(c for row in d.get("rows") or [] for c in row)
            if d.get("text"):
                parts.append(d["text"])
            parts.extend(d[k] for k in ("caption", "credit") if d.get(k))  # a figure's
    return "\n".join(parts)


def dig(obj: Any, dotted: str) -> Any:
    """``obj``'s value at ``dotted`` ("dates.last_revised.value", "sections.1.heading"): dict keys, list
    indexes or attributes; None once a step is None."""
    for part in dotted.split("."):
        if obj is None:
            return None
        obj = obj[part] if isinstance(obj, dict) else obj[int(part)] if isinstance(obj, list) else getattr(obj, part)
    return obj


def live_markup(value: Any) -> list[str]:
    """What a browser would take for markup in any string inside ``value`` (a record's JSON): an HTML
    element (lxml's list of HTML tags), an event-handler attribute or a comment; an empty list when
    every string is plain text. Text that only looks odd ("onerror=x" outside a tag, "PSA < 4",
    "<MM/DD/YYYY>") is not markup."""
    import lxml.html
    from lxml.html import defs

    found: list[str] = []
    if isinstance(value, dict):
        for v in value.values():
            found += live_markup(v)
    elif isinstance(value, list):
        for v in value:
            found += live_markup(v)
    elif isinstance(value, str) and "<" in value:
        try:
            fragments = lxml.html.fragments_fromstring(value)
        except Exception:  # noqa: BLE001 - lxml refuses some text outright: then it holds no element
            return found
        for f in fragments:
            if isinstance(f, str):
                continue
            for el in f.iter():
                if not isinstance(el.tag, str):
                    found.append(f"comment in {value[:80]!r}")
                elif el.tag.lower() in defs.tags or any(a.lower().startswith("on") for a in el.attrib):
                    found.append(f"<{el.tag}> in {value[:80]!r}")
    return found


def snippet_checks(exp: dict, record: Record | None) -> tuple[list[tuple[str, bool]], list[tuple[str, bool]]]:
    """The with/without snippet checks of one page of tests/snippets_cancer_gov.py on its record (None:
    the page was quarantined): ``(kept, gone)``, each a list of ``(check, passed)``.

    kept: ``with`` (in the body), ``headings`` (a section heading), ``notices`` (in a notice's text),
    ``nested`` (a list item at level 1 or deeper), ``table_cells`` (in a cell of a table block),
    ``reference_texts`` (in a reference citation), ``figures`` (in a figure block's caption). gone:
    ``without`` (not in the body)."""
    kept: list[tuple[str, bool]] = []
    if record is None:
        wanted = [*exp.get("with", []), *exp.get("headings", []), *exp.get("notices", []), *exp.get("nested", []),
                  *exp.get("table_cells", []), *exp.get("reference_texts", []), *exp.get("figures", [])]
        return [(w, False) for w in wanted], [(w, True) for w in exp.get("without", [])]
    body = body_text(record)
    headings = {s.heading for s in record.sections}
    notices = "\n".join(n.text for n in record.notices)
    blocks = [b for s in record.sections for b in s.blocks]
    nested = {it for b in blocks if b.type == "list" for it, lv in zip(b.items, getattr(b, "levels", []), strict=False) if lv > 0}
    cells = [c for b in blocks if b.type == "table" for row in b.rows for c in row]
    refs = "\n".join(c.text for c in record.citations if c.kind == "reference")
    kept += [(w, w in body) for w in exp.get("with", [])]
    kept += [(h, h in headings) for h in exp.get("headings", [])]
    kept += [(n, n in notices) for n in exp.get("notices", [])]
    kept += [(n, n in nested) for n in exp.get("nested", [])]
    kept += [(c, any(c in cell for cell in cells)) for c in exp.get("table_cells", [])]
    kept += [(r, r in refs) for r in exp.get("reference_texts", [])]
    captions = [getattr(b, "caption", "") for b in blocks if b.type == "figure"]
    kept += [(f, any(f in c for c in captions)) for f in exp.get("figures", [])]
    gone = [(w, w not in body) for w in exp.get("without", [])]
    return kept, gone
