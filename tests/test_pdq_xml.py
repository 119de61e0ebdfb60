"""NCI PDQ XML as an input family: sections, glossary, citations from NCI's own structure; safe parsing."""

from __future__ import annotations

import pytest

from ingest.core.errors import UnsupportedFormat
from ingest.core.loaders.pdq_xml import is_pdq_xml, load_pdq_xml
from ingest.core.pipeline import Published

from .helpers import CORPUS, norm

PDQ = CORPUS / "pdq-xml"
needs_corpus = pytest.mark.skipif(not PDQ.is_dir(), reason="shared corpus not available")

SMALL = """<?xml version="1.0" encoding="utf-8"?>
<Summary id="CDR0000062955">
  <SummaryMetaData><SummaryAudience>Patients</SummaryAudience><SummaryLanguage>English</SummaryLanguage>
    <SummaryURL xref="http://cancer.gov/types/breast/patient/breast-treatment-pdq">Breast</SummaryURL>
    <SummaryEditorialBoard ref="CDR1">PDQ Adult Treatment Editorial Board</SummaryEditorialBoard></SummaryMetaData>
  <SummaryTitle>Breast Cancer Treatment (PDQ®)</SummaryTitle>
  <SummarySection id="_1"><Title>General Information</Title>
    <KeyPoint id="_2">Breast cancer forms in the breast.</KeyPoint>
    <Para id="_3">The <GlossaryTermRef href="CDR0000304766">breast</GlossaryTermRef> has lobes.<Reference refidx="1"/></Para>
    <ItemizedList id="_4" Style="bullet"><ListItem>Lobes</ListItem><ListItem>Ducts</ListItem></ItemizedList>
    <ReferenceSection><Citation idx="1" PMID="17618441">Louis DN: The 2007 WHO classification. 2007.</Citation></ReferenceSection>
  </SummarySection>
  <DateLastModified>2011-08-18</DateLastModified>
</Summary>"""


def test_a_small_summary_becomes_sections_glossary_and_citations():
    rec = norm(SMALL, "summary.xml")
    assert rec.source.format == "pdq_xml" and rec.source.family == "nci"
    assert rec.title == "Breast Cancer Treatment (PDQ®)"
    assert rec.source.url == "https://www.cancer.gov/types/breast/patient/breast-treatment-pdq"
    assert (rec.language, rec.language_source, rec.audience) == ("en", "document", "patient")
    assert [s.heading for s in rec.sections] == ["General Information", "Breast cancer forms in the breast."]
    assert rec.sections[1].blocks[0].text == "The breast has lobes.[1]"
    assert rec.sections[1].blocks[1].items == ["Lobes", "Ducts"]
    assert [(g.term, g.cdr_id) for g in rec.glossary] == [("breast", "CDR0000304766")]
    ref, own = rec.citations
    assert (ref.kind, ref.pmid, ref.text) == ("reference", "17618441", "Louis DN: The 2007 WHO classification. 2007.")
    assert own.kind == "publisher" and own.text.startswith("PDQ® Adult Treatment Editorial Board. PDQ Breast Cancer Treatment.")
    assert rec.dates.last_revised.value == "2011-08-18"


@pytest.mark.parametrize(
    "xml",
    [
        '<?xml version="1.0"?><!DOCTYPE Summary [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        "<Summary><SummaryTitle>T</SummaryTitle><SummarySection><Title>H</Title><Para>a &x; b</Para></SummarySection></Summary>",
        '<?xml version="1.0"?><!DOCTYPE Summary [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        "<Summary><SummaryTitle>T</SummaryTitle><SummarySection><Title>H</Title><Para>x &b; y</Para></SummarySection></Summary>",
    ],
    ids=["an external entity is never read", "entities are never expanded"],
)
def test_parsing_is_safe_no_entities_no_dtd_no_network(xml):
    doc = load_pdq_xml(xml)
    text = "\n".join(b.plain() for b in doc.blocks)
    assert "root:" not in text and "aaaaaaaaaa" not in text


@pytest.mark.parametrize(
    "text,expected",
    [('<?xml version="1.0"?>\n<Summary id="x">', True), ("\ufeff<GlossaryTerm id='1'>", True),
     ('<?xml version="1.0" ?>\n<?xml-stylesheet href="a.xsl"?>\n<!DOCTYPE Summary >\n<Summary>', True),
     ("<DrugInformationSummary>", True), ("<rss><channel>", False), ("<html><body>", False)],
)
def test_pdq_documents_are_recognised_by_their_root_element(text, expected):
    assert is_pdq_xml(text) is expected


def test_xml_that_is_not_pdq_is_quarantined_as_unsupported():
    with pytest.raises(UnsupportedFormat):
        norm("<?xml version='1.0'?><rss><channel><title>x</title></channel></rss>", "feed.xml")


@needs_corpus
@pytest.mark.parametrize(
    "name,title,refs_with_pmid,glossary_min",
    [
        ("PDQ-summary.xml", "Childhood Ependymoma Treatment (PDQ®)", 80, 5),
        ("SummaryEnglishHPWithReference62787.xml", "Breast Cancer", 300, 1),  # UTF-16LE
        ("Summary-BreastPatient-62955.xml", "Breast Cancer Treatment (PDQ®)", 0, 150),
        ("SummaryPatientVersion258017.xml", "Lip and Oral Cavity Cancer", 0, 80),  # UTF-16LE
        ("DrugInfoSummary487488.xml", "Imatinib Mesylate", 0, 5),
        ("GT46332.xml", "acute lymphocytic leukemia", 0, 0),
    ],
)
def test_each_real_pdq_document_is_published_with_its_structure(name, title, refs_with_pmid, glossary_min):
    from ingest.core.inputs import InputMeta
    from ingest.core.pipeline import process

    o = process((PDQ / name).read_bytes(), InputMeta(input=f"pdq-xml/{name}", filename=name))
    assert isinstance(o, Published), getattr(o, "reason", "")
    rec = o.record
    assert rec.title == title
    assert sum(1 for c in rec.citations if c.kind == "reference" and c.pmid) >= refs_with_pmid
    assert len(rec.glossary) >= glossary_min
    assert sum(len(s.blocks) for s in rec.sections) >= 1


@needs_corpus
def test_the_summary_abstract_is_a_notice_and_the_board_makes_the_citation():
    from ingest.core.inputs import InputMeta
    from ingest.core.normalize import normalize

    rec = normalize((PDQ / "PDQ-summary.xml").read_bytes(), InputMeta(input="pdq-xml/PDQ-summary.xml", filename="PDQ-summary.xml"))
    assert rec.notices[0].kind == "about" and "health professionals" in rec.notices[0].text
    own = [c for c in rec.citations if c.kind == "publisher"]
    assert own[0].text.startswith("PDQ® Pediatric Treatment Editorial Board. PDQ Childhood Ependymoma Treatment.")
    assert rec.audience == "health_professional"
    tables = [b for s in rec.sections for b in s.blocks if b.type == "table"]
    assert tables and tables[0].rows[0] == ["Stage and/or Histopathologic Classification", "Standard Treatment Options"]


def test_a_summary_sections_id_is_its_anchor() -> None:
    from ingest.core.loaders.pdq_xml import load_pdq_xml

    xml = ('<Summary id="CDR1"><SummaryTitle>T</SummaryTitle><SummarySection id="_12"><Title>Risks</Title>'
           '<Para id="_13">Some text.</Para></SummarySection></Summary>')
    heading = next(b for b in load_pdq_xml(xml).blocks if b.kind == "heading")
    assert (heading.text, heading.anchor) == ("Risks", "_12")
