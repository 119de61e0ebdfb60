"""Plain text only: the last pass over a record before it is hashed (issue 6).

Loaders already drop ``<script>``, ``<style>``, ``<iframe>`` and event handlers when they parse
HTML, and links with a ``javascript:``/``data:`` URL. But Markdown may carry raw HTML, a ``.txt``
file may hold markup as characters, and an entity (``&lt;script&gt;``) decodes into a tag. Patients
see what downstream services render, so every text field of a record is plain text:

- ``<script>``, ``<style>``, ``<iframe>``, ``<object>``, ``<embed>``, ``<noscript>``, ``<template>``
  elements go with their content (an unclosed one: the tag only);
- every other tag (with its attributes, event handlers included) and HTML comments go, the text
  between tags stays;
- ``javascript:``/``vbscript:`` and ``data:<mime>`` URLs written as text go;
- a ``url`` field must be ``http(s):`` or ``mailto:``: a link with another URL is dropped.

Each removal is logged in ``provenance.removals`` (rule ``sanitize.*``), by kind, never with the
removed markup itself. Linear time: each dangerous element's closing tag is searched once.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

_DANGEROUS = ("script", "style", "iframe", "object", "embed", "noscript", "template")
_OPEN = re.compile(r"<\s*(" + "|".join(_DANGEROUS) + r")\b[^<>]*>", re.I)
_TAG = re.compile(r"</?\s*[A-Za-z][A-Za-z0-9:_-]*(?:\s[^<>]*)?/?\s*>|<!--.*?(?:-->|\Z)|<!\[CDATA\[|\]\]>", re.S)
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
    if "<" in text:
        text = _drop_elements(text, log)
        text, n = _TAG.subn("", text)
        if n and log is not None:
            log.append(("sanitize.markup", f"{n} HTML tags"))
    text, n = _JS_URL.subn("", text)
    if n and log is not None:
        log.append(("sanitize.script_url", f"{n} script or data URLs"))
    return text


def _drop_elements(text: str, log: list[tuple[str, str]] | None) -> str:
    out: list[str] = []
    pos = 0
    unclosed: set[str] = set()  # no closing tag after some point: none after any later point either
    lower = None
    while True:
        m = _OPEN.search(text, pos)
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
            out[k] = sanitize(v, log) if k not in ("url",) else v
        return out
    return value
