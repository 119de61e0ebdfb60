"""HTML → blocks, with lxml on the hot path (trafilatura only as a fallback for unknown sites).

:func:`load_html` parses once, reads the page metadata from the whole document, drops chrome
(scripts, navigation, headers/footers, hidden elements...), picks the content zone and walks it in
document order into :class:`~ingest.core.blocks.Block` objects. Everything is iterative (lxml
``iterwalk`` plus an explicit stack of frames), so arbitrarily deep nesting never hits Python's
recursion limit; libxml2 itself stops building the tree at depth 2048 (``html_truncated`` is then
set in the metadata).

Selectors (zones and drops) are CSS selectors of a small subset or XPath: see
:mod:`ingest.core.loaders.html.selectors`.

:func:`load_html_generic` runs trafilatura's main-content extraction instead of the zone walk and
converts its XML to the same blocks; metadata is read from the original HTML in the same way.

The modules, each importing only those above it:

- ``chars``: whitespace folding and the binary-garbage test;
- ``selectors``: the CSS subset compiled to XPath, selection on the page or inside the zone;
- ``zones``: page chrome, content zone choice, element removal;
- ``parsing``: text → tree once, the depth and size limits (:func:`parse_html`, :class:`ParsedHtml`);
- ``walk``: zone → blocks (and the zone mended before the walk);
- ``metadata``: title, language, meta tags, canonical URL, dates and byline (:func:`head_metadata`);
- ``load``: :func:`load_html`, all of the above in order;
- ``generic``: :func:`load_html_generic`, the trafilatura fallback.

This package's ``__init__`` is its public API: the rest of the code imports from here.
"""

from __future__ import annotations

from ingest.core.loaders.html.chars import _fold as _fold
from ingest.core.loaders.html.generic import load_html_generic
from ingest.core.loaders.html.load import load_html
from ingest.core.loaders.html.metadata import head_metadata, load_html_head
from ingest.core.loaders.html.parsing import MAX_HTML_DEPTH, ParsedHtml, parse_html
from ingest.core.loaders.html.selectors import css_to_xpath
from ingest.core.loaders.html.walk import _walk as _walk
from ingest.core.loaders.html.zones import (
    DEFAULT_ZONES,
    DROP_ROLES,
    DROP_TAGS,
    MIN_ZONE_CHARS,
    MIN_ZONE_SHARE,
    remove_keeping_tail,
)

__all__ = [
    "DEFAULT_ZONES",
    "DROP_ROLES",
    "DROP_TAGS",
    "MAX_HTML_DEPTH",
    "MIN_ZONE_CHARS",
    "MIN_ZONE_SHARE",
    "css_to_xpath",
    "load_html",
    "load_html_generic",
    "load_html_head",
    "parse_html",
    "head_metadata",
    "ParsedHtml",
    "remove_keeping_tail",
]
