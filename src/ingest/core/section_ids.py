"""Stable section ids: derived from the heading path, not from the position in the document.

A section's id is ``s-`` and the first 12 hex digits of the SHA-256 of its heading path (the
enclosing headings, outermost first, then its own heading; ``None`` for the text before the first
heading) and its position among earlier sections with the same heading path (0 for the first).
Inserting, removing or reordering a section therefore renames no other section, except a later
section with exactly the same heading path (its position among those changes). Editing a heading
renames that section, not its siblings; the sections under it get new ids too (their path changed).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any


def section_id(path: Sequence[str], heading: str | None, nth: int = 0) -> str:
    """The id of the ``nth`` (0-based) section whose heading path is ``path`` + ``heading``.

    >>> section_id([], "Treatment")
    's-67fd02133c76'
    >>> section_id([], "Treatment") == section_id(["Intro"], "Treatment")
    False
    """
    key = "\x1f".join([*path, "\x00" if heading is None else heading]) + f"\x1e{nth}"
    return "s-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]


def assign_section_ids(sections: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Set ``id`` of each section dict (with ``path`` and ``heading``) in place; returns ``sections``."""
    seen: dict[tuple[str, ...], int] = {}
    for s in sections:
        key = (*s["path"], "\x00" if s["heading"] is None else s["heading"])
        nth = seen.get(key, 0)
        seen[key] = nth + 1
        s["id"] = section_id(s["path"], s["heading"], nth)
    return sections
