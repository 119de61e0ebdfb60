"""Plain text only: the last pass over a record before it is hashed (issue 6).

Loaders already drop ``<script>``, ``<style>``, ``<iframe>`` and event handlers when they parse
HTML, and links with a ``javascript:``/``data:`` URL. But Markdown may carry raw HTML, a ``.txt``
file may hold markup as characters, and an entity (``&lt;script&gt;``) decodes into a tag. Patients
see what downstream services render, so every text field of a record is plain text:

- ``<script>``, ``<style>``, ``<iframe>``, ``<object>``, ``<embed>``, ``<noscript>``, ``<template>``
  elements go with their content (an unclosed one: the tag only);
- every other tag (with its attributes, event handlers included) and HTML comments go, the text
  between tags stays. A tag runs from ``<`` + name to the next ``>`` whatever it holds
  (``<img/src=x onerror=...>``, ``<img alt="<" ...>``); it is markup when its name is an HTML
  element or it has an attribute (``<MM/DD/YYYY>`` in citation guidance is text). A tag start with
  no ``>`` after it (``<svg/onload=...`` at the end) loses its ``<``;
- removing a tag can join the text around it into a new one (``<scr<b></b>ipt>``): the passes
  repeat until nothing changes (a fixed point), so the result never holds markup;
- ``javascript:``/``vbscript:`` and ``data:<mime>`` URLs written as text go;
- a ``url`` field must be ``http(s):`` or ``mailto:``: a link with another URL is dropped; a
  character a URL may not hold unencoded (space, quote, angle bracket...) is percent-encoded.

Each removal is logged in ``provenance.removals`` (rule ``sanitize.*``), by kind, never with the
removed markup itself. Linear time: each dangerous element's closing tag is searched once.
"""

from __future__ import annotations

import bisect
import re
from typing import Any
from urllib.parse import urlsplit

from ingest.core.inputs import URL_FORBIDDEN

_DANGEROUS = ("script", "style", "iframe", "object", "embed", "noscript", "template")
_OPEN = re.compile(r"<\s*(" + "|".join(_DANGEROUS) + r")(?![A-Za-z0-9:_-])[^>]*>", re.I)
# Element names of HTML (WHATWG), plus the SVG and MathML roots: a "<" before one of these starts markup.
_ELEMENTS = frozenset("""a abbr acronym address applet area article aside audio b base basefont bdi bdo bgsound big
blink blockquote body br button canvas caption center cite code col colgroup data datalist dd del details dfn
dialog dir div dl dt em embed fieldset figcaption figure font footer form frame frameset h1 h2 h3 h4 h5 h6 head
header hgroup hr html i iframe image img input ins isindex kbd keygen label legend li link listing main map mark
marquee math menu menuitem meta meter multicol nav nextid nobr noembed noframes noscript object ol optgroup
option output p param picture plaintext portal pre progress q rb rp rt rtc ruby s samp script search section
select slot small source spacer span strike strong style sub summary sup svg table tbody td template textarea
tfoot th thead time title tr track tt u ul var video wbr xmp""".split())
# A tag as an HTML tokenizer reads it: "<" + optional "/" + a name, up to the next ">" whatever lies
# between (quotes, "<", "/" separators); comments, doctypes, processing instructions. A name that is
# an HTML element, a name with ":", or any tag with an attribute ("=") or a "<" inside, is markup; "<MM/DD/YYYY>" or "<name>" in
# guidance text is not, and "PSA < 4", "3<4" never start one.
_TAG = re.compile(r"<!--.*?(?:-->|\Z)|<(/?)([A-Za-z][A-Za-z0-9:_-]*)([^>]*)>|<[!?][^>]*>|<!\[CDATA\[|\]\]>", re.S)
# A tag start with no ">" after it: harmless alone, but markup once text is appended downstream.
# Any name counts here ("<x-y onerror=..." is a custom element) when no ">" follows before the next "<".
_TAG_START = re.compile(r"<(?=/?[A-Za-z]|[!?])")


def _is_markup(m: re.Match[str]) -> bool:
    name = m.group(2)
    # a name with ":" is a namespaced tag or an autolink's leftover (<tel:18004226237>): markup too
    rest = m.group(3) or ""
    return name is None or name.lower() in _ELEMENTS or ":" in name or "=" in rest or "<" in rest


def _strip_tags(text: str) -> tuple[str, int]:
    n = 0

    def repl(m: re.Match[str]) -> str:
        nonlocal n
        if _is_markup(m):
            n += 1
            return ""
        return m.group(0)

    # A tag ends at a ">": none can start after the last one. Matching only up to it keeps the scan
    # linear (a tag start with no ">" after it would otherwise rescan the rest of the text each time).
    cut = text.rfind(">") + 1
    head = _TAG.sub(repl, text[:cut]) if cut else ""
    return head + text[cut:], n


def _strip_tag_starts(text: str) -> tuple[str, int]:
    """Drop the ``<`` of every tag start that no ``>`` closes before the next ``<`` (or the end).
    O(n log n): the next ``>`` and ``<`` of each start are found by bisection, never by rescanning."""
    starts = [m.start() for m in _TAG_START.finditer(text)]
    if not starts:
        return text, 0
    gts = [i for i, c in enumerate(text) if c == ">"]
    lts = [i for i, c in enumerate(text) if c == "<"]
    drop = []
    for i in starts:
        g = bisect.bisect_right(gts, i)
        nxt_gt = gts[g] if g < len(gts) else None
        k = bisect.bisect_right(lts, i)
        nxt_lt = lts[k] if k < len(lts) else None
        if nxt_gt is None or (nxt_lt is not None and nxt_lt < nxt_gt):
            drop.append(i)
    if not drop:
        return text, 0
    out, pos = [], 0
    for i in drop:
        out.append(text[pos:i])
        pos = i + 1
    out.append(text[pos:])
    return "".join(out), len(drop)


#: Passes of tag removal at most; each pass removes at least one "<", so real text settles in 1-2.
MAX_PASSES = 50
_JS_URL = re.compile(r"(?:javascript|vbscript|livescript)\s*:[^\s\"'<>]*|\bdata:[\w.+-]+/[\w.+-]+[;,][^\s\"'<>]*", re.I)
_QUICK = re.compile(r"<|script\s*:|data:", re.I)
_SAFE_URL = ("http", "https", "mailto")


def clean_text(text: str, log: list[tuple[str, str]] | None = None) -> str:
    """``text`` without markup, dangerous elements or script URLs. ``log`` gets ``(rule, what)``.

    >>> clean_text('Hi <b onclick="x()">there</b><script>alert(1)</script>, see javascript:alert(2) now')
    'Hi there, see  now'
    >>> clean_text("PSA < 4 ng/mL and 3 > 2")
    'PSA < 4 ng/mL and 3 > 2'
    """
    # "<" or ":" are found by a C-level scan; the case-insensitive pattern only runs on text with one
    if "<" not in text and (":" not in text or not _QUICK.search(text)):
        return text
    tags = urls = 0
    for _ in range(MAX_PASSES):  # until nothing changes: a removal may join two fragments into a tag
        before = text
        if "<" in text:
            text = _drop_elements(text, log)
            text, n = _strip_tags(text)
            tags += n
            text, n = _strip_tag_starts(text)  # unterminated: harmless alone, markup once text follows
            tags += n
        text, n = _JS_URL.subn("", text)
        urls += n
        if text == before:
            break
    if "<" in text and text != before:  # MAX_PASSES reached: no "<" left that could open a tag
        text, n = re.subn(r"<(?=/?[A-Za-z]|[!?])", "", text)
        tags += n
    if tags and log is not None:
        log.append(("sanitize.markup", f"{tags} HTML tags"))
    if urls and log is not None:
        log.append(("sanitize.script_url", f"{urls} script or data URLs"))
    return text


def _drop_elements(text: str, log: list[tuple[str, str]] | None) -> str:
    out: list[str] = []
    pos = 0
    unclosed: set[str] = set()  # no closing tag after some point: none after any later point either
    lower = None
    cut = text.rfind(">") + 1  # no opening tag is complete after the last ">" (linear, as in _strip_tags)
    while True:
        m = _OPEN.search(text, pos, cut)
        if m is None:
            break
        name = m.group(1).lower()
        out.append(text[pos : m.start()])
        end = -1
        if name not in unclosed:
            lower = lower if lower is not None else text.lower()
            close = re.compile(r"</\s*" + name + r"\s*>")
            cm = close.search(lower, m.end())
            if cm is not None:
                end = cm.end()
            else:
                unclosed.add(name)
        pos = end if end >= 0 else m.end()
        if log is not None:
            log.append((f"sanitize.{name}", f"{name} element" if end >= 0 else f"{name} tag"))
    out.append(text[pos:])
    return "".join(out)


def safe_url(url: Any) -> bool:
    if not isinstance(url, str) or url.startswith(("https://", "http://")):
        return True
    try:
        return urlsplit(url.strip()).scheme.lower() in _SAFE_URL
    except ValueError:
        return False


def sanitize(value: Any, log: list[tuple[str, str]] | None = None) -> Any:
    """A copy of a record's JSON-able ``value`` with every string made plain text (see module doc).

    Dicts with an unsafe ``url`` inside a ``links`` list are dropped; another unsafe ``url`` becomes None.
    """
    if isinstance(value, str):
        return clean_text(value, log)
    if isinstance(value, list):
        items = [sanitize(v, log) for v in value]
        kept = [v for v in items if not (isinstance(v, dict) and "text" in v and "url" in v and not safe_url(v["url"]))]
        if len(kept) != len(items) and log is not None:
            log.append(("sanitize.link_url", f"{len(items) - len(kept)} links with an unsafe URL"))
        return kept
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k == "url" and isinstance(v, str) and not safe_url(v):
                # links are filtered by the list above; elsewhere an unsafe URL is no URL
                out[k] = v if "text" in value else None
                if "text" not in value and log is not None:
                    log.append(("sanitize.url", "an unsafe URL"))
                continue
            if k == "url" and isinstance(v, str) and URL_FORBIDDEN.search(v):
                v = _encode_url(v)
                if log is not None:
                    log.append(("sanitize.url_encoded", "characters a URL may not hold, percent-encoded"))
            out[k] = sanitize(v, log) if k not in ("url",) else v
        return out
    return value


def _encode_url(url: str) -> str:
    """``url`` with every character RFC 3986 forbids unencoded written as %XX (UTF-8 bytes).

    >>> _encode_url('https://x.org/a b<script>"')
    'https://x.org/a%20b%3Cscript%3E%22'
    """
    return URL_FORBIDDEN.sub(lambda m: "".join(f"%{b:02X}" for b in m.group(0).encode("utf-8")), url)
