"""The trafilatura fallback for pages from unknown sites: :func:`load_html_generic`.

trafilatura's main-content extraction replaces the zone walk; its XML is renamed to the HTML tags the
walk understands (``_traf_to_html``) and walked into the same blocks. Metadata is read from the
original HTML as :func:`~ingest.core.loaders.html.load.load_html` reads it. trafilatura is imported
only when this path runs.
"""

from __future__ import annotations

import copy
import logging

from lxml import etree

from ingest.core.blocks import Block, LoadedDocument
from ingest.core.loaders.html.load import _metadata_and_zone
from ingest.core.loaders.html.metadata import _empty_metadata
from ingest.core.loaders.html.parsing import _parse
from ingest.core.loaders.html.walk import _HEADINGS, _walk
from ingest.core.loaders.html.zones import DEFAULT_ZONES, _drop

# the logger keeps the name it had when this package was one module
log = logging.getLogger(__package__)

#: Elements whose content is never page text, whatever the extractor.
_NEVER_CONTENT = ("script", "style", "noscript", "iframe", "template", "object", "embed", "frame", "frameset",
                  "applet")


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


def load_html_generic(text: str) -> LoadedDocument:
    """Like :func:`load_html`, but the content comes from trafilatura's main-content extraction.

    For pages from sites we have no profile for. Metadata is read from the original HTML exactly as
    in :func:`load_html` (dates and byline limited to the default zone); ``metadata["extractor"]``
    says which extractor produced the blocks: ``"trafilatura"``, or ``"lxml"`` when trafilatura
    found nothing (or failed) and the default-zone walk was used instead.
    """
    root, truncated = _parse(text)
    if root is None:
        return LoadedDocument("html", [], {**_empty_metadata(), "extractor": "trafilatura"})
    import trafilatura  # heavy import, only on this path

    xml: str | None
    try:
        # issue 6: trafilatura keeps the text of <template>, <noscript>, <object>...; nothing of
        # these (nor scripts, styles, frames) may reach a record. A copy: metadata reads the original.
        clean = copy.deepcopy(root)
        etree.strip_elements(clean, *_NEVER_CONTENT, with_tail=False)
        xml = trafilatura.extract(
            clean, output_format="xml", include_tables=True, include_links=True, include_comments=False,
            favor_precision=True,
        )
    except Exception as e:  # noqa: BLE001 - a third-party extractor must not take the document down
        log.debug("trafilatura failed: %s: %s", type(e).__name__, e)
        xml = None
    blocks: list[Block] = []
    if xml:
        try:
            doc = etree.fromstring(
                xml.encode("utf-8"), parser=etree.XMLParser(remove_comments=True, remove_pis=True, huge_tree=True)
            )
        except etree.XMLSyntaxError:
            doc = None
        if doc is not None:
            _traf_to_html(doc)
            blocks = _walk(doc)
    md, zone = _metadata_and_zone(root, truncated, DEFAULT_ZONES)
    md["extractor"] = "trafilatura"
    if not blocks and zone is not None:
        blocks = _walk(zone)
        md["extractor"] = "lxml"
    return LoadedDocument("html", blocks, md)
