"""Markdown (with or without YAML front matter) → blocks, via markdown-it-py's token stream."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import yaml
from markdown_it import MarkdownIt

from ingest.core.blocks import Block, Link, LoadedDocument
from ingest.core.cleaners import clean_inline
from ingest.core.errors import MalformedFrontMatter

_MD = MarkdownIt("commonmark", {"html": True}).enable("table")
_FRONT = re.compile(r"\A---[ \t]*\n(?P<yaml>.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_TAG = re.compile(r"<[^>]+>")
# markdown-it refuses these links and leaves "[text](javascript:...)" as literal text: keep the words only.
# What follows the "]" of "[text](javascript:...)"; possessive, which matches exactly what the greedy
# form does (a backtracked item boundary never holds the ")" the pattern then needs) without backtracking.
_UNSAFE_LINK_TAIL = re.compile(r"\]\(\s*<?\s*(?:javascript|vbscript|data):(?:[^()]++|\([^()]*+\))*+\)", re.I)
_DANGEROUS_HTML = re.compile(r"<(script|style|iframe|object|embed|template)\b.*?(</\1\s*>|\Z)", re.S | re.I)


#: YAML aliases allowed in front matter: each may stand for a whole subtree, so a few nested ones
#: expand to millions of values (a "billion laughs" in YAML). Real front matter uses none.
MAX_YAML_ALIASES = 50


class _BoundedLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses more than :data:`MAX_YAML_ALIASES` aliases."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self._aliases = getattr(self, "_aliases", 0) + 1
            if self._aliases > MAX_YAML_ALIASES:
                raise yaml.YAMLError(f"more than {MAX_YAML_ALIASES} aliases (an expansion bomb?)")
        return super().compose_node(parent, index)


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Split YAML front matter from the body. No front matter → ``({}, text)``.

    Front matter that is not valid YAML, or not a mapping, raises :class:`MalformedFrontMatter`
    carrying the YAML error (with its line).
    """
    m = _FRONT.match(text)
    if not m:
        return {}, text
    try:
        data = yaml.load(m.group("yaml"), Loader=_BoundedLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as e:
        raise MalformedFrontMatter(f"front matter is not valid YAML: {' '.join(str(e).split())}") from e
    except RecursionError as e:
        raise MalformedFrontMatter("front matter is nested too deeply") from e
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise MalformedFrontMatter(f"front matter must be a mapping of keys to values, got {type(data).__name__}")
    return {str(k): _plain(v) for k, v in data.items()}, text[m.end():]


def _plain(v: Any) -> Any:
    """YAML values as JSON-friendly plain values (dates become ISO strings)."""
    if isinstance(v, dt.datetime | dt.date):
        return v.isoformat()
    if isinstance(v, list):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    return v


def strip_unsafe_links(text: str) -> str:
    r"""``[words](javascript:...)`` (or ``vbscript:``, ``data:``; also as an image, ``![...]``) becomes
    ``words``, in one pass over the text.

    The same as ``re.sub(r"!?\[([^\]]*)\]\(<tail>", r"\1", text)``, whose ``[^\]]*`` rescans the rest
    of the text from every ``[`` that no ``]`` follows (one unmatched ``[`` per line of a 1 MB file:
    minutes). Here every ``[`` up to the first ``]`` after it shares that ``]``, so the tail is tried
    once per such ``]``, and a failed try skips all of them.
    """
    out: list[str] = []
    done = 0  # text[:done] is in out
    at = 0  # where to look for the next "["
    while (start := text.find("[", at)) >= 0:
        close = text.find("]", start + 1)
        if close < 0:  # no "]" after this "[": none after any later one either
            break
        m = _UNSAFE_LINK_TAIL.match(text, close)
        if m is None:  # every "[" before ``close`` closes at it: none starts a match
            at = close + 1
            continue
        if start > done and text[start - 1] == "!":
            start -= 1
        out.append(text[done:start])
        out.append(text[text.index("[", start) + 1 : close])
        done = at = m.end()
    out.append(text[done:])
    return "".join(out)


# issue 13: a card link of the cancer.gov Markdown export spans paragraphs ("- [![img](src)", blank line,
# "Title", blank line, "Teaser.](/url)"): CommonMark cannot parse a link across a blank line, so "[",
# "](/news-events/...)" leaked into the text. The body holds no bracket (bounded: no backtracking blow-up).
_CARD_LINK = re.compile(
    r"^(?P<lead>[ \t]*(?:[-*+][ \t]+)?)\[(?P<img>!\[[^\]\n]{0,2000}\]\([^)\n]{0,2000}\))?[ \t]*\n[ \t]*\n"
    r"(?P<body>[^\[\]]{1,3000})\]\((?P<url>[^)\s]{1,2000})\)",
    re.M,
)
# "**Fatigue after surgery.**Fatigue is common": the export dropped the space after a closing "**" that
# follows punctuation, so CommonMark does not close the emphasis and "**" leaked into the text
_GLUED_STRONG = re.compile(r"(?<![*\w])(\*\*(?=\S)[^*\n]{1,300}?[.:!?,;])\*\*(?=\w)")


def _card_link(m: re.Match[str]) -> str:
    lead, url = m["lead"], m["url"]
    indent = " " * len(lead)
    parts = [clean_inline(p) for p in re.split(r"\n[ \t]*\n", m["body"]) if clean_inline(p)]
    if not parts:
        return m.group(0)
    out = [f"{lead}{m['img']}"] if m["img"] else []
    first = f"[{parts[0]}]({url})"
    out.append(first if not out else indent + first)
    if m["img"] is None:
        out[0] = lead + first
    out.extend(indent + p for p in parts[1:])
    return "\n\n".join(out)


def repair_export_markup(body: str) -> str:
    r"""Markup of the cancer.gov Markdown export that CommonMark reads as literal text, made parseable:
    card links across paragraphs become a link on their first paragraph (the title) with the rest
    under it in the same list item; a closing ``**`` glued to the next word gets its space.

    >>> repair_export_markup("- [![Photo](/a.jpg)\n\nBreast Cancer Stages\n\nLearn about stages.](/types/breast/stages)")
    '- ![Photo](/a.jpg)\n\n  [Breast Cancer Stages](/types/breast/stages)\n\n  Learn about stages.'
    >>> repair_export_markup("- **Fatigue after surgery.**Fatigue is common")
    '- **Fatigue after surgery.** Fatigue is common'
    """
    if "](" in body and "\n\n" in body:
        body = _CARD_LINK.sub(_card_link, body)
    if "**" in body:
        body = _GLUED_STRONG.sub(r"\1** ", body)
    return body


def load_markdown(text: str) -> LoadedDocument:
    front, body = split_front_matter(text)
    body = repair_export_markup(strip_unsafe_links(_DANGEROUS_HTML.sub(" ", body)))
    tokens = _MD.parse(body)
    blocks: list[Block] = []
    lst: Block | None = None  # outermost open list
    list_depth = 0
    item_stack: list[list[str]] = []  # text parts of open list items, innermost last
    item_levels: list[int] = []  # their nesting depth (0: an item of the outermost list)
    levels: list[int] = []  # of the items of ``lst`` so far
    card_lists: list[int] = []  # token levels of open lists whose items are headed cards (see _is_card_list)
    item_links: list[Link] = []
    table: Block | None = None
    row: list[str] | None = None
    heading_level = 0
    in_quote = 0

    def flush_item(parts: list[str], level: int) -> None:
        t = clean_inline(" ".join(parts))
        parts.clear()
        if t and lst is not None:
            lst.items.append(t)
            levels.append(level)

    for i, tok in enumerate(tokens):
        t = tok.type
        if t in ("bullet_list_open", "ordered_list_open"):
            if list_depth == 0 and _is_card_list(tokens, i):
                card_lists.append(tok.level)  # its items' headings and text become blocks of their own
                continue
            if list_depth == 0:
                lst = Block("list", ordered=t == "ordered_list_open")
                item_links = lst.links
                levels = []
            list_depth += 1
        elif t in ("bullet_list_close", "ordered_list_close"):
            if card_lists and tok.level == card_lists[-1] and list_depth == 0:
                card_lists.pop()
                continue
            list_depth -= 1
            if list_depth == 0 and lst is not None:
                if lst.items:
                    lst.levels = levels if any(levels) else []  # nested items keep their depth
                    blocks.append(lst)
                lst = None
        elif t == "list_item_open":
            if list_depth == 0:  # an item of a card list
                continue
            if item_stack and item_stack[-1]:
                flush_item(item_stack[-1], item_levels[-1])  # parent's own text comes before its nested items
            item_stack.append([])
            item_levels.append(list_depth - 1)
        elif t == "list_item_close":
            if list_depth == 0:
                continue
            flush_item(item_stack.pop(), item_levels.pop())
        elif t == "heading_open":
            heading_level = int(tok.tag[1])
        elif t == "heading_close":
            heading_level = 0
        elif t == "table_open":
            table = Block("table")
        elif t == "table_close":
            if table is not None and table.rows:
                blocks.append(table)
            table = None
        elif t == "tr_open":
            row = []
        elif t == "tr_close":
            if table is not None and row and any(row):
                table.rows.append(row)
            row = None
        elif t == "blockquote_open":
            in_quote += 1
        elif t == "blockquote_close":
            in_quote -= 1
        elif t == "inline":
            text_, links = _inline(tok.children or [])
            if row is not None:
                row.append(text_)
                if table is not None:
                    table.links.extend(links)
            elif item_stack:
                item_stack[-1].append(text_)
                item_links.extend(links)
            elif heading_level:
                blocks.append(Block("heading", text=text_, level=heading_level, links=links))
            elif text_:
                blocks.append(Block("quote" if in_quote else "paragraph", text=text_, links=links))
        elif t in ("fence", "code_block"):
            code = clean_inline(tok.content)
            if code:
                blocks.append(Block("paragraph", text=code))
        elif t == "html_block":
            stripped = clean_inline(_TAG.sub(" ", tok.content))
            if stripped:
                blocks.append(Block("paragraph", text=stripped))
    return LoadedDocument("markdown", _fix_empty_headings(blocks), {"front_matter": front})


def _is_card_list(tokens: list[Any], i: int) -> bool:
    """Whether the list opened at ``tokens[i]`` is a list of headed cards (``- ### [Title](/news/...)``
    then the card's text: the Markdown export of a listing page): an item that starts with a heading.
    Its headings are headings and its text paragraphs, not list items run together with them."""
    level = tokens[i].level
    for j in range(i + 1, len(tokens)):
        tk = tokens[j]
        if tk.level == level and tk.type in ("bullet_list_close", "ordered_list_close"):
            return False
        if (tk.type == "list_item_open" and tk.level == level + 1 and j + 1 < len(tokens)
                and tokens[j + 1].type == "heading_open"):
            return True
    return False


def _inline(children: list[Any]) -> tuple[str, list[Link]]:
    parts: list[str] = []
    links: list[Link] = []
    href: str | None = None
    start = 0
    for c in children:
        if c.type in ("text", "code_inline"):
            parts.append(c.content)
        elif c.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif c.type == "link_open":
            href = str(c.attrs.get("href", ""))
            start = len(parts)
        elif c.type == "link_close":
            if href is not None:
                label = clean_inline("".join(parts[start:]))
                if label:
                    links.append(Link(label, href))
            href = None
        # images, inline HTML and emphasis markers carry no text of their own
    return clean_inline("".join(parts)), links


def _fix_empty_headings(blocks: list[Block]) -> list[Block]:
    """``##`` with its text on the next line (seen in NCI exports) → one heading."""
    out: list[Block] = []
    i = 0
    while i < len(blocks):
        b = blocks[i]
        if b.kind == "heading" and not b.text:
            nxt = blocks[i + 1] if i + 1 < len(blocks) else None
            if nxt is not None and nxt.kind == "paragraph" and len(nxt.text) <= 150:
                out.append(Block("heading", text=nxt.text, level=b.level, links=nxt.links))
                i += 2
                continue
            i += 1
            continue
        out.append(b)
        i += 1
    return out
