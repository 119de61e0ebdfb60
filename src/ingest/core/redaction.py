"""Redaction artifacts ("[facility removed]", "[name removed]", "[redacted]") out, without broken text.

A redaction that swallowed parts of words ("What [facility removed]al Trial Treatment Doesn't
Work") is repaired from the document's own words when another line says the same thing (the
question title); otherwise the damaged sentence, list item or heading is dropped. Every removal and
repair is logged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.core.blocks import Block
from ingest.core.clean import Removals
from ingest.core.cleaners import clean_inline

MARKER = re.compile(
    r"\[\s*(?:[A-Za-z]+[\s_-]+){0,3}(?:removed|redacted|withheld|omitted)\s*\]|\[\s*(?:redacted|REDACTED|PHI|PII)\s*\]",
    re.I,
)
_WORD = re.compile(r"[\w’']+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9“\"(])")


@dataclass
class RepairLog:
    repairs: list[dict] = field(default_factory=list)


def has_marker(text: str) -> bool:
    return MARKER.search(text) is not None


def repair_blocks(blocks: list[Block], candidates: list[str], removals: Removals, log: RepairLog) -> list[Block]:
    """Repair or drop every redaction marker in ``blocks``.

    ``candidates`` are lines of the same document that may say what a damaged line said (the
    title, related question titles); the other blocks' own text is added to them.
    """
    pool = [c for c in candidates if c and not has_marker(c)]
    pool += [b.text for b in blocks if b.kind in ("heading", "paragraph") and b.text and not has_marker(b.text)]
    out: list[Block] = []
    for b in blocks:
        if b.kind in ("heading", "paragraph", "quote", "figure"):
            if not has_marker(b.text):
                out.append(b)
                continue
            fixed = _repair_line(b.text, pool, removals, log, whole_line=b.kind == "heading")
            if fixed:
                b.text = fixed
                out.append(b)
        elif b.kind == "list":
            items: list[str | None] = []
            for it in b.items:
                if not has_marker(it):
                    items.append(it)
                    continue
                items.append(_repair_line(it, pool, removals, log, whole_line=True) or None)
            b.keep_items(items)  # each kept item keeps its nesting level
            if b.items:
                out.append(b)
        elif b.kind == "table":
            b.rows = [[_strip_cell(c, removals) for c in row] for row in b.rows]
            out.append(b)
        else:  # pragma: no cover - all kinds handled above
            out.append(b)
    return out


def _strip_cell(cell: str, removals: Removals) -> str:
    if not has_marker(cell):
        return cell
    removals.add("redaction.marker", "redaction", "redaction marker in a table cell", cell)
    return clean_inline(MARKER.sub(" ", cell))


def _repair_line(text: str, pool: list[str], removals: Removals, log: RepairLog, *, whole_line: bool) -> str:
    """Return the repaired text, or "" when the line must go."""
    if whole_line:
        units = [text]
    else:
        units = _SENTENCE.split(text)
    kept: list[str] = []
    for unit in units:
        if not has_marker(unit):
            kept.append(unit)
            continue
        cand = _find_source(unit, pool)
        if cand is not None:
            log.repairs.append(
                {
                    "rule": "redaction.repair_from_document",
                    "before": unit,
                    "after": cand,
                    "reason": "a redaction swallowed words; another line of the document says the same thing",
                }
            )
            for m in MARKER.finditer(unit):
                removals.add("redaction.repair_from_document", "redaction", "redaction marker (line repaired)", m.group(0))
            kept.append(cand)
        else:
            removals.add(
                "redaction.drop_damaged", "redaction",
                "redaction marker; the damaged text could not be repaired from the document, so it was dropped",
                unit,
            )
    return clean_inline(" ".join(kept))


def _words(s: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in _WORD.findall(s)]


def _find_source(unit: str, pool: list[str]) -> str | None:
    """Find a line that says what ``unit`` said before the redaction.

    The words before the marker must open the candidate; the words after it must appear in the
    candidate in order, after them, ending where the candidate ends. A word cut by the marker
    ("...]al") must be the end of a candidate word ("clinical"). At least two thirds of the
    surviving words must be found, and at least three words in all.
    """
    m = MARKER.search(unit)
    assert m is not None
    left, right = unit[: m.start()], MARKER.sub(" ", unit[m.end():])
    lw, rw = _words(left), _words(right)
    cut_left = bool(left) and left[-1].isalnum()
    cut_right = bool(right) and right[0].isalnum()
    if len(lw) + len(rw) < 3:
        return None
    best: tuple[float, str] | None = None
    for cand in pool:
        cw = _words(cand)
        if len(cw) < len(lw) + len(rw) - 1:
            continue
        score = _align(lw, rw, cw, cut_left, cut_right)
        if score is not None and (best is None or score > best[0]):
            best = (score, cand)
    return best[1] if best else None


def _align(lw: list[str], rw: list[str], cw: list[str], cut_left: bool, cut_right: bool) -> float | None:
    # left words: exact prefix of the candidate (the last one may be cut)
    for k, w in enumerate(lw):
        if k >= len(cw):
            return None
        last = k == len(lw) - 1
        if not (cw[k] == w or (last and cut_left and cw[k].startswith(w))):
            return None
    if not rw:
        return 1.0 if lw else None
    # right words: the last one must end the candidate; all in order after the left words
    if rw[-1] != cw[-1]:
        return None
    pos = len(lw)
    found = 0
    for k, w in enumerate(rw):
        first = k == 0
        j = pos
        while j < len(cw) and not (cw[j] == w or (first and cut_right and cw[j].endswith(w))):
            j += 1
        if j < len(cw):
            found += 1
            pos = j + 1
    if found < 3 and found < len(rw):
        return None
    ratio = found / len(rw)
    return ratio if ratio >= 2 / 3 else None
