"""The zone walk, start to end: :func:`load_html` (parse, metadata, chrome out, zone, drops, walk).

``_metadata_and_zone`` is the part :mod:`ingest.core.loaders.html.generic` shares: metadata from
the whole page, then the chrome removed and the zone chosen.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from lxml import etree

from ingest.core.blocks import LoadedDocument
from ingest.core.loaders.html.chars import _fold
from ingest.core.loaders.html.metadata import (
    _empty_metadata,
    _find_bylines,
    _find_dates,
    _head_metadata,
    _zone_metadata,
)
from ingest.core.loaders.html.parsing import ParsedHtml, take_root
from ingest.core.loaders.html.selectors import _select_all_inside
from ingest.core.loaders.html.walk import _block_text, _hoist_figures, _mend_empty_headings, _walk
from ingest.core.loaders.html.zones import DEFAULT_ZONES, _chrome, _drop, _pick_zone, _text_len, chrome_why


def load_html(
    text: str,
    zone_selectors: Sequence[str] = DEFAULT_ZONES,
    drop_selectors: Sequence[str] = (),
    parsed: ParsedHtml | None = None,
    keep_selectors: Sequence[str] = (),
) -> LoadedDocument:
    """HTML text → blocks + metadata. Pure, never raises for bad input (empty/garbage → no blocks).

    ``zone_selectors``: tried in order; for each, the matching element with the most text is taken
    if that text is non-trivial (see ``MIN_ZONE_CHARS``); no match → no blocks (``metadata["zone"]``
    is ``None``). ``drop_selectors``: removed inside the chosen zone, after the page chrome
    (:data:`DROP_TAGS`, :data:`DROP_ROLES`, hidden elements) was removed from the whole page.
    Selectors are CSS (subset) or XPath, see :mod:`ingest.core.loaders.html.selectors`.

    Metadata: ``html_title``, ``html_lang``, ``html_meta`` (lower-cased name/property/itemprop →
    content, first wins), ``canonical_url``, ``time`` (``{label, datetime, text}`` for each
    ``<time>`` and "Updated: <date>"-style line in the zone; ``label`` is "" when none precedes it),
    ``byline``, ``base_href`` (``<base href>``: what relative links resolve against), ``zone`` (the
    selector that won), ``html_truncated`` (libxml2 depth limit hit: the rest of the page is missing),
    ``dropped`` (``[selector, text]`` for each element a drop selector removed, for provenance),
    ``chrome_dropped`` (``[why, text]`` for each chrome element removed from inside the chosen zone,
    ``why`` a key of :data:`~ingest.core.loaders.html.zones.CHROME_REASONS`: logged in provenance too;
    chrome outside the zone was never content). ``keep_selectors``: elements that are not chrome
    although their tag says so (see :func:`~ingest.core.loaders.html.zones._chrome`).
    Figures nested in paragraphs or lists are moved after them, so a caption is its own block.
    ``parsed``: ``text`` already parsed by :func:`parse_html` and not loaded yet (saves a parse).
    """
    root, truncated = take_root(text, parsed)
    if root is None:
        return LoadedDocument("html", [], _empty_metadata())
    md, zone = _metadata_and_zone(root, truncated, zone_selectors, keep_selectors, source=text)
    if zone is None:
        return LoadedDocument("html", [], md)
    if drop_selectors:
        dropped: list[list[str]] = []
        doomed: list[etree._Element] = []
        doomed_set: set[etree._Element] = set()  # lxml keeps one proxy per node while it is referenced
        for sel, found in zip(drop_selectors, _select_all_inside(zone, drop_selectors), strict=True):
            for e in found:
                if doomed_set and (e in doomed_set or any(a in doomed_set for a in e.iterancestors())):
                    continue  # inside an element already dropped
                doomed.append(e)
                doomed_set.add(e)
                text = _block_text(e)
                if text:
                    dropped.append([sel, text])
        _drop(doomed)
        md["dropped"] = dropped
    _hoist_figures(zone)
    _mend_empty_headings(zone)
    return LoadedDocument("html", _walk(zone), md)


#: Dropped elements whose "text" is code or markup, not words of the page.
_NOT_TEXT = frozenset({"script", "style", "noscript", "template", "svg", "math", "object", "embed", "iframe"})


def _metadata_and_zone(
    root: etree._Element, truncated: bool, zone_selectors: Sequence[str], keep: Sequence[str] = (),
    before_chrome: Callable[[etree._Element], bool] | None = None, source: str | None = None,
) -> tuple[dict[str, Any], etree._Element | None]:
    """Metadata from the whole page, then chrome out and the zone chosen (dates/byline need both).
    ``md["chrome_dropped"]``: the chrome that was inside the zone (see :func:`load_html`).
    ``before_chrome``: called with the whole page once its metadata is read, before the chrome goes
    (the generic extractor reads the page there: no copy of it is needed for the metadata); it
    returns whether the zone may still be walked. When it will not be, the chrome is still removed
    before the zone is chosen (the zone bounds the dates and byline) but not logged: nothing walked it;
    and a page without dates or byline needs no zone at all."""
    md = _head_metadata(root)
    dates = _find_dates(root)  # before the chrome goes: cancer.gov dates sit in <footer class="article-footer">
    bylines = _find_bylines(root, source)
    walked = before_chrome(root) if before_chrome is not None else True
    zone = zone_sel = None
    if walked:
        zone, zone_sel = _drop_chrome_and_log(root, md, keep, zone_selectors)
    elif dates or bylines:  # the zone bounds them; with neither, no zone is chosen (the same metadata)
        _drop(_chrome(root, keep))
        zone, zone_sel, _outside = _pick_zone(root, zone_selectors)
    _zone_metadata(md, zone, dates, bylines)
    md["zone"] = zone_sel
    if truncated:
        md["html_truncated"] = True
    return md, zone


def _drop_chrome_and_log(
    root: etree._Element, md: dict[str, Any], keep: Sequence[str], zone_selectors: Sequence[str]
) -> tuple[etree._Element | None, str | None]:
    """Chrome out and the zone chosen, for a zone that is walked: ``md["chrome_dropped"]`` gets the
    chrome that was inside the zone, ``md["outside_zone"]`` the page's text around it."""
    chrome = _chrome(root, keep)
    doomed = set(chrome)
    # the outermost chrome elements with text, and where they were: after the zone is chosen, those whose
    # parent is in the zone were content-zone chrome and are logged
    outer = [(el, el.getparent()) for el in chrome if not any(a in doomed for a in el.iterancestors())]
    _drop(chrome)
    zone, zone_sel, outside = _pick_zone(root, zone_selectors)  # outside: the page's text around the zone
    if zone is not None:
        logged = md["chrome_dropped"] = []
        first = ""  # the first words of the chrome outside the zone
        for el, parent in outer:
            if parent is not None and (parent is zone or any(a is zone for a in parent.iterancestors())):
                text = _block_text(el)
                if text:
                    logged.append([chrome_why(el), text])
            elif el.tag not in _NOT_TEXT:
                outside += _text_len(el)  # chrome outside the zone was dropped before the zone was measured
                first = first or _fold(el.xpath("string(.)"))[:160]
        # what was not walked at all: the page around the zone (header, menus, footer), in one line
        if outside > 0:
            md["outside_zone"] = [zone_sel, outside, first]
    return zone, zone_sel
