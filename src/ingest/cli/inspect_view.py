"""``ingest inspect``, the left column's content: the document as the pipeline saw it, and where in it
each removal, repair, citation and glossary term is. Pure: bytes, metadata and the record's dict in,
text and spans out (no disk, no HTML).

The text (:func:`source_view`) is decoded as the pipeline decodes it: Markdown as written, front
matter set apart; HTML and XML as their visible text, block elements on their own lines. Locating
(:func:`locate`) is textual: whitespace-folded exact search, then a Markdown-tolerant one (emphasis,
escapes, link targets ignored), longest texts first, preferring free text over text inside another
removal and whole lines over mentions in a sentence; two removals never partly overlap (one inside
another is fine: a dropped block whose parts were logged too). For HTML and XML, text neither in the
record nor struck is "not read" (:func:`not_read_spans`); citations and glossary terms are
highlighted outside what was removed (:func:`highlight_spans`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_WS = re.compile(r"\s")
# the rest of a Markdown link after its text: ](url) or ](url "title")
_MD_LINK_TAIL = re.compile(r"""\]\(\s*<?[^)\s>]*>?(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)""")
_FRONT = re.compile(r"\A---[ \t]*\n.*?\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_LINE_PREFIX = re.compile(r"[\s#>*_\-•+\d.)\[]*")
_LINE_SUFFIX = re.compile(r"[\s*_\]]*(?:\([^)\s]*\))?[\s*_]*")

_HTML_BLOCK = {
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption", "figure",
    "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p",
    "pre", "section", "table", "tbody", "td", "th", "thead", "title", "tr", "ul", "body", "html", "head",
    "details", "summary", "caption", "option", "select", "fieldset", "legend", "menu",
}
_HTML_SKIP = {"script", "style", "noscript", "template", "svg", "iframe", "object", "embed", "meta", "link"}
#: Removal kinds that take no text out of the body (a dropped link keeps its words): listed, not struck.
LINK_ONLY_KINDS = frozenset({"link"})
_XML_INLINE = re.compile(r"(?i)(ref|emphasis|strong|italic|bold|superscript|subscript|^a$|^b$|^i$|^em$|^span$)")


# --------------------------------------------------------------------------- the source view


@dataclass
class SourceView:
    text: str
    fmt: str
    note: str = ""
    body_start: int = 0  # where search starts (after Markdown front matter)


def _visible_text(markup: str, xml: bool = False) -> str:
    """The visible text of HTML (or XML), block elements on their own lines."""
    from lxml import etree
    from lxml import html as lxml_html

    if xml:
        parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True)
        root = etree.fromstring(markup.encode("utf-8"), parser)
    else:
        root = lxml_html.document_fromstring(markup)
    out: list[str] = []

    def walk(el: Any) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        local = tag.rsplit("}", 1)[-1].lower() if tag else ""
        if tag and local not in _HTML_SKIP:
            block = (not _XML_INLINE.search(local)) if xml else local in _HTML_BLOCK
            if block:
                out.append("\n")
            if el.text:
                out.append(el.text)
            for child in el:
                walk(child)
            if block:
                out.append("\n")
        if el.tail:
            out.append(el.tail)

    if root is not None:
        walk(root)
    lines = [" ".join(line.split()) for line in "".join(out).split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def source_view(raw: bytes, meta: Any) -> SourceView:
    """The text the page shows on the left, decoded as the pipeline decodes it."""
    from ingest.core.decode import decode
    from ingest.core.normalize import declared_charset, input_format

    try:
        text, encoding = decode(raw, declared_charset(meta))
    except Exception as e:  # noqa: BLE001 - QuarantineError: empty, binary, undecodable
        return SourceView("", "none", f"the bytes cannot be shown as text: {getattr(e, 'reason', e)}")
    try:
        fmt = input_format(meta, text)
    except Exception:  # noqa: BLE001 - UnsupportedFormat: show the decoded text as it is
        fmt = "unsupported"
    note = f"decoded as {encoding}"
    if fmt in ("html", "pdq_xml", "xml"):
        try:
            return SourceView(_visible_text(text, xml=fmt != "html"), fmt,
                              note + f"; {fmt.upper().replace('_', ' ')} shown as its visible text "
                              "(scripts and styles omitted, block elements on their own lines)")
        except Exception:  # noqa: BLE001 - unparsable markup: show the source
            note += "; markup could not be parsed, shown as source"
    start = 0
    if fmt == "markdown":
        m = _FRONT.match(text)
        if m:
            start = m.end()
            note += "; YAML front matter dimmed (metadata, not body)"
    return SourceView(text, fmt, note, start)


# --------------------------------------------------------------------------- locating


@dataclass
class Span:
    start: int
    end: int
    layer: str  # front, repair, removed, citation, glossary
    label: str = ""
    title: str = ""
    ref: int = -1  # index into removals / repairs


class _Folded:
    """The view text with invisible characters dropped and whitespace runs folded to one space,
    with a map back to positions in the original. ``loose`` also drops Markdown markup: emphasis
    and code marks, backslash escapes, "[" and link targets "](...)"."""

    def __init__(self, text: str, start: int = 0, loose: bool = False) -> None:
        chars: list[str] = []
        pos: list[int] = []
        prev_space = True
        i = start - 1
        n = len(text)
        while i + 1 < n:
            i += 1
            c = text[i]
            if _INVISIBLE.match(c):
                continue
            if loose:
                if c in "*_`[" or (c == "\\" and i + 1 < n and not text[i + 1].isalnum()):
                    continue
                if c == "]":
                    m = _MD_LINK_TAIL.match(text, i)
                    if m:
                        i = m.end() - 1
                        continue
            if _WS.match(c) or c == "\u00a0":
                if prev_space:
                    continue
                chars.append(" ")
                pos.append(i)
                prev_space = True
            else:
                chars.append(c)
                pos.append(i)
                prev_space = False
        self.text = "".join(chars)
        self.pos = pos

    def original(self, i: int, j: int) -> tuple[int, int]:
        return self.pos[i], self.pos[j - 1] + 1


def _find_all(folded: _Folded, needle: str) -> list[tuple[int, int]]:
    found = []
    i = folded.text.find(needle) if needle else -1
    while i != -1:
        found.append(folded.original(i, i + len(needle)))
        i = folded.text.find(needle, i + 1)
    return found


def _candidates(exact: _Folded, loose: _Folded, needle: str) -> list[tuple[int, int]]:
    """Every (start, end) in the original text where ``needle`` occurs: exactly (whitespace folded),
    else with Markdown markup ignored on both sides."""
    found = _find_all(exact, needle)
    if found or len(needle) < 4:
        return found
    return _find_all(loose, _Folded(needle, loose=True).text.strip())


def _whole_line(text: str, s: int, e: int) -> bool:
    ls = text.rfind("\n", 0, s) + 1
    le = text.find("\n", e)
    le = len(text) if le == -1 else le
    return bool(_LINE_PREFIX.fullmatch(text[ls:s]) and _LINE_SUFFIX.fullmatch(text[e:le]))


def _free(claimed: list[tuple[int, int]], s: int, e: int) -> bool:
    return all(e <= cs or s >= ce for cs, ce in claimed)


def _nests(claimed: list[tuple[int, int]], s: int, e: int) -> bool:
    """Overlaps nothing, or lies inside what it overlaps (a rule that dropped a whole block whose
    parts other rules also logged): never a partial overlap."""
    return all(e <= cs or s >= ce or (cs <= s and e <= ce) for cs, ce in claimed)


def locate(view: SourceView, removals: list[dict[str, Any]], repairs: list[dict[str, Any]]
           ) -> tuple[list[Span], list[int]]:
    """Spans for removals and repairs in ``view.text``; and per removal, how many occurrences were found."""
    folded = _Folded(view.text, view.body_start)
    loose = _Folded(view.text, view.body_start, loose=True)
    spans: list[Span] = []
    located = [0] * len(removals)
    claimed: list[tuple[int, int]] = []
    order = sorted(range(len(removals)), key=lambda k: (-len(removals[k].get("text", "")), k))
    for k in order:
        r = removals[k]
        if r.get("kind") in LINK_ONLY_KINDS:
            continue
        want = max(int(r.get("count", 1)), 1)
        cands = [c for c in _candidates(folded, loose, r.get("text", "")) if _nests(claimed, *c)]
        # free text before text inside another removal; whole lines before mentions in a sentence
        cands.sort(key=lambda c: (not _free(claimed, *c), not _whole_line(view.text, *c), c[0]))
        chosen: list[tuple[int, int]] = []
        for c in cands:
            if len(chosen) == want:
                break
            if _free(chosen, *c):
                chosen.append(c)
        for s, e in chosen:
            claimed.append((s, e))
            spans.append(Span(s, e, "removed", r.get("rule", ""),
                              f"{r.get('rule')} · {r.get('kind')} · {r.get('reason')}", k))
        located[k] = len(chosen)
    for k, rep in enumerate(repairs):
        cands = _candidates(folded, loose, rep.get("before", ""))
        if cands:
            s, e = sorted(cands, key=lambda c: (not _whole_line(view.text, *c), c[0]))[0]
            spans.append(Span(s, e, "repair", f"{rep.get('rule')} → {rep.get('after')}",
                              f"{rep.get('rule')}: {rep.get('reason')}", k))
    if view.body_start:
        spans.append(Span(0, view.body_start, "front", "front matter", "YAML front matter: read as metadata"))
    return spans, located


def _record_texts(record: dict[str, Any]) -> list[str]:
    """The body texts of the record in order: headings, paragraphs, list items, table cells."""
    out: list[str] = []
    for s in record.get("sections") or []:
        if s.get("heading"):
            out.append(s["heading"])
        for b in s.get("blocks") or []:
            if b.get("type") == "list":
                out += b.get("items") or []
            elif b.get("type") == "table":
                out += [c for row in b.get("rows") or [] for c in row]
            elif b.get("type") == "figure":
                out += [b.get("caption") or "", b.get("credit") or ""]
            else:
                out.append(b.get("text") or "")
    return [" ".join(t.split()) for t in out if t and t.strip()]


_CHUNK = re.compile(r"(?<=[.!?;:])\s+")


def not_read_spans(view: SourceView, record: dict[str, Any] | None, taken: list[Span]) -> list[Span]:
    """For HTML and XML: the text that is neither in the record's body nor struck by a removal (page
    chrome outside the content zone the loader reads, which no rule logs), as ``outside`` spans.

    The record's texts are located in order (a text that is not found whole is located sentence by
    sentence); every stretch of the view with letters that nothing accounts for is ``outside``."""
    if record is None or view.fmt not in ("html", "xml", "pdq_xml"):
        return []
    import bisect

    exact = _Folded(view.text, view.body_start)
    accounted = [(s.start, s.end) for s in taken if s.layer in ("removed", "repair", "front")]
    last = 0

    def find(piece: str) -> tuple[int, int] | None:
        nonlocal last
        fi = bisect.bisect_left(exact.pos, last)
        i = exact.text.find(piece, fi)
        if i == -1:
            i = exact.text.find(piece)
        if i == -1:
            return None
        span = exact.original(i, i + len(piece))
        last = span[1]
        return span

    for t in _record_texts(record):
        hit = find(t)
        if hit is not None:
            accounted.append(hit)
            continue
        for piece in _CHUNK.split(t):
            if len(piece) >= 12 and (hit := find(piece)) is not None:
                accounted.append(hit)
    accounted.sort()
    out: list[Span] = []
    pos = view.body_start
    text = view.text

    def gap(a: int, b: int) -> None:
        if b > a and re.search(r"[^\W\d_]", text[a:b]):
            out.append(Span(a, b, "outside", "", "not in the record and not logged as a removal: "
                            "outside the content the loader reads"))

    for a, b in accounted:
        if a > pos:
            gap(pos, a)
        pos = max(pos, b)
    gap(pos, len(text))
    return out


def highlight_spans(text: str, start: int, record: dict[str, Any] | None, avoid: list[Span]) -> list[Span]:
    """Citations (first mention) and glossary terms (as many mentions as the record counts links)
    outside removed and unread text, as spans of ``text``."""
    if record is None:
        return []
    out: list[Span] = []
    removed = [(s.start, s.end) for s in avoid if s.layer in ("removed", "front", "outside")]
    unread = [(s.start, s.end) for s in avoid if s.layer in ("front", "outside")]
    for c in record.get("citations", []):
        ctext = (c.get("text") or "").strip()
        if len(ctext) < 3:
            continue
        label = f"{c.get('id')} {c.get('kind')}"
        hits: list[tuple[int, int]] = []
        if c.get("url"):
            for m in re.finditer(r"\[" + re.escape(ctext) + r"\]\(\s*" + re.escape(c["url"]), text[start:]):
                hits.append((start + m.start() + 1, start + m.start() + 1 + len(ctext)))
        if not hits:
            i = text.find(ctext, start)
            if i != -1:
                hits.append((i, i + len(ctext)))
        for s, e in hits[:1]:
            if _free(unread, s, e):  # a citation moved out of the body is highlighted inside its strike
                out.append(Span(s, e, "citation", label, f"citation {c.get('id')} ({c.get('kind')}): {ctext}"))
    for g in record.get("glossary", []):
        term = (g.get("term") or "").strip()
        if len(term) < 2:
            continue
        budget = max(int(g.get("count") or 1), 1)
        for m in re.finditer(r"(?<!\w)" + re.escape(term) + r"(?!\w)", text[start:], re.I):
            s, e = start + m.start(), start + m.end()
            if _free(removed, s, e) and _free([(x.start, x.end) for x in out if x.layer == "glossary"], s, e):
                out.append(Span(s, e, "glossary", "", f"glossary: {term} ({g.get('cdr_id')})"))
                budget -= 1
                if not budget:
                    break
    return out
