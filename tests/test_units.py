"""Table-driven unit tests of the small pure pieces: cleaners, decoding, dates, links, detection."""

from __future__ import annotations

import re

import pytest

from ingest.core.cleaners import clean_inline, fold_whitespace, remove_invisible, strip_title_suffix
from ingest.core.dates import parse_date
from ingest.core.decode import decode
from ingest.core.detect import detect_family, detect_language
from ingest.core.errors import BinaryInput, EmptyInput
from ingest.core.links import glossary_id, resolve
from ingest.core.record import canonical_url
from ingest.core.rules.vocab import cancer_types
from ingest.core.structure import looks_like_heading


@pytest.mark.parametrize(
    "cleaner,before,after",
    [
        (fold_whitespace, "  Acute\u00a0 myeloid\n\tleukemia ", "Acute myeloid leukemia"),
        (remove_invisible, "leu\u00adkemia\u200b\x07", "leukemia"),
        (clean_inline, "\ufeffBlood\u200b counts\r\n(CBC) ", "Blood counts (CBC)"),
        (lambda t: strip_title_suffix(t, (re.compile(r"\s+-\s+NCI$"),)), "Drugs Approved for Leukemia - NCI", "Drugs Approved for Leukemia"),
        (lambda t: strip_title_suffix(t, (re.compile(r"\s+-\s+NCI$"),)), " - NCI", " - NCI"),  # never strips a title to nothing
    ],
)
def test_each_cleaner_turns_before_into_after(cleaner, before, after):
    assert cleaner(before) == after


@pytest.mark.parametrize(
    "raw,text",
    [
        ("Leucémie aiguë".encode(), "Leucémie aiguë"),
        ("Leucémie aiguë myéloblastique : traitement".encode("latin-1"), "Leucémie aiguë myéloblastique : traitement"),
        (b"\xef\xbb\xbfHello world", "Hello world"),
        ("Leucemia".encode("utf-16"), "Leucemia"),
        (b"line one\r\nline two\rline three", "line one\nline two\nline three"),
        # control characters and noncharacters are no text, whichever way the bytes decode
        (b"A bell\x07 here, an escape\x1b there, a delete\x7f at the end.",
         "A bell here, an escape there, a delete at the end."),
        ("Non\ufffecharacters\uffff are dropped from the text.".encode(), "Noncharacters are dropped from the text."),
        ("\ufeffA byte-order mark, then a bell\x07 in the text.".encode(), "A byte-order mark, then a bell in the text."),
        ("Caf\u00e9 cr\u00e8me with a bell\x07 in latin-1.".encode("latin-1"), "Caf\u00e9 cr\u00e8me with a bell in latin-1."),
        (b"A tab\there, a vertical tab\x0bthen a form feed\x0cend.", "A tab\there, a vertical tab\nthen a form feed\nend."),
    ],
)
def test_bytes_decode_to_the_right_text_never_mojibake(raw, text):
    assert decode(raw)[0] == text


@pytest.mark.parametrize(
    "raw,error",
    [(b"", EmptyInput), (b"   \n\t ", EmptyInput), (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", BinaryInput),
     (bytes(range(256)) * 4, BinaryInput)],
)
def test_empty_and_binary_bytes_raise_a_quarantine_error(raw, error):
    with pytest.raises(error):
        decode(raw)


@pytest.mark.parametrize(
    "text,iso",
    [
        ("May 15, 2026", "2026-05-15"),
        ("Sept. 3, 2024", "2024-09-03"),
        ("12/02/2014", "2014-12-02"),
        ("6/25", "2025-06"),
        ("11/23", "2023-11"),
        ("2025-12-30", "2025-12-30"),
        ("2024-03-01T10:00:00Z", "2024-03-01"),
        ("2024-03", "2024-03"),
        ("3 March 2024", "2024-03-03"),
        ("March 2024", "2024-03"),
        ("2019", "2019"),
        ("02/30/2020", None),
        ("13/2020", None),
        ("soon", None),
        ("", None),
    ],
)
def test_dates_parse_to_iso_at_the_precision_given_and_never_guess(text, iso):
    assert parse_date(text) == iso


@pytest.mark.parametrize(
    "href,cdr",
    [
        ("/Common/PopUps/popDefinition.aspx?id=CDR0000045586&version=Patient&language=English", "CDR0000045586"),
        ("/Common/PopUps/popDefinition.aspx?id=44363&version=Patient&language=English", "CDR0000044363"),
        ("https://www.cancer.gov/Common/PopUps/popDefinition.aspx?dictionary=Cancer.gov&id=CDR0000046347", "CDR0000046347"),
        ("/Common/PopUps/popDefinition.aspx?language=Spanish&id=648590", "CDR0000648590"),
        ("/types/leukemia", None),
    ],
)
def test_glossary_popup_links_in_every_form_give_a_cdr_id(href, cdr):
    assert glossary_id(href) == cdr


@pytest.mark.parametrize(
    "href,base,url",
    [
        ("/ncicancerbulletin", "https://www.cancer.gov/types/x", "https://www.cancer.gov/ncicancerbulletin"),
        ("y", "https://www.cancer.gov/types/x/", "https://www.cancer.gov/types/x/y"),
        ("http://www.ncbi.nlm.nih.gov/pubmed/1", None, "http://www.ncbi.nlm.nih.gov/pubmed/1"),
        ("//example.org/a", None, "https://example.org/a"),
        ("javascript:alert(1)", "https://www.cancer.gov/", None),
        ("data:text/html,<script>", "https://www.cancer.gov/", None),
        ("/relative/without/base", None, None),
        ("#top", "https://www.cancer.gov/", None),
    ],
)
def test_links_resolve_against_the_page_and_unsafe_schemes_are_refused(href, base, url):
    assert resolve(href, base) == url


@pytest.mark.parametrize(
    "url,canonical",
    [
        ("HTTPS://WWW.Cancer.gov/types/leukemia/", "https://www.cancer.gov/types/leukemia"),
        ("https://www.cancer.gov/types/leukemia#section", "https://www.cancer.gov/types/leukemia"),
        ("https://www.cancer.gov", "https://www.cancer.gov/"),
        ("ftp://x/y", None),
        ("not a url", None),
    ],
)
def test_canonical_urls_ignore_case_of_host_fragments_and_trailing_slashes(url, canonical):
    assert canonical_url(url) == canonical


@pytest.mark.parametrize(
    "text,url,front,family",
    [
        ("This answer was generated by AI grounded in NCCN guidelines", None, {}, "ai_answer"),
        ("+ -Text Size\nLast Medical Review: 12/02/2014", None, {}, "acs"),
        ("anything", "https://www.cancer.org/cancer/types/x.html", {}, "acs"),
        ("anything", "https://www.cancer.gov/types/leukemia", {}, "nci"),
        ("anything", None, {"source": "NCI"}, "nci"),
        ("A recipe for bread.", "https://example.org/bread", {}, "generic"),
    ],
)
def test_the_family_is_detected_from_text_url_or_front_matter(text, url, front, family):
    assert detect_family(text, url, front)[0].family == family


@pytest.mark.parametrize(
    "text,lang",
    [
        ("La leucémie est un cancer du sang qui touche les globules blancs et la moelle osseuse.", "fr"),
        ("La quimioterapia es un tratamiento que usa medicamentos para destruir las células cancerosas.", "es"),
        ("Chemotherapy is a treatment that uses drugs to kill cancer cells in the body.", "en"),
        ("Too short", "und"),
    ],
)
def test_the_language_is_detected_when_the_document_does_not_state_it(text, lang):
    assert detect_language(text) == lang


@pytest.mark.parametrize(
    "line,heading",
    [
        ("Palliative treatment", True),
        ("How does chemo work?", True),
        ("Step 1: Reassessment", True),
        ("Your doctor will:", False),
        ("It works.", False),
        ('"Why didn\'t this treatment work?"', False),
        ("lower case start", False),
        ("This sentence ends. And another starts here", False),
        ("A" * 120, False),
    ],
)
def test_plain_text_lines_read_as_headings_only_when_they_look_like_one(line, heading):
    assert looks_like_heading(line) is heading


@pytest.mark.parametrize(
    "texts,types",
    [
        (["Leukemia--Acute Lymphocytic"], ["acute lymphoblastic leukemia", "leukemia"]),
        (["What happens if the clinical trial treatment for MDS doesn't work"], ["myelodysplastic syndromes"]),
        (["Treatment options for all patients"], []),
        (["Adult AML treatment"], ["acute myeloid leukemia", "leukemia"]),
        (["Leucémie"], ["leukemia"]),
    ],
)
def test_cancer_types_come_from_the_title_vocabulary(texts, types):
    assert cancer_types(texts) == types


@pytest.mark.parametrize(
    "raw,text",
    [
        ("Leucémie".encode("latin-1"), "Leucémie"),
        ("Quimioterapia: ¿qué es?".encode("latin-1"), "Quimioterapia: ¿qué es?"),
        ("“Quoted” – dash".encode("cp1252"), "“Quoted” – dash"),
        ("Лейкемия — это рак крови, который начинается в костном мозге.".encode("cp1251"),
         "Лейкемия — это рак крови, который начинается в костном мозге."),
    ],
)
def test_short_legacy_encoded_texts_decode_to_their_own_words(raw, text):
    assert decode(raw)[0] == text
