"""``ingest inspect``: one self-contained HTML page showing what cleaning did to one input.

Left, the document as the pipeline saw it: the decoded text (Markdown as written, front matter
dimmed; HTML and XML as their visible text, block elements on their own lines). Every text the
record's ``provenance.removals`` lists is located in it and struck through, labelled with its rule
(hover: kind and reason); every ``provenance.repairs`` line is struck and labelled with what replaced
it; glossary terms and citations are highlighted; for HTML and XML, text that is neither in the
record nor struck (page chrome outside the content zone, which no rule logs) is grey, "not read".
Right, the record: sections, notices, citations, glossary, dates. Below, every removal with how many
of its occurrences were located; one that could not be located is flagged, never silently dropped;
a dropped link (kind ``link``) takes no words out of the body and is listed, not struck.

Nothing here changes the normalizer: the page is built from the raw bytes and the record the normal
pipeline returns (``pipeline.process``). Locating is textual: whitespace-folded exact search, then a
Markdown-tolerant one (emphasis, escapes, link targets ignored), longest texts first, preferring free
text over text inside another removal and whole lines over mentions in a sentence; two removals
never partly overlap (one inside another is fine: a dropped block whose parts were logged too).

The page contains no script; a Content-Security-Policy forbids any; every document text and
attribute is HTML-escaped, and only http(s) URLs become links.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.core.errors import IngestError
from ingest.core.pipeline import Published, Quarantined, process
from ingest.store.discovery import RawRef, read

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


class InspectError(IngestError):
    """INPUT cannot be inspected as asked (the CLI exits 2)."""


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
    from ingest.core.normalize import input_format

    declared = None
    if meta.content_type and "charset=" in meta.content_type.lower():
        declared = meta.content_type.lower().split("charset=", 1)[1].split(";")[0].strip() or None
    try:
        text, encoding = decode(raw, declared)
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


# --------------------------------------------------------------------------- rendering


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


_LAYER_ORDER = {"front": 0, "outside": 0, "repair": 1, "removed": 2, "citation": 3, "glossary": 4}
_LAYER_TAG = {
    "front": ('<span class="front" title="{t}">', "</span>"),
    "outside": ('<span class="outside" title="{t}">', "</span>"),
    "repair": ('<del class="repair" title="{t}">', "</del>"),
    "removed": ('<del class="removed" data-rule="{r}" title="{t}">', "</del>"),
    "citation": ('<mark class="citation" title="{t}">', "</mark>"),
    "glossary": ('<mark class="glossary" title="{t}">', "</mark>"),
}


def render_source(text: str, spans: list[Span]) -> str:
    """``text`` as escaped HTML with each span's element around its characters, properly nested (a
    span crossing another is closed and reopened), each removal and repair preceded by its label."""
    bounds = sorted({0, len(text), *(s.start for s in spans), *(s.end for s in spans)})
    by_start: dict[int, list[Span]] = {}
    for s in spans:
        if s.end > s.start:
            by_start.setdefault(s.start, []).append(s)
    out: list[str] = []
    stack: list[Span] = []

    def open_(s: Span, label: bool) -> None:
        if label and s.layer == "removed":
            out.append(f'<span class="rule" data-rule="{esc(s.label)}">{esc(s.label)}</span>')
        elif label and s.layer == "repair":
            out.append(f'<span class="rule repaired">repaired: {esc(s.label)}</span>')
        out.append(_LAYER_TAG[s.layer][0].format(t=esc(s.title), r=esc(s.label)))
        stack.append(s)

    for a, b in zip(bounds, bounds[1:], strict=False):
        if any(s.end <= a for s in stack):
            reopen = []
            while any(s.end <= a for s in stack):
                s = stack.pop()
                out.append(_LAYER_TAG[s.layer][1])
                if s.end > a:
                    reopen.append(s)
            for s in reversed(reopen):
                open_(s, label=False)
        new = sorted(by_start.get(a, []), key=lambda s: (_LAYER_ORDER[s.layer], -(s.end - s.start)))
        for s in new:
            open_(s, label=True)
        out.append(esc(text[a:b]))
    while stack:
        out.append(_LAYER_TAG[stack.pop().layer][1])
    return "".join(out)


def _mark_terms(text: str, record: dict[str, Any]) -> str:
    """Escaped ``text`` with glossary terms and linked citation words highlighted (right column)."""
    spans: list[tuple[int, int, str, str]] = []
    for g in record.get("glossary", []):
        term = g.get("term") or ""
        if len(term) >= 2:
            for m in re.finditer(r"(?<!\w)" + re.escape(term) + r"(?!\w)", text, re.I):
                spans.append((m.start(), m.end(), "glossary", f"glossary: {term} ({g.get('cdr_id')})"))
    for c in record.get("citations", []):
        ct = c.get("text") or ""
        if len(ct) >= 3:
            i = text.find(ct)
            if i != -1:
                spans.append((i, i + len(ct), "citation", f"citation {c.get('id')} ({c.get('kind')})"))
    spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))
    out, pos = [], 0
    for s, e, cls, title in spans:
        if s < pos:
            continue
        out.append(esc(text[pos:s]))
        out.append(f'<mark class="{cls}" title="{esc(title)}">{esc(text[s:e])}</mark>')
        pos = e
    out.append(esc(text[pos:]))
    return "".join(out)


def _link(url: Any, text: Any = None) -> str:
    u = str(url or "")
    if re.match(r"(?i)https?://", u):
        return f'<a href="{esc(u)}" rel="noopener noreferrer nofollow">{esc(text or u)}</a>'
    return esc(text or u)


def render_record(rec: dict[str, Any]) -> str:
    parts: list[str] = []
    src = rec.get("source") or {}
    dates = rec.get("dates") or {}
    facts = [
        ("id", esc(rec.get("id"))),
        ("source", esc(" · ".join(str(x) for x in (src.get("publisher"), src.get("family"), src.get("kind"),
                                                   src.get("format")) if x))),
        ("url", _link(src.get("url")) if src.get("url") else "—"),
        ("dates", esc(", ".join(f"{k.replace('_', ' ')} {d['value']} ({d.get('source')})"
                                for k, d in dates.items() if isinstance(d, dict)) or "—")),
        ("language", esc(f"{rec.get('language')} ({rec.get('language_source')})")),
        ("cancer types", esc(", ".join(rec.get("cancer_types") or []) or "—")),
    ]
    parts.append('<dl class="facts">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts) + "</dl>")
    if rec.get("notices"):
        parts.append('<h3>Notices <small>(taken out of the body)</small></h3><ul class="notices">')
        parts += [f'<li><b>{esc(n.get("kind"))}</b>: {esc(n.get("text"))}</li>' for n in rec["notices"]]
        parts.append("</ul>")
    parts.append("<h3>Sections</h3>")
    for s in rec.get("sections") or []:
        level = min(max(int(s.get("level") or 0), 0), 6)
        heading = s.get("heading")
        cites = "".join(f'<span class="cid">{esc(c)}</span>' for c in s.get("citation_ids") or [])
        parts.append(f'<section class="sec" data-section="{esc(s.get("id"))}">')
        path = " › ".join(s.get("path") or [])
        parts.append(f'<div class="sechead"><span class="sid">{esc(s.get("id"))}</span> '
                     f'<span class="h{level}">{_mark_terms(heading, rec) if heading else "<i>(before the first heading)</i>"}'
                     f"</span> {cites}" + (f'<div class="path">{esc(path)}</div>' if path else "") + "</div>")
        for b in s.get("blocks") or []:
            t = b.get("type")
            if t == "list":
                tag = "ol" if b.get("ordered") else "ul"
                parts.append(f"<{tag}>" + "".join(f"<li>{_mark_terms(i, rec)}</li>" for i in b.get("items") or [])
                             + f"</{tag}>")
            elif t == "table":
                parts.append("<table class='tbl'>" + "".join(
                    "<tr>" + "".join(f"<td>{_mark_terms(c, rec)}</td>" for c in row) + "</tr>"
                    for row in b.get("rows") or []) + "</table>")
            elif t == "quote":
                parts.append(f"<blockquote>{_mark_terms(b.get('text', ''), rec)}</blockquote>")
            else:
                parts.append(f"<p>{_mark_terms(b.get('text', ''), rec)}</p>")
        parts.append("</section>")
    if rec.get("citations"):
        parts.append('<h3>Citations</h3><ol class="cits">')
        for c in rec["citations"]:
            extra = " ".join(x for x in (f"PMID {c['pmid']}" if c.get("pmid") else "",
                                          str(c["year"]) if c.get("year") else "") if x)
            parts.append(f'<li><span class="cid">{esc(c.get("id"))}</span> <b>{esc(c.get("kind"))}</b> '
                         f'{esc(c.get("text"))} {esc(extra)} {_link(c.get("url")) if c.get("url") else ""}</li>')
        parts.append("</ol>")
    if rec.get("glossary"):
        parts.append('<h3>Glossary</h3><ul class="gloss">')
        parts += [f'<li><mark class="glossary">{esc(g.get("term"))}</mark> {esc(g.get("cdr_id"))} ×{esc(g.get("count"))} '
                  f'{_link(g.get("url"), "definition")}</li>' for g in rec["glossary"]]
        parts.append("</ul>")
    rq = (rec.get("metadata") or {}).get("related_questions") or []
    if rq:
        parts.append("<h3>Related questions <small>(metadata)</small></h3><ul>"
                     + "".join(f"<li>{esc(q)}</li>" for q in rq) + "</ul>")
    return "\n".join(parts)


CSS = """
*{box-sizing:border-box} body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1b1f24;background:#f6f7f9}
header{padding:16px 24px;background:#fff;border-bottom:1px solid #d8dde3}
header h1{font-size:20px;margin:0 0 6px} .meta{color:#57606a} .meta code{background:#eef1f4;padding:1px 4px;border-radius:3px}
.quarantined{background:#fff1f0;border:1px solid #ffa39e;padding:8px 12px;margin-top:8px;border-radius:4px}
.legend span{margin-right:14px}
main{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:16px;padding:16px 24px}
.col{background:#fff;border:1px solid #d8dde3;border-radius:6px;padding:12px 16px;min-width:0}
.col h2{font-size:15px;margin:0 0 4px} .note{color:#57606a;font-size:12px;margin-bottom:8px}
pre.src{white-space:pre-wrap;word-wrap:break-word;font:13px/1.5 ui-monospace,SFMono-Regular,Menlo,monospace;margin:0}
del.removed{text-decoration:line-through;text-decoration-color:#cf222e;text-decoration-thickness:2px;background:#ffebe9;color:#82071e}
del.repair{text-decoration:line-through;text-decoration-color:#9a6700;background:#fff8c5}
.rule{display:inline-block;font:600 10px/1.3 system-ui,sans-serif;color:#fff;background:#cf222e;border-radius:3px;padding:0 4px;margin:0 3px 0 0;vertical-align:1px;text-decoration:none}
.rule.repaired{background:#9a6700}
.front{color:#8c959f} .outside{color:#8c959f}
mark.glossary{background:#ddf4ff;border-bottom:2px solid #0969da;color:inherit}
mark.citation{background:#dafbe1;border-bottom:2px solid #1a7f37;color:inherit}
.sec{border-top:1px solid #eaeef2;padding-top:6px;margin-top:8px} .sechead{font-weight:600}
.sid,.cid{display:inline-block;font:600 10px/1.4 ui-monospace,monospace;background:#eef1f4;border-radius:3px;padding:0 4px;margin-right:3px}
.path{font-weight:400;color:#57606a;font-size:12px}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 10px;margin:0 0 8px} dl.facts dt{color:#57606a}
dl.facts dd{margin:0;word-break:break-word}
table.tbl,table.removals{border-collapse:collapse} table.removals{width:100%;table-layout:fixed}
table.removals th:nth-child(-n+4){width:11%} td{overflow-wrap:anywhere} table.tbl td,table.removals td,table.removals th{border:1px solid #d8dde3;padding:2px 6px;vertical-align:top}
.bottom{padding:0 24px 24px} .bottom .col{margin-top:0}
tr.unlocated td{background:#fff8c5}
small{color:#57606a;font-weight:400}
"""


@dataclass
class InspectPage:
    input: str
    html: str
    record: dict[str, Any] | None
    quarantined: dict[str, Any] | None
    removals: list[dict[str, Any]] = field(default_factory=list)
    located: list[int] = field(default_factory=list)
    repairs: int = 0

    @property
    def unlocated(self) -> list[dict[str, Any]]:
        return [r for r, n in zip(self.removals, self.located, strict=False)
                if n < int(r.get("count", 1)) and r.get("kind") not in LINK_ONLY_KINDS]

    def summary_line(self) -> str:
        if self.quarantined is not None:
            return f"quarantined at {self.quarantined['stage']}: {self.quarantined['reason']}"
        times = sum(int(r.get("count", 1)) for r in self.removals)
        links = sum(int(r.get("count", 1)) for r in self.removals if r.get("kind") in LINK_ONLY_KINDS)
        return (f"{len(self.removals)} removals ({times} times: {sum(self.located)} struck"
                + (f", {links} dropped links" if links else "")
                + (f", {len(self.unlocated)} not found" if self.unlocated else "") + "), "
                f"{self.repairs} repairs, {len((self.record or {}).get('sections') or [])} sections")

    def as_dict(self) -> dict[str, Any]:
        return {"input": self.input, "quarantined": self.quarantined,
                "record_id": (self.record or {}).get("id"),
                "removals": [{**r, "located": n} for r, n in zip(self.removals, self.located, strict=False)],
                "repairs": self.repairs}


def build_page(input_name: str, view: SourceView, record: dict[str, Any] | None,
               quarantined: dict[str, Any] | None) -> InspectPage:
    prov = (record or {}).get("provenance") or {}
    removals: list[dict[str, Any]] = list(prov.get("removals") or [])
    repairs: list[dict[str, Any]] = list(prov.get("repairs") or [])
    spans, located = locate(view, removals, repairs)
    spans += not_read_spans(view, record, spans)
    spans += highlight_spans(view.text, view.body_start, record, spans)
    title = (record or {}).get("title") or input_name
    head = [f"<h1>{esc(title)}</h1>",
            f'<div class="meta">input <code>{esc(input_name)}</code> · format {esc(view.fmt)}'
            + (f" · family {esc(record['source']['family'])} · record <code>{esc(record['id'])}</code>" if record else "")
            + (f" · pipeline {esc(prov.get('pipeline_version'))}" if prov else "") + "</div>"]
    if quarantined is not None:
        head.append(f'<div class="quarantined"><b>Quarantined</b> at stage {esc(quarantined["stage"])} '
                    f'({esc(quarantined["kind"])}): {esc(quarantined["reason"])}</div>')
    times = sum(int(r.get("count", 1)) for r in removals)
    head.append(f'<div class="meta legend">{len(removals)} removed texts ({times} times), {len(repairs)} repairs. '
                '<span><del class="removed">struck</del> removed by the labelled rule</span>'
                '<span><del class="repair">struck</del> repaired line</span>'
                '<span><mark class="glossary">glossary term</mark></span>'
                '<span><mark class="citation">citation</mark></span>'
                + ('<span class="outside">grey: not read (outside the content zone)</span>'
                   if view.fmt in ("html", "xml", "pdq_xml") else "") + "</div>")
    left = [
        '<div class="col" id="source"><h2>The document as the pipeline saw it</h2>',
        f'<div class="note">{esc(view.note)}</div>',
        f'<pre class="src">{render_source(view.text, spans)}</pre>' if view.text else "<p><i>(nothing to show)</i></p>",
        "</div>",
    ]
    right = ['<div class="col" id="record"><h2>The record</h2>']
    if record is not None:
        right.append(render_record(record))
    else:
        right.append("<p><i>No record: the input is quarantined.</i></p>")
    right.append("</div>")
    rows = []
    for r, n in zip(removals, located, strict=False):
        want = int(r.get("count", 1))
        link_only = r.get("kind") in LINK_ONLY_KINDS
        cls = ' class="unlocated"' if n < want and not link_only else ""
        where = ("– (the link was dropped, its words stay)" if link_only
                 else f"{n}{'' if n >= want else ' (not found in the text shown)'}")
        rows.append(f"<tr{cls}><td><code>{esc(r.get('rule'))}</code></td><td>{esc(r.get('kind'))}</td>"
                    f"<td>{want}</td><td>{where}</td>"
                    f"<td>{esc(r.get('reason'))}</td><td>{esc(r.get('text'))}</td></tr>")
    for rep in repairs:
        rows.append(f"<tr><td><code>{esc(rep.get('rule'))}</code></td><td>repair</td><td>1</td><td></td>"
                    f"<td>{esc(rep.get('reason'))}</td><td>{esc(rep.get('before'))} → {esc(rep.get('after'))}</td></tr>")
    bottom = ['<div class="bottom"><div class="col" id="removals"><h2>Everything cleaning removed or repaired</h2>']
    if rows:
        bottom.append('<table class="removals"><tr><th>rule</th><th>kind</th><th>times</th><th>located</th>'
                      "<th>reason</th><th>text</th></tr>" + "".join(rows) + "</table>")
    else:
        bottom.append("<p>Nothing.</p>")
    bottom.append("</div></div>")
    page = (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<meta name=\"viewport\" content=\"width=device-width\"><title>inspect: {esc(title)}</title>"
        f"<style>{CSS}</style></head><body>\n<header>{''.join(head)}</header>\n<main>{''.join(left)}\n{''.join(right)}</main>\n"
        f"{''.join(bottom)}\n</body></html>\n"
    )
    return InspectPage(input_name, page, record, quarantined, removals, located, len(repairs))


def inspect_file(path: Path, raw_dir: Path | None = None) -> InspectPage:
    """Normalize one file exactly as ``ingest normalize`` would (same input name, same pipeline) and
    build its page. Raises :class:`InspectError` if ``path`` is not under ``raw_dir``, ``OSError`` if
    it cannot be read."""
    raw_dir = (raw_dir or path.parent).resolve()
    try:
        rel = path.resolve().relative_to(raw_dir).as_posix()
    except ValueError as e:
        raise InspectError(f"input {path} is not under --raw-dir {raw_dir}") from e
    # named as sources.discover names it: the raw folder's own name, then the relative path
    input_name = f"{raw_dir.name or raw_dir.anchor}/{rel}"
    raw, meta = read(RawRef(path, input_name))
    outcome = process(raw, meta)
    view = source_view(raw, meta)
    if isinstance(outcome, Published):
        record = outcome.record.model_dump(mode="json")
        quarantined = None
    else:
        assert isinstance(outcome, Quarantined)
        record = None
        quarantined = {"stage": outcome.stage, "kind": outcome.kind, "reason": outcome.reason}
    return build_page(input_name, view, record, quarantined)
