"""The shape of a site profile. Profiles are data: each rule carries an id and a reason.

A rule matches a block's text (``re.fullmatch`` unless ``search=True``; case-insensitive unless
``case=True``) and says what to do with it:

- ``drop``: remove the block (logged in provenance as ``kind``)
- ``drop_with_next``: remove the block and the next one when the next matches ``next_pattern``
- ``strip``: remove only the matched span(s) from the block's text (``search=True`` implied)
- ``split``: cut the block's text around the match so run-together lines become separate blocks
- ``notice``: move the block to the record's notices (``notice_kind``)
- ``capture``: read named groups into the record (``date`` with ``field``, ``topic``, ``crumbs``,
  ``service``, ``cancer``, ``byline``) and remove the block
- ``source_guidelines``: the following guideline lines become citations and leave the body
- ``related_questions``: the following lines are question titles (kept as metadata) and their
  cut-off answer snippets (removed)
- ``drop_section``: the block is a heading; it and everything under it (up to the next heading of
  the same or a higher level) leave the body. ``notice_kind`` keeps the first paragraph under a
  sub-heading matching ``next_pattern`` as a notice; ``capture`` rules still read their groups
  (a ``citation``, a ``pmid``) from the dropped blocks.

``within_first`` limits a rule to the first N blocks (breadcrumbs and headers sit at the top).

HTML structure is data too: ``html_zones`` (CSS selectors of the content zone, first match wins),
``html_drops`` (:class:`HtmlDrop`: selectors removed inside the zone, each with an id and a reason,
logged in provenance like any rule), ``html_keep`` (:class:`HtmlKeep`: elements kept although their tag
makes them page chrome, each with a reason; all other chrome inside the zone is logged as
``html.chrome.<what>``) and ``error_pages`` (:class:`PageCheck`: a page that is an
error or redirect page, never published).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Literal

Action = Literal[
    "drop", "drop_with_next", "strip", "split", "notice", "capture", "source_guidelines", "related_questions",
    "drop_section",
]


@dataclass(frozen=True)
class Rule:
    id: str
    pattern: str
    reason: str
    action: Action = "drop"
    kind: str = "boilerplate"
    search: bool = False
    case: bool = False
    within_first: int | None = None
    next_pattern: str | None = None
    notice_kind: str | None = None
    field: str | None = None  # for capture of a date: published | last_reviewed | last_revised

    # cached on the instance (a rule's regex is looked up for every block of every page)
    @functools.cached_property
    def regex(self) -> re.Pattern[str]:
        return _compile(self.pattern, self.case)

    @functools.cached_property
    def next_regex(self) -> re.Pattern[str] | None:
        return _compile(self.next_pattern, self.case) if self.next_pattern else None


@dataclass(frozen=True)
class HtmlDrop:
    """A CSS (subset) or XPath selector whose elements are removed inside the HTML content zone."""

    id: str
    selector: str
    reason: str
    kind: str = "boilerplate"


@dataclass(frozen=True)
class HtmlKeep:
    """A CSS (subset) or XPath selector of elements that are content although their tag (``footer``,
    ``aside``...) makes them page chrome; what is inside them is still judged on its own."""

    id: str
    selector: str
    reason: str


@dataclass(frozen=True)
class PageCheck:
    """A page that must not be published (an error or redirect page served with status 200).

    ``where``: ``title`` (the ``<title>``), ``meta:<name>`` (a ``<meta>`` value), ``text`` (the whole
    decoded input). ``max_chars``: only when the extracted body is at most this long (a real page
    may mention "Page Not Found"); ``None`` for no limit.
    """

    id: str
    where: str
    pattern: str
    reason: str
    max_chars: int | None = None
    error: Literal["ErrorPage", "JavaScriptShell"] = "ErrorPage"

    @property
    def regex(self) -> re.Pattern[str]:
        return _compile(self.pattern, False)


@dataclass(frozen=True)
class LicenseTerms:
    """A publisher's reuse terms (issue 13): the licence ``id`` and ``statement`` every page of the family
    gets, and ``page_statements`` (``(rule id, regex)``) the page's own reuse or copyright statement is
    read by, searched in the decoded input: when one matches, its words are the statement."""

    id: str
    statement: str
    reason: str
    page_statements: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Signal:
    """Evidence that a document belongs to a family: ``where`` is text, url or front_matter."""

    pattern: str
    weight: int
    reason: str
    where: Literal["text", "url", "front_matter"] = "text"

    @property
    def regex(self) -> re.Pattern[str]:
        return _compile(self.pattern, False)

    @property
    def folded_regex(self) -> re.Pattern[str]:
        """:attr:`regex` for text already lower-cased: case-sensitive, so a literal is found by a fast
        substring scan (IGNORECASE rules that out: ~20x slower over a 50,000-character page)."""
        return _compile(fold_pattern(self.pattern), True)


@functools.lru_cache(maxsize=4096)  # a rule's pattern is folded once, not at every page it is tried on
def fold_pattern(pattern: str) -> str:
    """``pattern`` lower-cased except for what follows a backslash (``\\S``, ``\\W`` keep their meaning).

    >>> fold_pattern(r"National Cancer \\S+ \\W\\.NCI")
    'national cancer \\\\S+ \\\\W\\\\.nci'
    """
    out = []
    escaped = False
    for ch in pattern:
        out.append(ch if escaped else ch.lower())
        escaped = not escaped and ch == "\\"
    return "".join(out)


@dataclass(frozen=True)
class Profile:
    family: Literal["ai_answer", "acs", "nci", "generic"]
    publisher: str | None
    kind: Literal["ai_answer", "web_page"]
    signals: tuple[Signal, ...]
    rules: tuple[Rule, ...]
    title_suffixes: tuple[str, ...] = ()
    audience: Literal["patient", "health_professional", "general"] | None = None
    audience_by_url: tuple[tuple[str, str], ...] = ()  # (regex on URL path, audience)
    audience_by_heading: tuple[tuple[str, str], ...] = ()  # (regex searched in the title / an H1, audience)
    ai_generated: bool = False
    grounded_in: str | None = None
    base_url: str | None = None  # resolves relative links when the page URL is unknown
    html_zones: tuple[str, ...] = ()  # CSS selectors of the content zone, first match wins
    html_drops: tuple[HtmlDrop, ...] = ()  # removed inside the zone, each logged
    html_keep: tuple[HtmlKeep, ...] = ()  # not chrome although their tag says so
    error_pages: tuple[PageCheck, ...] = ()  # error/redirect pages: quarantined, never published
    # (rule id, regex with a ``date`` group fullmatched against a heading, date field): dates a document
    # states in a heading (PDQ: "Latest Updates to This Summary (01/19/2024)"); the heading stays
    heading_dates: tuple[tuple[str, str, str], ...] = ()
    license: LicenseTerms | None = None  # the publisher's reuse terms (None: not known)
    unlabelled_time: str | None = None  # the date field a <time> without a label gives (blog post dates)
    promote_headings: bool = True  # guess headings in plain text (no markup to say so)
    # a "References" section whose paragraphs are each one reference (cancer.org lists them as <p>,
    # not as a list) becomes citations like a reference list
    reference_paragraphs: bool = False
    notes: str = ""

    @property
    def drop_selectors(self) -> tuple[str, ...]:
        return tuple(d.selector for d in self.html_drops)

    @property
    def keep_selectors(self) -> tuple[str, ...]:
        return tuple(k.selector for k in self.html_keep)

    @property
    def suffix_regexes(self) -> tuple[re.Pattern[str], ...]:
        return tuple(_compile(s, False) for s in self.title_suffixes)


_cache: dict[tuple[str, bool], re.Pattern[str]] = {}


def _compile(pattern: str, case: bool) -> re.Pattern[str]:
    key = (pattern, case)
    rx = _cache.get(key)
    if rx is None:
        rx = re.compile(pattern, 0 if case else re.IGNORECASE)
        _cache[key] = rx
    return rx


MONTH = r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
DATE_WORDS = MONTH + r"\s+\d{1,2},\s*\d{4}"
DATE_ANY = r"(?:" + DATE_WORDS + r"|\d{1,2}/\d{1,2}/\d{2,4}|\d{4}-\d{2}-\d{2}|\d{1,2}/\d{2,4})"
