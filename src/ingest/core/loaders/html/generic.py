"""The extractor for pages from unknown sites: :func:`load_html_generic`.

trafilatura's main-content extraction replaces the zone walk; its extracted tree (``bare_extraction``,
cleaned as its XML output is: ``_extract_tree``) is renamed to the HTML tags the walk understands
(``_traf_to_html``) and walked into the same blocks. Metadata is read from the
original HTML as :func:`~ingest.core.loaders.html.load.load_html` reads it. trafilatura is imported
only when this path runs.

Passes (issue 14), each only when the one before left no page text (:data:`MIN_CONTENT_CHARS`):

1. ``trafilatura balanced``: trafilatura's default mode, which has its own rescues (a baseline pass
   on the raw tree, a recall retry when the text covers little of the page). ``favor_precision``
   was tried and dropped: it wins on news articles but loses on forums, listings, service and
   product pages (WCXB, ``make quality``), and it turns off those rescues;
2. ``trafilatura favor_recall``: when what the first pass kept is empty, tiny or only chrome (the
   caller says how much content is left after its chrome rules, ``content_chars``);
3. ``lxml default-zones``: the zone walk of :func:`load_html`, when neither pass left any text.

``metadata["extraction"]`` names the pass whose text was kept (it goes to ``provenance.extraction``).
trafilatura runs without links; each link of the page is given back to the block whose text is the
text of the paragraph, item or cell holding the link (``_relink``).
"""

from __future__ import annotations

import copy
import logging
import unicodedata
from collections.abc import Callable

from lxml import etree

from ingest.core.blocks import Block, Link, LoadedDocument
from ingest.core.loaders.html.load import _metadata_and_zone
from ingest.core.loaders.html.metadata import _empty_metadata
from ingest.core.loaders.html.parsing import ParsedHtml, take_root
from ingest.core.loaders.html.walk import _HEADINGS, _walk
from ingest.core.loaders.html.zones import DEFAULT_ZONES, _drop

# the logger keeps the name it had when this package was one module
log = logging.getLogger(__package__)

#: Elements whose content is never page text, whatever the extractor.
_NEVER_CONTENT = ("script", "style", "noscript", "iframe", "template", "object", "embed", "frame", "frameset",
                  "applet")
#: Elements that hold no text a reader reads (drawings, media, form controls): trafilatura
#: discards them too, but only after walking them; out first, the extraction is cheaper.
_NO_TEXT = ("svg", "canvas", "audio", "video", "input", "select", "textarea")


# trafilatura XML → HTML tag names, so the same walk turns it into blocks
_TRAF_TAGS = {"doc": "div", "main": "div", "body": "div", "div": "div", "ab": "p", "p": "p", "quote": "blockquote",
              "item": "li", "row": "tr", "lb": "br", "hi": "span", "del": "span", "code": "span", "table": "table",
              "note": "div", "figure": "figure", "fw": "div"}


def _traf_to_html(doc: etree._Element) -> None:
    doomed = []
    for el in doc.iter():
        tag = el.tag
        if not isinstance(tag, str):
            continue
        rend = (el.get("rend") or "").lower()
        if tag == "head":
            el.tag = rend if rend in _HEADINGS else "h2"
        elif tag == "list":
            el.tag = "ol" if rend == "ol" else "ul"
        elif tag == "cell":
            el.tag = "th" if el.get("role") == "head" else "td"
        elif tag == "ref":
            el.tag = "a"
            target = el.get("target")
            if target is not None:
                el.set("href", target)
            nxt = el.getnext()
            if not el.tail and nxt is not None and nxt.tag == "ref":
                el.tail = " "  # trafilatura drops the space between adjacent links ("cancer therapy")
        elif tag in ("comments", "graphic"):
            doomed.append(el)
        else:
            el.tag = _TRAF_TAGS.get(tag, "span")
    _drop(doomed)


#: Below this many characters of content (after the caller's chrome rules) an extraction is "tiny"
#: and the next pass is tried: trafilatura's own ``MIN_EXTRACTED_SIZE`` (its default settings), the
#: size under which trafilatura itself calls an extraction too short to trust.
MIN_CONTENT_CHARS = 250

#: The trafilatura passes, in order: (name, settings). Both keep tables, never comments (a comment
#: section is not the page's content), and run without links: trafilatura's link mode drops
#: link-heavy parts of listings, collections and forums that its link-less mode keeps (WCXB,
#: ``make quality``); the links are given back afterwards (``_relink``).
PASSES: tuple[tuple[str, dict], ...] = (
    ("trafilatura balanced", {}),
    ("trafilatura favor_recall", {"favor_recall": True}),
)
ZONE_WALK = "lxml default-zones"


def _content_chars(blocks: list[Block]) -> int:
    """Characters of non-heading text: the default measure when the caller gives none."""
    return sum(len(b.plain().strip()) for b in blocks if b.kind != "heading")


def _trafilatura_blocks(page: etree._Element, settings: dict) -> list[Block]:
    """One trafilatura pass over ``page`` (trafilatura copies it: ``page`` is left as it was)."""
    try:
        body = _extract_tree(page, settings)
    except Exception as e:  # noqa: BLE001 - a third-party extractor must not take the document down
        log.debug("trafilatura failed: %s: %s", type(e).__name__, e)
        return []
    if body is None or not len(body):
        return []
    _traf_to_html(body)
    return _walk(body)


_EXTRACTORS: dict[tuple, object] = {}


def _extract_tree(page: etree._Element, settings: dict) -> etree._Element | None:
    """trafilatura's extracted tree (its XML vocabulary: ``p``, ``head``, ``list``/``item``...),
    cleaned as ``extract(output_format="xml")`` cleans it (but for :func:`_flatten_nested_code`);
    None when it keeps nothing. Always with tables, without comments and without links.

    ``bare_extraction`` gives the extracted tree itself; :func:`_finish_like_xml_output` applies
    the cleaning ``extract`` applies before serializing, without the serializing, the parse back
    and the content fingerprint ``extract`` computes for its XML output (issue 14: ~6% of the
    generic path's CPU on the WCXB pages, for a string that was parsed again at once)."""
    from trafilatura.core import bare_extraction  # heavy import, only on this path
    from trafilatura.settings import Extractor

    key = tuple(sorted(settings.items()))
    options = _EXTRACTORS.get(key)
    if options is None:  # built once per settings: reading trafilatura's config costs ~0.2 ms a page
        options = _EXTRACTORS[key] = Extractor(
            output_format="xml", tables=True, links=False, comments=False, fast=settings.get("fast", False),
            precision=settings.get("favor_precision", False), recall=settings.get("favor_recall", False))
    document = bare_extraction(page, options=copy.copy(options))  # a copy: it may set fields of its own
    if document is None or document.body is None:
        return None
    _finish_like_xml_output(document.body)
    return document.body


def _finish_like_xml_output(body: etree._Element) -> None:
    """The last cleaning of trafilatura's XML output (``determine_returnstring``/``control_xml_output``
    of trafilatura 2.3), in place on the extracted tree: empty elements out, doubly nested
    paragraphs/headings merged, text trimmed and sanitized, attributes of tags that keep none
    cleared, Unicode NFC. tests/test_generic_extraction.py checks that the blocks are those of
    ``extract(output_format="xml")`` on real pages."""
    from trafilatura.xml import (
        clean_attributes,
        delete_element,
        keeps_empty,
        remove_empty_elements,
        strip_double_tags,
    )

    for el in body.iter("*"):
        if len(el) == 0 and not el.text and not el.tail and not keeps_empty(el):
            delete_element(el, keep_tail=False)
    _flatten_nested_code(body)
    strip_double_tags(body)
    remove_empty_elements(body)
    clean_attributes(body)
    _sanitize_tree(body)  # and NFC: the line breaks _layout_breaks adds need none
    _layout_breaks(body)


def _flatten_nested_code(body: etree._Element) -> None:
    """A code block inside a code block (``<pre><code>`` around a highlighter's lines) becomes one.

    trafilatura's XML output merges the inner ``<code>`` into the outer one as text
    (``strip_double_tags``), keeping only the text before the inner block's first line break: every
    line of the snippet after the first was lost (WCXB 2873, react.dev: 5 of 6 lines of each
    example). Here the inner tag goes and its lines, breaks included, stay where they are."""
    for outer in [c for c in body.iter("code") if next(c.iterancestors("code"), None) is None]:
        if next(outer.iterdescendants("code"), None) is not None:
            etree.strip_tags(outer, "code")


def _sanitize_tree(tree: etree._Element) -> None:
    """trafilatura's ``utils.sanitize_tree`` (2.3), with a fast path for the common text: one line of
    printable characters without ``&`` or U+2424, where its ``sanitize`` only trims and collapses
    spaces (or, in code, keeps the text as it is). Any other text goes through ``sanitize`` itself.
    Each text is then NFC-normalized, as ``extract`` normalizes its whole output. Issue 14: the
    per-line work was ~1% of the generic path's CPU; tests/test_generic_extraction.py holds the result
    to trafilatura's own on real pages."""
    from trafilatura.utils import FORMATTING_PROTECTED, SPACING_PROTECTED, sanitize

    for elem in tree.iter():
        parent = elem.getparent()
        parent_tag = parent.tag if parent is not None else ""
        preserve = elem.tag in SPACING_PROTECTED or parent_tag in SPACING_PROTECTED
        trailing = preserve or elem.tag in FORMATTING_PROTECTED or parent_tag in FORMATTING_PROTECTED
        if len(elem.attrib):
            for attribute in list(elem.attrib):
                if ":" in attribute and (not elem.attrib[attribute] or attribute.split(":", 1)[0] not in tree.nsmap):
                    elem.attrib.pop(attribute)
        if elem.text:
            elem.text = _nfc(_sanitize_text(elem.text, preserve, trailing, sanitize))
        if elem.tail:
            elem.tail = _nfc(_sanitize_text(elem.tail, preserve, trailing, sanitize))


def _nfc(text: str | None) -> str | None:
    return unicodedata.normalize("NFC", text) if text and not unicodedata.is_normalized("NFC", text) else text


def _sanitize_text(text: str, preserve: bool, trailing: bool, sanitize: Callable) -> str | None:
    if not text.isprintable() or "&" in text or "\u2424" in text:
        return sanitize(text, preserve, trailing)
    if preserve:
        return text
    core = " ".join(text.split())
    if not trailing:
        return core
    if not core:
        return None
    return f"{' ' if text[0].isspace() else ''}{core}{' ' if text[-1].isspace() else ''}"


def _layout_breaks(el: etree._Element) -> None:
    """A line break between the children of an element that holds no text of its own, as the
    indented XML of ``extract`` has them (libxml2 indents an element's children unless it or an
    element around it holds text): the walk reads the children of such a cell or item as words
    apart ("source content destination", not "sourcecontentdestination")."""
    stack = [el]  # not recursive: an extraction may nest deeper than Python's recursion limit
    while stack:
        el = stack.pop()
        if not len(el) or el.text or any(c.tail for c in el):
            continue
        el.text = "\n"
        for c in el:
            c.tail = "\n"
        stack.extend(el)


#: The elements whose text is one block of the walk: a link is given back to the block whose text
#: is its element's text.
_LINK_CONTAINERS = ("p", "li", "td", "th", "dd", "dt", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "figcaption",
                    "caption", "pre")


def _fold_ws(text: str) -> str:
    return " ".join(text.split())


def _page_links(page: etree._Element) -> dict[str, list[tuple[etree._Element, str]]]:
    """{text of the element around a link: its links (element, href)}: the links of the page, found by
    the text of the paragraph, item or cell that holds them. A link's own text is read only when
    its box is a block of the extraction (:func:`_relink`): most boxes are menus that are not."""
    out: dict[str, list[tuple[etree._Element, str]]] = {}
    seen: dict[etree._Element, str] = {}
    for a in page.iter("a"):
        href = (a.get("href") or "").strip()
        if not href:
            continue
        box = next(a.iterancestors(*_LINK_CONTAINERS), None)  # the tag test in C
        if box is None:
            continue
        key = seen.get(box)
        if key is None:
            key = seen[box] = _fold_ws(box.text_content())
        out.setdefault(key, []).append((a, href))
    return out


def _relink(blocks: list[Block], links: dict[str, list[tuple[etree._Element, str]]]) -> None:
    """Give each block the page's links whose paragraph, item or cell is the block's own text.

    The extraction runs without links (trafilatura's link handling drops link-heavy parts of
    listings, collections and forums that its link-less mode keeps: ``make quality``); a link is
    given back only where its element's whole text is a block's text, never by a word match. A
    link without text is none."""
    if not links:
        return
    for b in blocks:
        if b.kind == "list":
            texts = b.items
        elif b.kind == "table":
            texts = [c for r in b.rows for c in r]
        else:
            texts = [b.text]
        for t in texts:
            for a, href in links.get(_fold_ws(t), ()):
                text = _fold_ws(a.text_content())
                lk = Link(text, href)
                if text and lk not in b.links:
                    b.links.append(lk)


def load_html_generic(
    text: str, parsed: ParsedHtml | None = None, content_chars: Callable[[list[Block]], int] | None = None
) -> LoadedDocument:
    """Like :func:`load_html`, but the content comes from trafilatura's main-content extraction.

    For pages from sites we have no profile for. Metadata is read from the original HTML exactly as
    in :func:`load_html` (dates and byline limited to the default zone). The passes of the module
    docstring run in order until one leaves at least :data:`MIN_CONTENT_CHARS` characters of content
    as ``content_chars`` measures it (the caller's chrome rules applied; default: all non-heading
    text); else the pass that left the most is kept. ``metadata["extractor"]`` says which extractor
    produced the blocks (``"trafilatura"``, or ``"lxml"`` for the zone walk) and
    ``metadata["extraction"]`` which pass, with why the passes before it were not kept.
    ``parsed``: ``text`` already parsed by :func:`parse_html` and not loaded yet (saves a parse).
    """
    root, truncated = take_root(text, parsed)
    if root is None:
        return LoadedDocument("html", [], {**_empty_metadata(), "extractor": "trafilatura",
                                           "extraction": PASSES[0][0]})
    measure = content_chars or _content_chars
    best: list[Block] = []
    best_name, best_chars = PASSES[0][0], -1
    tried: list[str] = []

    def extract(page: etree._Element) -> bool:
        """The passes; True when none left any content (the zone walk may be next)."""
        nonlocal best, best_name, best_chars
        # issue 6: trafilatura keeps the text of <template>, <noscript>, <object>...; nothing of these
        # (nor scripts, styles, frames) may reach a record. In place: the metadata was read already.
        etree.strip_elements(page, *_NEVER_CONTENT, *_NO_TEXT, with_tail=False)
        links = _page_links(page)
        for name, settings in PASSES:
            blocks = _trafilatura_blocks(page, settings)
            _relink(blocks, links)
            chars = measure(blocks) if blocks else 0
            if chars > best_chars:
                best, best_name, best_chars = blocks, name, chars
            if chars >= MIN_CONTENT_CHARS:
                return False
            tried.append(f"{name}: {chars} characters of content")
        return best_chars <= 0

    md, zone = _metadata_and_zone(root, truncated, DEFAULT_ZONES, before_chrome=extract, source=text)
    blocks, md["extractor"] = best, "trafilatura"
    if best_chars <= 0 and zone is not None:
        walked = _walk(zone)
        if walked and measure(walked) > 0:
            blocks, best_name, md["extractor"] = walked, ZONE_WALK, "lxml"
    # the passes that were tried and left too little, with how much: why the kept one is a fallback
    md["extraction"] = f"{best_name} (after {'; '.join(tried)})" if tried and best_name != tried[0].split(":")[0] \
        else best_name + (f" ({'; '.join(tried)})" if tried else "")
    return LoadedDocument("html", blocks, md)
