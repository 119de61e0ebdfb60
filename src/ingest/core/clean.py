"""Apply a site profile's rules to blocks. Every removal is logged so a reviewer sees what went."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.core.blocks import Block
from ingest.core.cleaners import clean_inline
from ingest.core.rules.base import Profile, Rule


@dataclass
class Removals:
    """Removals aggregated by (rule, kind, text), in order of first occurrence."""

    _items: dict[tuple[str, str, str], list] = field(default_factory=dict)

    def add(self, rule: str, kind: str, reason: str, text: str) -> None:
        text = clean_inline(text)
        if not text:
            return
        key = (rule, kind, text)
        if key in self._items:
            self._items[key][1] += 1
        else:
            self._items[key] = [reason, 1]

    def items(self) -> list[dict]:
        return [
            {"rule": r, "kind": k, "reason": v[0], "text": t, "count": v[1]} for (r, k, t), v in self._items.items()
        ]


@dataclass
class Captured:
    """What capture rules read out of the body."""

    dates: dict[str, tuple[str, str]] = field(default_factory=dict)  # field -> (raw, rule id)
    topic: str | None = None
    crumbs: list[str] = field(default_factory=list)
    service: str | None = None
    byline: str | None = None  # the author line the body states (cancer.org's "Written by" box)
    header_topic: str | None = None
    notices: list[tuple[str, str]] = field(default_factory=list)  # (kind, text)
    guideline_lines: list[str] = field(default_factory=list)
    related_questions: list[str] = field(default_factory=list)
    citations: list[tuple[str, str | None, str]] = field(default_factory=list)  # (text, pmid, rule id)


def apply_rules(blocks: list[Block], rules: tuple[Rule, ...], removals: Removals) -> tuple[list[Block], Captured]:
    cap = Captured()
    blocks = _split(blocks, [r for r in rules if r.action == "split"])
    line_rules = [r for r in rules if r.action not in ("split", "strip")]
    if item_dates(blocks, line_rules):
        # a listing: its "Posted:" lines date the items, not the page; they stay with the items' text
        line_rules = [r for r in line_rules if not _is_date_capture(r)]
    strip_rules = [r for r in rules if r.action == "strip"]
    out: list[Block] = []
    i = 0
    n = len(blocks)
    while i < n:
        b = blocks[i]
        i += 1
        if strip_rules and b.kind in ("paragraph", "heading", "figure"):
            for r in strip_rules:
                new = clean_inline(r.regex.sub(" ", b.text))
                if new != b.text:
                    removals.add(r.id, r.kind, r.reason, "".join(m.group(0) for m in r.regex.finditer(b.text)))
                    b.text = new
            if not b.text and not (b.kind == "figure" and (b.src or b.credit)):
                continue
        if strip_rules and b.kind == "list":
            for r in strip_rules:
                for k, it in enumerate(b.items):
                    new = clean_inline(r.regex.sub(" ", it))
                    if new != it:
                        removals.add(r.id, r.kind, r.reason, "".join(m.group(0) for m in r.regex.finditer(it)))
                        b.items[k] = new
            b.keep_items(list(b.items))
        if b.kind == "list":
            b.keep_items([None if _drop_item(it, line_rules, removals) else it for it in b.items])
            if b.items:
                out.append(b)
            continue
        if b.kind in ("table", "figure"):  # (a caption is judged by the strip rules only)
            out.append(b)
            continue
        rule, m = _match(b.text, line_rules, len(out), b.kind)
        if rule is None or m is None:
            out.append(b)
            continue
        act = rule.action
        if act == "drop":
            removals.add(rule.id, rule.kind, rule.reason, b.text)
        elif act == "drop_with_next":
            removals.add(rule.id, rule.kind, rule.reason, b.text)
            nxt = rule.next_regex
            if i < n and nxt is not None and nxt.fullmatch(blocks[i].plain()):
                removals.add(rule.id, rule.kind, rule.reason, blocks[i].plain())
                i += 1
        elif act == "notice":
            cap.notices.append((rule.notice_kind or "disclaimer", b.text))
            removals.add(rule.id, rule.kind, rule.reason, b.text)
        elif act == "capture":
            _capture(rule, m, cap)
            removals.add(rule.id, rule.kind, rule.reason, b.text)
        elif act == "source_guidelines":
            removals.add(rule.id, rule.kind, rule.reason, b.text)
            while i < n and blocks[i].kind in ("paragraph", "list") and _GUIDELINE_LINE.search(blocks[i].plain()):
                for line in blocks[i].plain().split("\n"):
                    cap.guideline_lines.append(line)
                    removals.add(rule.id, rule.kind, rule.reason, line)
                i += 1
        elif act == "related_questions":
            removals.add(rule.id, rule.kind, rule.reason, b.text)
            i = _related(blocks, i, rule, cap, removals)
        elif act == "drop_section":
            removals.add(rule.id, rule.kind, rule.reason, b.text)
            i = _drop_section(blocks, i, b.level, rule, line_rules, cap, removals)
    return out, cap


def _is_date_capture(rule: Rule) -> bool:
    return rule.action == "capture" and rule.field is not None and "(?P<date>" in rule.pattern


def item_dates(blocks: list[Block], rules: list[Rule]) -> bool:
    """Issue 13: whether the date lines the rules would capture date the items of a listing (a blog or
    research listing with "Posted: …" under each teaser) rather than the page: one field read with
    two or more different dates. The page then has no date of its own in its body."""
    captures = [r for r in rules if _is_date_capture(r)]
    if not captures:
        return False
    seen: dict[str, str] = {}
    for b in blocks:
        if b.kind != "paragraph":
            continue
        r, m = _match(b.text, captures, 0, b.kind)
        if r is None or m is None or not r.field:
            continue
        value = clean_inline(m.group("date")).lower()
        if seen.setdefault(r.field, value) != value:
            return True
    return False


def _drop_section(
    blocks: list[Block], i: int, level: int, rule: Rule, line_rules: list[Rule], cap: Captured, removals: Removals
) -> int:
    """Remove the blocks under a heading of ``level`` (up to the next heading at that level or above).

    Capture rules still read what they are for (a citation, a date) from the removed blocks; the
    first paragraph under a sub-heading matching ``rule.next_pattern`` becomes a notice.
    """
    captures = [r for r in line_rules if r.action == "capture"]
    notice_next = False
    while i < len(blocks):
        b = blocks[i]
        if b.kind == "heading" and (b.level or 2) <= (level or 2):
            break
        i += 1
        text = b.plain()
        if b.kind == "heading":
            notice_next = bool(rule.next_regex and rule.next_regex.fullmatch(text))
            removals.add(rule.id, rule.kind, rule.reason, text)
            continue
        if notice_next and b.kind == "paragraph":
            cap.notices.append((rule.notice_kind or "about", text))
            notice_next = False
        r, m = _match(text, captures, 0, b.kind)
        if r is not None and m is not None:
            _capture(r, m, cap)
            removals.add(r.id, r.kind, r.reason, text)
        else:
            removals.add(rule.id, rule.kind, rule.reason, text)
    return i


_GUIDELINE_LINE = re.compile(r"\bNCCN Guidelines\b", re.I)


def _match(text: str, rules: list[Rule], position: int, kind: str = "paragraph") -> tuple[Rule | None, re.Match[str] | None]:
    for r in rules:
        if r.within_first is not None and position >= r.within_first:
            continue
        if r.action == "drop_section" and kind != "heading":
            continue
        m = r.regex.search(text) if r.search else r.regex.fullmatch(text)
        if m:
            return r, m
    return None, None


def _drop_item(item: str, rules: list[Rule], removals: Removals) -> bool:
    for r in rules:
        if r.action == "drop" and r.within_first is None and r.regex.fullmatch(item):
            removals.add(r.id, r.kind, r.reason, item)
            return True
    return False


def _capture(rule: Rule, m: re.Match[str], cap: Captured) -> None:
    g = m.groupdict()
    if g.get("date") and rule.field and rule.field not in cap.dates:
        cap.dates[rule.field] = (g["date"], rule.id)
    if g.get("topic"):
        if rule.field:  # a header line: its topic names the cancer, not a site section
            cap.header_topic = clean_inline(g["topic"])
        elif cap.topic is None:
            cap.topic = clean_inline(g["topic"])
    if g.get("crumbs"):
        cap.crumbs = [clean_inline(c) for c in re.split(r"-{2,}", g["crumbs"]) if clean_inline(c)]
    if g.get("byline") and cap.byline is None:
        cap.byline = clean_inline(g["byline"])
    if g.get("service"):
        cap.service = clean_inline(g["service"])
    if g.get("citation"):
        cap.citations.append((clean_inline(g["citation"]), g.get("pmid"), rule.id))


def _split(blocks: list[Block], rules: list[Rule]) -> list[Block]:
    if not rules:
        return blocks
    out: list[Block] = []
    for b in blocks:
        if b.kind != "paragraph":
            out.append(b)
            continue
        pieces = [b.text]
        for r in rules:
            nxt: list[str] = []
            for p in pieces:
                last = 0
                for m in r.regex.finditer(p):
                    nxt.append(p[last:m.start()])
                    nxt.append(m.group(0))
                    last = m.end()
                nxt.append(p[last:])
            pieces = [clean_inline(x) for x in nxt if clean_inline(x)]
        if len(pieces) == 1:
            out.append(b)
        else:
            out.extend(Block("paragraph", text=p, links=[lk for lk in b.links if lk.text in p]) for p in pieces)
    return out


def _related(blocks: list[Block], i: int, rule: Rule, cap: Captured, removals: Removals) -> int:
    """Question titles after "Related Questions" go to metadata; their snippets are removed.

    A title is short (at most 16 words, no sentence break); a snippet is the cut-off answer text
    under it. Everything to the end of the document belongs to this list.
    """
    while i < len(blocks):
        b = blocks[i]
        text = b.plain()
        words = text.split()
        if b.kind == "paragraph" and len(words) <= 16 and not re.search(r"[.!]\s", text):
            cap.related_questions.append(text)
            removals.add(rule.id, "related_question", "question title kept as metadata only", text)
        else:
            removals.add(rule.id, "related_question_snippet", "cut-off answer snippet of another question", text)
        i += 1
    return i


def profile_rules(profile: Profile, common: tuple[Rule, ...]) -> tuple[Rule, ...]:
    return profile.rules + tuple(r for r in common if r not in profile.rules)
