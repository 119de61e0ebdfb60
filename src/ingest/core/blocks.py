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

BlockKind = Literal["heading", "paragraph", "list", "table", "quote"]


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
    - list: ``items`` (one string per item, never run together) and ``ordered``
    - table: ``rows`` (list of cells per row; the header row first when there is one)
    ``links`` holds the inline links found in the block's text (for lists and tables: in any item/cell).
    """

    kind: BlockKind
    text: str = ""
    level: int = 0
    items: list[str] = field(default_factory=list)
    ordered: bool = False
    rows: list[list[str]] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    #: heading: the fragment the page gives it (its ``id``, or that of the container it opens), if any
    anchor: str | None = None

    def plain(self) -> str:
        """All the block's text as one string (items and cells joined by newlines/tabs)."""
        if self.kind == "list":
            return "\n".join(self.items)
        if self.kind == "table":
            return "\n".join("\t".join(r) for r in self.rows)
        return self.text


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
