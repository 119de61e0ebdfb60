"""``ingest inspect``, the page as HTML: the source view with its spans (:func:`render_source`), the
record (:func:`render_record`), the table of removals and repairs, all in one page (:func:`render_page`).

The page contains no script; a Content-Security-Policy forbids any; every document text and
attribute is HTML-escaped, and only http(s) URLs become links.
"""

from __future__ import annotations

import html
import re
from typing import Any

from ingest.cli.inspect_view import LINK_ONLY_KINDS, SourceView, Span
from ingest.core.display import printable


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


def _list_html(b: dict[str, Any], rec: dict[str, Any]) -> str:
    """A list block as nested ``<ul>``/``<ol>``: an item of level n+1 goes in a list inside the item before it."""
    tag = "ol" if b.get("ordered") else "ul"
    items = b.get("items") or []
    levels = b.get("levels") or [0] * len(items)
    out = [f"<{tag}>"]
    depth = 0
    for k, (item, lv) in enumerate(zip(items, levels, strict=False)):
        lv = min(lv, depth + 1) if k else 0
        if k and lv > depth:
            out.append(f"<{tag}>")  # inside the open item
        elif k:
            out.append("</li>" + f"</{tag}></li>" * (depth - lv))
        out.append(f"<li>{_mark_terms(item, rec)}")
        depth = lv
    if items:
        out.append("</li>" + f"</{tag}></li>" * depth)
    out.append(f"</{tag}>")
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
                parts.append(_list_html(b, rec))
            elif t == "table":
                parts.append("<table class='tbl'>" + "".join(
                    "<tr>" + "".join(f"<{cell}>{_mark_terms(c, rec)}</{cell}>" for c in row) + "</tr>"
                    for n, row in enumerate(b.get("rows") or [])
                    for cell in ["th" if n < (b.get("header_rows") or 0) else "td"]) + "</table>")
            elif t == "figure":
                img = (f'<div class="img">image: {esc(b.get("image"))}</div>' if b.get("image") else "")
                parts.append(f"<figure>{img}<figcaption>{_mark_terms(b.get('caption') or '', rec)}"
                             + (f' <small>{esc(b.get("credit"))}</small>' if b.get("credit") else "")
                             + "</figcaption></figure>")
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


def render_page(input_name: str, view: SourceView, spans: list[Span], record: dict[str, Any] | None,
                quarantined: dict[str, Any] | None, removals: list[dict[str, Any]], located: list[int],
                repairs: list[dict[str, Any]]) -> str:
    """The whole page: the header (quarantine reason, legend), the source view with ``spans`` beside the
    record, and every removal (with how many of its occurrences were ``located``) and repair."""
    prov = (record or {}).get("provenance") or {}
    title = (record or {}).get("title") or printable(input_name)
    head = [f"<h1>{esc(title)}</h1>",
            f'<div class="meta">input <code>{esc(printable(input_name))}</code> · format {esc(view.fmt)}'
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
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<meta name=\"viewport\" content=\"width=device-width\"><title>inspect: {esc(title)}</title>"
        f"<style>{CSS}</style></head><body>\n<header>{''.join(head)}</header>\n<main>{''.join(left)}\n{''.join(right)}</main>\n"
        f"{''.join(bottom)}\n</body></html>\n"
    )
