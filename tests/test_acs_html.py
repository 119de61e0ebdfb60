"""cancer.org HTML gets the ACS family's rules (issue 14): the chrome known from ACS pages goes whatever the
format and however the markup splits it; byline, dates, the copyright notice and the references are read.

The pages are hand-written fixtures (``tests/fixtures/acs_html``, each says so at its top): there is no
real cancer.org HTML in the corpus. Everything runs through the public pipeline
(:func:`ingest.core.pipeline.process`), and once through ``ingest normalize`` on a raw folder.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ingest.core.inputs import InputMeta
from ingest.core.models import Record
from ingest.core.pipeline import Published, process

from .helpers import ROOT, body_text, dig

FIXTURES = ROOT / "tests" / "fixtures" / "acs_html"
ARTICLE = "treating-all-chemotherapy.html"
TOPIC = "what-is-breast-cancer.html"
INTERLEAVED = "chemo-side-effects-interleaved.html"
PAGES = [ARTICLE, TOPIC, INTERLEAVED]

#: strings of cancer.org's page chrome: none may be in any section (heading, text, block, list item)
CHROME = [
    "LIMITED OFFER", "3X Match", "Give today", "make a world of difference", "showDesktop", "showTablet",
    "showMobile", "24/7 cancer helpline", "Live Chat", "Call us at", "1-800-227-2345", "Available any time of day",
    "tax deductible", "Español", "PDFs by language", "medical and editorial content team", "Our team is made up",
    "Written by", "Written By", "Last Revised", "Last Medical Review", "copyrighted material", "Text Size",
    "Donate",
]


def run(name: str, **meta) -> Record:
    path = FIXTURES / name
    outcome = process(path.read_bytes(), InputMeta(input=f"raw/{name}", filename=name, **meta))
    assert isinstance(outcome, Published), outcome
    return outcome.record


def every_section_string(rec: Record) -> str:
    return body_text(rec) + "\n" + "\n".join(" / ".join(s.path) for s in rec.sections)


def test_every_fixture_says_it_was_written_by_hand():
    for name in PAGES:
        assert (FIXTURES / name).read_text(encoding="utf-8").startswith("<!-- Written by hand"), name


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("chrome", CHROME)
def test_no_chrome_string_of_cancer_org_is_left_in_any_section(name, chrome):
    assert chrome not in every_section_string(run(name))


# (name, what, dotted path into the record's JSON, expected value)
FIELD_CASES = [
    ("the article page is of the ACS family", ARTICLE, "source.family", "acs"),
    ("the article page names the publisher", ARTICLE, "source.publisher", "American Cancer Society"),
    ("the article title is the h1 without the site suffix", ARTICLE, "title",
     "Chemotherapy for Acute Lymphocytic Leukemia (ALL)"),
    ("the article's Last Revised line is its revision date", ARTICLE, "dates.last_revised.value", "2024-10-17"),
    ("the article's date comes from the ACS rule", ARTICLE, "dates.last_revised.source", "body:acs.last_revised"),
    ("the article's byline box is the byline", ARTICLE, "metadata.byline",
     "The American Cancer Society medical and editorial content team"),
    ("a page without URL or canonical link is ACS by its own signals", TOPIC, "source.family", "acs"),
    ("dates run together on one line are both read (review)", TOPIC, "dates.last_reviewed.value", "2021-11-19"),
    ("dates run together on one line are both read (revision)", TOPIC, "dates.last_revised.value", "2024-01-31"),
    ("a 'Written by:' line is the byline without its label", TOPIC, "metadata.byline",
     "The American Cancer Society medical and editorial content team"),
    ("the topic page title is its h1", TOPIC, "title", "What Is Breast Cancer?"),
    ("a page whose og:url is on cancer.org is ACS", INTERLEAVED, "source.family", "acs"),
    ("the canonical link is the page URL", ARTICLE, "source.url",
     "https://www.cancer.org/cancer/types/acute-lymphocytic-leukemia/treating/chemotherapy.html"),
    ("numeric review dates are read", INTERLEAVED, "dates.last_reviewed.value", "2024-02-01"),
    ("numeric revision dates are read", INTERLEAVED, "dates.last_revised.value", "2024-05-14"),
    ("a byline under a 'Written By' heading is the byline", INTERLEAVED, "metadata.byline",
     "The American Cancer Society medical and editorial content team"),
    ("a heading keeps its words when the template token is cut from it", INTERLEAVED, "sections.1.heading",
     "Nausea and vomiting"),
]


@pytest.mark.parametrize("name,page,path,value", FIELD_CASES, ids=[c[0] for c in FIELD_CASES])
def test_acs_page_fields(name, page, path, value):
    assert dig(run(page).model_dump(mode="json"), path) == value


@pytest.mark.parametrize("page", PAGES)
def test_the_copyright_notice_is_a_notice_not_body(page):
    rec = run(page)
    assert [n.kind for n in rec.notices] == ["syndication"]
    assert rec.notices[0].text.startswith("American Cancer Society medical information is copyrighted material.")


# (name, page, [(text start, title, year, url)]): the text starts with the authors
REFERENCE_CASES = [
    ("references written one per paragraph become citations", ARTICLE, [
        ("Jabbour E, Kantarjian H. Acute lymphoblastic leukemia: 2024 update",
         "Acute lymphoblastic leukemia: 2024 update on diagnosis and management", 2024, None),
        ("National Comprehensive Cancer Network. NCCN Clinical Practice Guidelines",
         "NCCN Clinical Practice Guidelines in Oncology: Acute Lymphoblastic Leukemia", 2024,
         "https://www.nccn.org/professionals/physician_gls/pdf/all.pdf"),
    ]),
    ("references in an ordered list become citations with their links", INTERLEAVED, [
        ("Bower JE. Cancer-related fatigue", "Cancer-related fatigue: mechanisms, risk factors, and treatments", 2014,
         "https://pubmed.ncbi.nlm.nih.gov/25113839/"),
        ("National Cancer Institute. Nausea and Vomiting",
         "Nausea and Vomiting Related to Cancer Treatment (PDQ®)-Patient Version", 2023,
         "https://www.cancer.gov/about-cancer/treatment/side-effects/nausea/nausea-pdq"),
    ]),
]


@pytest.mark.parametrize("name,page,expected", REFERENCE_CASES, ids=[c[0] for c in REFERENCE_CASES])
def test_acs_references_become_citations_and_leave_the_body(name, page, expected):
    rec = run(page)
    refs = [c for c in rec.citations if c.kind in ("reference", "pubmed")]
    assert [(c.text[: len(t)], c.title, c.year, c.url) for c, (t, *_) in zip(refs, expected, strict=True)] == expected
    assert all(s.heading != "References" for s in rec.sections)
    assert "Kantarjian" not in body_text(rec) and "Bower JE" not in body_text(rec)


# (name, page, a sentence of content that must stay)
KEPT_CASES = [
    ("the article's first paragraph stays", ARTICLE, "Chemotherapy (chemo) is the use of drugs to treat cancer."),
    ("the article's list stays", ARTICLE, "Maintenance keeps the leukemia from coming back."),
    ("the topic page's text stays", TOPIC, "Breast cancer is a cancer that starts in the cells of the breast."),
    ("text after the interleaved donation banner stays", INTERLEAVED, "Medicines called antiemetics can prevent"),
    ("text after the interleaved helpline box stays", INTERLEAVED, "Hair loss usually starts two to three weeks"),
    ("text after the interleaved donation box stays", INTERLEAVED, "Fatigue is the most common side effect."),
]


@pytest.mark.parametrize("name,page,sentence", KEPT_CASES, ids=[c[0] for c in KEPT_CASES])
def test_acs_content_stays(name, page, sentence):
    assert sentence in body_text(run(page))


@pytest.mark.parametrize("page", PAGES)
def test_every_acs_chrome_removal_is_logged_with_an_acs_rule(page):
    rules = {r.rule for r in run(page).provenance.removals}
    assert {"acs.byline", "acs.copyright_notice"} <= rules
    assert any(r.startswith("acs.last_") for r in rules)


# the same chrome in other markup: (name, HTML inside <main>, a string that must go)
MARKUP_CASES = [
    ("a banner split into strong and text", "<p><strong>LIMITED OFFER:</strong> 3X Match! Give today and make a world of "
     "difference.</p>", "LIMITED OFFER"),
    ("a banner without spaces between its elements", "<p><b>LIMITED OFFER:</b><b>3X Match!</b><a>Give today</a></p>",
     "3X Match"),
    ("a banner glued to a content paragraph", "<p>LIMITED OFFER: 3X Match! Give today and make a world of difference. "
     "Radiation uses high-energy rays.</p>", "LIMITED OFFER"),
    ("the helpline box as list items", "<ul><li>Live Chat available weekdays, 8 a.m. - 10 p.m. ET</li>"
     "<li>Call us at 1-800-227-2345</li></ul>", "Live Chat"),
    ("the helpline in one run-together paragraph", "<p>Our 24/7 cancer helpline provides information and answers for "
     "people dealing with cancer. Live Chat available weekdays Call us at 1-800-227-2345 Available any time of day or "
     "night</p>", "helpline"),
    ("the helpline box split into one element per phrase", "<div><p>Our 24/7 cancer helpline</p><p>provides information "
     "and answers for people dealing with cancer.</p><p><a>Live Chat</a></p><p>available weekdays</p><p>Call us at</p>"
     "<p><a>1-800-227-2345</a></p></div>", "helpline"),
    ("the template token with spaces", "<p>showDesktop, showTablet, showMobile</p>", "showTablet"),
    ("the tax deductible line in emphasis", "<p><em>Your gift is 100% tax deductible</em></p>", "tax deductible"),
    ("the language links in a list", "<ul><li><a>Español</a></li><li><a>PDFs by language</a></li></ul>", "Español"),
    ("the link back to the English page", "<p><a href=\"/cancer.html\">English</a></p>", "English"),
]

_PAGE = """<!DOCTYPE html><html lang="en"><head><title>Radiation Therapy | American Cancer Society</title>
<link rel="canonical" href="https://www.cancer.org/cancer/managing-cancer/treatment-types/radiation.html"></head>
<body><main><h1>Radiation Therapy</h1><p>Radiation therapy uses high-energy rays to kill cancer cells. It is often
used with surgery or chemotherapy.</p>{chrome}<p>Side effects depend on the part of the body treated.</p>
<p>Last Revised: March 3, 2023</p></main></body></html>"""


@pytest.mark.parametrize("name,chrome,gone", MARKUP_CASES, ids=[c[0] for c in MARKUP_CASES])
def test_acs_chrome_goes_whatever_the_markup(name, chrome, gone):
    raw = _PAGE.format(chrome=chrome).encode()
    outcome = process(raw, InputMeta(input="raw/radiation.html", filename="radiation.html"))
    assert isinstance(outcome, Published), outcome
    body = body_text(outcome.record)
    assert gone not in body
    assert "Radiation therapy uses high-energy rays" in body and "Side effects depend" in body


def test_an_accordion_heading_keeps_its_words_and_heads_its_section():
    chrome = ("<h2 class=\"cmp-accordion__header\"><button type=\"button\"><span>Caring for the skin</span></button></h2>"
              "<p>Keep the treated skin clean and dry.</p>")
    outcome = process(_PAGE.format(chrome=chrome).encode(), InputMeta(input="raw/radiation.html", filename="radiation.html"))
    assert isinstance(outcome, Published), outcome
    [sec] = [s for s in outcome.record.sections if s.heading == "Caring for the skin"]
    assert sec.text.startswith("Keep the treated skin clean and dry.")


def test_the_cli_normalizes_a_raw_folder_of_acs_pages_clean(prefect_harness, tmp_path: Path):
    from ingest.cli import main as cli

    raw = tmp_path / "raw"
    raw.mkdir()
    for name in PAGES:
        shutil.copy(FIXTURES / name, raw / name)
    out = tmp_path / "out"
    assert cli.main(["normalize", str(raw), "--out", str(out), "--quiet"]) == 0
    records = [json.loads(p.read_text()) for p in sorted((out / "records").glob("*.json"))]
    assert sorted(r["title"] for r in records) == sorted(
        ["Chemotherapy for Acute Lymphocytic Leukemia (ALL)", "What Is Breast Cancer?", "Managing Chemotherapy Side Effects"])
    for r in records:
        assert r["source"]["family"] == "acs"
        assert r["metadata"]["byline"] == "The American Cancer Society medical and editorial content team"
        text = json.dumps(r["sections"], ensure_ascii=False)
        assert not [c for c in CHROME if c in text]


# The same chrome in a text copy and a Markdown export of a cancer.org page (the rules match blocks,
# whatever the format made them from).
_TEXT_PAGE = """Leukemia--Acute Lymphocytic

+ -Text Size

Treating Leukemia - Acute Lymphocytic (ALL) in Adults TOPICS

LIMITED OFFER: 3X Match! Give today and make a world of difference.

What if the leukemia comes back?

If the leukemia comes back after treatment, more chemotherapy or a stem cell transplant may be tried.

showDesktop,showTablet,showMobile

Our 24/7 cancer helpline provides information and answers for people dealing with cancer.

Live Chat available weekdays

Call us at 1-800-227-2345

Available any time of day or night

Palliative treatment

Treatment may shift to controlling symptoms caused by the leukemia.

Written by

The American Cancer Society medical and editorial content team

Our team is made up of doctors and oncology certified nurses with deep knowledge of cancer care.

American Cancer Society medical information is copyrighted material. For reprint requests, please see our Content Usage Policy.

Your gift is 100% tax deductible

Español / PDFs by language

Last Medical Review: 12/02/2014 Last Revised: 12/03/2014
"""
_MD_PAGE = "# What if the leukemia comes back?\n\n" + "\n\n".join(
    line for line in _TEXT_PAGE.split("\n\n")[5:] if line.strip() != "What if the leukemia comes back?")

FORMAT_CASES = [("a text copy of a cancer.org page", _TEXT_PAGE, "acs-page.txt"),
                ("a Markdown export of a cancer.org page", _MD_PAGE, "acs-page.md")]


@pytest.mark.parametrize("name,doc,filename", FORMAT_CASES, ids=[c[0] for c in FORMAT_CASES])
def test_acs_chrome_goes_from_text_and_markdown_too(name, doc, filename):
    outcome = process(doc.encode(), InputMeta(input=f"raw/{filename}", filename=filename))
    assert isinstance(outcome, Published), outcome
    rec = outcome.record
    assert rec.source.family == "acs"
    body = every_section_string(rec)
    assert [c for c in CHROME if c in body] == []
    assert "more chemotherapy or a stem cell transplant may be tried" in body
    assert "controlling symptoms caused by the leukemia" in body
    assert rec.metadata.byline == "The American Cancer Society medical and editorial content team"
    assert (rec.dates.last_reviewed.value, rec.dates.last_revised.value) == ("2014-12-02", "2014-12-03")
    assert [n.kind for n in rec.notices] == ["syndication"]
