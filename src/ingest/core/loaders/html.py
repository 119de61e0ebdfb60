"""HTML → blocks, with lxml on the hot path (trafilatura only as a fallback for unknown sites).

:func:`load_html` parses once, reads the page metadata from the whole document, drops chrome
(scripts, navigation, headers/footers, hidden elements...), picks the content zone and walks it in
document order into :class:`~ingest.core.blocks.Block` objects. Everything is iterative (lxml
``iterwalk`` plus an explicit stack of frames), so arbitrarily deep nesting never hits Python's
recursion limit; libxml2 itself stops building the tree at depth 2048 (``html_truncated`` is then
set in the metadata).

Selectors (zones and drops) are CSS selectors of a small subset: type, ``*``, ``#id``, ``.class``,
``[attr]``, ``[attr=v]`` (and ``~= ^= $= *= |=``), descendant/``>``/``+``/``~`` combinators and
``,`` groups. A selector starting with ``/``, ``(``, ``./`` or ``../`` is taken as XPath. (lxml's
own ``cssselect`` needs the ``cssselect`` package, which is not a dependency.)

:func:`load_html_generic` runs trafilatura's main-content extraction instead of the zone walk and
converts its XML to the same blocks; metadata is read from the original HTML in the same way.
"""

from __future__ import annotations

import copy
import logging
import re
import threading
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

import lxml.html
from lxml import etree

from ingest.core.blocks import Block, Link, LoadedDocument

__all__ = [
    "DEFAULT_ZONES",
    "DROP_ROLES",
    "DROP_TAGS",
    "MIN_ZONE_CHARS",
    "MIN_ZONE_SHARE",
    "css_to_xpath",
    "load_html",
    "load_html_generic",
    "load_html_head",
    "parse_html",
    "head_metadata",
    "ParsedHtml",
]

log = logging.getLogger(__name__)

#: Content zones tried in order; the first whose best match holds non-trivial text wins.
DEFAULT_ZONES: tuple[str, ...] = ("main", "article", "[role=main]", "#content", "body")

#: Page chrome removed from the whole document before the zone is chosen. ``header`` is kept when it
#: sits inside ``<article>``/``<main>``: there it is the article's own heading (h1, byline), not the
#: site banner. Also removed: elements with one of :data:`DROP_ROLES`, ``aria-hidden="true"``, a
#: ``hidden`` attribute (except ``hidden="until-found"``) or an inline ``display:none`` /
#: ``visibility:hidden`` style.
DROP_TAGS: tuple[str, ...] = (
    "script", "style", "noscript", "iframe", "template", "svg", "math", "form", "button", "input", "select",
    "textarea", "nav", "header", "footer", "aside", "object", "embed", "canvas", "audio", "video",
)
DROP_ROLES = frozenset({"navigation", "banner", "contentinfo", "search"})
#: Elements whose content is never page text, whatever the extractor.
_NEVER_CONTENT = ("script", "style", "noscript", "iframe", "template", "object", "embed", "frame", "frameset",
                  "applet")

#: A zone is accepted when its text has at least this many characters, or at least
#: ``MIN_ZONE_SHARE`` of the body's text (so tiny test pages and short pages still work).
MIN_ZONE_CHARS = 200
MIN_ZONE_SHARE = 0.1

# ---------------------------------------------------------------------------------------------
# text helpers

_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\x00-\x08\x0b\x0e-\x1b\x7f-\x9f]")
_BINARYISH = re.compile("[\x00-\x08\x0b\x0e-\x1b\x7f-\x9f\ufffd]")
_BAD_SCHEME = re.compile(r"^\s*(?:javascript|vbscript|data)\s*:", re.I)


def _fold(s: str) -> str:
    """Invisible characters out, every whitespace run (NBSP included) → one space, stripped."""
    if not s:
        return ""
    return " ".join(_INVISIBLE.sub("", s).split())


def _looks_binary(text: str) -> bool:
    head = text[:4096]
    return bool(head) and len(_BINARYISH.findall(head)) > len(head) // 10


# ---------------------------------------------------------------------------------------------
# selectors

_CSS_TOKEN = re.compile(
    r"""
    (?P<comb>\s*[>+~]\s*)
  | (?P<comma>\s*,\s*)
  | (?P<ws>\s+)
  | (?P<tag>\*|(?:[A-Za-z_]|\\.)(?:[\w-]|\\.)*)
  | \#(?P<id>(?:[\w-]|\\.)+)
  | \.(?P<cls>(?:[\w-]|\\.)+)
  | \[\s*(?P<attr>[\w:-]+)\s*
        (?:(?P<op>[~^$*|]?=)\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^\]\s]+))\s*)?\]
    """,
    re.X,
)
_CSS_ESCAPE = re.compile(r"\\(.)")


def _xpath_literal(s: str) -> str:
    if "'" not in s:
        return f"'{s}'"
    if '"' not in s:
        return f'"{s}"'
    return "concat(" + ", \"'\", ".join(f"'{p}'" for p in s.split("'")) + ")"


def _token_pred(attr: str, value: str) -> str:
    # the plain contains() first: cheap, and it spares building the padded string on most elements
    return (f"contains(@{attr}, {_xpath_literal(value)}) and "
            f"contains(concat(' ', normalize-space(@{attr}), ' '), {_xpath_literal(' ' + value + ' ')})")


def css_to_xpath(selector: str) -> str:
    """Translate a simple CSS selector (see the module docstring) to an absolute XPath.

    >>> css_to_xpath("main, div#cgvBody > .summary")
    "//main | //div[@id='cgvBody']/*[contains(@class, 'summary') and contains(concat(' ', normalize-space(@class), ' '), ' summary ')]"

    Anything outside the subset (pseudo-classes, namespaces...) raises ``ValueError``.
    """
    groups: list[str] = []
    path = ""
    tag = ""
    preds: list[str] = []
    comb = "//"
    pos = 0
    sel = selector.strip()

    def close_step() -> None:
        nonlocal path, tag, preds, comb
        if not tag and not preds:
            raise ValueError(f"unsupported or empty CSS selector step in {selector!r}")
        name = tag if tag not in ("", "*") else "*"
        p = "".join(f"[{x}]" for x in preds)
        if comb == "+":
            path += f"/following-sibling::*[1][self::{name}]{p}" if name != "*" else f"/following-sibling::*[1]{p}"
        elif comb == "~":
            path += f"/following-sibling::{name}{p}"
        else:
            path += f"{comb}{name}{p}"
        tag, preds, comb = "", [], "//"

    while pos < len(sel):
        m = _CSS_TOKEN.match(sel, pos)
        if not m or m.end() == pos:
            raise ValueError(f"unsupported CSS selector {selector!r} (at {sel[pos:pos + 20]!r})")
        pos = m.end()
        if m.group("comma") is not None:
            close_step()
            groups.append(path)
            path = ""
        elif m.group("comb") is not None or m.group("ws") is not None:
            close_step()
            c = (m.group("comb") or " ").strip()
            comb = {"": "//", ">": "/", "+": "+", "~": "~"}[c]
        elif m.group("tag") is not None:
            if tag or preds:
                raise ValueError(f"type selector must come first in a step: {selector!r}")
            tag = _CSS_ESCAPE.sub(r"\1", m.group("tag")).lower()
        elif m.group("id") is not None:
            preds.append("@id=" + _xpath_literal(_CSS_ESCAPE.sub(r"\1", m.group("id"))))
        elif m.group("cls") is not None:
            preds.append(_token_pred("class", _CSS_ESCAPE.sub(r"\1", m.group("cls"))))
        else:
            attr, op = m.group("attr").lower(), m.group("op")
            value = next((v for v in (m.group("dq"), m.group("sq"), m.group("bare")) if v is not None), "")
            lit = _xpath_literal(value)
            if op is None:
                preds.append(f"@{attr}")
            elif op == "=":
                preds.append(f"@{attr}={lit}")
            elif op == "~=":
                preds.append(_token_pred(attr, value))
            elif op == "^=":
                preds.append(f"starts-with(@{attr}, {lit})")
            elif op == "$=":
                preds.append(f"substring(@{attr}, string-length(@{attr}) - {len(value) - 1})={lit}")
            elif op == "*=":
                preds.append(f"contains(@{attr}, {lit})")
            else:  # |=
                preds.append(f"(@{attr}={lit} or starts-with(@{attr}, {_xpath_literal(value + '-')}))")
    close_step()
    groups.append(path)
    return " | ".join(groups)


def _is_xpath(selector: str) -> bool:
    return selector.lstrip().startswith(("/", "(", "./", "../"))


@lru_cache(maxsize=512)
def _selector(selector: str, inside: bool = False) -> etree.XPath:
    """Compile a CSS (subset) or XPath selector once; ``inside``: CSS relative to the context node."""
    if _is_xpath(selector):
        return etree.XPath(selector)
    xpath = css_to_xpath(selector)
    if inside:  # every group starts with "//": search the context node's descendants only
        xpath = " | ".join("." + g for g in xpath.split(" | "))
    return etree.XPath(xpath)


def _select(root: etree._Element, selector: str) -> list[etree._Element]:
    return [e for e in _selector(selector)(root) if isinstance(e, etree._Element)]


def _select_inside(zone: etree._Element, selector: str) -> list[etree._Element]:
    """Elements matching ``selector`` strictly inside ``zone`` (CSS is evaluated on the zone only:
    its ``.//`` paths reach descendants and nothing else; an XPath may reach anywhere, so its
    matches are checked)."""
    if not _is_xpath(selector):
        return [e for e in _selector(selector, True)(zone) if isinstance(e, etree._Element)]
    found = _selector(selector)(zone)
    return [e for e in found if isinstance(e, etree._Element) and any(a is zone for a in e.iterancestors())]


_SIMPLE_GROUP = re.compile(r"([a-z][\w-]*)?([.#])([\w-]+)")
_WITH_CLASS_OR_ID = etree.XPath(".//*[@class or @id]")
_XML_SPACE = str.maketrans("\t\n\r", "   ")  # what normalize-space() in css_to_xpath's class test splits on


@lru_cache(maxsize=64)
def _simple_index(selectors: tuple[str, ...]) -> tuple[dict[str, list[tuple[int, str | None]]], dict[str, list[tuple[int, str | None]]]] | None:
    """``({class: [(selector index, tag or None)]}, {id: [...]})`` when every selector is a list of
    ``.class`` / ``#id`` groups (optionally ``tag.class``), else None."""
    by_class: dict[str, list[tuple[int, str | None]]] = {}
    by_id: dict[str, list[tuple[int, str | None]]] = {}
    for i, selector in enumerate(selectors):
        for group in selector.split(","):
            m = _SIMPLE_GROUP.fullmatch(group.strip())
            if m is None:
                return None
            tag, kind, name = m.groups()
            (by_class if kind == "." else by_id).setdefault(name, []).append((i, tag))
    return by_class, by_id


def _select_all_inside(zone: etree._Element, selectors: Sequence[str]) -> list[list[etree._Element]]:
    """``[_select_inside(zone, s) for s in selectors]``, in one pass over the zone's elements when all
    selectors are simple class/id lists (every site profile's drops are): ~6x faster than one XPath
    evaluation per selector (issue 5), same elements in the same (document) order."""
    index = _simple_index(tuple(selectors))
    if index is None:
        return [_select_inside(zone, s) for s in selectors]
    by_class, by_id = index
    out: list[list[etree._Element]] = [[] for _ in selectors]
    for el in _WITH_CLASS_OR_ID(zone):
        hits: set[int] = set()
        cls = el.get("class")
        if cls:
            for token in cls.translate(_XML_SPACE).split(" "):
                hits.update(i for i, tag in by_class.get(token, ()) if tag is None or el.tag == tag)
        ident = el.get("id")
        if ident is not None:
            hits.update(i for i, tag in by_id.get(ident, ()) if tag is None or el.tag == tag)
        for i in hits:
            out[i].append(el)
    return out


_MAIN_XPATH = etree.XPath("//main | //article | //*[@role='main']")
_ATTR_CANDIDATES = etree.XPath("//*[@role or @aria-hidden or @hidden or @style]")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)


def _chrome(root: etree._Element) -> list[etree._Element]:
    """The elements :data:`DROP_TAGS` / :data:`DROP_ROLES` and hidden-ness remove (one C-level pass each)."""
    out = [el for el in root.iter(*DROP_TAGS)
           if el.tag != "header" or not any(a.tag in ("article", "main") for a in el.iterancestors())]
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
    return [el for el in out if el not in protected] if protected else out


# ---------------------------------------------------------------------------------------------
# parsing

_tls = threading.local()


def _parser() -> lxml.html.HTMLParser:
    p = getattr(_tls, "parser", None)
    if p is None:
        # huge_tree: libxml2's depth limit goes from 256 to 2048 (and no 10 MB text-node cap)
        p = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True, huge_tree=True)
        _tls.parser = p
    return p


def _parse(text: str) -> tuple[lxml.html.HtmlElement | None, bool]:
    """(root, truncated). ``None`` for an empty or unparseable document; never raises."""
    if not text or not text.strip() or _looks_binary(text):
        return None, False
    parser = _parser()
    try:
        # bytes + explicit encoding: no "encoding declaration in a str" ValueError, <meta charset> ignored
        root = lxml.html.document_fromstring(text.encode("utf-8", "replace"), parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None, False
    err = parser.error_log.last_error
    truncated = err is not None and err.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT
    truncated = _prune_depth(root) or truncated
    return root, truncated


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


# ---------------------------------------------------------------------------------------------
# metadata

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
_BYLINE_XPATH = etree.XPath(
    "//*[@class and (contains(@class, 'uthor') or contains(@class, 'yline') or contains(@class, 'y-line'))]"
    " | //*[@itemprop='author'] | //a[@rel='author'] | //time/.."
)
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


def _find_bylines(root: etree._Element) -> list[tuple[str, list[etree._Element]]]:
    """Author lines: itemprop/rel=author, byline/author classes, and "<time>..., by Name" lines.

    In document order; a candidate nested in the previous one replaces it (the inner one is the
    more specific: the name inside an author box).
    """
    out: list[tuple[str, list[etree._Element]]] = []
    for el in _BYLINE_XPATH(root):
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


# ---------------------------------------------------------------------------------------------
# zone


def _text_len(el: etree._Element) -> int:
    return int(el.xpath("string-length(normalize-space(.))"))


def _pick_zone(root: etree._Element, selectors: Sequence[str]) -> tuple[etree._Element | None, str | None]:
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
            return found[best], sel
    return None, None


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


# ---------------------------------------------------------------------------------------------
# the walk

_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_PARA_TAGS = frozenset({"p", "figcaption", "pre", "summary", "legend", "caption"})
_LIST_TAGS = frozenset({"ul", "ol", "menu", "dir"})
_BLOCKISH = frozenset({
    "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details", "dialog", "dir",
    "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
    "header", "hgroup", "hr", "html", "legend", "li", "main", "menu", "nav", "ol", "optgroup", "option", "p", "pre",
    "search", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul", "noscript",
})
_SKIP_TAGS = frozenset({"head", "title", "meta", "link", "script", "style", "template", "noscript"})


def _block_text(el: etree._Element) -> str:
    """Folded text of a subtree, with a space wherever a block element starts or ends."""
    parts: list[str] = []
    for event, e in etree.iterwalk(el, events=("start", "end")):
        tag = e.tag
        if not isinstance(tag, str):
            if event == "end" and e is not el and e.tail:
                parts.append(e.tail)
            continue
        if event == "start":
            if tag in _BLOCKISH or tag == "br":
                parts.append(" ")
            if e.text:
                parts.append(e.text)
        else:
            if tag in _BLOCKISH:
                parts.append(" ")
            if e is not el and e.tail:
                parts.append(e.tail)
    return _fold("".join(parts))


def _is_layout_table(el: etree._Element) -> bool:
    if (el.get("role") or "").strip().lower() in ("presentation", "none"):
        return True
    return next(el.iterdescendants("table", "h1", "h2", "h3", "h4", "h5", "h6"), None) is not None


def _is_layout_dl(el: etree._Element) -> bool:
    """A <dl> whose terms hold headings (e.g. glossary pop-ups) is a layout box, not a list."""
    return any(next(dt.iterdescendants(*_HEADINGS), None) is not None for dt in el.iterdescendants("dt"))


class _Buf:
    __slots__ = ("pieces", "links")

    def __init__(self, links: list[Link] | None = None) -> None:
        self.pieces: list[str] = []
        # lists, tables and dls share one links list with all their items/cells: document order
        self.links: list[Link] = [] if links is None else links

    def text(self) -> str:
        return _fold("".join(self.pieces))


class _Frame:
    """One open structure on the walk's stack.

    kind: flow (the zone's running text), leaf (heading/paragraph/quote/item/dt/dd/cell/caption: one
    text), list, dl, table, row.
    """

    __slots__ = ("kind", "role", "el", "buf", "root", "idx", "level", "ordered", "items", "links", "rows",
                 "cells", "parent", "caption", "caption_links", "terms", "after_dd")

    def __init__(self, kind: str, el: Any, role: str = "") -> None:
        self.kind = kind
        self.role = role
        self.el = el
        self.buf = _Buf()  # flow/leaf: the text; list/dl: stray text outside items


class _Walker:
    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.stack: list[_Frame] = [_Frame("flow", None)]
        # open links: (element, buffer, start piece, blocks emitted before, href)
        self.links: list[tuple[Any, _Buf | None, int, int, str]] = []

    # -- helpers
    @staticmethod
    def _sink(frame: _Frame) -> _Buf | None:
        return None if frame.kind in ("table", "row") else frame.buf

    def _add(self, s: str | None) -> None:
        if s:
            buf = self._sink(self.stack[-1])
            if buf is not None:
                buf.pieces.append(s)

    def _flush(self) -> None:
        flow = self.stack[-1]
        if not flow.buf.pieces:
            return
        text = flow.buf.text()
        if text:
            self.blocks.append(Block("paragraph", text=text, links=flow.buf.links))
        flow.buf = _Buf()

    def _flush_stray(self, frame: _Frame) -> None:
        if not frame.buf.pieces:
            return
        text = frame.buf.text()
        if text:
            (frame.root if frame.kind == "list" else frame).items.append(text)
        frame.buf = _Buf(frame.buf.links)

    def _push(self, frame: _Frame) -> _Frame:
        self.stack.append(frame)
        return frame

    def _new_list(self, el: Any, root: _Frame | None) -> None:
        f = _Frame("list", el)
        if root is None:
            f.root, f.items, f.links, f.ordered = f, [], [], el.tag == "ol"
        else:
            f.root = root
        f.buf = _Buf(f.root.links)
        self._push(f)

    # -- events
    def start(self, el: Any, tag: str) -> None:
        top = self.stack[-1]
        kind = top.kind
        if tag == "a":
            href = el.get("href")
            if href is not None:
                href = href.strip()
                buf = self._sink(top)
                if href and buf is not None and not _BAD_SCHEME.match(href):
                    self.links.append((el, buf, len(buf.pieces), len(self.blocks), href))
            return
        if tag == "br":
            self._add(" ")
            return
        if kind == "leaf":
            if top.role == "item" and tag in _LIST_TAGS:
                self._new_list(el, top.root)
            elif tag in _BLOCKISH:
                top.buf.pieces.append(" ")
            return
        if kind == "list":
            if tag == "li":
                self._flush_stray(top)
                root = top.root
                item = self._push(_Frame("leaf", el, "item"))
                item.root, item.idx, item.buf = root, len(root.items), _Buf(root.links)
                root.items.append("")
            elif tag in _LIST_TAGS:
                self._flush_stray(top)
                self._new_list(el, top.root)
            elif tag in _BLOCKISH:
                top.buf.pieces.append(" ")
            return
        if kind == "dl":
            if tag in ("dt", "dd"):
                self._flush_stray(top)
                if tag == "dt" and top.after_dd:
                    top.terms, top.after_dd = [], False
                leaf = self._push(_Frame("leaf", el, tag))
                leaf.parent, leaf.buf = top, _Buf(top.links)
            elif tag in _BLOCKISH:
                top.buf.pieces.append(" ")
            return
        if kind == "table":
            if tag == "tr":
                self._push(_Frame("row", el)).parent = top
                top = self.stack[-1]
                top.cells = []
            elif tag in ("td", "th"):  # a cell outside any <tr>: its own row
                row = self._push(_Frame("row", el))
                row.parent, row.cells = top, []
                cell = self._push(_Frame("leaf", el, "cell"))
                cell.parent, cell.buf = row, _Buf(top.links)
            elif tag == "caption":
                self._push(_Frame("leaf", el, "caption")).parent = top
            return
        if kind == "row":
            if tag in ("td", "th"):
                cell = self._push(_Frame("leaf", el, "cell"))
                cell.parent, cell.buf = top, _Buf(top.parent.links)
            return
        # flow
        level = _HEADINGS.get(tag)
        if level:
            self._flush()
            self._push(_Frame("leaf", el, "heading")).level = level
        elif tag in _PARA_TAGS:
            self._flush()
            self._push(_Frame("leaf", el, "paragraph"))
        elif tag == "blockquote":
            self._flush()
            self._push(_Frame("leaf", el, "quote"))
        elif tag in _LIST_TAGS:
            self._flush()
            self._new_list(el, None)
        elif tag == "dl":
            self._flush()
            if not _is_layout_dl(el):
                f = self._push(_Frame("dl", el))
                f.items, f.links, f.terms, f.after_dd = [], [], [], False
                f.buf = _Buf(f.links)
        elif tag == "table":
            self._flush()
            if not _is_layout_table(el):
                f = self._push(_Frame("table", el))
                f.rows, f.links, f.caption, f.caption_links = [], [], "", []
        elif tag in _BLOCKISH or "-" in tag:
            self._flush()

    def end(self, el: Any, tag: str) -> None:
        if self.links and self.links[-1][0] is el:
            self._close_link()
        stack = self.stack
        if stack[-1].el is el:
            while stack[-1].el is el:
                self._finish(stack.pop())
            return
        top = stack[-1]
        if top.kind == "flow":
            if tag in _BLOCKISH or "-" in tag:
                self._flush()
        elif top.kind in ("leaf", "list", "dl") and tag in _BLOCKISH:
            top.buf.pieces.append(" ")

    def _close_link(self) -> None:
        el, buf, start, nblocks, href = self.links.pop()
        cur = self._sink(self.stack[-1])
        if buf is cur and buf is not None and len(self.blocks) == nblocks:
            text = _fold("".join(buf.pieces[start:]))
            if text:
                buf.links.append(Link(text, href))
            return
        # the link wrapped whole blocks (e.g. a card): attach it to the first block it produced
        text = _block_text(el)
        if not text:
            return
        if len(self.blocks) > nblocks:
            self.blocks[nblocks].links.append(Link(text, href))
        elif cur is not None:
            cur.links.append(Link(text, href))

    def _finish(self, f: _Frame) -> None:
        blocks = self.blocks
        if f.kind == "leaf":
            text = f.buf.text()
            role = f.role
            if role == "item":
                f.root.items[f.idx] = text
            elif role == "cell":
                f.parent.cells.append(text)
            elif role == "dt":
                if text:
                    f.parent.terms.append(text)
            elif role == "dd":
                if text:
                    dl = f.parent
                    dl.items.append(f"{', '.join(dl.terms)}: {text}" if dl.terms else text)
                    dl.after_dd = True
            elif role == "caption":
                f.parent.caption = text
                f.parent.caption_links = f.buf.links
            elif text:
                kind = "heading" if role == "heading" else "quote" if role == "quote" else "paragraph"
                blocks.append(Block(kind, text=text, level=f.level if role == "heading" else 0, links=f.buf.links))
        elif f.kind == "list":
            self._flush_stray(f)
            if f.root is f:
                items = [i for i in f.items if i]
                if items:
                    blocks.append(Block("list", items=items, ordered=f.ordered, links=f.links))
        elif f.kind == "dl":
            self._flush_stray(f)
            if f.terms and not f.after_dd:
                f.items.extend(f.terms)
            if f.items:
                blocks.append(Block("list", items=f.items, links=f.links))
        elif f.kind == "row":
            if any(f.cells):
                f.parent.rows.append(f.cells)
        elif f.kind == "table":
            if f.caption:
                blocks.append(Block("paragraph", text=f.caption, links=f.caption_links))
            if f.rows:
                blocks.append(Block("table", rows=f.rows, links=f.links))

    def run(self, zone: Any) -> list[Block]:
        walker = etree.iterwalk(zone, events=("start", "end"))
        for event, el in walker:
            tag = el.tag
            if not isinstance(tag, str):  # comment / processing instruction left in the tree
                if event == "end" and el is not zone:
                    self._add(el.tail)
                continue
            if event == "start":
                if tag in _SKIP_TAGS:
                    walker.skip_subtree()
                    continue
                self.start(el, tag)
                self._add(el.text)
            else:
                if tag not in _SKIP_TAGS:
                    self.end(el, tag)
                if el is not zone:
                    self._add(el.tail)
        while len(self.stack) > 1:  # only if the tree changed under us; finish what is open
            self._finish(self.stack.pop())
        self._flush()
        return self.blocks


def _walk(zone: Any) -> list[Block]:
    return _Walker().run(zone)


# ---------------------------------------------------------------------------------------------
# public API


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


def head_metadata(parsed: ParsedHtml) -> dict[str, Any]:
    """The page's head metadata (``html_title``, ``html_meta``, ``canonical_url``...): no walk."""
    return _empty_metadata() if parsed.root is None else _head_metadata(parsed.root)


def load_html(
    text: str,
    zone_selectors: Sequence[str] = DEFAULT_ZONES,
    drop_selectors: Sequence[str] = (),
    parsed: ParsedHtml | None = None,
) -> LoadedDocument:
    """HTML text → blocks + metadata. Pure, never raises for bad input (empty/garbage → no blocks).

    ``zone_selectors``: tried in order; for each, the matching element with the most text is taken
    if that text is non-trivial (see ``MIN_ZONE_CHARS``); no match → no blocks (``metadata["zone"]``
    is ``None``). ``drop_selectors``: removed inside the chosen zone, after the page chrome
    (:data:`DROP_TAGS`, :data:`DROP_ROLES`, hidden elements) was removed from the whole page.
    Selectors are CSS (subset) or XPath, see the module docstring.

    Metadata: ``html_title``, ``html_lang``, ``html_meta`` (lower-cased name/property/itemprop →
    content, first wins), ``canonical_url``, ``time`` (``{label, datetime, text}`` for each
    ``<time>`` and "Updated: <date>"-style line in the zone; ``label`` is "" when none precedes it),
    ``byline``, ``base_href`` (``<base href>``: what relative links resolve against), ``zone`` (the
    selector that won), ``html_truncated`` (libxml2 depth limit hit: the rest of the page is missing),
    ``dropped`` (``[selector, text]`` for each element a drop selector removed, for provenance).
    Figures nested in paragraphs or lists are moved after them, so a caption is its own block.
    ``parsed``: ``text`` already parsed by :func:`parse_html` and not loaded yet (saves a parse).
    """
    if parsed is not None and not parsed.used:
        parsed.used = True
        root, truncated = parsed.root, parsed.truncated
    else:
        root, truncated = _parse(text)
    if root is None:
        return LoadedDocument("html", [], _empty_metadata())
    md, zone = _metadata_and_zone(root, truncated, zone_selectors)
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


def _mend_empty_headings(zone: etree._Element) -> None:
    """``<h2><p>Title</p></h2>`` is parsed by libxml2 as an empty ``<h2>`` followed by ``<p>Title</p>``
    (a ``<p>`` closes the heading): put the paragraph's content back into the empty heading.
    """
    for h in list(zone.iter(*_HEADINGS)):
        if _fold(h.text_content()) or len(h) or (h.tail and h.tail.strip()):
            continue
        nxt = h.getnext()
        if nxt is None or nxt.tag != "p" or not _fold(nxt.text_content()) or len(_fold(nxt.text_content())) > 200:
            continue
        h.text = nxt.text
        for child in list(nxt):
            h.append(child)
        h.tail = nxt.tail
        nxt.getparent().remove(nxt)


_FIGURE_HOSTS = frozenset({"p", "ul", "ol", "dl"})


def _hoist_figures(zone: etree._Element) -> None:
    """Move a ``<figure>`` nested in a paragraph or list out, right after its outermost such host.

    cancer.gov PDQ pages put figures (image, caption) inside ``<p>`` and ``<li>``: walked in place,
    the caption would be glued to the paragraph's sentences. After the move it is its own block.
    """
    for fig in list(zone.iter("figure")):
        host = None
        for a in fig.iterancestors():
            if a is zone:
                break
            if a.tag in _FIGURE_HOSTS:
                host = a
        if host is None:
            continue
        tail = fig.tail
        fig.tail = None
        parent = fig.getparent()
        prev = fig.getprevious()
        if tail:
            if prev is not None:
                prev.tail = (prev.tail or "") + tail
            else:
                parent.text = (parent.text or "") + tail
        parent.remove(fig)
        host.addnext(fig)  # lxml keeps the host's tail text on the host, before the figure


def load_html_head(text: str) -> dict[str, Any]:
    """Only the page's head metadata (``html_title``, ``html_meta``, ``canonical_url``...): cheap, no walk."""
    return head_metadata(parse_html(text))


def _empty_metadata() -> dict[str, Any]:
    return {"html_meta": {}, "time": [], "zone": None}


def _metadata_and_zone(
    root: etree._Element, truncated: bool, zone_selectors: Sequence[str]
) -> tuple[dict[str, Any], etree._Element | None]:
    """Metadata from the whole page, then chrome out and the zone chosen (dates/byline need both)."""
    md = _head_metadata(root)
    dates = _find_dates(root)  # before the chrome goes: cancer.gov dates sit in <footer class="article-footer">
    bylines = _find_bylines(root)
    _drop(_chrome(root))
    zone, zone_sel = _pick_zone(root, zone_selectors)
    _zone_metadata(md, zone, dates, bylines)
    md["zone"] = zone_sel
    if truncated:
        md["html_truncated"] = True
    return md, zone


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
