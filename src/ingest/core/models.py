"""The published record: strict pydantic v2 models. schemas/ is generated from these.

Every model forbids unknown fields. Dates are ISO 8601 strings (``YYYY-MM-DD``, or ``YYYY-MM`` /
``YYYY`` when the document gives no more precision), each with where it was read.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SCHEMA_VERSION = "1.0"

ISO_DATE = r"^\d{4}(-\d{2}(-\d{2})?)?$"
SHA256 = r"^[0-9a-f]{64}$"

Family = Literal["ai_answer", "acs", "nci", "generic"]
InputFormat = Literal["text", "markdown", "html", "pdq_xml"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Source(Strict):
    """Who published the document and where it lives."""

    publisher: str | None = Field(description="NCI, American Cancer Society, or the AI answer service")
    family: Family = Field(description="Which rule set normalized it")
    kind: Literal["ai_answer", "web_page"] = Field(description="AI-written answer or a publisher's page")
    url: str | None = Field(default=None, description="Canonical URL when known")
    grounded_in: str | None = Field(
        default=None, description="For AI answers: the guideline body the answer is grounded in"
    )
    format: InputFormat


class DateValue(Strict):
    value: Annotated[str, Field(pattern=ISO_DATE)]
    raw: str = Field(description="The text as it appeared")
    source: str = Field(description="Where it was read, e.g. front_matter:lastReviewed, body:Last Medical Review")


class Dates(Strict):
    published: DateValue | None = None
    last_reviewed: DateValue | None = None
    last_revised: DateValue | None = None


class License(Strict):
    """The terms the text may be reused under, and where that was read (issue 13)."""

    id: str = Field(
        min_length=1,
        description="public_domain (e.g. NCI text, a US government work), copyrighted (e.g. ACS), or the "
        "front matter's own value"
    )
    statement: str | None = Field(
        default=None, description="The reuse or copyright statement: the page's own words when it states one"
    )
    source: str = Field(
        description="Where it was read: page:<rule id> (the page's own statement), front_matter:license, "
        "profile:<family> (the publisher's known terms)"
    )


class Notice(Strict):
    kind: Literal["disclaimer", "ai_disclosure", "syndication", "about"]
    text: str


class LinkOut(Strict):
    text: str
    url: str = Field(description="Absolute URL (relative links resolved against the page URL)")


class ParagraphBlock(Strict):
    type: Literal["paragraph"] = "paragraph"
    text: str
    links: list[LinkOut] = Field(default_factory=list)


class QuoteBlock(Strict):
    type: Literal["quote"] = "quote"
    text: str
    links: list[LinkOut] = Field(default_factory=list)


class ListBlock(Strict):
    type: Literal["list"] = "list"
    ordered: bool
    items: list[str]
    levels: list[Annotated[int, Field(ge=0)]] = Field(
        default_factory=list,
        description="Nesting depth of each item (0 = an item of the list itself, 1 = of a list inside the item "
        "before it, ...), as long as items; empty when no item is nested",
    )
    links: list[LinkOut] = Field(default_factory=list)

    @model_validator(mode="after")
    def _levels_match_items(self) -> ListBlock:
        if self.levels and len(self.levels) != len(self.items):
            raise ValueError("levels must be empty or give one level per item")
        return self


class TableBlock(Strict):
    type: Literal["table"] = "table"
    rows: list[list[str]]
    header_rows: int = Field(
        default=0, ge=0, description="How many of the first rows are header rows (their cells are column headings)"
    )
    links: list[LinkOut] = Field(default_factory=list)


class FigureBlock(Strict):
    type: Literal["figure"] = "figure"
    caption: str = Field(description="The figure's caption (may be empty)")
    image: str | None = Field(default=None, description="Absolute URL of the image, when the figure has one")
    alt: str | None = Field(default=None, description="The image's alternative text, as the page gives it")
    credit: str | None = Field(default=None, description="The photo or illustration credit line")
    links: list[LinkOut] = Field(default_factory=list)


ContentBlock = Annotated[ParagraphBlock | QuoteBlock | ListBlock | TableBlock | FigureBlock, Field(discriminator="type")]


class Section(Strict):
    id: str = Field(
        description="Stable id from the heading path and the position among sections with the same path "
        "(s- and 12 hex digits; core/section_ids.py): a new section does not rename its neighbours"
    )
    heading: str | None = Field(description="None for content before the first heading")
    level: int = Field(ge=0, le=6)
    path: list[str] = Field(description="Headings of the enclosing sections, outermost first")
    text: str = Field(description="Plain text of the section's blocks; list items one per line")
    blocks: list[ContentBlock]
    citation_ids: list[str]
    anchor: str | None = Field(
        default=None,
        description="The fragment that leads to the section on the page (URL + '#' + anchor), when the page gives one",
    )


class Citation(Strict):
    id: str = Field(description="c1, c2, ... in order of first use")
    kind: Literal["pubmed", "guideline", "reference", "publisher"]
    text: str = Field(description="The citation as written, or the linked words for a bare link")
    title: str | None = None
    url: str | None = None
    pmid: str | None = Field(default=None, pattern=r"^\d+$")
    year: int | None = None
    origin: str = Field(description="Where it was found: body, source_guidelines, reference_list, front_matter")


class GlossaryEntry(Strict):
    term: str
    cdr_id: str = Field(pattern=r"^CDR\d{10}$")
    url: str = Field(description="Absolute NCI Dictionary of Cancer Terms URL")
    count: int = Field(ge=1, description="How many times the term was linked")


class Metadata(Strict):
    byline: str | None = Field(default=None, description="The author line as the page gives it (HTML byline)")
    breadcrumb: list[str] = Field(default_factory=list)
    topic: str | None = Field(default=None, description="The site section the page belongs to")
    related_questions: list[str] = Field(
        default_factory=list, description="Titles only; their cut-off answer snippets are removed"
    )
    front_matter: dict[str, str] = Field(
        default_factory=dict, description="Other front-matter scalars kept verbatim (status, version, ...)"
    )


class Removal(Strict):
    rule: str = Field(description="Rule id, e.g. acs.text_size")
    kind: str = Field(description="boilerplate, redaction, date_line, notice, duplicate_title, ...")
    reason: str
    text: str
    count: int = Field(ge=1)


class Repair(Strict):
    rule: str
    before: str
    after: str
    reason: str


class Provenance(Strict):
    input: str = Field(description="Raw input path (relative to its raw folder) or URL")
    raw_sha256: Annotated[str, Field(pattern=SHA256)]
    pipeline_version: str
    fetched_at: str | None = None
    removals: list[Removal]
    repairs: list[Repair]
    duplicates: list[str] = Field(
        default_factory=list,
        description="Other inputs that gave the same record id (same canonical URL); this copy was preferred",
    )
    simhash: Annotated[str, Field(pattern=r"^[0-9a-f]{16}$")] | None = Field(
        default=None, description="64-bit SimHash of the body text, for near-duplicate flagging"
    )
    extraction: str | None = Field(
        default=None,
        description="HTML without a site profile: the extractor pass whose text was kept, e.g. \"trafilatura "
        "balanced\", or a fallback (\"trafilatura favor_recall\", \"lxml default-zones\") with what the passes "
        "before it left; null for other inputs",
    )


class Record(Strict):
    schema_version: Literal["1.0"] = SCHEMA_VERSION
    id: Annotated[str, Field(pattern=r"^[a-z]+-[0-9a-f]{16}$")]
    title: str = Field(min_length=1)
    source: Source
    language: str = Field(pattern=r"^[a-z]{2,3}$")
    language_source: Literal["front_matter", "html", "sidecar", "document", "detected"]
    audience: Literal["patient", "health_professional", "general"] | None
    cancer_types: list[str]
    tags: list[str]
    license: License | None
    dates: Dates
    ai_generated: bool
    notices: list[Notice]
    sections: list[Section] = Field(min_length=1)
    citations: list[Citation]
    glossary: list[GlossaryEntry]
    metadata: Metadata
    provenance: Provenance
    content_sha256: Annotated[str, Field(pattern=SHA256)]
    version: int = Field(
        default=1,
        ge=1,
        description="Publication version: 1 when first published, +1 each time content_sha256 changes "
        "(set at publish time; not covered by content_sha256; earlier versions are kept in OUT_DIR/history/)",
    )
