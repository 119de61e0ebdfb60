"""Block building: the content zone walked in document order into :class:`~ingest.core.blocks.Block`
objects (headings, paragraphs, quotes, lists, definition lists as lists, tables, with their links).

Everything is iterative (lxml ``iterwalk`` plus an explicit stack of frames), so arbitrarily deep
nesting never hits Python's recursion limit. Before the walk the zone is mended where libxml2's
parse would mislead it: figures nested in paragraphs or lists are moved after them
(``_hoist_figures``), a paragraph that closed an empty heading is put back into it
(``_mend_empty_headings``). ``_block_text`` is the same text a subtree would give, for provenance.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from ingest.core.blocks import Block, Link
from ingest.core.loaders.html.chars import _fold

_BAD_SCHEME = re.compile(r"^\s*(?:javascript|vbscript|data)\s*:", re.I)
_CREDIT = re.compile(r"(?:^|[\s_-])credit(?:$|[\s_-])", re.I)  # class of a figure's credit line (image-photo-credit)


def _safe_src(src: str | None) -> bool:
    return bool(src and src.strip()) and not _BAD_SCHEME.match(src or "")


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


def _in_thead(tr: etree._Element) -> bool | None:
    """True for a row of ``<thead>``; None otherwise (its cells decide: header row when all are ``<th>``)."""
    parent = tr.getparent()
    return True if parent is not None and parent.tag == "thead" else None


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


_ANCHOR = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,99}$")


def _anchor(heading: Any, zone: Any = None) -> str | None:
    """The fragment that leads to ``heading``: its own ``id``, else the ``id`` of the container it
    opens (cancer.gov: ``<section id="_1"><h2>``, the page's table of contents links ``#_1``), climbing
    while the heading is its container's first element, never to the content ``zone`` itself or
    above it. An id that is not a plain token is none.

    >>> from lxml import html
    >>> root = html.fromstring('<div><section id="_1"><h2>A</h2><p>x</p></section><h2 id="b">B</h2></div>')
    >>> [_anchor(h) for h in root.iter("h2")]
    ['_1', 'b']
    """
    el = heading
    for _ in range(4):
        v = el.get("id")
        if v:
            return v if _ANCHOR.match(v) else None
        parent = el.getparent()
        if parent is None or parent is zone or parent.tag in ("body", "main", "article", "html"):
            return None
        first = next((c for c in parent if isinstance(c.tag, str)), None)
        if first is not el:
            return None
        el = parent
    return None


class _Frame:
    """One open structure on the walk's stack.

    kind: flow (the zone's running text), leaf (heading/paragraph/quote/item/dt/dd/cell/caption: one
    text), list, dl, table, row.
    """

    __slots__ = ("kind", "role", "el", "buf", "root", "idx", "level", "ordered", "items", "links", "rows",
                 "cells", "parent", "caption", "caption_links", "terms", "after_dd", "depth", "levels", "header",
                 "header_rows", "src", "alt", "credit")

    def __init__(self, kind: str, el: Any, role: str = "") -> None:
        self.kind = kind
        self.role = role
        self.el = el
        self.buf = _Buf()  # flow/leaf: the text; list/dl: stray text outside items
        self.depth = 0  # list/item: nesting depth
        self.header: bool | None = None  # row: True in <thead>, False once a <td> is seen


class _Walker:
    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.stack: list[_Frame] = [_Frame("flow", None)]
        # open links: (element, buffer, start piece, blocks emitted before, href)
        self.links: list[tuple[Any, _Buf | None, int, int, str]] = []
        self.zone: Any = None
        self.anchors: dict[Any, str | None] = {}  # heading element -> its fragment (:func:`_anchor`)

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
            if frame.kind == "list":
                frame.root.levels.append(frame.depth)
        frame.buf = _Buf(frame.buf.links)

    def _push(self, frame: _Frame) -> _Frame:
        self.stack.append(frame)
        return frame

    def _new_list(self, el: Any, root: _Frame | None, depth: int = 0) -> None:
        f = _Frame("list", el)
        f.depth = depth
        if root is None:
            f.root, f.items, f.links, f.ordered, f.levels = f, [], [], el.tag == "ol", []
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
            fig = top if top.role == "figure" else top.parent if top.role == "credit" else None
            if fig is not None and tag == "img" and not fig.src and _safe_src(el.get("src")):
                fig.src, fig.alt = el.get("src").strip(), _fold(el.get("alt") or "")
            elif top.role == "figure" and _CREDIT.search(el.get("class") or ""):  # "Credit: iStock"
                credit = self._push(_Frame("leaf", el, "credit"))
                credit.parent = top
            elif top.role == "item" and tag in _LIST_TAGS:  # a list inside an item: one level deeper
                self._new_list(el, top.root, top.depth + 1)
            elif tag in _BLOCKISH:
                top.buf.pieces.append(" ")
            return
        if kind == "list":
            if tag == "li":
                self._flush_stray(top)
                root = top.root
                item = self._push(_Frame("leaf", el, "item"))
                item.root, item.idx, item.buf, item.depth = root, len(root.items), _Buf(root.links), top.depth
                root.items.append("")
                root.levels.append(top.depth)
            elif tag in _LIST_TAGS:  # a list straight inside a list (no <li> around it): one level deeper
                self._flush_stray(top)
                self._new_list(el, top.root, top.depth + 1)
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
                top.header = _in_thead(el)
            elif tag in ("td", "th"):  # a cell outside any <tr>: its own row
                row = self._push(_Frame("row", el))
                row.parent, row.cells, row.header = top, [], tag == "th"
                cell = self._push(_Frame("leaf", el, "cell"))
                cell.parent, cell.buf = row, _Buf(top.links)
            elif tag == "caption":
                self._push(_Frame("leaf", el, "caption")).parent = top
            return
        if kind == "row":
            if tag in ("td", "th"):
                if tag == "td" and top.header is None:
                    top.header = False  # a row with a data cell is not a header row (unless in <thead>)
                cell = self._push(_Frame("leaf", el, "cell"))
                cell.parent, cell.buf = top, _Buf(top.parent.links)
            return
        # flow
        level = _HEADINGS.get(tag)
        if level:
            self._flush()
            self._push(_Frame("leaf", el, "heading")).level = level
            self.anchors[el] = _anchor(el, self.zone)
        elif tag in _PARA_TAGS:
            self._flush()
            self._push(_Frame("leaf", el, "paragraph"))
        elif tag == "blockquote":
            self._flush()
            self._push(_Frame("leaf", el, "quote"))
        elif tag == "figure":  # one block: the caption (all its text), the image, the credit line
            self._flush()
            f = self._push(_Frame("leaf", el, "figure"))
            f.src, f.alt, f.credit = "", "", ""
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
                f.header_rows = -1  # counting: header rows seen so far until the first body row
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
        # the link wrapped whole blocks (e.g. a card): attach it to the first block it produced that is
        # not a heading (a section keeps no heading links: a card's title is its heading)
        text = _block_text(el)
        if not text:
            return
        if len(self.blocks) > nblocks:
            made = self.blocks[nblocks:]
            target = next((b for b in made if b.kind != "heading"), made[0])
            target.links.append(Link(text, href))
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
            elif role == "credit":
                f.parent.credit = text
            elif role == "figure":
                if text or f.src or f.credit:
                    blocks.append(Block("figure", text=text, src=f.src, alt=f.alt, credit=f.credit, links=f.buf.links))
            elif text:
                kind = "heading" if role == "heading" else "quote" if role == "quote" else "paragraph"
                blocks.append(Block(kind, text=text, level=f.level if role == "heading" else 0, links=f.buf.links,
                                    anchor=self.anchors.get(f.el) if role == "heading" else None))
        elif f.kind == "list":
            self._flush_stray(f)
            if f.root is f:
                levels = [lv for it, lv in zip(f.items, f.levels, strict=True) if it]
                items = [i for i in f.items if i]
                if items:
                    blocks.append(Block("list", items=items, ordered=f.ordered, links=f.links,
                                        levels=levels if any(levels) else []))
        elif f.kind == "dl":
            self._flush_stray(f)
            if f.terms and not f.after_dd:
                f.items.extend(f.terms)
            if f.items:
                blocks.append(Block("list", items=f.items, links=f.links))
        elif f.kind == "row":
            if any(f.cells):
                t = f.parent
                if t.header_rows < 0 and f.header is False:  # the first body row: the header rows are counted
                    t.header_rows = len(t.rows)
                t.rows.append(f.cells)
        elif f.kind == "table":
            if f.caption:
                blocks.append(Block("paragraph", text=f.caption, links=f.caption_links))
            if f.rows:
                # a table of header rows only has none (its cells are its data)
                header = f.header_rows if 0 <= f.header_rows < len(f.rows) else 0
                blocks.append(Block("table", rows=f.rows, links=f.links, header_rows=header))

    def run(self, zone: Any) -> list[Block]:
        self.zone = zone
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
    """Move a ``<figure>`` nested in a paragraph or list, and a data table nested in a list, out, right
    after its outermost such host.

    cancer.gov PDQ pages put figures (image, caption) inside ``<p>`` and ``<li>``: walked in place,
    the caption would be glued to the paragraph's sentences. After the move it is its own block. A
    table in a list item would be read as the item's text, its rows and cells run together: after
    the list it is a table block.
    """
    movable = [e for e in zone.iter("figure", "table")
               if e.tag == "figure" or (not _is_layout_table(e) and next(e.iterancestors("li", "dd"), None) is not None
                                        and next(e.iterancestors("table"), None) is None)]
    for fig in movable:
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
