"""bytes + metadata → Record: the steps of README "What it does to a document", in order. Pure: no
network, disk, clock or Prefect.

:func:`normalize` is the sequence; each step is a function whose signature says what it takes and
gives, the intermediate results small frozen dataclasses (:class:`Decoded`, :class:`Detected`,
:class:`Loaded`, :class:`Cleaned`, :class:`Titled`, :class:`Body`). What cleaning removes and repairs
is appended, in document order, to one :class:`~ingest.core.clean.Removals` and one
:class:`~ingest.core.redaction.RepairLog` that the steps share (their order is the order of
``provenance.removals`` and ``provenance.repairs``).

1. decode (:func:`decode_input`): bytes → text and input format;
2. detect the family (:func:`detect`), before loading: the HTML loader reads the site's content zones;
   then load into blocks (:func:`load_document`);
3. apply the family's site rules (:func:`apply_site_rules`), and quarantine error pages;
4. title (:func:`take_title`); plain text: heading-like lines become headings (:func:`text_headings`);
5. redaction repair (:func:`ingest.core.redaction.repair_blocks`);
6. glossary (:func:`take_glossary`);
7. sections and citations (:func:`read_sections`);
8. dates, language, audience, cancer types, publisher, front matter (:func:`describe`);
9. sanitize, then build and validate the record (:mod:`ingest.core.record`).
"""

from __future__ import annotations

import dataclasses
import html
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ingest.core.blocks import Block, LoadedDocument
from ingest.core.citations import CitationFinder
from ingest.core.clean import Captured, Removals, apply_rules, profile_rules
from ingest.core.cleaners import clean_inline, strip_title_suffix
from ingest.core.dates import parse_date
from ingest.core.decode import decode
from ingest.core.detect import detect_family, detect_language
from ingest.core.errors import (
    ErrorPage,
    JavaScriptShell,
    MalformedFrontMatter,
    NoContent,
    OversizeInput,
    PathologicalInput,
    UnsupportedFormat,
)
from ingest.core.inputs import InputMeta
from ingest.core.links import extract_glossary
from ingest.core.loaders.markdown import load_markdown
from ingest.core.loaders.text import load_text
from ingest.core.models import Record
from ingest.core.record import (
    About,
    build_record,
    canonical_url,
    content,
    glossary_entries,
    page_identity_url,
    record_id,
    sanitize_content,
    section,
)
from ingest.core.redaction import MARKER, RepairLog, has_marker, repair_blocks
from ingest.core.rules import COMMON_RULES, GENERIC
from ingest.core.rules.base import Profile
from ingest.core.rules.vocab import cancer_types
from ingest.core.section_ids import assign_section_ids
from ingest.core.structure import build_sections, drop_title_repeats, looks_like_heading, promote_headings

TEXT_SUFFIXES = {".txt": "text", ".text": "text", ".md": "markdown", ".markdown": "markdown",
                 ".html": "html", ".htm": "html", ".xhtml": "html", ".xml": "xml"}
_HTML_SNIFF = re.compile(r"\A\s*(<!doctype html|<html\b|<head\b|<body\b)", re.I)
_FRONT_SNIFF = re.compile(r"\A---[ \t]*\n")
_REFERENCE_HEADING = re.compile(r"(references?|bibliography|selected references|sources)", re.I)

# front matter key → record date field
_FM_DATES = {
    "datePublished": "published", "published": "published", "date": "published", "pubDate": "published",
    "lastReviewed": "last_reviewed", "reviewed": "last_reviewed", "lastMedicalReview": "last_reviewed",
    "lastRevised": "last_revised", "lastModified": "last_revised", "updated": "last_revised", "dateModified": "last_revised",
}
# HTML <meta> name/property → record date field
_META_DATES = {
    "article:published_time": "published", "dcterms.issued": "published", "dcterms.created": "published",
    "citation_publication_date": "published", "date": "published",
    "article:modified_time": "last_revised", "dcterms.modified": "last_revised",
    "dcterms.reviewed": "last_reviewed",
}
_TIME_LABELS = {"posted": "published", "published": "published", "updated": "last_revised",
                "revised": "last_revised", "reviewed": "last_reviewed"}
_AUDIENCE = {"patient": "patient", "patients": "patient", "health professional": "health_professional",
             "health professionals": "health_professional",
             "health_professional": "health_professional", "hp": "health_professional", "professional": "health_professional",
             "general": "general", "public": "general"}
# front matter keys the record reads (the other scalars are kept verbatim in metadata.front_matter)
_FM_KNOWN = {"title", "url", "canonical_url", "source_url", "citation", "language", "lastReviewed", "license",
             "tags", "cancerTypes", "cancer_types", "audienceLevel", "audience", "source", *(_FM_DATES)}


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    format: str  # text, markdown, html, pdq_xml


@dataclass(frozen=True, slots=True)
class Detected:
    """The site profile, and what was read to decide it (the loader reuses it)."""

    profile: Profile
    front: dict[str, Any]  # Markdown front matter, split before loading ({} otherwise)
    front_url: str | None  # the front matter's url / canonical_url / source_url
    parsed: Any  # HTML parsed to read its head (loaded from, not parsed again), or None


@dataclass(frozen=True, slots=True)
class Loaded:
    """The document as blocks, with what it says about itself and where it lives."""

    text: str  # the decoded text (error-page checks search it)
    format: str
    profile: Profile
    blocks: list[Block]
    front: dict[str, Any]  # front matter ({} when none)
    metadata: dict[str, Any]  # what the loader read besides blocks (see LoadedDocument)
    page_url: str | None  # canonical: keys the record id, is source.url
    base_url: str | None  # relative links resolve against it


@dataclass(frozen=True, slots=True)
class Cleaned:
    blocks: list[Block]  # without what the site rules dropped
    captured: Captured  # what they read out of the body: dates, notices, breadcrumb, related questions...


@dataclass(frozen=True, slots=True)
class Titled:
    title: str
    blocks: list[Block]  # without the title line and the leading repeats of the title
    candidates: list[str]  # lines redaction repair may take a damaged line's words from


@dataclass(frozen=True, slots=True)
class Body:
    sections: list[dict[str, Any]]  # as the record has them (ingest.core.record.section)
    citations: list[dict[str, Any]]


def normalize(raw: bytes, meta: InputMeta, *, max_input_bytes: int | None = None) -> Record:
    """Normalize one document. Raises a :class:`~ingest.core.errors.QuarantineError` subclass for bad input.

    ``max_input_bytes``: refuse larger inputs (``OversizeInput``). The read edge
    (:func:`ingest.store.discovery.read`) already refuses them before reading, with the cap the
    operator configured; callers that hand bytes from elsewhere can pass a cap here.
    """
    if max_input_bytes is not None and len(raw) > max_input_bytes:
        raise OversizeInput(f"the input is {len(raw)} bytes, over the {max_input_bytes}-byte cap")
    decoded = decode_input(raw, meta)  # 1
    check_status(meta)
    loaded = load_document(decoded, detect(decoded, meta), meta)  # 2 (the family first)
    removals, repairs = Removals(), RepairLog()
    cleaned = apply_site_rules(loaded, removals)  # 3
    titled = take_title(loaded, cleaned, removals, repairs)  # 4
    blocks = text_headings(loaded, titled.blocks)
    blocks = repair_blocks(blocks, titled.candidates, removals, repairs)  # 5
    glossary = take_glossary(blocks)  # 6
    body = read_sections(loaded, cleaned.captured, blocks, removals)  # 7
    about = describe(loaded, cleaned.captured, meta, titled.title, blocks)  # 8
    record = content(record_id(loaded.page_url, meta.input), titled.title, about, body.sections, body.citations,
                     glossary)
    record = sanitize_content(record, removals)  # 9
    body_text = "\n".join(s["text"] for s in body.sections)  # as read, before sanitizing: its SimHash
    return build_record(record, raw=raw, meta=meta, body_text=body_text, removals=removals, repairs=repairs,
                        extraction=loaded.metadata.get("extraction"))


# --------------------------------------------------------------------------- 1. decode


def declared_charset(meta: InputMeta) -> str | None:
    """The charset the sidecar's Content-Type declares, if any."""
    if meta.content_type and "charset=" in meta.content_type.lower():
        return meta.content_type.lower().split("charset=", 1)[1].split(";")[0].strip() or None
    return None


def decode_input(raw: bytes, meta: InputMeta) -> Decoded:
    """The text and which loader reads it. Raises for empty, binary, undecodable, unsupported and
    pathological (Markdown that would parse in unbounded time) inputs."""
    text, _encoding = decode(raw, declared_charset(meta))
    fmt = input_format(meta, text)
    if fmt == "markdown":
        _check_markdown(text)
    return Decoded(text, fmt)


def check_status(meta: InputMeta) -> None:
    """Issue 13: the HTTP status the fetcher recorded is evidence too. A body served with an error
    status (4xx, 5xx) or as a redirect (3xx but 304, which confirms the copy already held) is what the
    server said instead of the page: an :class:`ErrorPage`, whatever its body looks like."""
    status = meta.status
    if status is None or 200 <= status < 300 or status == 304:
        return
    what = "a redirect to another address" if 300 <= status < 400 else "an error"
    where = meta.headers.get("location")
    raise ErrorPage(f"the input was served with HTTP status {status} ({what}, not the page itself)"
                    + (f" [sidecar: status {status}, location {where[:80]!r}]" if where else f" [sidecar: status {status}]"))


def input_format(meta: InputMeta, text: str) -> str:
    """Which loader reads ``text``: ``text``, ``markdown``, ``html`` or ``pdq_xml``, by the file's suffix
    (or an HTML Content-Type), then what the text starts with."""
    suffix = "." + meta.filename.rsplit(".", 1)[-1].lower() if "." in meta.filename else ""
    fmt = TEXT_SUFFIXES.get(suffix)
    ctype = (meta.content_type or "").lower()
    if fmt is None and "html" in ctype:
        fmt = "html"
    if fmt is None:
        raise UnsupportedFormat(
            f"no loader for '{suffix or meta.filename}' files (supported: {', '.join(sorted(TEXT_SUFFIXES))})"
        )
    if fmt == "xml":
        from ingest.core.loaders.pdq_xml import is_pdq_xml

        if is_pdq_xml(text):
            return "pdq_xml"
        if _HTML_SNIFF.match(text):
            return "html"
        raise UnsupportedFormat("XML that is not an NCI PDQ document (Summary, GlossaryTerm, DrugInformationSummary)")
    if fmt == "text" and _FRONT_SNIFF.match(text):
        return "markdown"  # NCI exports saved as .txt: YAML front matter + Markdown
    if fmt != "html" and _HTML_SNIFF.match(text):
        return "html"
    return fmt


#: Markdown link/emphasis parsing is quadratic in the unmatched openers of one paragraph (100k "[" on
#: one line: ~30 s). Real pages have a few dozen per line.
MAX_MARKDOWN_OPENERS_PER_LINE = 5000


def _check_markdown(text: str) -> None:
    """Quarantine Markdown whose link and emphasis parsing would take unbounded time."""
    for ch in "[*_`<!":
        if text.count(ch) <= MAX_MARKDOWN_OPENERS_PER_LINE:
            continue
        worst = max(line.count(ch) for line in text.split("\n"))
        if worst > MAX_MARKDOWN_OPENERS_PER_LINE:
            raise PathologicalInput(
                f"a Markdown line holds {worst} {ch!r} characters (limit {MAX_MARKDOWN_OPENERS_PER_LINE}): "
                "parsing it would take unbounded time"
            )


# --------------------------------------------------------------------------- 2. detect the family, load into blocks


def detect(decoded: Decoded, meta: InputMeta) -> Detected:
    """Which site profile applies, from the text, the URL and the front matter. Runs before loading (the
    HTML loader reads the site's content zones): reads the Markdown front matter, and for HTML with no
    URL given, the page's own head (``<link rel=canonical>``, ``og:url``)."""
    text, fmt = decoded.text, decoded.format
    front: dict[str, Any] = {}
    if fmt == "markdown":
        from ingest.core.loaders.markdown import split_front_matter

        front, _ = split_front_matter(text)
    front_url = _fm_str(front, "url", "canonical_url", "source_url")
    hint_url = meta.url or front_url
    parsed = None
    if fmt == "html" and not hint_url:
        # the page may name its own URL (<link rel=canonical>, og:url): read the head to learn it
        # (parsed once: the same tree is then loaded)
        from ingest.core.loaders.html import head_metadata, parse_html

        parsed = parse_html(text)
        head = head_metadata(parsed)
        hint_url = head.get("canonical_url") or head.get("html_meta", {}).get("og:url")
    elif fmt == "pdq_xml":
        hint_url = hint_url or "https://www.cancer.gov/"  # NCI's own XML: the NCI profile applies
    profile, _reasons = detect_family(text, hint_url, front)
    return Detected(profile, front, front_url, parsed)


def load_document(decoded: Decoded, detected: Detected, meta: InputMeta) -> Loaded:
    """The blocks (:func:`load`), the front matter, the loader's metadata, and the page's URLs."""
    profile = detected.profile
    doc = load(decoded.format, decoded.text, profile, detected.parsed)
    md = doc.metadata
    front = md.get("front_matter", detected.front) or {}
    if front and not isinstance(front, dict):  # pragma: no cover - loader guarantees a dict
        raise MalformedFrontMatter("front matter is not a mapping")
    fm_url = detected.front_url
    page_url = page_identity_url(meta.url, fm_url, md.get("canonical_url"))
    # relative links resolve against the URL the page was served from, exactly as given (a trailing
    # slash changes the result), not against the canonical form used for the id
    base_url = next((u for u in (meta.url, fm_url, md.get("canonical_url")) if canonical_url(u)), None) or profile.base_url
    return Loaded(decoded.text, decoded.format, profile, doc.blocks, front, md, page_url, base_url)


def load(fmt: str, text: str, profile: Profile | None, parsed: Any = None) -> LoadedDocument:
    """Decoded text → blocks, by format. HTML: the profile's zones and drops when the site is known;
    trafilatura's main-content extraction for unknown sites (and profiles without zones).
    ``parsed``: the HTML already parsed (:func:`ingest.core.loaders.html.parse_html`), used once."""
    if fmt == "markdown":
        return load_markdown(text)
    if fmt == "pdq_xml":
        from ingest.core.loaders.pdq_xml import load_pdq_xml

        return load_pdq_xml(text)
    if fmt == "html":
        from ingest.core.loaders import html as html_loader

        if profile is None or not profile.html_zones:
            # issue 14: a pass that leaves only chrome (e.g. "Skip to main content", which the rules
            # remove) is no content: the generic loader then tries its next pass
            rules = profile_rules(profile or GENERIC, COMMON_RULES)
            generic = html_loader.load_html_generic(text, parsed=parsed,
                                                    content_chars=lambda blocks: _content_chars(blocks, rules))
            if generic.blocks:
                return generic
            doc = html_loader.load_html(text)  # the generic pass used ``parsed``: parse again
            doc.metadata.setdefault("extraction", "lxml default-zones")
            return doc
        drops, keep = profile.drop_selectors, profile.keep_selectors
        doc = html_loader.load_html(text, zone_selectors=profile.html_zones, drop_selectors=drops, parsed=parsed,
                                    keep_selectors=keep)
        if not doc.blocks:
            # the site's content zone is missing: fall back to the generic zones
            doc = html_loader.load_html(text, drop_selectors=drops, keep_selectors=keep)
        return doc
    return load_text(text)


# --------------------------------------------------------------------------- 3. site rules


def apply_site_rules(loaded: Loaded, removals: Removals) -> Cleaned:
    """The family's rules (and the common ones) over the blocks; the HTML drops logged first. Raises for
    error pages, redirect pages and JavaScript-only shells, and when no content is left."""
    _log_html_drops(loaded.metadata, loaded.profile, removals)
    blocks, cap = apply_rules(loaded.blocks, profile_rules(loaded.profile, COMMON_RULES), removals)
    _check_page(loaded.text, loaded.metadata, blocks, loaded.profile)
    if not _has_content(blocks):
        raise NoContent("no content left after removing boilerplate (an empty page)")
    return Cleaned(blocks, cap)


def _log_html_drops(md: dict, profile: Profile, removals: Removals) -> None:
    """Every element an HTML drop selector removed is logged under the drop's id and reason; the page
    chrome (``<aside>``, ``<nav>``, hidden elements...) removed from inside the content zone under
    ``html.chrome.<what>``."""
    # (trafilatura's output is not the zone walked: what it kept or left is its own)
    walked = md.get("extractor") != "trafilatura"
    chrome = md.get("chrome_dropped") or [] if walked else []
    if chrome:
        from ingest.core.loaders.html.zones import CHROME_REASONS
    for why, text in chrome:
        removals.add(f"html.chrome.{why}", "chrome", CHROME_REASONS.get(why, why), text)
    outside = md.get("outside_zone") if walked else None
    if outside:  # the page around the content zone, never walked: one line with its size
        sel, chars, first = outside
        removals.add("html.outside_zone", "page_chrome",
                     f"the page around the content zone ({sel}): site header, menus, footer; {chars} characters",
                     f"{first} … ({chars} characters outside the content zone)" if first
                     else f"{chars} characters outside the content zone")
    by_selector = {d.selector: d for d in profile.html_drops}
    for selector, text in md.get("dropped", []) or []:
        d = by_selector.get(selector)
        if d is not None:
            removals.add(d.id, d.kind, d.reason, text)
        else:  # pragma: no cover - the loader only reports the selectors it was given
            removals.add("html.drop", "boilerplate", f"removed by selector {selector}", text)


def _check_page(text: str, md: dict, blocks: list[Block], profile: Profile) -> None:
    """Quarantine error pages, redirect pages and JavaScript-only shells with a reason that says so."""
    body_chars = sum(len(b.plain()) for b in blocks if b.kind != "heading")
    meta = md.get("html_meta", {}) or {}
    for check in (*profile.error_pages, *(c for c in GENERIC.error_pages if c not in profile.error_pages)):
        if check.max_chars is not None and body_chars > check.max_chars:
            continue
        if check.where == "title":
            hay = md.get("html_title")
        elif check.where.startswith("meta:"):
            hay = meta.get(check.where[5:])
        else:
            hay = text[:200_000]
        if not hay:
            continue
        hit = check.regex.fullmatch(hay) if check.where != "text" else check.regex.search(hay)
        if hit:
            err = JavaScriptShell if check.error == "JavaScriptShell" else ErrorPage
            detail = f" [{check.id}: {check.where} {clean_inline(hit.group(0))[:80]!r}]"
            raise err(check.reason + detail)


def _content_chars(blocks: list[Block], rules: tuple) -> int:
    """Characters of non-heading text left once ``rules`` ran: a trial run, on a copy (the rules edit
    blocks in place) and logging nothing."""
    if not blocks:
        return 0
    # the rules assign a block's text and its list items / rows / levels: a copy of those lists is
    # enough (copy.deepcopy of every block and link was ~3% of normalizing a generic page)
    trial = [dataclasses.replace(b, items=list(b.items), rows=[list(r) for r in b.rows], links=list(b.links),
                                 levels=list(b.levels)) for b in blocks]
    kept, _cap = apply_rules(trial, rules, Removals())
    return sum(len(b.plain().strip()) for b in kept if b.kind != "heading")


def _has_content(blocks: list[Block]) -> bool:
    return any(b.kind != "heading" and b.plain().strip() for b in blocks)


# --------------------------------------------------------------------------- 4. title


def take_title(loaded: Loaded, cleaned: Cleaned, removals: Removals, repairs: RepairLog) -> Titled:
    """The title (:func:`_pick_title`), repaired if a redaction damaged it, without the site's suffix;
    the blocks without the plain-text title line and the leading lines that repeat it."""
    fmt, profile, cap = loaded.format, loaded.profile, cleaned.captured
    blocks = cleaned.blocks
    title, title_from = _pick_title(fmt, loaded.front, loaded.metadata, blocks, profile)
    if fmt == "text" and title_from == "first_line":
        first, blocks = blocks[0], blocks[1:]
        removals.add("structure.title_line", "title", "first line is the title", first.text)
    candidates = [title, *cap.related_questions]
    if has_marker(title):
        title = _repair_title(title, cap.related_questions, removals, repairs)
    title = strip_title_suffix(title, profile.suffix_regexes)
    if not title:
        if _has_content(blocks):  # say what is missing: the text is there
            raise NoContent("the document has text but no title: no front matter title, <title>, og:title, "
                            "h1 or heading before its first paragraph")
        raise NoContent("the document has no title and no text to take one from")
    blocks = drop_title_repeats(blocks, title, profile.suffix_regexes, removals)
    return Titled(title, blocks, candidates)


def text_headings(loaded: Loaded, blocks: list[Block]) -> list[Block]:
    """Plain text has no markup for headings: where the profile says so, heading-like lines become headings."""
    if loaded.format == "text" and loaded.profile.promote_headings:
        return promote_headings(blocks)
    return blocks


def _pick_title(fmt: str, front: dict, md: dict, blocks: list[Block], profile: Profile) -> tuple[str, str]:
    t = _fm_str(front, "title")
    if t:
        return t, "front_matter"
    if md.get("title"):  # the document names its own title (PDQ XML)
        return clean_inline(md["title"]), "document"
    if fmt == "html":
        meta = md.get("html_meta", {}) or {}
        for b in blocks:
            if b.kind == "heading" and b.level == 1 and b.text:
                return b.text, "h1"
        for key in ("og:title", "dcterms.title"):
            if meta.get(key):
                return clean_inline(meta[key]), "meta"
        if md.get("html_title"):
            return clean_inline(md["html_title"]), "html_title"
    for b in blocks:
        if b.kind == "heading" and b.text:
            return b.text, "heading"
        if b.kind == "paragraph" and b.text:
            if fmt == "text" and (looks_like_heading(b.text) or (len(b.text) <= 200 and b.text[-1] not in ".:;,")):
                return b.text, "first_line"
            break
    return "", "none"


def _repair_title(title: str, pool: list[str], removals: Removals, repairs: RepairLog) -> str:
    from ingest.core.redaction import _find_source

    cand = _find_source(title, [p for p in pool if not has_marker(p)])
    if cand:
        repairs.repairs.append({"rule": "redaction.repair_from_document", "before": title, "after": cand,
                                "reason": "the title lost words to a redaction; a related line says the same"})
        return cand
    removals.add("redaction.title_marker", "redaction", "redaction marker removed from the title", title)
    return clean_inline(MARKER.sub(" ", title))


# --------------------------------------------------------------------------- 6. glossary


def take_glossary(blocks: list[Block]) -> list[dict[str, Any]]:
    """The glossary links taken out of ``blocks`` (in place: their words stay), as the record's entries.
    Raises when no content is left (after the title and redaction repair)."""
    found = extract_glossary(blocks)
    if not _has_content(blocks):
        raise NoContent("no content left after removing boilerplate (an empty page)")
    return glossary_entries(found)


# --------------------------------------------------------------------------- 7. sections and citations


def read_sections(loaded: Loaded, cap: Captured, blocks: list[Block], removals: Removals) -> Body:
    """Blocks grouped into sections under their headings, each with the citations it uses; a reference
    list section becomes citations. Then the citations the site rules, the document and the front
    matter name. Raises when no section is left."""
    finder = CitationFinder(loaded.base_url, cap.guideline_lines)
    sections: list[dict[str, Any]] = []
    built = build_sections(blocks)
    # the reference-list sections (by position in ``built``) and their entries, read once
    references = {k: [item for b in sblocks for item in _reference_items(b)]
                  for k, (heading, _level, _path, sblocks, _anchor) in enumerate(built)
                  if _is_reference_list(heading, sblocks, loaded.profile)}
    markers = _MarkerRefs(built, references, loaded.page_url)
    for k, (heading, level, path, sblocks, anchor) in enumerate(built):
        if k in references:
            for item, links in references[k]:
                finder.add_reference(item, links)
                removals.add("citations.reference_list", "moved_to_citations", "reference list entry", item)
            continue
        cids: list[str] = []
        for b in sblocks:
            for item, links in markers.take(b):
                cid = finder.add_reference(item, links)
                if cid not in cids:
                    cids.append(cid)
            for cid in finder.scan(b, []):
                if cid not in cids:
                    cids.append(cid)
        sections.append(section(len(sections) + 1, heading, level, path, sblocks, cids, loaded.base_url, removals,
                                anchor))
    if not sections:
        raise NoContent("no content left after removing boilerplate and reference lists")
    assign_section_ids(sections)  # issue 15: stable ids from the heading path (core/section_ids.py)
    finder.add_source_guidelines()
    for text, pmid, rule_id in cap.citations:
        finder.add_publisher(text, pmid, origin=f"body:{rule_id}")
    for c in loaded.metadata.get("citation", []) or []:  # PDQ XML: the summary's own citation
        finder.add_publisher(c["text"], c.get("pmid"), origin="pdq_xml")
    fm_citation = _fm_str(loaded.front, "citation")
    if fm_citation:
        finder.add_front_matter(fm_citation)
    return Body(sections, finder.index.list())


def _reference_blocks(blocks: list[Block], profile: Profile) -> bool:
    """A reference list: only lists, or (where the site writes one reference per paragraph) only lists
    and paragraphs that each hold a year."""
    if all(b.kind == "list" for b in blocks):
        return True
    return profile.reference_paragraphs and bool(blocks) and all(
        b.kind == "list" or (b.kind == "paragraph" and _YEAR_IN_REFERENCE.search(b.text)) for b in blocks)


_YEAR_IN_REFERENCE = re.compile(r"\b(?:19|20)\d{2}\b")


def _is_reference_list(heading: str | None, sblocks: list[Block], profile: Profile) -> bool:
    return bool(heading and _REFERENCE_HEADING.fullmatch(heading) and _reference_blocks(sblocks, profile))


def _reference_items(b: Block) -> list[tuple[str, list]]:
    """The references of one block of a reference list: a list's items, or a paragraph (one per reference)."""
    return _item_links(b) if b.kind == "list" else [(b.text, b.links)]


_CIT_MARKER = re.compile(r"#(?:cit/)?section_(?P<k>\d+)\.(?P<n>\d+)")


class _MarkerRefs:
    """Issue 13: PDQ in-text citation markers (``[<a href="#cit/section_1.2">2</a>]``, in HTML and the
    Markdown export alike) tied to their references. PDQ numbers its references per top-level
    section: ``section_K.N`` is the N-th entry of the reference list of the top-level section whose
    markers say K (the K in the id skips the sections without references, so it is read off the
    markers, not counted). A marker resolved keeps its place in the text ("[2]") and its link, made
    absolute against the page URL (the reference's anchor on the page); the section lists the
    citation's id. A marker with no reference to go to is left as it was."""

    def __init__(self, built: list[tuple[str | None, int, list[str], list[Block], str | None]],
                 references: dict[int, list[tuple[str, list]]], page_url: str | None):
        """``references``: the entries of each reference-list section, by its position in ``built``."""
        self.page_url = page_url
        self.refs: dict[int, list[tuple[str, list]]] = {}  # top-level section number -> its references
        self.where: dict[int, int] = {}  # K (as the markers say) -> top-level section number
        group = 0
        for k, (heading, level, _path, sblocks, _anchor) in enumerate(built):
            if heading is not None and 0 < level <= 2:
                group += 1
            if k in references:
                self.refs.setdefault(group, []).extend(references[k])
                continue
            for b in sblocks:
                for lk in b.links:
                    m = _CIT_MARKER.fullmatch(lk.href.strip())
                    if m:
                        self.where.setdefault(int(m["k"]), group)

    def take(self, b: Block) -> list[tuple[str, list]]:
        """The references ``b``'s markers cite, in order; their links made absolute."""
        out: list[tuple[str, list]] = []
        if not self.refs:
            return out
        for lk in b.links:
            m = _CIT_MARKER.fullmatch(lk.href.strip())
            if not m:
                continue
            refs = self.refs.get(self.where.get(int(m["k"]), -1), [])
            n = int(m["n"])
            if 1 <= n <= len(refs):
                out.append(refs[n - 1])
                if self.page_url:
                    lk.href = self.page_url + lk.href.strip()
        return out


def _item_links(b: Block) -> list[tuple[str, list]]:
    """Each list item with its own links. The list's links are in document order, so they are dealt
    out item by item (a link whose words are not in the current item belongs to a later one): "Available
    online" in one reference must not take the link of another."""
    out: list[tuple[str, list]] = []
    k = 0
    links = b.links
    for n, item in enumerate(b.items):
        mine = []
        taken: dict[str, int] = {}
        while k < len(links):
            text = links[k].text
            here = bool(text) and item.count(text) > taken.get(text, 0)
            if text and not here and any(text in later for later in b.items[n + 1:]):
                break
            if here:
                mine.append(links[k])
                taken[text] = taken.get(text, 0) + 1
            k += 1
        out.append((item, mine))
    return out


# --------------------------------------------------------------------------- 8. dates and the rest


def describe(loaded: Loaded, cap: Captured, meta: InputMeta, title: str, blocks: list[Block]) -> About:
    """Dates, language, audience, cancer types, publisher, notices and the rest of the front matter."""
    front, md, profile = loaded.front, loaded.metadata, loaded.profile
    dates = _dates(front, md, cap, profile.unlabelled_time, _heading_dates(blocks, profile))
    language, language_source = _language(front, md, meta, blocks, title)
    h1s = [b.text for b in loaded.blocks[:50] if b.kind == "heading" and b.level == 1 and b.text]
    audience = _audience(front, md, profile, loaded.page_url, [title, *h1s])
    topic_texts = [title, *cap.crumbs, *(x for x in [cap.topic, cap.header_topic] if x)]
    ctypes = list(dict.fromkeys(_fm_list(front, "cancerTypes") + _fm_list(front, "cancer_types")))
    for c in cancer_types(topic_texts):
        if c not in ctypes:
            ctypes.append(c)
    if "general" in ctypes and len(ctypes) > 1:
        ctypes.remove("general")
    publisher = cap.service or profile.publisher
    if profile.family == "nci" and _fm_str(front, "source") not in (None, "NCI"):
        publisher = _fm_str(front, "source")
    fm_extra = {k: str(v) for k, v in sorted(front.items())
                if k not in _FM_KNOWN and isinstance(v, str | int | float) and not isinstance(v, bool)}
    return About(
        source={
            "publisher": publisher,
            "family": profile.family,
            "kind": profile.kind,
            "url": loaded.page_url,
            "grounded_in": profile.grounded_in,
            "format": loaded.format,
        },
        language=language,
        language_source=language_source,
        audience=audience,
        cancer_types=ctypes,
        tags=_fm_list(front, "tags"),
        license=_license(loaded.text, front, profile),
        dates=dates,
        ai_generated=profile.ai_generated,
        notices=[{"kind": k, "text": t} for k, t in dict.fromkeys([*cap.notices, *(md.get("notices") or [])])],
        metadata={
            "byline": (cap.byline or md.get("byline")) if profile.family != "ai_answer" else None,
            "breadcrumb": cap.crumbs,
            "topic": cap.topic,
            "related_questions": cap.related_questions,
            "front_matter": fm_extra,
        },
    )


def _license(text: str, front: dict, profile: Profile) -> dict[str, str | None] | None:
    """Issue 13: the reuse terms, with where they were read: the page's own statement (the profile's
    ``page_statements``), else the exporter's front matter ``license``, else the publisher's known terms."""
    terms = profile.license
    fm = _fm_str(front, "license")
    if terms is not None:
        for rule_id, pattern in terms.page_statements:
            m = re.search(pattern, text[:2_000_000], re.I)
            if m:
                statement = clean_inline(html.unescape(re.sub(r"<[^>]*>", " ", m.group(0))))
                return {"id": terms.id, "statement": statement, "source": f"page:{rule_id}"}
    if fm:
        return {"id": fm, "statement": terms.statement if terms is not None and fm == terms.id else None,
                "source": "front_matter:license"}
    if terms is not None:
        return {"id": terms.id, "statement": terms.statement, "source": f"profile:{profile.family}"}
    return None


def _heading_dates(blocks: list[Block], profile: Profile) -> list[tuple[str, str, str]]:
    """``(field, raw, source)`` for each date a heading states (:attr:`Profile.heading_dates`)."""
    out = []
    for rule_id, pattern, field in profile.heading_dates:
        rx = re.compile(pattern, re.I)
        for b in blocks:
            if b.kind == "heading" and (m := rx.fullmatch(b.text.strip())):
                out.append((field, m.group("date"), f"heading:{rule_id}"))
                break
    return out


def _dates(front: dict, md: dict, cap, unlabelled: str | None = None,
           heading: list[tuple[str, str, str]] | None = None) -> dict:
    out: dict[str, dict | None] = {"published": None, "last_reviewed": None, "last_revised": None}

    def put(field: str, raw: Any, source: str) -> None:
        if out.get(field) is not None or raw is None:
            return
        iso = parse_date(str(raw))
        if iso:
            out[field] = {"value": iso, "raw": clean_inline(str(raw)), "source": source}

    for key, field in _FM_DATES.items():
        if key in front and not isinstance(front[key], list | dict | bool):
            put(field, front[key], f"front_matter:{key}")
    for field, (raw, rule_id) in cap.dates.items():
        put(field, raw, f"body:{rule_id}")
    for field, raw, source in md.get("dates", []) or []:  # dates the document states in its own structure
        put(field, raw, source)
    for field, raw, source in heading or []:
        put(field, raw, source)
    times = []
    for t in md.get("time", []) or []:
        label = str(t.get("label", "")).lower().rstrip(":").strip()
        field = _TIME_LABELS.get(label) if label else unlabelled
        if field:
            times.append((field, t.get("datetime") or t.get("text"), f"html_time:{label or 'unlabelled'}"))
    # issue 13: one field dated twice over (a blog or research listing: a <time> under each teaser) dates
    # the items, not the page; the dates stay in the items' text
    by_field: dict[str, set] = {}
    for field, raw, _src in times:
        by_field.setdefault(field, set()).add(parse_date(str(raw)) if raw else None)
    if not any(len(v) > 1 for v in by_field.values()):
        for field, raw, src in times:
            put(field, raw, src)
    meta = md.get("html_meta", {}) or {}
    for key, field in _META_DATES.items():
        if meta.get(key):
            put(field, meta[key], f"html_meta:{key}")
    return out


def _language(front: dict, md: dict, meta: InputMeta, blocks: list[Block], title: str) -> tuple[str, str]:
    v = _fm_str(front, "language", "lang")
    if v and re.fullmatch(r"[A-Za-z]{2,3}([-_][A-Za-z0-9]+)?", v):
        return v[:2].lower() if len(v.split("-")[0].split("_")[0]) == 2 else v[:3].lower(), "front_matter"
    v = md.get("language")
    if isinstance(v, str) and re.fullmatch(r"[a-z]{2,3}", v):
        return v, "document"
    v = md.get("html_lang")
    if isinstance(v, str) and re.fullmatch(r"[A-Za-z]{2,3}([-_][A-Za-z0-9]+)?", v.strip()):
        return re.split(r"[-_]", v.strip())[0].lower(), "html"
    v = meta.headers.get("content-language")
    if v and re.fullmatch(r"[A-Za-z]{2,3}([-_][A-Za-z0-9]+)?", v.strip()):
        return re.split(r"[-_]", v.strip())[0].lower(), "sidecar"
    body = title + "\n" + "\n".join(b.plain() for b in blocks[:200])
    return detect_language(body), "detected"


def _audience(front: dict, md: dict, profile: Profile, url: str | None, headings: list[str]) -> str | None:
    """Who the document is written for, from what it says about itself first (issue 13): the document's
    own field (PDQ XML), the page's ``dcterms.audience``, the version its title or H1 names ("…–Health
    Professional Version"), its URL (``/hp/``); only then an exporter's front matter (which says
    ``audienceLevel: patient`` on health-professional pages too), then the profile's default."""
    meta = md.get("html_meta", {}) or {}
    for v in (md.get("audience"), meta.get("dcterms.audience")):
        if isinstance(v, str) and v.strip().lower() in _AUDIENCE:
            return _AUDIENCE[v.strip().lower()]
    for pattern, audience in profile.audience_by_heading:
        if any(re.search(pattern, h, re.I) for h in headings):
            return audience
    if url:
        path = urlsplit(url).path
        for pattern, audience in profile.audience_by_url:
            if re.search(pattern, path):
                return audience
    v = _fm_str(front, "audienceLevel", "audience")
    if v and v.lower() in _AUDIENCE:
        return _AUDIENCE[v.lower()]
    return profile.audience


# --------------------------------------------------------------------------- front matter


def _fm_str(fm: dict[str, Any], *keys: str) -> str | None:
    for k in keys:
        v = fm.get(k)
        if isinstance(v, str) and v.strip():
            return clean_inline(v)
        if isinstance(v, int | float) and not isinstance(v, bool):
            return str(v)
    return None


def _fm_list(fm: dict[str, Any], key: str) -> list[str]:
    v = fm.get(key)
    if isinstance(v, str):
        v = [x for x in re.split(r"\s*,\s*", v) if x]
    if not isinstance(v, list):
        return []
    return [clean_inline(str(x)) for x in v if isinstance(x, str | int) and clean_inline(str(x))]
