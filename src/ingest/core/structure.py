"""Headings for plain text, the title, and the section tree."""

from __future__ import annotations

import re

from ingest.core.blocks import Block, list_markers
from ingest.core.clean import Removals
from ingest.core.cleaners import clean_inline

_STEP = re.compile(r"^(Step|Part|Phase|Stage)\s+\d+\b", re.I)
_SENTENCE_BREAK = re.compile(r"[.!?]\s+\S")


def looks_like_heading(text: str) -> bool:
    """A plain-text line that reads as a heading: short, capitalised, no closing punctuation.

    >>> [looks_like_heading(t) for t in ["Palliative treatment", "How does chemo work?", "Your doctor will:", "It works."]]
    [True, True, False, False]
    """
    if not text or len(text) > 100 or len(text.split()) > 14:
        return False
    if text[-1] in ".,;:!—–-" or text[0] in "\"“'(‘[":
        return False
    if not (text[0].isupper() or text[0].isdigit()):
        return False
    return not _SENTENCE_BREAK.search(text)


def promote_headings(blocks: list[Block]) -> list[Block]:
    """Turn heading-like paragraphs of plain text into headings (level 2; "Step 1: ..." level 3).

    A line is only a heading when content follows it (a paragraph or list, not the end).
    """
    for i, b in enumerate(blocks):
        if b.kind != "paragraph" or not looks_like_heading(b.text):
            continue
        nxt = blocks[i + 1] if i + 1 < len(blocks) else None
        if nxt is None:
            continue
        b.kind = "heading"
        b.level = 3 if _STEP.match(b.text) else 2
    return blocks


def _norm(s: str) -> str:
    return re.sub(r"[^\w]+", " ", s.lower()).strip()


def drop_title_repeats(blocks: list[Block], title: str, suffixes, removals: Removals) -> list[Block]:
    """Remove leading headings/lines that repeat the title (with or without the site suffix)."""
    from ingest.core.cleaners import strip_title_suffix

    t = _norm(title)
    out: list[Block] = []
    leading = True
    for b in blocks:
        if leading and b.kind in ("heading", "paragraph") and _norm(strip_title_suffix(b.text, suffixes)) == t:
            removals.add("structure.title_repeat", "duplicate_title", "repeats the title", b.text)
            continue
        if b.kind != "heading":
            leading = False
        out.append(b)
    return out


def render_block_text(b: Block) -> str:
    if b.kind == "list":
        return "\n".join(m + it for m, it in zip(list_markers(b.ordered, b.levels, len(b.items)), b.items, strict=True))
    if b.kind == "table":
        return "\n".join(" | ".join(r) for r in b.rows)
    if b.kind == "figure":
        return b.plain()
    return b.text


def build_sections(blocks: list[Block]) -> list[tuple[str | None, int, list[str], list[Block], str | None]]:
    """Group blocks under headings: ``(heading, level, path, blocks, anchor)`` in document order
    (``anchor``: the heading's fragment on the page, :attr:`Block.anchor`).

    Content before the first heading gets heading None and level 0. A heading with no content
    and no sub-sections is kept only if something follows it.
    """
    sections: list[tuple[str | None, int, list[str], list[Block], str | None]] = []
    stack: list[tuple[int, str]] = []
    current: tuple[str | None, int, list[str], list[Block], str | None] | None = None
    for b in blocks:
        if b.kind == "heading":
            level = max(1, min(6, b.level or 2))
            while stack and stack[-1][0] >= level:
                stack.pop()
            path = [h for _, h in stack]
            current = (clean_inline(b.text), level, path, [], b.anchor)
            sections.append(current)
            stack.append((level, current[0] or ""))
        else:
            if current is None:
                current = (None, 0, [], [], None)
                sections.append(current)
            current[3].append(b)
    while sections and not sections[-1][3]:
        sections.pop()  # trailing headings with nothing under them
    return sections
