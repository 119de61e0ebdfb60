"""Plain text → blocks.

Every non-empty line is a paragraph, except list items: ``- item``, ``• item``, ``1. item``, and the
copy-paste form where a lone ``-`` line is followed by the item text. Consecutive items of the
same kind (blank lines between them allowed) form one list block. Headings are not guessed here:
that needs the site rules to have removed boilerplate first (see ``structure.promote_headings``).
"""

from __future__ import annotations

import re

from ingest.core.blocks import Block, LoadedDocument
from ingest.core.cleaners import clean_inline

_BULLET = re.compile(r"^\s*[-•*·▪●◦‣–]\s+(?P<text>\S.*)$")
_LONE_BULLET = re.compile(r"^\s*[-•*·▪●◦‣–]\s*$")
_ORDERED = re.compile(r"^\s*(?P<n>\d{1,3})[.)]\s+(?P<text>\S.*)$")


def load_text(text: str) -> LoadedDocument:
    blocks: list[Block] = []
    lines = text.split("\n")
    i = 0
    current: Block | None = None  # the list being filled
    while i < len(lines):
        raw = lines[i]
        i += 1
        if not raw.strip():
            continue
        item: str | None = None
        ordered = False
        if m := _ORDERED.match(raw):
            item, ordered = m.group("text"), True
        elif m := _BULLET.match(raw):
            item = m.group("text")
        elif _LONE_BULLET.match(raw):
            # "-" on its own line, item text on the next non-empty line
            while i < len(lines) and not lines[i].strip():
                i += 1
            if i < len(lines):
                item = lines[i]
                i += 1
            else:
                continue
        if item is not None:
            item = clean_inline(item)
            if not item:
                continue
            if current is None or current.ordered != ordered:
                current = Block("list", ordered=ordered)
                blocks.append(current)
            current.items.append(item)
            continue
        current = None
        line = clean_inline(raw)
        if line:
            blocks.append(Block("paragraph", text=line))
    return LoadedDocument("text", blocks)
