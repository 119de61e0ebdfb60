"""Metadata read from the page rather than from its content zone: title, language, meta tags,
canonical URL and ``<base href>`` from the head (``_head_metadata``), dates (``<time>`` and
"Updated: <date>" lines) and bylines found on the whole page, then kept when they sit inside the
chosen zone (``_zone_metadata``).
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from ingest.core.loaders.html.chars import _fold
from ingest.core.loaders.html.parsing import ParsedHtml, parse_html

_LABEL_END = re.compile(r"([^\W\d_][^\W\d_'’.-]*(?:[ '’.-][^\W\d_]+){0,3})\s*:$")
_KNOWN_LABEL_END = re.compile(
    r"\b((?:last\s+)?(?:updated|reviewed|modified|revised)|posted|published|released|created)(?:\s+on)?$", re.I
)
_DATE_LABEL = re.compile(
    r"(?:^|[\s|•·;,(\[])((?:last\s+)?(?:updated|reviewed|modified|revised)|posted|published|released|created)"
    r"(?:\s+on)?\s*:\s*",
    re.I,
)
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE_TEXT = re.compile(
    rf"(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH},?\s+\d{{4}}"
    rf"|{_MONTH},?\s+\d{{4}}|\d{{4}}-\d{{1,2}}-\d{{1,2}}|\d{{1,2}}[/.]\d{{1,2}}[/.]\d{{2,4}})",
    re.I,
)
_MAX_DATE_LINE = 120
_DURATION = re.compile(r"^P(?:T?\d|\d)")
_ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}(?:T[\d:.]+Z?)?")
_INLINE_LABEL_HOLDERS = frozenset({"strong", "b", "em", "i", "span", "label", "small", "font", "abbr", "dt"})
_DATE_TEXT_XPATH = etree.XPath("//body//text()[contains(., ':')][not(parent::script or parent::style)]")
# class tokens naming an author line: "byline", "author", "post_author", "c-byline", "hero__content-authors",
# "author-name"; not "author-bio", "author-image", "updateby"
_BYLINE_CLASS = re.compile(r"(?:^|[-_])(?:authors?|bylines?|by-line)(?:[-_]+names?)?$", re.I)
# the elements are reached from their attributes (``//@class[...]/..``): libxml2 then tests the
# attributes it meets instead of every element's (same elements, ~40% less time; issue 14)
_BYLINE_XPATH = etree.XPath(
    "//@class[contains(., 'uthor') or contains(., 'yline') or contains(., 'y-line')]/.."
    " | //@itemprop[.='author']/.. | //@rel[.='author']/parent::a | //time/.."
)
#: What the source of a page with an author attribute holds ("author", "Author", "byline", "by-line").
_BYLINE_MARKERS = ("uthor", "yline", "y-line")
_TIME_PARENTS = etree.XPath("//time/..")
_BYLINE_META = ("author", "article:author", "dc.creator", "dcterms.creator", "parsely-author", "sailthru.author",
                "citation_author")
_BYLINE_TRAILER = re.compile(
    r"[\s,;|•·—–-]*(?:\bon|\bupdated|\bposted|\bpublished|\b(?:mon|tues|wednes|thurs|fri|satur|sun)day)?"
    r"[\s:,;|•·—–-]*$",
    re.I,
)
_NOT_A_NAME = re.compile(r"^(?:about the authors?|biography|authors?|by|written by|more from)$", re.I)
_BY = re.compile(r"(?:^|[\s,;|·•—–-])(?:written\s+)?by:?\s+(\S.*)$", re.I)
_NOT_BYLINE_CONTEXT = re.compile(r"quote|comment|related|teaser|card", re.I)


def _head_metadata(root: etree._Element) -> dict[str, Any]:
    md: dict[str, Any] = {}
    title = root.find("head/title")
    if title is None:
        found = root.xpath("(//title[not(ancestor::svg)])[1]")
        title = found[0] if found else None
    if title is not None:
        t = _fold(title.text_content())
        if t:
            md["html_title"] = t
    lang = _fold(root.get("lang") or root.get("xml:lang") or "")
    if lang:
        md["html_lang"] = lang
    meta: dict[str, str] = {}
    for m in root.iter("meta"):
        key = m.get("name") or m.get("property") or m.get("itemprop")
        content = m.get("content")
        if key and content is not None:
            k = key.strip().lower()
            if k and k not in meta:
                meta[k] = _fold(content)
    md["html_meta"] = meta
    for link in root.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split() and (link.get("href") or "").strip():
            md["canonical_url"] = link.get("href").strip()
            break
    base = next((b.get("href").strip() for b in root.iter("base") if (b.get("href") or "").strip()), None)
    if base:
        md["base_href"] = base  # relative links resolve against this, not the page URL
    return md


_LABEL_CLIMB = frozenset({"span", "strong", "b", "em", "i", "small", "a", "font", "dd", "td"})


def _text_before(el: etree._Element, limit: int = 120) -> str:
    """The visible text just before ``el`` in its parent; when there is none, the text before the
    parent if that is inline (``<span>Updated:</span> <span><time>``) or a ``dd``/``td`` cell."""
    node = el
    for _ in range(3):
        parent = node.getparent()
        if parent is None:
            return ""
        chunks: list[str] = []
        size = 0
        prev = node.getprevious()
        while prev is not None and size < limit:
            for s in (prev.tail, prev.text_content() if isinstance(prev.tag, str) else None):
                if s:
                    chunks.append(s)
                    size += len(s)
            prev = prev.getprevious()
        if size < limit and parent.text:
            chunks.append(parent.text)
        before = _fold("".join(reversed(chunks)))
        if before:
            return before[-limit:]
        if parent.tag not in _LABEL_CLIMB:
            return ""
        node = parent
    return ""


def _label_for(before: str) -> str:
    m = _LABEL_END.search(before) or _KNOWN_LABEL_END.search(before)
    return _fold(m.group(1)) if m else ""


def _find_dates(root: etree._Element) -> list[tuple[dict[str, Any], list[etree._Element]]]:
    """Each date found with its anchor chain (the anchor and its ancestors, for the zone test)."""
    out: list[tuple[dict[str, Any], list[etree._Element]]] = []
    for t in root.iter("time"):
        dt_attr = (t.get("datetime") or "").strip() or None
        text = _fold(t.text_content())
        if dt_attr and _DURATION.match(dt_attr):
            continue  # <time datetime="PT7M">7 min read</time>: a duration, not a date
        if not dt_attr and not text:
            continue
        entry = {"label": _label_for(_text_before(t)), "datetime": dt_attr, "text": text}
        out.append((entry, [t, *t.iterancestors()]))
    # "Updated: January 5, 2024" lines without a <time> element
    for s in _DATE_TEXT_XPATH(root):
        if not _DATE_LABEL.search(s):
            continue
        parent = s.getparent()
        if parent is None:
            continue
        box = parent.getparent() if s.is_tail else parent
        for _ in range(3):
            if box is None or box.tag not in _INLINE_LABEL_HOLDERS:
                break
            box = box.getparent()
        if box is None or box.tag in ("script", "style") or next(box.iter("time"), None) is not None:
            continue
        line = _fold(box.text_content())
        if len(line) > _MAX_DATE_LINE:  # a sentence or caption mentioning a date, not a date line
            continue
        for m in _DATE_LABEL.finditer(line):
            d = _DATE_TEXT.match(line, m.end())
            if d:
                entry = {"label": _fold(m.group(1)), "datetime": None, "text": d.group(0)}
                if all(entry != e for e, _ in out):
                    out.append((entry, [box, *box.iterancestors()]))
    return out


def _clean_byline(text: str) -> str:
    by = _BY.search(text)
    if by:
        text = by.group(1)
    d = _DATE_TEXT.search(text) or _ISO_DATE.search(text)
    if d and d.start() > 0:  # "Jane Doe Nov. 18, 2019 7:04 pm ET" -> "Jane Doe"
        text = _BYLINE_TRAILER.sub("", text[: d.start()])
    return text.strip(" ,;|•·—–-")


def _find_bylines(root: etree._Element, source: str | None = None) -> list[tuple[str, list[etree._Element]]]:
    """Author lines: itemprop/rel=author, byline/author classes, and "<time>..., by Name" lines.

    In document order; a candidate nested in the previous one replaces it (the inner one is the
    more specific: the name inside an author box). ``source``: the page's HTML; when it holds none of
    :data:`_BYLINE_MARKERS` no attribute can name an author line, and only the ``<time>`` lines are
    looked at (a class written with character references, ``&#97;uthor``, is not read then).
    """
    out: list[tuple[str, list[etree._Element]]] = []
    marked = source is None or any(m in source for m in _BYLINE_MARKERS)
    for el in (_BYLINE_XPATH if marked else _TIME_PARENTS)(root):
        if el.tag in ("link", "script", "style"):
            continue
        named = el.get("itemprop") == "author" or "author" in (el.get("rel") or "").lower().split()
        classed = any(_BYLINE_CLASS.search(c) for c in (el.get("class") or "").split())
        dated = el.find("time") is not None
        if not (named or classed or dated):
            continue
        anc = list(el.iterancestors())
        if any(a.tag in ("blockquote", "q", "figure") or _NOT_BYLINE_CONTEXT.search(a.get("class") or "")
               for a in anc):
            continue
        raw = _fold(el.get("content") or "") if el.tag == "meta" else _fold(el.text_content())
        if dated and not _BY.search(raw):
            continue  # a date line without "by", not a byline
        text = _clean_byline(raw)
        if not text or len(text) > 150 or _NOT_A_NAME.match(text):
            continue
        if out and any(a is out[-1][1][0] for a in anc):
            out[-1] = (text, [el, *anc])
        else:
            out.append((text, [el, *anc]))
    return out


def _in_zone(zone: etree._Element | None, chain: list[etree._Element]) -> bool:
    return zone is not None and any(a is zone for a in chain)


def _zone_metadata(
    md: dict[str, Any],
    zone: etree._Element | None,
    dates: list[tuple[dict[str, Any], list[etree._Element]]],
    bylines: list[tuple[str, list[etree._Element]]],
) -> None:
    """Dates and byline inside the zone; labelled dates elsewhere when the zone has none."""
    times = [d for d, chain in dates if _in_zone(zone, chain)]
    if not times:
        times = [d for d, _ in dates if d["label"]]
    seen: list[dict[str, Any]] = []
    for t in times:
        if t not in seen:
            seen.append(t)
    md["time"] = seen
    byline = next((b for b, chain in bylines if _in_zone(zone, chain)), None)
    if byline is None:
        meta = md.get("html_meta", {})
        byline = next((_clean_byline(meta[k]) for k in _BYLINE_META
                       if meta.get(k) and not meta[k].startswith(("http://", "https://"))), None)
    if byline:
        md["byline"] = byline


def head_metadata(parsed: ParsedHtml) -> dict[str, Any]:
    """The page's head metadata (``html_title``, ``html_meta``, ``canonical_url``...): no walk."""
    return _empty_metadata() if parsed.root is None else _head_metadata(parsed.root)


def load_html_head(text: str) -> dict[str, Any]:
    """Only the page's head metadata (``html_title``, ``html_meta``, ``canonical_url``...): cheap, no walk."""
    return head_metadata(parse_html(text))


def _empty_metadata() -> dict[str, Any]:
    return {"html_meta": {}, "time": [], "zone": None}
