"""Selectors for zones and drops: a small CSS subset compiled to XPath, and the ways to evaluate them.

Selectors (zones and drops) are CSS selectors of a small subset: type, ``*``, ``#id``, ``.class``,
``[attr]``, ``[attr=v]`` (and ``~= ^= $= *= |=``), descendant/``>``/``+``/``~`` combinators and
``,`` groups. A selector starting with ``/``, ``(``, ``./`` or ``../`` is taken as XPath. (lxml's
own ``cssselect`` needs the ``cssselect`` package, which is not a dependency.)

:func:`css_to_xpath` translates; ``_select`` evaluates on the whole page (zones), ``_select_inside``
and ``_select_all_inside`` strictly inside the chosen zone (drops; the latter in one pass when all
selectors are simple class/id lists).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from lxml import etree

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


_Index = dict[str, list[tuple[int, str | None]]]


@lru_cache(maxsize=64)
def _simple_index(selectors: tuple[str, ...]) -> tuple[_Index, _Index, tuple[int, ...]]:
    """``({class: [(selector index, tag or None)]}, {id: [...]}, other)`` for the selectors that are lists
    of ``.class`` / ``#id`` groups (optionally ``tag.class``); ``other``: the indexes of the rest."""
    by_class: _Index = {}
    by_id: _Index = {}
    other: list[int] = []
    for i, selector in enumerate(selectors):
        groups = [_SIMPLE_GROUP.fullmatch(g.strip()) for g in selector.split(",")]
        if not all(groups):
            other.append(i)
            continue
        for m in groups:
            assert m is not None
            tag, kind, name = m.groups()
            (by_class if kind == "." else by_id).setdefault(name, []).append((i, tag))
    return by_class, by_id, tuple(other)


def _select_all_inside(zone: etree._Element, selectors: Sequence[str]) -> list[list[etree._Element]]:
    """``[_select_inside(zone, s) for s in selectors]``: the simple class/id lists in one pass over the
    zone's elements (~6x faster than one XPath evaluation per selector, issue 5), the others (an XPath
    with a condition) one by one; same elements in the same (document) order."""
    by_class, by_id, other = _simple_index(tuple(selectors))
    out: list[list[etree._Element]] = [[] for _ in selectors]
    for i in other:
        out[i] = _select_inside(zone, selectors[i])
    if len(other) == len(selectors):
        return out
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
