"""The record's parts in the record's shape, the sanitize pass, and the validated :class:`Record`.

:mod:`ingest.core.normalize` runs the steps and hands their results here: :func:`section` and
:func:`block` while sections are read, :func:`content` at the end, then :func:`sanitize_content`
and :func:`build_record`. Also the record's identity: :func:`canonical_url`, :func:`record_id`.

Why the record is a dict until the end, validated once (and not pydantic models built by keyword):

- the sanitize pass (:mod:`ingest.core.sanitize`) walks the JSON-able record, field by field in the
  record's order, and that order is the order of its ``provenance.removals``;
- ``content_sha256`` is the canonical JSON of exactly that sanitized dict: everything but provenance,
  without the fields a model adds by default (``schema_version``, ``version``);
- the hash comes before validation, and a record that fails the schema is one
  :class:`~ingest.core.errors.SchemaViolation` naming the first failing field by its path from the
  record (``provenance.fetched_at``) and counting every failure: models validated part by part would
  name a different place, count differently, and fail before a markup-only title is caught as
  :class:`~ingest.core.errors.NoContent`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import ValidationError

from ingest import PIPELINE_VERSION
from ingest.core.blocks import Block
from ingest.core.clean import Removals
from ingest.core.cleaners import clean_inline
from ingest.core.errors import NoContent, SchemaViolation
from ingest.core.inputs import InputMeta
from ingest.core.links import dictionary_url, resolve
from ingest.core.models import Record
from ingest.core.redaction import RepairLog
from ingest.core.sanitize import sanitize
from ingest.core.serialize import canonical_json, model_may_hold_floats, sha256_hex
from ingest.core.simhash import simhash
from ingest.core.structure import render_block_text


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


def page_identity_url(fetched: str | None, front_matter: str | None, declared: str | None) -> str | None:
    """The URL that names the page (and keys its record id), canonical form (issue 16): the page's own
    ``<link rel=canonical>`` (or ``og:url``) first, then the front matter's ``url``, then the URL it
    was fetched from, so the same page fetched or read from disk gets one id. A declared URL on
    another host than the fetch URL is not believed (a page cannot claim another site's record).

    >>> page_identity_url("https://www.cancer.gov/types/aml/", None, "https://www.cancer.gov/types/aml")
    'https://www.cancer.gov/types/aml'
    >>> page_identity_url("https://www.cancer.gov/a?utm=x", None, "https://www.cancer.gov/a")
    'https://www.cancer.gov/a'
    >>> page_identity_url("https://www.cancer.gov/a", None, "https://evil.example/a")
    'https://www.cancer.gov/a'
    >>> page_identity_url(None, None, "https://www.cancer.org/x.html")
    'https://www.cancer.org/x.html'
    """
    fetched_c = canonical_url(fetched)
    host = urlsplit(fetched_c).hostname if fetched_c else None
    for candidate in (declared, front_matter):
        c = canonical_url(candidate)
        if c and (host is None or urlsplit(c).hostname == host):
            return c
    return fetched_c


def id_name(input_name: str) -> str:
    """The part of an input's name that keys the id of a record without a URL: its folder's name and
    its file name, so the id does not change with the folder passed on the command line
    (``ingest normalize corpus`` and ``ingest normalize corpus/cancer-org-text`` give
    ``cancer-org-text/x.txt`` both). Two files of one name in two folders of one name collide (the
    manifest lists the second as a duplicate, with a conflict note when their texts differ).

    >>> id_name("corpus/cancer-org-text/x.txt"), id_name("raw/x.txt"), id_name("x.txt")
    ('cancer-org-text/x.txt', 'raw/x.txt', 'x.txt')
    """
    return "/".join(input_name.split("/")[-2:])


def record_id(url: str | None, input_name: str) -> str:
    """Deterministic id: from the canonical URL when known, else from :func:`id_name` of the input."""
    key = f"url:{url}" if url else f"path:{id_name(input_name)}"
    return "doc-" + sha256_hex(key.encode("utf-8"))[:16]


def block(b: Block, base_url: str | None, removals: Removals) -> dict[str, Any]:
    """A body block as the record has it (:class:`~ingest.core.models.ContentBlock`): its links resolved
    against ``base_url``, each once; a link with an unsafe scheme or nothing to resolve against is logged."""
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
        levels = list(b.levels) if len(b.levels) == len(b.items) and any(b.levels) else []
        return {"type": "list", "ordered": b.ordered, "items": list(b.items), "levels": levels, "links": links}
    if b.kind == "figure":
        return {"type": "figure", "caption": b.text, "image": resolve(b.src, base_url) if b.src else None,
                "alt": b.alt or None, "credit": b.credit or None, "links": links}
    if b.kind == "table":
        return {"type": "table", "rows": [list(r) for r in b.rows], "header_rows": min(b.header_rows, len(b.rows)),
                "links": links}
    return {"type": "quote" if b.kind == "quote" else "paragraph", "text": b.text, "links": links}


def section(number: int, heading: str | None, level: int, path: list[str], blocks: list[Block],
            citation_ids: list[str], base_url: str | None, removals: Removals,
            anchor: str | None = None) -> dict[str, Any]:
    """Section ``s<number>`` as the record has it (:class:`~ingest.core.models.Section`)."""
    out_blocks = [block(b, base_url, removals) for b in blocks]
    return {
        "id": f"s{number}",
        "heading": heading,
        "level": level,
        "path": path,
        "text": "\n\n".join(t for t in map(render_block_text, blocks) if t),  # (an image-only figure has no text)
        "blocks": out_blocks,
        "citation_ids": citation_ids,
        "anchor": anchor,
    }


def glossary_entries(found: dict[str, list]) -> list[dict[str, Any]]:
    """:func:`ingest.core.links.extract_glossary`'s ``{cdr_id: [term, count, url]}`` as the record's
    entries; an entry with no URL of its own points at the NCI dictionary."""
    return [
        {"term": term, "cdr_id": cdr, "url": url or dictionary_url(cdr), "count": n}
        for cdr, (term, n, *rest) in found.items()
        for url in [rest[0] if rest else None]
    ]


@dataclass(frozen=True, slots=True)
class About:
    """What the record says about the document besides its title and body, as the record has it."""

    source: dict[str, Any]  # publisher, family, kind, url, grounded_in, format
    language: str
    language_source: str
    audience: str | None
    cancer_types: list[str]
    tags: list[str]
    license: dict[str, str | None] | None  # id, statement, source
    dates: dict[str, dict[str, str] | None]  # published, last_reviewed, last_revised
    ai_generated: bool
    notices: list[dict[str, str]]
    metadata: dict[str, Any]  # byline, breadcrumb, topic, related_questions, front_matter


def content(doc_id: str, title: str, about: About, sections: list[dict[str, Any]],
            citations: list[dict[str, Any]], glossary: list[dict[str, Any]]) -> dict[str, Any]:
    """Every field of the record but provenance and ``content_sha256``, in the record's order (the
    sanitize pass logs its removals in this order)."""
    return {
        "id": doc_id,
        "title": title,
        "source": about.source,
        "language": about.language,
        "language_source": about.language_source,
        "audience": about.audience,
        "cancer_types": about.cancer_types,
        "tags": about.tags,
        "license": about.license,
        "dates": about.dates,
        "ai_generated": about.ai_generated,
        "notices": about.notices,
        "sections": sections,
        "citations": citations,
        "glossary": glossary,
        "metadata": about.metadata,
    }


def sanitize_content(record: dict[str, Any], removals: Removals) -> dict[str, Any]:
    """Issue 6: text fields are plain text, whatever markup the input smuggled in (Markdown raw HTML,
    tags written in a .txt, entities decoding into tags); each removal is logged by kind only.
    Raises :class:`NoContent` when the title is nothing but markup."""
    log: list[tuple[str, str]] = []
    before_title = record["title"]
    record = sanitize(record, log)
    if record["title"] != before_title:
        record["title"] = clean_inline(record["title"])
        if not record["title"]:
            raise NoContent("the title is nothing but markup or script")
    for rule, what in log:
        removals.add(rule, "markup", "markup, script or unsafe URL in a text field (records are plain text)", what)
    return record


def build_record(record: dict[str, Any], *, raw: bytes, meta: InputMeta, body_text: str, removals: Removals,
                 repairs: RepairLog, extraction: str | None = None) -> Record:
    """The validated record: ``record`` (sanitized :func:`content`), its ``content_sha256`` and its
    provenance. ``body_text``: the sections' text as read, before sanitizing (its SimHash). Raises
    :class:`SchemaViolation` if the record fails the schema."""
    # no float scan while the record schema has no number (a record holding a float then fails validation)
    content_sha256 = sha256_hex(canonical_json(record, may_hold_floats=model_may_hold_floats(Record)))
    provenance = {
        "input": meta.input,
        "raw_sha256": sha256_hex(raw),
        "pipeline_version": PIPELINE_VERSION,
        "fetched_at": meta.fetched_at,
        "removals": sanitize(removals.items()),
        "repairs": sanitize(repairs.repairs),
        "duplicates": [],
        "simhash": simhash(body_text),
        "extraction": extraction,
    }
    try:
        return Record(**record, content_sha256=content_sha256, provenance=provenance)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(x) for x in first.get("loc", ()))
        raise SchemaViolation(f"record fails the schema at {where}: {first.get('msg')} ({e.error_count()} errors)") from e
