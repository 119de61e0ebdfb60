"""Parsing and its limits: HTML text to an lxml tree, once.

Empty, blank or binary-looking input gives no tree; a page of more than :data:`MAX_HTML_ELEMENTS`
elements is refused (:class:`PathologicalInput`), whatever its depth. The parser (one per thread) is libxml2's with
``huge_tree`` (depth limit 2048 instead of 256); a page deeper than :data:`MAX_HTML_DEPTH` is cut
there. Either cut sets ``truncated`` (``html_truncated`` in the metadata). :class:`ParsedHtml` keeps
the tree for a caller that reads the head before loading the page.
"""

from __future__ import annotations

import threading

import lxml.html
from lxml import etree

from ingest.core.errors import PathologicalInput
from ingest.core.loaders.html.chars import _looks_binary

_tls = threading.local()

_HTML_CLASSES = etree.ElementDefaultClassLookup(
    element=lxml.html.HtmlElement, comment=lxml.html.HtmlComment, pi=lxml.html.HtmlProcessingInstruction,
    entity=lxml.html.HtmlEntity,
)


def _parser() -> lxml.html.HTMLParser:
    p = getattr(_tls, "parser", None)
    if p is None:
        # huge_tree: libxml2's depth limit goes from 256 to 2048 (and no 10 MB text-node cap)
        # collect_ids=False: no table of id attributes is built (nothing here looks an element up by
        # id: CSS "#x" becomes the XPath @id = 'x'); ~25% less parse time (trafilatura's own parser does the same)
        p = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True, huge_tree=True,
                                 collect_ids=False)
        # every element is an HtmlElement, chosen in C: lxml.html's own lookup is Python code run each
        # time an element is touched (it picks FormElement, InputElement... for form controls, whose
        # API nothing here uses). Issue 14: ~5% of trafilatura's time on the WCXB pages, same output.
        p.set_element_class_lookup(_HTML_CLASSES)
        _tls.parser = p
    return p


def _parse(text: str) -> tuple[lxml.html.HtmlElement | None, bool]:
    """(root, truncated). ``None`` for an empty or unparseable document. Raises only
    :class:`PathologicalInput`, for a page of more than :data:`MAX_HTML_ELEMENTS` elements."""
    if not text or not text.strip() or _looks_binary(text):
        return None, False
    parser = _parser()
    try:
        # bytes + explicit encoding: no "encoding declaration in a str" ValueError, <meta charset> ignored
        root = lxml.html.document_fromstring(text.encode("utf-8", "replace"), parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None, False
    elements = int(_COUNT(root))
    if elements > MAX_HTML_ELEMENTS:
        raise PathologicalInput(
            f"{elements:,} elements, over the {MAX_HTML_ELEMENTS:,}-element cap: extracting its content "
            "would take unbounded time"
        )
    err = parser.error_log.last_error
    truncated = err is not None and err.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT
    truncated = _prune_depth(root) or truncated
    return root, truncated


#: Elements a page may hold. The generic extractor (trafilatura) is superlinear in flat elements
#: (10k spans 3.8 s, 20k 6.4 s, 40k 16.7 s; 500,000 in a 7 MB page: more than 240 s and 1 GB), and
#: the depth cut does not apply to a flat page. The largest of the 651 real pages of the test
#: corpus holds 7,949 elements (1.3 MB; a long NCI PDQ summary 6,676): six times that is allowed.
MAX_HTML_ELEMENTS = 50_000

_COUNT = etree.XPath("count(//*)")  # in C: no Python walk over a huge page

#: Elements nested deeper than this are no page a person reads, and walking them (nested tables,
#: lists) costs time that grows with the square of the depth (issue 6: bounded time for hostile
#: input). Deeper content is cut off, like libxml2's own limit, and ``html_truncated`` is set.
MAX_HTML_DEPTH = 256


#: Elements nested one level deeper than :data:`MAX_HTML_DEPTH` (C-level check, so that the Python
#: walk below runs only for the rare page that has any).
_TOO_DEEP = etree.XPath("/*" * (MAX_HTML_DEPTH + 1))


def _prune_depth(root: lxml.html.HtmlElement) -> bool:
    """Remove everything nested deeper than :data:`MAX_HTML_DEPTH`; True if anything was removed."""
    if not _TOO_DEEP(root.getroottree()):
        return False
    depth = 0
    cut = []
    for event, el in etree.iterwalk(root, events=("start", "end")):
        if event == "start":
            depth += 1
            if depth == MAX_HTML_DEPTH and len(el):
                cut.append(el)
        else:
            depth -= 1
    for el in cut:
        for child in list(el):
            el.remove(child)
    return bool(cut)


class ParsedHtml:
    """A page parsed once (:func:`parse_html`), for a caller that reads its head before loading it
    (:func:`head_metadata`, then :func:`load_html` with ``parsed=``). Loading changes the tree, so
    it can be loaded once."""

    __slots__ = ("root", "truncated", "used")

    def __init__(self, text: str) -> None:
        self.root, self.truncated = _parse(text)
        self.used = False


def parse_html(text: str) -> ParsedHtml:
    return ParsedHtml(text)


def take_root(text: str, parsed: ParsedHtml | None) -> tuple[etree._Element | None, bool]:
    """``(root, truncated)`` of ``text``: ``parsed``'s tree the first time it is taken (loading changes
    it), else a fresh parse."""
    if parsed is not None and not parsed.used:
        parsed.used = True
        return parsed.root, parsed.truncated
    return _parse(text)
