"""Zones and drops: the page chrome removed before anything is read, the content zone chosen, and the
element-removal helpers (an element out, the text after it kept).

:data:`DROP_TAGS`, :data:`DROP_ROLES` and hidden elements are the chrome (``_chrome``), removed from
the whole page; :data:`DEFAULT_ZONES` are tried in order by ``_pick_zone``, which takes the matching
element with the most text if that text is non-trivial (:data:`MIN_ZONE_CHARS`,
:data:`MIN_ZONE_SHARE`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from lxml import etree

from ingest.core.loaders.html.selectors import _select

#: Content zones tried in order; the first whose best match holds non-trivial text wins.
DEFAULT_ZONES: tuple[str, ...] = ("main", "article", "[role=main]", "#content", "body")

#: Page chrome removed from the whole document before the zone is chosen. ``header`` is kept when it
#: sits inside ``<article>``/``<main>``: there it is the article's own heading (h1, byline), not the
#: site banner; a ``button`` inside a heading is kept too (an accordion's toggle holds the heading's
#: words). Also removed: elements with one of :data:`DROP_ROLES`, ``aria-hidden="true"``, a
#: ``hidden`` attribute (except ``hidden="until-found"``) or an inline ``display:none`` /
#: ``visibility:hidden`` style.
DROP_TAGS: tuple[str, ...] = (
    "script", "style", "noscript", "iframe", "template", "svg", "math", "form", "button", "input", "select",
    "textarea", "nav", "header", "footer", "aside", "object", "embed", "canvas", "audio", "video",
)
DROP_ROLES = frozenset({"navigation", "banner", "contentinfo", "search"})

#: An ``<aside>`` inside ``<article>``/``<main>`` with at least this much text, less than
#: :data:`EDITORIAL_ASIDE_MAX_LINK_SHARE` of it link text, is the article's own box (a boxed story, a
#: disclaimer), not chrome: it is kept. A link list (Related Resources) is chrome.
EDITORIAL_ASIDE_MIN_CHARS = 200
EDITORIAL_ASIDE_MAX_LINK_SHARE = 1 / 3

#: Why each kind of chrome goes (the ``html.chrome.<what>`` rule id of its provenance removal).
CHROME_REASONS: dict[str, str] = {
    "nav": "<nav> element: site or page navigation",
    "header": "<header> element outside the article: the site banner",
    "footer": "<footer> element: page or site footer",
    "aside": "<aside> element: content beside the main text (sidebar, related links)",
    "form": "<form> element: a search box or sign-up form",
    "role": "element with a navigation/banner/contentinfo/search ARIA role",
    "hidden": "hidden element (aria-hidden, hidden attribute or display:none): not shown to a reader",
    "embed": "embedded media, script or form control (no readable text of the page's own)",
}

#: A zone is accepted when its text has at least this many characters, or at least
#: ``MIN_ZONE_SHARE`` of the body's text (so tiny test pages and short pages still work).
MIN_ZONE_CHARS = 200
MIN_ZONE_SHARE = 0.1


# elements reached from their attributes: same elements as ``//*[@role or ...]``, ~40% less time
_MAIN_XPATH = etree.XPath("//main | //article | //@role[.='main']/..")
_ATTR_CANDIDATES = etree.XPath("//@role/.. | //@aria-hidden/.. | //@hidden/.. | //@style/..")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)


def chrome_why(el: etree._Element) -> str:
    """The :data:`CHROME_REASONS` key an element of :func:`_chrome` is removed under."""
    if el.tag in ("nav", "header", "footer", "aside", "form"):
        return str(el.tag)
    if (el.get("role") or "").strip().lower() in DROP_ROLES:
        return "role"
    if el.tag in DROP_TAGS:
        return "embed"
    return "hidden"


def _chrome(root: etree._Element, keep: Sequence[str] = ()) -> list[etree._Element]:
    """The elements :data:`DROP_TAGS` / :data:`DROP_ROLES` and hidden-ness remove (one C-level pass each).

    ``keep``: selectors (a site profile's ``html_keep``) of elements that are not chrome although their
    tag says so (cancer.gov's article ``<footer>`` holds a fact sheet's references); what is inside them
    is still judged on its own.
    """
    kept = {e for sel in keep for e in _select(root, sel)}
    kept.update(a for a in root.iter("aside") if _editorial_aside(a))
    out = [el for el in root.iter(*DROP_TAGS)
           if (el.tag != "header" or not any(a.tag in ("article", "main") for a in el.iterancestors()))
           and (el.tag != "button" or not _in_heading(el))
           and el not in kept]
    # Never drop an element holding the main content: on mis-nested pages (an unclosed <div> in a
    # menu <button>) libxml2 puts <main> inside the <header>; saved DOMs wrap it in aria-hidden.
    protected = {a for m in _MAIN_XPATH(root) for a in m.iterancestors()}
    for el in _ATTR_CANDIDATES(root):
        hidden = el.get("hidden")
        if (
            (el.get("role") or "").strip().lower() in DROP_ROLES
            or (el.get("aria-hidden") or "").strip().lower() == "true"
            or (hidden is not None and hidden.strip().lower() != "until-found")
            or _HIDDEN_STYLE.search(el.get("style") or "")
        ):
            out.append(el)
    if kept:
        out = [el for el in out if el not in kept]
    return [el for el in out if el not in protected] if protected else out


_HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})


def _in_heading(el: etree._Element) -> bool:
    """An accordion's toggle ``<h3><button><span>References</span></button></h3>`` (cancer.org's
    collapsible sections, AEM's ``cmp-accordion``): the button's words are the heading's, kept."""
    return any(a.tag in _HEADING_TAGS for a in el.iterancestors())


def _editorial_aside(el: etree._Element) -> bool:
    """An ``<aside>`` that is part of the article (see :data:`EDITORIAL_ASIDE_MIN_CHARS`)."""
    if not any(a.tag in ("article", "main") for a in el.iterancestors()):
        return False
    total = _text_len(el)
    if total < EDITORIAL_ASIDE_MIN_CHARS:
        return False
    links = sum(_text_len(a) for a in el.iter("a"))
    return links < total * EDITORIAL_ASIDE_MAX_LINK_SHARE


def _text_len(el: etree._Element) -> int:
    return int(el.xpath("string-length(normalize-space(.))"))


def _pick_zone(root: etree._Element, selectors: Sequence[str]) -> tuple[etree._Element | None, str | None, int]:
    """The content zone: the largest element of the first selector whose largest match holds enough
    of the page's text; with the selector, and how much of the page's text lies outside it."""
    body = root.find("body")
    body_len = _text_len(body if body is not None else root)
    floor = max(1, min(MIN_ZONE_CHARS, int(body_len * MIN_ZONE_SHARE)))
    for sel in selectors:
        found = _select(root, sel)
        if not found:
            continue
        sizes = [_text_len(e) for e in found]
        best = max(range(len(found)), key=sizes.__getitem__)
        if sizes[best] >= floor:
            return found[best], sel, body_len - sizes[best]
    return None, None, body_len


def remove_keeping_tail(el: etree._Element) -> None:
    """Remove ``el`` from its tree; the text after it (its tail) stays where it was."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    if tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


def _drop(elements: Iterable[etree._Element]) -> None:
    for el in elements:
        remove_keeping_tail(el)
