"""The intermediate block model every input format converges on.

Loaders (text, Markdown, HTML, ...) turn a document into a flat list of :class:`Block`; all
boilerplate removal, section building, citation and glossary extraction works on blocks only, so
each of those is written once for every format.

Blocks are plain dataclasses (not pydantic) because thousands are created per page on the hot path.
Text in a block is always plain text: no markup, whitespace folded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

BlockKind = Literal["heading", "paragraph", "list", "table", "quote", "figure"]


@dataclass(slots=True)
class Link:
    """An inline link: its visible text and its target exactly as written (may be relative)."""

    text: str
    href: str


@dataclass(slots=True)
class Block:
    """One unit of content.

    - heading: ``text`` and ``level`` (1-6)
    - paragraph / quote: ``text``
    - list: ``items`` (one string per item, never run together) and ``ordered``; ``levels``: each item's
      nesting depth (0 = an item of the list itself, 1 = of a list inside an item...), as long as
      ``items``, or empty when no item is nested (items of a nested list follow the item holding it)
    - table: ``rows`` (list of cells per row; the header row first when there is one); ``header_rows``:
      how many of the first rows are header rows (``<thead>`` rows, rows of ``<th>`` cells only)
    - figure: ``text`` (the caption, may be empty), ``src`` (the image's address as written, "" when
      none), ``alt`` (the image's alternative text), ``credit`` (the photo credit line)
    ``links`` holds the inline links found in the block's text (for lists and tables: in any item/cell).
    """

    kind: BlockKind
    text: str = ""
    level: int = 0
    items: list[str] = field(default_factory=list)
    ordered: bool = False
    rows: list[list[str]] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    levels: list[int] = field(default_factory=list)
    header_rows: int = 0
    src: str = ""
    alt: str = ""
    credit: str = ""
    #: heading: the fragment the page gives it (its ``id``, or that of the container it opens), if any
    anchor: str | None = None

    def item_level(self, k: int) -> int:
        """The nesting depth of item ``k`` (0 when the list has no nested items)."""
        return self.levels[k] if k < len(self.levels) else 0

    def keep_items(self, items: list[str | None]) -> None:
        """Replace the items by ``items`` (the same length; ``None`` or "" for an item that goes), each
        kept item keeping its level; levels are dropped when no nested item is left."""
        levels = [self.item_level(k) for k, it in enumerate(items) if it]
        self.items = [it for it in items if it]
        self.levels = levels if any(levels) else []

    def plain(self) -> str:
        """All the block's text as one string (items and cells joined by newlines/tabs)."""
        if self.kind == "list":
            return "\n".join(self.items)
        if self.kind == "table":
            return "\n".join("\t".join(r) for r in self.rows)
        if self.kind == "figure":
            return "\n".join(t for t in (self.text, self.credit) if t)
        return self.text


def list_markers(ordered: bool, levels: list[int], n: int) -> list[str]:
    """The marker of each of ``n`` list items in plain text: ``- `` or ``1. `` (numbered within its own
    level), indented two spaces per nesting level."""
    out: list[str] = []
    counters: list[int] = []
    for k in range(n):
        lv = levels[k] if k < len(levels) else 0
        del counters[lv + 1:]
        counters.extend([0] * (lv + 1 - len(counters)))
        counters[lv] += 1
        out.append("  " * lv + (f"{counters[lv]}. " if ordered else "- "))
    return out


@dataclass(slots=True)
class LoadedDocument:
    """What a loader returns: the blocks plus whatever metadata the format itself carries.

    ``metadata`` keys used downstream (all optional):
    - ``front_matter``: dict parsed from YAML front matter
    - ``html_title``: the ``<title>`` text; ``html_lang``: the ``<html lang>`` value
    - ``html_meta``: dict of ``<meta name|property=...>`` -> content (lower-cased keys)
    - ``canonical_url``: ``<link rel=canonical>`` href
    - ``time``: list of ``(label, datetime_attr, text)`` from ``<time>`` elements near date labels
    """

    format: Literal["text", "markdown", "html", "pdq_xml"]
    blocks: list[Block]
    metadata: dict[str, Any] = field(default_factory=dict)
