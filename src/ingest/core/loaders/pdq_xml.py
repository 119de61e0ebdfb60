"""NCI PDQ XML (CDR documents: ``Summary``, ``DrugInformationSummary``, ``GlossaryTerm``) → blocks.

The XML is NCI's own structure, so nothing has to be guessed: ``SummarySection``/``Title`` give the
headings, ``Para``/``ItemizedList``/``Table`` the blocks, ``GlossaryTermRef`` the glossary (kept as
a link to the dictionary page, which the glossary step turns into an entry), ``ReferenceSection``/
``Citation`` (with ``PMID``) the reference list, ``SummaryEditorialBoard`` + title + URL the
summary's own citation. The document is rewritten into the HTML tags the HTML loader's walk
understands, and that walk makes the blocks: one block model for every format.

Parsing is safe: no DTD is loaded, no entity is resolved, nothing is fetched from the network.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

from ingest.core.blocks import LoadedDocument
from ingest.core.loaders.html.chars import _fold
from ingest.core.loaders.html.walk import _walk
from ingest.core.loaders.html.zones import remove_keeping_tail as _remove

__all__ = ["is_pdq_xml", "load_pdq_xml", "ROOTS"]

ROOTS = ("Summary", "DrugInformationSummary", "GlossaryTerm")
_ROOT_SNIFF = re.compile(
    r"\A\ufeff?\s*(?:<\?[^>]*\?>\s*|<!--.*?-->\s*|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>\s*)*<(?:"
    + "|".join(ROOTS) + r")[\s>]",
    re.S,
)
_DECL = re.compile(r"\A\ufeff?\s*<\?xml[^>]*\?>")
_CANCER_GOV = "https://www.cancer.gov"
_DICT = _CANCER_GOV + "/publications/dictionaries/cancer-terms/def/{id}"
_PUBMED = "https://pubmed.ncbi.nlm.nih.gov/{pmid}/"
_LANG = {"english": "en", "spanish": "es"}
_AUDIENCE = {"patients": "patient", "patient": "patient", "health professionals": "health_professional",
             "health professional": "health_professional"}

# CDR tag → HTML tag (the walk's vocabulary). Tags not listed become <span> (inline: Strong, Emphasis,
# GeneName, ProtocolRef, Superscript...); metadata tags are removed before the walk.
_TAGS = {
    "Para": "p", "ItemizedList": "ul", "OrderedList": "ol", "ListItem": "li", "ListTitle": "p",
    "Table": "table", "Row": "tr", "entry": "td", "Caption": "figcaption", "MediaLink": "figure",
    "SummarySection": "section", "Section": "section", "Note": "p", "Definition": "p", "DefinitionText": "p",
    "TermPronunciation": "p", "KeyPoint": "h3", "QandASet": "div", "Question": "p", "Answer": "div",
}
_DROP = (
    "SummaryMetaData", "DrugInfoMetaData", "SectMetaData", "SummaryKeyWords", "AltTitle", "DateLastModified",
    "DateFirstPublished", "SummaryTitle", "DrugInfoTitle", "TermName", "Dictionary", "Audience", "ColSpec",
    "SummaryAbstract", "DrugInfoDisclaimer", "SummaryEditorialBoard", "PatientVersionOf", "RelatedInformation",
    "SpanishTermName", "SpanishTermDefinition", "ReplacementDocument", "ComprehensiveReview", "TypeOfSummaryChange",
)


def is_pdq_xml(text: str) -> bool:
    """Whether ``text`` is a PDQ CDR document (by its root element, read from the first 4 KB)."""
    return _ROOT_SNIFF.match(text[:4096]) is not None


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           remove_comments=True, remove_pis=True, huge_tree=False)


def _cancer_gov(url: str | None) -> str | None:
    """NCI's URLs in the XML are http://cancer.gov/... or relative: make them https://www.cancer.gov/..."""
    if not url:
        return None
    url = url.strip()
    if url.startswith("/"):
        return _CANCER_GOV + url
    parts = urlsplit(url)
    if parts.hostname in ("cancer.gov", "www.cancer.gov"):
        return _CANCER_GOV + parts.path + (f"?{parts.query}" if parts.query else "")
    return url


def _text(el: etree._Element | None) -> str:
    return _fold("".join(el.itertext())) if el is not None else ""


def _cdr_number(ref: str | None) -> int | None:
    m = re.match(r"CDR0*(\d+)", ref or "")
    return int(m.group(1)) if m else None


def load_pdq_xml(text: str) -> LoadedDocument:
    """PDQ XML text → blocks + metadata. Malformed XML gives no blocks (the document is quarantined)."""
    try:
        root = etree.fromstring(_DECL.sub("", text, count=1).encode("utf-8"), parser=_parser())
    except etree.XMLSyntaxError as e:
        return LoadedDocument("pdq_xml", [], {"xml_error": str(e)})
    md: dict[str, Any] = {"pdq_type": root.tag, "cdr_id": root.get("id")}
    _metadata(root, md)
    _references_to_lists(root)
    _rewrite(root)
    for tag in _DROP:
        for el in list(root.iter(tag)):
            _remove(el)
    _headings(root)
    _retag(root)
    return LoadedDocument("pdq_xml", _walk(root), md)


def _metadata(root: etree._Element, md: dict[str, Any]) -> None:
    title = _text(root.find("SummaryTitle")) or _text(root.find("DrugInfoTitle")) or _text(root.find("TermName"))
    if title:
        md["title"] = title
    lang = _text(root.find("SummaryMetaData/SummaryLanguage")).lower()
    md["language"] = _LANG.get(lang, "en" if root.tag != "Summary" else None)
    audience = _text(root.find("SummaryMetaData/SummaryAudience")) or _text(root.find("DrugInfoMetaData/DrugInfoAudience"))
    if not audience:
        # glossary terms: each definition names its audience; one audience for all of them is the document's
        named = {_AUDIENCE.get(_text(a).lower()) for a in root.iter("Audience")}
        if len(named) == 1 and None not in named:
            md["audience"] = named.pop()
    elif audience.lower() in _AUDIENCE:
        md["audience"] = _AUDIENCE[audience.lower()]
    url_el = root.find("SummaryMetaData/SummaryURL")
    if url_el is None:
        url_el = root.find("DrugInfoMetaData/DrugInfoURL")
    url = _cancer_gov(url_el.get("xref")) if url_el is not None else None
    if url:
        md["canonical_url"] = url
    dates = []
    for tag, field in (("DateFirstPublished", "published"), ("DateLastModified", "last_revised")):
        raw = _text(root.find(tag))
        if raw:
            dates.append((field, raw, f"pdq_xml:{tag}"))
    md["dates"] = dates
    notices = []
    abstract = root.find("SummaryAbstract")
    if abstract is not None:
        notices.extend(("about", _text(p)) for p in abstract.iter("Para") if _text(p))
    disclaimer = root.find("DrugInfoDisclaimer")
    if disclaimer is not None:
        notices.append(("disclaimer", _text(disclaimer)))
    md["notices"] = notices
    board = _text(root.find("SummaryMetaData/SummaryEditorialBoard"))
    if board and title:
        # NCI's "The best way to cite this PDQ summary is:" form, from the document's own fields
        cite = f"PDQ® {board.removeprefix('PDQ ').strip()}. PDQ {title.replace('(PDQ®)', '').strip()}. " \
               "Bethesda, MD: National Cancer Institute."
        modified = _text(root.find("DateLastModified"))
        if modified:
            cite += f" Updated {modified}."
        if url:
            cite += f" Available at: {url}."
        md["citation"] = [{"text": cite, "pmid": None}]


def _references_to_lists(root: etree._Element) -> None:
    """``ReferenceSection`` → a "References" heading and an ordered list with PubMed links;
    inline ``<Reference refidx="n"/>`` → "[n]" as NCI's pages print it."""
    for rs in list(root.iter("ReferenceSection")):
        items = []
        for c in rs.iter("Citation"):
            li = etree.Element("li")
            li.text = _text(c)
            pmid = (c.get("PMID") or "").strip()
            if pmid.isdigit():
                a = etree.SubElement(li, "a", href=_PUBMED.format(pmid=pmid))
                a.text = "[PubMed Abstract]"
                a.tail = ""
                li.text += " "
            items.append(li)
        if not items:
            _remove(rs)
            continue
        head = etree.Element("ReferencesTitle")
        head.text = "References"
        ol = etree.Element("ol")
        ol.extend(items)
        parent = rs.getparent()
        idx = parent.index(rs)
        parent.remove(rs)
        parent.insert(idx, ol)
        parent.insert(idx, head)
    # issue 13: "[n]" links to the n-th reference of its top-level section, as cancer.gov's pages do
    # ("#cit/section_K.N"): the normalizer ties the marker to that reference
    top_sections = [s for s in root if s.tag == "SummarySection"]  # held: lxml proxies keep their identity
    tops = {id(s): k for k, s in enumerate(top_sections, 1)}
    for ref in list(root.iter("Reference")):
        span = etree.Element("span")
        idx = ref.get("refidx", "")
        top = next((tops[id(a)] for a in ref.iterancestors("SummarySection") if id(a) in tops), None)
        if top is not None and idx.isdigit():
            span.text = "["
            a = etree.SubElement(span, "a", href=f"#cit/section_{top}.{idx}")
            a.text = idx
            a.tail = "]"
        else:
            span.text = f"[{idx}]"
        span.tail = ref.tail
        ref.getparent().replace(ref, span)


def _rewrite(root: etree._Element) -> None:
    """Cross-references become links the later steps understand (glossary, summaries, external)."""
    for el in root.iter("GlossaryTermRef", "LOERef", "SummaryRef", "ExternalRef", "DrugSummaryRef", "LinkedTermRef"):
        href = el.get("href") or el.get("xref") or ""
        url = None
        if el.tag in ("GlossaryTermRef", "LOERef", "LinkedTermRef"):
            n = _cdr_number(href)
            url = _DICT.format(id=n) if n else None
        elif el.tag in ("SummaryRef", "DrugSummaryRef"):
            url = _cancer_gov(el.get("url"))
        else:
            url = _cancer_gov(href) if href.startswith(("http", "/")) else None
        attrib = dict(el.attrib)
        for k in attrib:
            del el.attrib[k]
        el.tag = "a"
        if url:
            el.set("href", url)


def _headings(root: etree._Element) -> None:
    """Section ``Title`` → ``h2``.. by nesting depth; a table's ``Title`` → its caption."""
    for t in list(root.iter("Title", "ReferencesTitle")):
        parent = t.getparent()
        if parent is not None and parent.tag == "Table":
            t.tag = "caption"
            continue
        depth = sum(1 for a in t.iterancestors() if a.tag in ("SummarySection", "Section"))
        if t.tag == "ReferencesTitle":
            depth += 1
        t.tag = f"h{min(6, max(2, depth + 1))}"
    for kp in root.iter("KeyPoint"):
        depth = sum(1 for a in kp.iterancestors() if a.tag in ("SummarySection", "Section"))
        kp.tag = f"h{min(6, max(3, depth + 1))}"


def _retag(root: etree._Element) -> None:
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if el.tag in ("a", "li", "ol", "ul", "caption", "span", "th", "thead") or re.fullmatch(r"h[1-6]", el.tag):
            continue
        if el.tag == "THead":
            for entry in el.iter("entry"):
                entry.tag = "th"
            el.tag = "thead"
            continue
        el.tag = _TAGS.get(el.tag, "div" if el is root else "span")
    # TGroup/TBody/TFoot became spans: the walk only needs table, tr, td/th
