"""Retrieval-ready passages (issue 15): a published :class:`Record` split into token-bounded chunks.

Pure: no disk, no clock. :func:`chunk_record` splits each section on its own (a chunk never spans two
sections) into passages of at most ``max_tokens`` tokens, cutting between blocks first, then between
list items and table rows (a continued table repeats its header row), and only inside a paragraph,
list item or row when that one unit is longer than the budget (at sentence ends, then between words).
``overlap`` (default 0) starts each further chunk of a section with up to that many tokens of the
previous chunk's last sentences.

Each :class:`Chunk` carries what a patient-facing answer must show: record id and version, title,
heading path, the citations it relies on (full objects), the glossary terms in its text, the source
URL, publisher, audience, language, dates with their precision, licence, ``ai_generated`` and the
record's notices (so an AI disclosure travels with AI-written text).

Ids: ``id`` depends only on the record id, the section id (core/section_ids.py: the heading path) and
the chunk's text (plus its position among identical passages of the section), so it stays the same
across runs, machines and record versions while that text and heading path do not change; an edit
elsewhere in the document leaves it alone. ``content_sha256`` covers everything else the chunk says
except ``record_version`` (which changes with any edit of the record): a chunk whose id stays but
whose dates, citations, ... changed gets a new ``content_sha256``.

Tokens are counted by a :class:`Tokenizer`; the default :class:`ApproxWordPiece` is a pure-Python
approximation of a BERT-style WordPiece count (no vocabulary, no download). Pass another tokenizer
(anything with ``name`` and ``count(text)``) to count with a real vocabulary.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Protocol

import orjson
from pydantic import Field

from ingest.core.blocks import list_markers
from ingest.core.models import (
    ISO_DATE,
    SCHEMA_VERSION,
    SHA256,
    Citation,
    FigureBlock,
    License,
    ListBlock,
    Notice,
    Record,
    Section,
    Strict,
    TableBlock,
)
from ingest.core.serialize import canonical_json

#: Bumped whenever the same record and settings give different chunks.
CHUNKER_VERSION = "1"
DEFAULT_CHUNK_TOKENS = 512
DEFAULT_OVERLAP_TOKENS = 0
MIN_CHUNK_TOKENS = 32


class Tokenizer(Protocol):
    """What the chunker needs from a tokenizer: a stable name (recorded with the chunks) and a count."""

    name: str

    def count(self, text: str) -> int: ...


_LETTERS = re.compile(r"[^\W\d_]+")
_FIVE = re.compile(r"[^\W\d_]{5}")
_FIVE_PLUS = re.compile(r"[^\W\d_]{5,}")
_DIGITS = re.compile(r"\d{1,4}")  # a run of k digits: ceil(k / 4) tokens
_PUNCT = re.compile(r"[^\w\s]|_")
_A_LETTERS, _A_FIVE, _A_FIVE_PLUS = re.compile(r"[A-Za-z]+"), re.compile(r"[A-Za-z]{5}"), re.compile(r"[A-Za-z]{5,}")
_A_DIGITS, _A_PUNCT = re.compile(r"[0-9]{1,4}"), re.compile(r"[^A-Za-z0-9\s]")


class ApproxWordPiece:
    """A vocabulary-free estimate of a BERT-style WordPiece token count (errs on the high side).

    A word of up to 8 letters is one token, a longer one one more per further 5 letters; a run of
    digits one token per 4 digits; each punctuation mark one token. On English patient text it
    gives ~1.3 tokens per word, as bert-base-uncased does.

    >>> ApproxWordPiece().count("Chemotherapy is a treatment, 2024.")
    8
    """

    name = "approx-wordpiece-1"

    def count(self, text: str) -> int:
        # a letter run of k letters: 1 + max(0, k - 5) // 5 tokens = 1 per run, plus one per 5 letters,
        # minus one per run of 5 or more; counted with regexes (a Python loop per word is 5x slower)
        if text.isascii():  # the same classes, matched ~3x faster
            return (len(_A_LETTERS.findall(text)) + len(_A_FIVE.findall(text)) - len(_A_FIVE_PLUS.findall(text))
                    + len(_A_DIGITS.findall(text)) + len(_A_PUNCT.findall(text)))
        return (len(_LETTERS.findall(text)) + len(_FIVE.findall(text)) - len(_FIVE_PLUS.findall(text))
                + len(_DIGITS.findall(text)) + len(_PUNCT.findall(text)))


DEFAULT_TOKENIZER: Tokenizer = ApproxWordPiece()


# ---- the chunk model (schemas/chunk.schema.json is generated from it)


class ChunkDate(Strict):
    value: Annotated[str, Field(pattern=ISO_DATE)]
    precision: Literal["day", "month", "year"] = Field(description="How much of the date the document gives")
    raw: str = Field(description="The text as it appeared")
    source: str = Field(description="Where it was read, e.g. front_matter:lastReviewed")


class ChunkDates(Strict):
    published: ChunkDate | None = None
    last_reviewed: ChunkDate | None = None
    last_revised: ChunkDate | None = None


class ChunkTerm(Strict):
    term: str
    cdr_id: str = Field(pattern=r"^CDR\d{10}$")
    url: str


class Chunk(Strict):
    """One retrieval passage of a record (OUT_DIR/chunks.jsonl, one per line)."""

    schema_version: Literal["1.0"] = SCHEMA_VERSION
    id: Annotated[str, Field(pattern=r"^k-[0-9a-f]{16}$")] = Field(
        description="From record id, section id and text: the same while this passage and its heading path are"
    )
    content_sha256: Annotated[str, Field(pattern=SHA256)] = Field(
        description="SHA-256 of everything in the chunk except record_version and this field"
    )
    record_id: Annotated[str, Field(pattern=r"^[a-z]+-[0-9a-f]{16}$")]
    record_version: int = Field(ge=1)
    section_id: str
    part: int = Field(ge=0, description="Position of the chunk within its section, 0 first")
    title: str
    heading_path: list[str] = Field(description="Headings from the outermost to the chunk's own section")
    text: str = Field(min_length=1)
    tokens: int = Field(ge=1, description="Token count by the tokenizer named in the manifest's chunking")
    citations: list[Citation] = Field(description="The record's citations this passage relies on")
    glossary: list[ChunkTerm] = Field(description="Dictionary terms that occur in the text")
    url: str | None = Field(description="Source URL of the page, with the section's anchor (#...) when the page has one")
    publisher: str | None
    audience: Literal["patient", "health_professional", "general"] | None
    language: str = Field(pattern=r"^[a-z]{2,3}$")
    dates: ChunkDates
    license: License | None
    ai_generated: bool
    notices: list[Notice] = Field(description="The record's notices; they apply to every passage")


# ---- splitting


@dataclass(slots=True)
class _Unit:
    text: str
    tokens: int
    block: int  # index of the block it came from (units of one block join with "\n")
    header: str | None = None  # a table's header row, repeated when the table continues
    sep: str = "\n"  # before it when the unit before it came from the same block


_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=\S)")


def _pieces(text: str, budget: int, tok: Tokenizer) -> Iterator[tuple[str, int]]:
    """Split one over-long unit at sentence ends, then between words, into pieces within ``budget``."""
    sentences = _SENTENCE.split(text)
    for s in sentences:
        n = tok.count(s)
        if n <= budget:
            yield s, n
            continue
        words, cur, cur_n = [p for w in s.split() for p in _word_parts(w, budget, tok)], [], 0
        for w in words:
            wn = tok.count(w)
            if cur and cur_n + wn > budget:
                yield " ".join(cur), cur_n
                cur, cur_n = [], 0
            cur.append(w)
            cur_n += wn
        if cur:
            yield " ".join(cur), cur_n


def _word_parts(word: str, budget: int, tok: Tokenizer) -> list[str]:
    """A "word" over the budget (text without spaces: Chinese, a long URL) cut into parts that fit."""
    if tok.count(word) <= budget:
        return [word]
    parts, start = [], 0
    while start < len(word):
        lo, hi = start + 1, len(word)
        while lo < hi:  # the longest prefix from ``start`` within the budget
            mid = (lo + hi + 1) // 2
            if tok.count(word[start:mid]) <= budget:
                lo = mid
            else:
                hi = mid - 1
        parts.append(word[start:lo])
        start = lo
    return parts


def _units(section: Section) -> list[_Unit]:
    """The section's units in order (list items, table rows, other blocks), not counted yet."""
    units: list[_Unit] = []
    for i, b in enumerate(section.blocks):
        if isinstance(b, ListBlock):
            for m, it in zip(list_markers(b.ordered, b.levels, len(b.items)), b.items, strict=True):
                units.append(_Unit(m + it, 0, i))
        elif isinstance(b, TableBlock):
            rows = [" | ".join(r) for r in b.rows]
            header = rows[0] if len(rows) > 1 else None  # (a table without <th> often heads its columns too)
            for k, t in enumerate(rows):
                units.append(_Unit(t, 0, i, header if k else None))
        elif isinstance(b, FigureBlock):
            t = "\n".join(x for x in (b.caption, b.credit) if x)
            units.append(_Unit(t, 0, i))
        else:
            units.append(_Unit(b.text, 0, i))
    return [u for u in units if u.text.strip()]


def _join(units: list[_Unit]) -> str:
    out: list[str] = []
    for k, u in enumerate(units):
        if k:
            out.append(u.sep if u.block == units[k - 1].block else "\n\n")
        out.append(u.text)
    return "".join(out)


def _tail(units: list[_Unit], overlap: int, tok: Tokenizer) -> list[_Unit]:
    """The last sentences of ``units`` within ``overlap`` tokens (as one unit), or []."""
    if overlap <= 0 or not units:
        return []
    last = units[-1]
    picked: list[str] = []
    n = 0
    for s in reversed(_SENTENCE.split(last.text)):
        sn = tok.count(s)
        if n + sn > overlap:
            break
        picked.insert(0, s)
        n += sn
    return [_Unit(" ".join(picked), n, last.block, sep=last.sep)] if picked else []


def split_section(section: Section, max_tokens: int, overlap: int = 0, tok: Tokenizer = DEFAULT_TOKENIZER) -> list[str]:
    """The passages of one section, in order, each within ``max_tokens`` (by ``tok``)."""
    return [text for text, _n in split_section_counted(section, max_tokens, overlap, tok)]


def split_section_counted(section: Section, max_tokens: int, overlap: int = 0,
                          tok: Tokenizer = DEFAULT_TOKENIZER) -> list[tuple[str, int]]:
    """:func:`split_section` with each passage's token count: the sum of its units' counts (units
    are joined by whitespace, which no token spans, so the sum is what counting the joined text
    gives; tests/test_chunks.py checks it on the whole corpus)."""
    overlap = min(overlap, max_tokens // 4)
    # most sections fit in one passage: then one count of the whole text is the sum of the units'
    # (whitespace joins them), and counting each unit is not needed
    whole = _units(section)
    if not whole:
        return []
    text = _join(whole)
    n = tok.count(text)
    if n <= max_tokens:
        return [(text, n)]
    chunks: list[list[_Unit]] = []
    cur: list[_Unit] = []
    cur_n = 0
    fresh = True  # cur holds only overlap carried from the previous chunk

    def flush() -> None:
        nonlocal cur, cur_n, fresh
        if cur and not fresh:
            chunks.append(cur)
            cur = _tail(cur, overlap, tok)
            cur_n = sum(u.tokens for u in cur)
        fresh = True

    for u in whole:
        u.tokens = tok.count(u.text)
        parts = [u] if u.tokens <= max_tokens else [
            _Unit(t, n, u.block, sep=" ") for t, n in _pieces(u.text, max_tokens - overlap, tok)
        ]
        for p in parts:
            if cur_n + p.tokens > max_tokens:
                flush()
                if cur_n + p.tokens > max_tokens:
                    cur, cur_n = [], 0
                if p.header and p.header != p.text:  # a table continues: its header row first
                    hn = tok.count(p.header)
                    if cur_n + hn + p.tokens <= max_tokens:
                        cur.append(_Unit(p.header, hn, p.block))
                        cur_n += hn
            cur.append(p)
            cur_n += p.tokens
            fresh = False
    flush()
    return [(_join(c), sum(u.tokens for u in c)) for c in chunks]


# ---- metadata carried by every chunk


def _precision(value: str) -> Literal["day", "month", "year"]:
    return "day" if len(value) == 10 else "month" if len(value) == 7 else "year"


def _dates(record: Record) -> ChunkDates:
    out = {}
    for name in ("published", "last_reviewed", "last_revised"):
        d = getattr(record.dates, name)
        if d is not None:
            out[name] = ChunkDate(value=d.value, precision=_precision(d.value), raw=d.raw, source=d.source)
    return ChunkDates(**out)


def _section_citations(by_id: dict[str, Citation], section: Section, texts: list[str]) -> list[list[Citation]]:
    """Per passage: the section's citations whose words or URL occur in it; a citation of the section
    found in none of its passages goes with every passage. Citations of the whole document (source
    guidelines, front matter, the PDQ summary's own) that no section cites go with every passage.
    ``by_id``: the record's citations by id."""
    cited = [by_id[c] for c in section.citation_ids if c in by_id]
    urls = [set() for _ in texts]
    for b in section.blocks:
        for link in b.links:
            for k, t in enumerate(texts):
                if link.text and link.text in t:
                    urls[k].add(link.url)
    per: list[list[Citation]] = [[] for _ in texts]
    for c in cited:
        hits = [k for k, t in enumerate(texts) if (c.text and c.text in t) or (c.url and c.url in urls[k])]
        for k in hits or range(len(texts)):
            per[k].append(c)
    return per


def _document_citations(record: Record) -> list[Citation]:
    in_sections = {c for s in record.sections for c in s.citation_ids}
    return [c for c in record.citations
            if c.id not in in_sections and c.origin in ("source_guidelines", "front_matter", "pdq_xml")]


def _glossary_terms(record: Record) -> list[tuple[str, dict[str, str]]]:
    """Each glossary entry's casefolded term and its chunk form (made once per record)."""
    return [(g.term.casefold(), {"cdr_id": g.cdr_id, "term": g.term, "url": g.url}) for g in record.glossary]


def _glossary(terms: list[tuple[str, dict[str, str]]], text: str) -> list[dict[str, str]]:
    low = text.casefold()
    return [t for folded, t in terms if folded in low]


def section_url(url: str | None, anchor: str | None) -> str | None:
    """The page URL leading to a section: ``url#anchor`` when the section has an anchor.

    >>> section_url("https://www.cancer.gov/types/leukemia/patient/cll-treatment-pdq", "_1")
    'https://www.cancer.gov/types/leukemia/patient/cll-treatment-pdq#_1'
    >>> section_url("https://example.org/a#top", "_1"), section_url(None, "_1")
    ('https://example.org/a#_1', None)
    """
    if not url or not anchor:
        return url
    return url.split("#", 1)[0] + "#" + anchor


def chunk_id(record_id: str, section_id: str, text: str, nth: int = 0) -> str:
    key = f"{record_id}\x1f{section_id}\x1f{text}\x1e{nth}"
    return "k-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def chunk_record(
    record: Record, max_tokens: int = DEFAULT_CHUNK_TOKENS, overlap: int = DEFAULT_OVERLAP_TOKENS,
    tokenizer: Tokenizer = DEFAULT_TOKENIZER,
) -> list[Chunk]:
    """Every chunk of ``record`` in document order (see the module docstring), validated."""
    return [Chunk.model_validate_json(orjson.dumps(d))
            for d in chunk_dicts(record, max_tokens, overlap, tokenizer)]


def chunk_dicts(
    record: Record, max_tokens: int = DEFAULT_CHUNK_TOKENS, overlap: int = DEFAULT_OVERLAP_TOKENS,
    tokenizer: Tokenizer = DEFAULT_TOKENIZER,
) -> list[dict[str, Any]]:
    """Every chunk of ``record`` as the JSON object :class:`Chunk` dumps to (what ``chunks.jsonl``
    holds): the record's parts are dumped once, not once per chunk (the publish step chunks every
    new record version; building models per chunk was ~1/3 of its time)."""
    max_tokens = max(MIN_CHUNK_TOKENS, max_tokens)
    common = {
        "schema_version": SCHEMA_VERSION,
        "record_id": record.id,
        "title": record.title,
        "publisher": record.source.publisher,
        "audience": record.audience,
        "language": record.language,
        "dates": _dates(record).model_dump(mode="json"),
        "license": record.license.model_dump(mode="json") if record.license is not None else None,
        "ai_generated": record.ai_generated,
        "notices": [n.model_dump(mode="json") for n in record.notices],
    }
    by_id = {c.id: c for c in record.citations}
    dumped = {c.id: c.model_dump(mode="json") for c in record.citations}
    doc_citations = [c.id for c in _document_citations(record)]
    terms = _glossary_terms(record)
    out: list[dict[str, Any]] = []
    seen: dict[tuple[str, str], int] = {}
    for s in record.sections:
        counted = split_section_counted(s, max_tokens, overlap, tokenizer)
        if not counted:
            continue
        cites = _section_citations(by_id, s, [text for text, _n in counted])
        heading_path = [*s.path, *([s.heading] if s.heading else [])]
        url = section_url(record.source.url, s.anchor)
        for part, ((text, n), cs) in enumerate(zip(counted, cites, strict=True)):
            nth = seen.get((s.id, text), 0)
            seen[(s.id, text)] = nth + 1
            ids = [c.id for c in cs]
            chunk = {
                **common,
                "id": chunk_id(record.id, s.id, text, nth),
                "section_id": s.id,
                "url": url,
                "part": part,
                "heading_path": heading_path,
                "text": text,
                "tokens": max(1, n),
                "citations": [dumped[c] for c in (*ids, *(c for c in doc_citations if c not in ids))],
                "glossary": _glossary(terms, text),
            }
            chunk["content_sha256"] = hashlib.sha256(canonical_json(chunk, may_hold_floats=False)).hexdigest()
            chunk["record_version"] = record.version
            out.append(chunk)
    return out
