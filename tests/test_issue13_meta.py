"""Issue 13 (trustworthy records on every cancer.gov page type): honest dates, audience, licence,
PDQ citation markers tied to their references, error and redirect bodies. Excerpts are cut from the
real pages of shared/corpus (named beside each); the whole real pages are checked when the corpus is
there."""

from __future__ import annotations

import pytest

from ingest.core.errors import ErrorPage
from ingest.core.inputs import InputMeta

from .helpers import CORPUS, body_text, norm

# cancer-gov-markdown/types-lung-research-articles.md (a research listing: "Posted:" under each teaser)
LUNG_LISTING_MD = """---
audienceLevel: patient
language: en
lastReviewed: '2025-12-30'
license: public_domain
source: NCI
title: Lung Cancer Research Articles - NCI
url: https://www.cancer.gov/types/lung/research/articles
---

# Lung Cancer Research Articles - NCI

# Lung Cancer Research Results and Study Updates

See [Advances in Lung Cancer Research](/types/lung/research) for an overview of recent findings and progress, plus ongoing projects supported by NCI.

- [Zenocutuzumab Approved to Treat Lung and Pancreatic Cancers with Rare Genetic Change](/news-events/cancer-currents-blog/2025/fda-zenocutuzumab-lung-and-pancreatic-cancers-nrg1-alteration)

Posted: March 26, 2025

FDA has approved zenocutuzumab (Bizengri) to treat people with pancreatic or non-small cell lung cancer whose tumors have a rare genetic alteration called an NRG1 fusion.
- [Intensive Program Helps People Being Screened for Lung Cancer Quit Smoking](/news-events/cancer-currents-blog/2025/lung-cancer-screening-helping-people-quit-smoking)

Posted: March 21, 2025

Results from a large NCI-funded clinical trial show that a comprehensive program that integrates intensive counseling and cessation medications may be a particularly effective way to help smokers quit.
"""

# a single article keeps its own date line as its date (cancer-gov-markdown/types-breast-research-altto.md form)
ARTICLE_MD = """---
source: NCI
title: A Research Article - NCI
url: https://www.cancer.gov/types/breast/research/altto
---

# A Research Article

Posted: March 26, 2025

The study found that adding a second drug did not help most women with HER2-positive breast cancer live longer.
"""

# cancer-gov-markdown/types-breast-hp-breast-treatment-pdq.md (cut): the exporter says "audienceLevel:
# patient"; the page says "Health Professional Version"; in-text markers cite per-section references
PDQ_HP_MD = """---
audienceLevel: patient
language: en
license: public_domain
source: NCI
title: Breast Cancer Treatment (PDQ®) - NCI
url: https://www.cancer.gov/types/breast/hp/breast-treatment-pdq
---

# Breast Cancer Treatment (PDQ®) - NCI

# Breast Cancer Treatment (PDQ®)–Health Professional Version

## General Information About Breast Cancer

Population studies from the United States [[2](#cit/section_1.2)] and the United Kingdom [[3](#cit/section_1.3)] demonstrate an increase in DCIS and invasive breast cancer incidence since the 1970s.

###### References

1. American Cancer Society: Cancer Facts and Figures 2025. American Cancer Society, 2025. Last accessed January 16, 2025.
2. Altekruse SF, Kosary CL, Krapcho M, et al.: SEER Cancer Statistics Review, 1975-2007. National Cancer Institute, 2010. [Also available online](http://seer.cancer.gov/archive/csr/1975_2007/ "http://seer.cancer.gov/archive/csr/1975_2007/"). Last accessed April 24, 2025.
3. Johnson A, Shekhdar J: Breast cancer incidence: what do the figures mean? J Eval Clin Pract 11 (1): 27-31, 2005. [[PUBMED Abstract]](http://www.ncbi.nlm.nih.gov/entrez/query.fcgi?cmd=Retrieve&db=PubMed&list_uids=15660534&dopt=Abstract "x")

## Cellular Classification of Breast Cancer

Invasive ductal carcinoma is the most common histologic type [[1](#cit/section_3.1)].

###### References

1. Yeatman TJ, Cantor AB, Smith TJ, et al.: Tumor biology of infiltrating lobular carcinoma. Ann Surg 222 (4): 549-59; discussion 559-61, 1995. [[PUBMED Abstract]](http://www.ncbi.nlm.nih.gov/entrez/query.fcgi?cmd=Retrieve&db=PubMed&list_uids=7574934&dopt=Abstract "x")

## Latest Updates to This Summary (04/25/2025)

The summary was updated to reflect the latest evidence.
"""


def md(text: str, name: str = "page.md"):
    return norm(text, name)


# ---------------------------------------------------------------- dates

DATE_CASES = [
    ("a listing's Posted: lines date its items, never the page",
     LUNG_LISTING_MD, "published", None),
    ("a listing keeps the date it states in its own front matter",
     LUNG_LISTING_MD, "last_reviewed", ("2025-12-30", "front_matter:lastReviewed")),
    ("a single article's Posted: line is its published date",
     ARTICLE_MD, "published", ("2025-03-26", "body:nci.posted")),
    ("a PDQ HP summary's Latest Updates heading is its last revision, with its source",
     PDQ_HP_MD, "last_revised", ("2025-04-25", "heading:nci.pdq_latest_updates")),
]


@pytest.mark.parametrize("name,text,field,want", DATE_CASES, ids=[c[0] for c in DATE_CASES])
def test_dates_say_only_what_the_page_says(name, text, field, want):
    got = getattr(md(text).dates, field)
    assert (None if got is None else (got.value, got.source)) == want


def test_a_listing_items_dates_stay_with_the_items_text():
    text = body_text(md(LUNG_LISTING_MD))
    assert "Posted: March 26, 2025" in text and "Posted: March 21, 2025" in text


# ---------------------------------------------------------------- audience

DCTERMS_HP = ("<html lang='en'><head><title>Fatigue (PDQ®)–Health Professional Version - NCI</title>"
              "<meta name='dcterms.audience' content='Health Professionals' /></head><body><article>"
              "<h1>Fatigue (PDQ®)</h1><p>" + "Fatigue is the most common side effect of cancer treatment. " * 5 +
              "</p></article></body></html>")
AUDIENCE_CASES = [
    ("the H1's Health Professional Version beats the export's audienceLevel patient", PDQ_HP_MD, "page.md", {},
     "health_professional"),
    ("dcterms.audience Health Professionals says who the page is for (no /hp/ in the URL)", DCTERMS_HP, "p.html",
     {"url": "https://www.cancer.gov/about-cancer/treatment/side-effects/fatigue/fatigue-hp-pdq"},
     "health_professional"),
    ("a -hp-pdq URL is a health professional summary",
     DCTERMS_HP.replace("<meta name='dcterms.audience' content='Health Professionals' />", "").replace(
         "–Health Professional Version", ""), "p.html",
     {"url": "https://www.cancer.gov/about-cancer/treatment/side-effects/fatigue/fatigue-hp-pdq"},
     "health_professional"),
    ("the export's audienceLevel still speaks when the page says nothing", LUNG_LISTING_MD, "page.md", {}, "patient"),
]


@pytest.mark.parametrize("name,text,filename,meta,want", AUDIENCE_CASES, ids=[c[0] for c in AUDIENCE_CASES])
def test_audience_comes_from_what_the_page_says_about_itself(name, text, filename, meta, want):
    assert norm(text, filename, **meta).audience == want


# ---------------------------------------------------------------- licence

NCI_PAGE = ("<html lang='en'><head><title>Coping - NCI</title></head><body><article><h1>Feelings and Cancer</h1><p>"
            + "Having cancer can bring up many feelings. " * 5 + "</p><div id='nvcgSlPublicUse'><p>If you would like "
            "to reproduce some or all of this content, see <a href='/policies/copyright-reuse'>Reuse of NCI "
            "Information</a> for guidance about copyright and permissions.</p></div></article></body></html>")
ACS_TEXT = ("Chemotherapy Side Effects\n\nChemotherapy can cause side effects. Talk to your cancer care team about "
            "what to expect and how to manage them.\n\nFor cancer information, visit cancer.org or call "
            "1-800-227-2345.\n\n©2020, American Cancer Society, Inc.\nNo. 123456 Rev. 6/20\n")
LICENSE_CASES = [
    ("an NCI page's own reuse notice makes its text public domain, read from the page", NCI_PAGE, "p.html",
     {"url": "https://www.cancer.gov/about-cancer/coping/feelings"}, ("public_domain", "page:nci.license.reuse")),
    ("an ACS handout's copyright line makes it copyrighted, read from the page", ACS_TEXT, "chemo.txt",
     {"url": "https://www.cancer.org/x.html"}, ("copyrighted", "page:acs.license.copyright")),
    ("an export's front matter licence is kept with its source", LUNG_LISTING_MD, "page.md", {},
     ("public_domain", "front_matter:license")),
    ("an NCI page that states no terms gets the publisher's known terms", ARTICLE_MD, "page.md", {},
     ("public_domain", "profile:nci")),
]


@pytest.mark.parametrize("name,text,filename,meta,want", LICENSE_CASES, ids=[c[0] for c in LICENSE_CASES])
def test_licence_is_set_with_where_it_came_from(name, text, filename, meta, want):
    lic = norm(text, filename, **meta).license
    assert lic is not None and (lic.id, lic.source) == want and lic.statement


def test_the_nci_reuse_statement_is_the_pages_own_words():
    lic = norm(NCI_PAGE, "p.html", url="https://www.cancer.gov/about-cancer/coping/feelings").license
    assert lic.statement.startswith("If you would like to reproduce some or all of this content, see Reuse of NCI")


# ---------------------------------------------------------------- citations


def test_pdq_markers_resolve_to_the_reference_of_their_own_section():
    rec = md(PDQ_HP_MD)
    by_id = {c.id: c for c in rec.citations}
    general = next(s for s in rec.sections if s.heading == "General Information About Breast Cancer")
    cited = [by_id[c] for c in general.citation_ids]
    assert [c.text.split(":")[0] for c in cited] == ["Altekruse SF, Kosary CL, Krapcho M, et al.", "Johnson A, Shekhdar J"]
    cellular = next(s for s in rec.sections if s.heading == "Cellular Classification of Breast Cancer")
    assert [by_id[c].pmid for c in cellular.citation_ids] == ["7574934"]


def test_a_resolved_marker_keeps_its_place_and_its_link():
    rec = md(PDQ_HP_MD)
    general = next(s for s in rec.sections if s.heading == "General Information About Breast Cancer")
    assert "United States [2] and the United Kingdom [3]" in general.text
    assert {"text": "2", "url": "https://www.cancer.gov/types/breast/hp/breast-treatment-pdq#cit/section_1.2"} in [
        lk.model_dump() for b in general.blocks for lk in b.links]
    assert not [r for r in rec.provenance.removals if r.rule == "links.unsafe_or_unresolvable"]


YEAR_CASES = [
    ("a SEER review of 1975-2007 published in 2010 is from 2010",
     "Altekruse SF, et al.: SEER Cancer Statistics Review, 1975-2007. National Cancer Institute, 2010. Last accessed "
     "April 24, 2025.", 2010),
    ("a journal article's year closes its imprint", "Johnson A: Breast cancer incidence. J Eval Clin Pract 11 (1): "
     "27-31, 2005.", 2005),
    ("a book's year comes before its pages", "Breast. In: Amin MB, et al., eds.: AJCC Cancer Staging Manual. 8th ed. "
     "Springer; 2017, pp. 589–628.", 2017),
    ("the date a reference was last accessed is not its year", "Cancer Facts and Figures 2024. American Cancer "
     "Society, 2024. Last accessed January 16, 2025.", 2024),
]


@pytest.mark.parametrize("name,text,want", YEAR_CASES, ids=[c[0] for c in YEAR_CASES])
def test_a_reference_year_is_its_publication_year(name, text, want):
    from ingest.core.citations import publication_year

    assert publication_year(text) == want


def test_the_seer_reference_of_a_pdq_summary_has_its_publication_year():
    rec = md(PDQ_HP_MD)
    seer = next(c for c in rec.citations if "SEER" in c.text)
    assert seer.year == 2010


# ---------------------------------------------------------------- error and redirect bodies

# cancer-gov-html-more/dictionary__cdrid-561325__http-301.html (cut: the real target URL is 4,000 characters)
_TARGET = "https://www.cancer.gov/publications/dictionaries/cancer-terms?app_module_route=/&amp;" + "x" * 600
DRUPAL_301 = (f"<!DOCTYPE html>\n<html>\n    <head>\n        <meta charset=\"UTF-8\" />\n        <meta http-equiv=\"refresh\" "
              f"content=\"0;url='{_TARGET}'\" />\n\n        <title>Redirecting to {_TARGET}</title>\n    </head>\n    <body>\n"
              f"        Redirecting to <a href=\"{_TARGET}\">{_TARGET}</a>.\n    </body>\n</html>")
# cancer-gov-html-more/node__799373__http-404.html (whole)
CDN_404 = ("<HTML><HEAD><TITLE>Error</TITLE></HEAD><BODY>\nAn error occurred while processing your request.<p>\n"
           "Reference&#32;&#35;221&#46;d7c333b8&#46;1711314838&#46;586cef6\n</BODY></HTML>\n")
ERROR_CASES = [
    ("a Drupal Redirecting to body is a redirect page, not a record", DRUPAL_301, {}, "generic.redirecting_to_url"),
    ("a CDN error body is an error page", CDN_404, {}, "generic.cdn_error_page"),
    ("a sidecar status 404 makes any body an error page", NCI_PAGE, {"status": 404}, "status 404"),
    ("a sidecar status 503 makes any body an error page", NCI_PAGE, {"status": 503}, "status 503"),
    ("a sidecar status 301 makes any body a redirect page", NCI_PAGE, {"status": 301}, "status 301"),
]


@pytest.mark.parametrize("name,text,meta,reason", ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_error_and_redirect_bodies_are_error_pages(name, text, meta, reason):
    with pytest.raises(ErrorPage, match=reason):
        norm(text, "p.html", **meta)


def test_a_sidecar_status_is_read_into_the_input_metadata():
    meta = InputMeta.from_sidecar("raw/p.html", "p.html", b'{"url": "https://www.cancer.gov/x", "status": 404}')
    assert meta.status == 404


def test_a_sidecar_status_200_or_304_is_no_error():
    for status in (200, 304):
        assert norm(NCI_PAGE, "p.html", url="https://www.cancer.gov/about-cancer/coping/feelings", status=status).title


# ---------------------------------------------------------------- the real pages

HTML_MORE = CORPUS / "cancer-gov-html-more"
HTML = CORPUS / "cancer-gov-html"
needs_corpus = pytest.mark.skipif(not HTML_MORE.is_dir(), reason="shared corpus not present")


def real(folder, name: str, url: str | None = None):
    p = folder / name
    return norm(p.read_bytes(), name, **({"url": url} if url else {}))


REAL_LISTINGS = [
    "about-cancer__coping__research.html", "types__thyroid__research__articles.html",
    "about-nci__organization__cgh__blog__year-2021.html", "about-nci__organization__cgh__news-announcements__year-2024.html",
]


@needs_corpus
@pytest.mark.parametrize("name", REAL_LISTINGS)
def test_a_real_listing_page_has_no_date_from_its_items(name):
    d = real(HTML_MORE, name).dates
    assert all(getattr(d, f) is None or not getattr(d, f).source.startswith("html_time") for f in
               ("published", "last_reviewed", "last_revised"))


@needs_corpus
def test_the_real_breast_treatment_hp_summary_links_its_markers():
    rec = real(HTML, "types__breast__hp__breast-treatment-pdq.html")
    assert rec.audience == "health_professional"
    with_markers = [s for s in rec.sections if "[1" in s.text or "[2" in s.text]
    assert sum(bool(s.citation_ids) for s in rec.sections) >= 100 and all(s.citation_ids for s in with_markers)
    assert rec.dates.last_revised.source == "heading:nci.pdq_latest_updates"
    assert rec.license.id == "public_domain"


@needs_corpus
@pytest.mark.parametrize("name", sorted(p.name for p in HTML_MORE.glob("*__http-*.html")) if HTML_MORE.is_dir() else [])
def test_every_real_non_200_body_is_an_error_page(name):
    with pytest.raises(ErrorPage):
        real(HTML_MORE, name)


# ---------------------------------------------------------------- the Markdown export's markup

# cancer-gov-markdown/types-breast.md ("Learn More" cards) and about-cancer-treatment-side-effects-fatigue.md
CARDS_MD = """---
source: NCI
title: Breast Cancer - NCI
url: https://www.cancer.gov/types/breast
---

# Breast Cancer

## Learn More

- [![A woman rests her hand on the back of another woman who is talking with her doctor.](/sites/g/files/xnrzdm211/files/styles/ncids_featured_16x9/public/cgov_image/media_image/2025-01/Surgery.jpg?h=34c9d013&itok=zesGEzJ2)

Breast Cancer Stages

Learn about breast cancer stages and how they are determined.](/types/breast/stages)
- [![Total (simple) mastectomy; drawing shows removal of the whole breast.](/sites/g/files/xnrzdm211/files/styles/ncids_featured_16x9/public/cgov_image/media_image/2024-07/Mastectomy.jpg?h=3f84c578&itok=wFH9BURb)

Treatment

Learn about local and systemic treatments and access in-depth information about each type of treatment.](/types/breast/treatment)

## Managing Fatigue

- **Fatigue after surgery.**Fatigue is common following surgery while your body is using energy to heal.
- **Fatigue from radiation therapy.**Doctors don’t fully understand why radiation therapy causes fatigue.
"""
MARKUP_CASES = [
    ("a card link across paragraphs leaves no bracket in the text", "["),
    ("a card link across paragraphs leaves no link target in the text", "](/types/breast"),
    ("a closing ** glued to the next word leaves no asterisks", "**"),
]


@pytest.mark.parametrize("name,leak", MARKUP_CASES, ids=[c[0] for c in MARKUP_CASES])
def test_the_markdown_exports_markup_does_not_leak_into_the_text(name, leak):
    assert leak not in body_text(md(CARDS_MD))


def test_a_card_links_title_is_its_link_and_its_teaser_stays():
    rec = md(CARDS_MD)
    links = [lk.model_dump() for s in rec.sections for b in s.blocks for lk in b.links]
    assert {"text": "Breast Cancer Stages", "url": "https://www.cancer.gov/types/breast/stages"} in links
    assert "Learn about breast cancer stages and how they are determined." in body_text(rec)
    assert "Fatigue after surgery. Fatigue is common" in body_text(rec)


needs_pdq = pytest.mark.skipif(not (CORPUS / "pdq-xml").is_dir(), reason="shared corpus not present")


@needs_pdq
@pytest.mark.parametrize("name", ["SummaryEnglishHPWithReference62787.xml", "Summary62872.xml", "PDQ-summary.xml"])
def test_every_section_of_a_real_pdq_xml_summary_with_markers_lists_its_citations(name):
    import re

    rec = real(CORPUS / "pdq-xml", name)
    with_markers = [s for s in rec.sections if re.search(r"\[\d+", s.text)]
    assert with_markers and all(s.citation_ids for s in with_markers)


GLOSSARY_CASES = [
    ("a glossary term whose every definition is for patients is for patients", "GT46332.xml", "patient"),
    ("a glossary term with patient and health professional definitions names no single audience",
     "Term-MultiDefinition-Eng-and-Spanish.xml", None),
]


@needs_pdq
@pytest.mark.parametrize("name,file,want", GLOSSARY_CASES, ids=[c[0] for c in GLOSSARY_CASES])
def test_a_pdq_glossary_terms_audience_is_what_its_definitions_say(name, file, want):
    assert real(CORPUS / "pdq-xml", file).audience == want
