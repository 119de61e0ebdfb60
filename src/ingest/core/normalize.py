"""bytes + metadata → Record. Pure: no network, disk, clock or Prefect.

The steps, in order: decode → load (per format, into blocks) → detect family → site rules →
title → headings (plain text) → redaction repair → glossary → sections and citations → dates,
language, audience, cancer types → validate.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import ValidationError

from ingest import PIPELINE_VERSION
from ingest.core.blocks import Block, LoadedDocument
from ingest.core.citations import CitationFinder
from ingest.core.clean import Removals, apply_rules, profile_rules
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
    SchemaViolation,
    UnsupportedFormat,
)
from ingest.core.inputs import InputMeta
from ingest.core.links import dictionary_url, extract_glossary, resolve
from ingest.core.loaders.markdown import load_markdown
from ingest.core.loaders.text import load_text
from ingest.core.models import Record
from ingest.core.redaction import MARKER, RepairLog, has_marker, repair_blocks
from ingest.core.rules import COMMON_RULES, GENERIC
from ingest.core.rules.base import Profile
from ingest.core.rules.vocab import cancer_types
from ingest.core.sanitize import sanitize
from ingest.core.section_ids import assign_section_ids
from ingest.core.serialize import canonical_json, model_may_hold_floats, sha256_hex
from ingest.core.simhash import simhash
from ingest.core.structure import (
    build_sections,
    drop_title_repeats,
    looks_like_heading,
    promote_headings,
    render_block_text,
)

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


def input_format(meta: InputMeta, text: str) -> str:
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
            generic = html_loader.load_html_generic(text)
            if generic.blocks:
                return generic
            return html_loader.load_html(text, parsed=parsed)
        drops = profile.drop_selectors
        doc = html_loader.load_html(text, zone_selectors=profile.html_zones, drop_selectors=drops, parsed=parsed)
        if not doc.blocks:
            # the site's content zone is missing: fall back to the generic zones
            doc = html_loader.load_html(text, drop_selectors=drops)
        return doc
    return load_text(text)


def canonical_url(url: str | None) -> str | None:
    """Lower-case scheme and host, no fragment, no trailing slash (except the root).

    >>> canonical_url("HTTPS://www.Cancer.gov/types/leukemia/#top")
    'https://www.cancer.gov/types/leukemia'
    """
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    path = parts.path.rstrip("/") or "/"
    netloc = parts.hostname.lower() + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme.lower(), netloc, path, parts.query, ""))


def record_id(url: str | None, input_name: str) -> str:
    """Deterministic id: from the canonical URL when known, else from the input's relative path."""
    key = f"url:{url}" if url else f"path:{input_name}"
    return "doc-" + sha256_hex(key.encode("utf-8"))[:16]


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


def normalize(raw: bytes, meta: InputMeta, *, max_input_bytes: int | None = None) -> Record:
    """Normalize one document. Raises a :class:`~ingest.core.errors.QuarantineError` subclass for bad input.

    ``max_input_bytes``: refuse larger inputs (``OversizeInput``). The read edge
    (:func:`ingest.store.discovery.read`) already refuses them before reading, with the cap the
    operator configured; callers that hand bytes from elsewhere can pass a cap here.
    """
    if max_input_bytes is not None and len(raw) > max_input_bytes:
        raise OversizeInput(f"the input is {len(raw)} bytes, over the {max_input_bytes}-byte cap")
    declared = None
    if meta.content_type and "charset=" in meta.content_type.lower():
        declared = meta.content_type.lower().split("charset=", 1)[1].split(";")[0].strip() or None
    text, _encoding = decode(raw, declared)
    fmt = input_format(meta, text)
    if fmt == "markdown":
        _check_markdown(text)

    front: dict[str, Any] = {}
    if fmt == "markdown":
        from ingest.core.loaders.markdown import split_front_matter

        front, _ = split_front_matter(text)
    fm_url = _fm_str(front, "url", "canonical_url", "source_url")
    hint_url = meta.url or fm_url
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
    doc = load(fmt, text, profile, parsed)
    md = doc.metadata
    front = md.get("front_matter", front) or {}
    if front and not isinstance(front, dict):  # pragma: no cover - loader guarantees a dict
        raise MalformedFrontMatter("front matter is not a mapping")

    page_url = canonical_url(meta.url) or canonical_url(fm_url) or canonical_url(md.get("canonical_url"))
    # relative links resolve against the URL the page was served from, exactly as given (a trailing
    # slash changes the result), not against the canonical form used for the id
    base_url = next((u for u in (meta.url, fm_url, md.get("canonical_url")) if canonical_url(u)), None) or profile.base_url
    removals = Removals()
    repairs = RepairLog()

    _log_html_drops(md, profile, removals)
    blocks, cap = apply_rules(doc.blocks, profile_rules(profile, COMMON_RULES), removals)
    _check_page(text, md, blocks, profile)
    if not _has_content(blocks):
        raise NoContent("no content left after removing boilerplate (an empty page)")

    # ---- title
    title, title_from = _pick_title(fmt, front, md, blocks, profile)
    if fmt == "text" and title_from == "first_line":
        first = blocks.pop(0)
        removals.add("structure.title_line", "title", "first line is the title", first.text)
    candidates = [title, *cap.related_questions]
    if has_marker(title):
        title = _repair_title(title, cap.related_questions, removals, repairs)
    title = strip_title_suffix(title, profile.suffix_regexes)
    if not title:
        raise NoContent("the document has no title and no text to take one from")
    blocks = drop_title_repeats(blocks, title, profile.suffix_regexes, removals)
    if fmt == "text" and profile.promote_headings:
        blocks = promote_headings(blocks)
    blocks = repair_blocks(blocks, candidates, removals, repairs)

    # ---- glossary, content check
    glossary_raw = extract_glossary(blocks)
    if not _has_content(blocks):
        raise NoContent("no content left after removing boilerplate (an empty page)")

    # ---- sections and citations
    finder = CitationFinder(base_url, cap.guideline_lines)
    sections_out: list[dict] = []
    for heading, level, path, sblocks in build_sections(blocks):
        if heading and _REFERENCE_HEADING.fullmatch(heading) and all(b.kind == "list" for b in sblocks):
            for b in sblocks:
                for item, links in _item_links(b):
                    finder.add_reference(item, links)
                    removals.add("citations.reference_list", "moved_to_citations", "reference list entry", item)
            continue
        cids: list[str] = []
        out_blocks = []
        for b in sblocks:
            for cid in finder.scan(b, []):
                if cid not in cids:
                    cids.append(cid)
            out_blocks.append(_block_out(b, base_url, removals))
        sections_out.append({
            "id": f"s{len(sections_out) + 1}",
            "heading": heading,
            "level": level,
            "path": path,
            "text": "\n\n".join(render_block_text(b) for b in sblocks),
            "blocks": out_blocks,
            "citation_ids": cids,
        })
    if not sections_out:
        raise NoContent("no content left after removing boilerplate and reference lists")
    assign_section_ids(sections_out)  # issue 15: stable ids from the heading path (core/section_ids.py)
    finder.add_source_guidelines()
    for text_, pmid, rule_id in cap.citations:
        finder.add_publisher(text_, pmid, origin=f"body:{rule_id}")
    for c in md.get("citation", []) or []:  # PDQ XML: the summary's own citation
        finder.add_publisher(c["text"], c.get("pmid"), origin="pdq_xml")
    fm_citation = _fm_str(front, "citation")
    if fm_citation:
        finder.add_front_matter(fm_citation)

    # ---- metadata
    dates = _dates(front, md, cap, profile.unlabelled_time)
    language, language_source = _language(front, md, meta, blocks, title)
    audience = _audience(front, md, profile, page_url)
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
    known = {"title", "url", "canonical_url", "source_url", "citation", "language", "lastReviewed", "license",
             "tags", "cancerTypes", "cancer_types", "audienceLevel", "audience", "source", *(_FM_DATES)}
    fm_extra = {k: str(v) for k, v in sorted(front.items())
                if k not in known and isinstance(v, str | int | float) and not isinstance(v, bool)}

    record: dict[str, Any] = {
        "id": record_id(page_url, meta.input),
        "title": title,
        "source": {
            "publisher": publisher,
            "family": profile.family,
            "kind": profile.kind,
            "url": page_url,
            "grounded_in": profile.grounded_in,
            "format": fmt,
        },
        "language": language,
        "language_source": language_source,
        "audience": audience,
        "cancer_types": ctypes,
        "tags": _fm_list(front, "tags"),
        "license": _fm_str(front, "license"),
        "dates": dates,
        "ai_generated": profile.ai_generated,
        "notices": [{"kind": k, "text": t} for k, t in dict.fromkeys([*cap.notices, *(md.get("notices") or [])])],
        "sections": sections_out,
        "citations": finder.index.list(),
        "glossary": [
            {"term": term, "cdr_id": cdr, "url": url or dictionary_url(cdr), "count": n}
            for cdr, (term, n, *rest) in glossary_raw.items()
            for url in [rest[0] if rest else None]
        ],
        "metadata": {
            "byline": md.get("byline") if profile.family != "ai_answer" else None,
            "breadcrumb": cap.crumbs,
            "topic": cap.topic,
            "related_questions": cap.related_questions,
            "front_matter": fm_extra,
        },
    }
    # issue 6: text fields are plain text, whatever markup the input smuggled in (Markdown raw HTML,
    # tags written in a .txt, entities decoding into tags); each removal is logged by kind only
    log: list[tuple[str, str]] = []
    before_title = record["title"]
    record = sanitize(record, log)
    if record["title"] != before_title:
        record["title"] = clean_inline(record["title"])
        if not record["title"]:
            raise NoContent("the title is nothing but markup or script")
    for rule, what in log:
        removals.add(rule, "markup", "markup, script or unsafe URL in a text field (records are plain text)", what)
    # no float scan while the record schema has no number (a record holding a float then fails validation)
    record["content_sha256"] = sha256_hex(canonical_json(record, may_hold_floats=model_may_hold_floats(Record)))
    record["provenance"] = {
        "input": meta.input,
        "raw_sha256": sha256_hex(raw),
        "pipeline_version": PIPELINE_VERSION,
        "fetched_at": meta.fetched_at,
        "removals": sanitize(removals.items()),
        "repairs": sanitize(repairs.repairs),
        "duplicates": [],
        "simhash": simhash("\n".join(s["text"] for s in sections_out)),
    }
    try:
        return Record.model_validate(record)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(x) for x in first.get("loc", ()))
        raise SchemaViolation(f"record fails the schema at {where}: {first.get('msg')} ({e.error_count()} errors)") from e


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


# ----------------------------------------------------------------------------------------------
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


def _log_html_drops(md: dict, profile: Profile, removals: Removals) -> None:
    """Every element an HTML drop selector removed is logged under the drop's id and reason."""
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


def _has_content(blocks: list[Block]) -> bool:
    return any(b.kind != "heading" and b.plain().strip() for b in blocks)


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


def _block_out(b: Block, base_url: str | None, removals: Removals) -> dict:
    links = []
    seen = set()
    for lk in b.links:
        url = resolve(lk.href, base_url)
        if url is None:
            removals.add("links.unsafe_or_unresolvable", "link", "link with an unsafe scheme or no base URL to resolve it",
                         f"{lk.text} <{lk.href}>")
            continue
        if (lk.text, url) not in seen:
            seen.add((lk.text, url))
            links.append({"text": lk.text, "url": url})
    if b.kind == "list":
        return {"type": "list", "ordered": b.ordered, "items": list(b.items), "links": links}
    if b.kind == "table":
        return {"type": "table", "rows": [list(r) for r in b.rows], "links": links}
    return {"type": "quote" if b.kind == "quote" else "paragraph", "text": b.text, "links": links}


def _dates(front: dict, md: dict, cap, unlabelled: str | None = None) -> dict:
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
    for t in md.get("time", []) or []:
        label = str(t.get("label", "")).lower().rstrip(":").strip()
        field = _TIME_LABELS.get(label) if label else unlabelled
        if field:
            put(field, t.get("datetime") or t.get("text"), f"html_time:{label or 'unlabelled'}")
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


def _audience(front: dict, md: dict, profile: Profile, url: str | None) -> str | None:
    v = _fm_str(front, "audienceLevel", "audience") or md.get("audience")
    if v and v.lower() in _AUDIENCE:
        return _AUDIENCE[v.lower()]
    if url:
        path = urlsplit(url).path
        for pattern, audience in profile.audience_by_url:
            if re.search(pattern, path):
                return audience
    return profile.audience
