"""Issue 13, HTML loader: nothing removed without a trace, the structure kept (lists, tables, figures).

Each case is a small cancer.gov-shaped page (the real pages these shapes come from are named beside
them, in shared/corpus/cancer-gov-html-more); normalized as an NCI page (its URL is on cancer.gov).
"""

from __future__ import annotations

import pytest

from ingest.core.loaders.html import load_html

from .helpers import body_text, norm

P = "<p>Breast cancer is a disease in which malignant cells form in the tissues of the breast, and it is common.</p>"


def nci(article: str, outside: str = "") -> str:
    return ("<!DOCTYPE html><html lang='en'><head><title>Page - NCI</title></head><body>"
            f"<header>NCI banner</header><main class='contentzone'><article><h1>Page</h1>{article}</article>"
            f"</main>{outside}<footer>Site footer</footer></body></html>")


def nci_record(html: str, path: str = "/about-cancer/x"):
    return norm(html, "page.html", url=f"https://www.cancer.gov{path}")


# --------------------------------------------------------------------------------------- no silent removal
CHROME_CASES = [
    ("an aside beside the text", f"{P}<aside class='box'><p>See also: other pages</p></aside>",
     "html.chrome.aside", "See also: other pages"),
    ("a nav inside the article", f"{P}<nav class='in-this-section'><ul><li>Antitumor Effects</li></ul></nav>",
     "html.chrome.nav", "Antitumor Effects"),
    ("a hidden transcript", f"{P}<div style='display:none'><p>Narrator: hello</p></div>",
     "html.chrome.hidden", "Narrator: hello"),
]


@pytest.mark.parametrize("name,article,rule,text", CHROME_CASES, ids=[c[0] for c in CHROME_CASES])
def test_page_chrome_removed_from_inside_the_content_is_logged_with_a_rule_and_reason(name, article, rule, text):
    rec = nci_record(nci(article))
    assert text not in body_text(rec)
    [r] = [r for r in rec.provenance.removals if r.rule == rule]
    assert r.text == text and r.reason and r.kind == "chrome"


def test_the_page_around_the_content_zone_is_logged_once_with_its_size_not_element_by_element():
    rec = nci_record(nci(P, outside="<nav>Menu Home About</nav><div>Sign in to My NCI</div>"))
    assert not [r for r in rec.provenance.removals if r.rule.startswith("html.chrome")]
    [r] = [r for r in rec.provenance.removals if r.rule == "html.outside_zone"]
    # "NCI banner", "Menu Home About", "Sign in to My NCI", "Site footer": 10 + 15 + 17 + 11 characters
    assert r.kind == "page_chrome" and r.text.startswith("NCI banner") and "(53 characters" in r.text
    assert "content zone" in r.reason


def test_a_page_whose_content_zone_is_the_whole_page_logs_nothing_outside_it():
    html = "<!DOCTYPE html><html lang='en'><head><title>Page - NCI</title></head><body><h1>Page</h1>" + P + "</body></html>"
    assert not [r for r in nci_record(html).provenance.removals if r.rule == "html.outside_zone"]


def test_the_loader_reports_the_chrome_it_removed_from_inside_the_zone():
    md = load_html(nci(f"{P}<aside><p>Boxed</p></aside>"), zone_selectors=("article",)).metadata
    assert md["chrome_dropped"] == [["aside", "Boxed"]]


DISCLAIMER = ("Important: The drug information on this page is meant to be educational. It is not a substitute "
              "for medical advice. The information may not cover all possible uses.")


def test_the_drug_pages_medical_disclaimer_becomes_a_notice():
    # about-cancer__treatment__drugs__abemaciclib.html: <aside class="dis-disclaimer"> in the drug summary
    rec = nci_record(nci(f"<div class='accordion'><aside class='dis-disclaimer'><p>{DISCLAIMER}</p></aside>{P}</div>"),
                     "/about-cancer/treatment/drugs/x")
    assert [(n.kind, n.text) for n in rec.notices] == [("disclaimer", DISCLAIMER)]
    assert "meant to be educational" not in body_text(rec)


def test_a_fact_sheets_references_in_the_article_footer_become_citations():
    # types__breast__ibc-fact-sheet.html: "Selected References" sit in <footer class="article-footer">
    footer = ("<footer class='article-footer'><div id='cgvCitationSl'><h6>Selected References</h6>"
              "<ol class='article-citation'><li><p>Anderson WF, Schairer C. Epidemiology of inflammatory breast "
              "cancer. Breast Disease 2005; 22:9-23.</p></li></ol></div>"
              "<div id='nvcgRelatedResourcesArea'><aside class='related-resources list'><h6>Related Resources</h6>"
              "<ul><li><a href='/types/breast'>Breast Cancer</a></li></ul></aside></div></footer>")
    rec = nci_record(nci(P + footer), "/types/breast/ibc-fact-sheet")
    assert [c.text for c in rec.citations if c.kind == "reference"] == [
        "Anderson WF, Schairer C. Epidemiology of inflammatory breast cancer. Breast Disease 2005; 22:9-23."]
    assert "Related Resources" not in body_text(rec)
    assert any("Related Resources" in r.text for r in rec.provenance.removals)


# --------------------------------------------------------------------------------------- promotion vs content
CARD = ("<div class='feature-card'><a href='/research/leading-progress/stories/kellie'><img src='/k.jpg' alt=''>"
        "<h3>Enrolling in a Clinical Trial in Rural America</h3><p>Kellie receives cancer treatment close to home "
        "through the NCI Community Oncology Research Program.</p></a></div>")


def test_a_landing_pages_card_row_is_its_content_each_card_kept_with_its_title_text_and_link():
    # research__leading-progress__stories.html, publications__pdq.html (cgvMiniLanding)
    row = f"<div class='row feature-primary flex-columns'><div class='large-6 columns topic-feature card'>{CARD}</div></div>"
    rec = nci_record(nci(row), "/research/leading-progress/stories")
    [s] = [s for s in rec.sections if s.heading == "Enrolling in a Clinical Trial in Rural America"]
    assert "Kellie receives cancer treatment close to home" in s.text
    assert [lk.url for b in s.blocks for lk in b.links] == ["https://www.cancer.gov/research/leading-progress/stories/kellie"]


@pytest.mark.parametrize("where", ["embedded beside the text", "in the article footer"])
def test_a_promotion_card_beside_the_text_is_dropped_and_logged(where):
    # blog posts: a "related post" card floated in the text, three more in the article footer
    box = (f"<div class='embedded-entity align-right'>{CARD}</div>" if where.startswith("embedded")
           else f"<footer class='article-footer'><div class='row'><div class='slot-item'>{CARD}</div></div></footer>")
    rec = nci_record(nci(P + box), "/news-events/cancer-currents-blog/2024/x")
    assert "Kellie" not in body_text(rec)
    assert [r.rule for r in rec.provenance.removals if "Kellie" in r.text] == ["nci.html.feature_card"]


HAVE_QUESTIONS = ("<div class='callout-box-right'><h3>Have Questions?</h3><p>Connect with our cancer information "
                  "specialists.</p><p><strong>Chat:</strong> <a href='https://livehelp.cancer.gov'>LiveHelp</a></p></div>")
SIGN_UP = ("<div class='callout-box-right'><p><a href='https://public.govdelivery.com/accounts/USNIHNCI/subscriber/new'>"
           "Get the newsletter on cancer health information</a></p></div>")
STORY_BOX = ("<div class='callout-box'><h3>Finding a Follow-Up Program for Survivors</h3><p>Some cancer centers and "
             "hospitals have programs that focus on long-term follow-up care for survivors.</p></div>")


@pytest.mark.parametrize("box,gone", [(HAVE_QUESTIONS, "Connect with our cancer information specialists"),
                                      (SIGN_UP, "Get the newsletter")], ids=["contact promo", "sign-up promo"])
def test_a_sign_up_or_contact_promotion_callout_in_the_text_is_dropped_and_logged(box, gone):
    # about-cancer__advanced-cancer__care-choices__care-fact-sheet.html, about-cancer__understanding__what-is-cancer.html
    rec = nci_record(nci(P + box))
    assert gone not in body_text(rec)
    assert [r.rule for r in rec.provenance.removals if gone in r.text] == ["nci.html.contact_callout"]


def test_an_editorial_callout_box_stays_content_in_its_section():
    # about-cancer__coping__survivorship__late-effects.html
    rec = nci_record(nci(P + STORY_BOX))
    [s] = [s for s in rec.sections if s.heading == "Finding a Follow-Up Program for Survivors"]
    assert s.text.startswith("Some cancer centers and hospitals have programs")


@pytest.mark.parametrize("text", [
    "Sign up for NCI's free email updates about cancer research. Subscribe",
    "Sign up for email updates",
])
def test_a_sign_up_line_in_the_text_is_dropped_as_a_promotion(text):
    rec = nci_record(nci(f"{P}<p>{text}</p>"))
    assert text not in body_text(rec)
    assert [r.rule for r in rec.provenance.removals if r.text == text] == ["nci.email_signup"]


# --------------------------------------------------------------------------------------- structure kept
def _list_of(rec):
    [b] = [b for s in rec.sections for b in s.blocks if b.type == "list"]
    return b


KEY_POINTS = ("<ul><li>Testis primary, and</li><li>Intermediate markers–any of:<div class='pdq-content-list'>"
              "<ul><li>AFP 1,000 ng/mL or more, or</li><li>LDH 1.5 or more × N</li></ul></div></li>"
              "<li>A total of 13% to 28% of nonseminomas are intermediate prognosis.</li></ul>")


def test_a_nested_list_keeps_its_nesting_each_item_with_its_level():
    # types__testicular__hp__testicular-treatment-pdq.html; the "Key Points" lists of PDQ patient pages
    b = _list_of(nci_record(nci(P + KEY_POINTS)))
    assert b.items == ["Testis primary, and", "Intermediate markers–any of:", "AFP 1,000 ng/mL or more, or",
                       "LDH 1.5 or more × N", "A total of 13% to 28% of nonseminomas are intermediate prognosis."]
    assert b.levels == [0, 0, 1, 1, 0]


def test_a_nested_list_reads_indented_in_the_section_text():
    rec = nci_record(nci(P + KEY_POINTS))
    assert "- Intermediate markers–any of:\n  - AFP 1,000 ng/mL or more, or\n  - LDH 1.5 or more × N\n- A total" in (
        rec.sections[0].text)


def test_a_flat_list_has_no_levels():
    b = _list_of(nci_record(nci(P + "<ol><li>First</li><li>Second</li></ol>")))
    assert (b.items, b.levels) == (["First", "Second"], [])


def test_an_item_a_rule_drops_takes_its_level_with_it():
    html = P + "<ul><li>Top<ul><li>Enlarge</li><li>Child</li></ul></li><li>Next</li></ul>"
    b = _list_of(nci_record(nci(html)))
    assert (b.items, b.levels) == (["Top", "Child", "Next"], [0, 1, 0])


CALENDAR = ("<table><thead><tr><th>Date</th><th>Event</th></tr></thead><tbody><tr><td>February 14, 2023</td>"
            "<td>Rising Scholars seminar</td></tr></tbody></table>")


def _table_of(rec):
    [b] = [b for s in rec.sections for b in s.blocks if b.type == "table"]
    return b


@pytest.mark.parametrize("table,header_rows", [
    (CALENDAR, 1),
    ("<table><tr><th>Date</th><th>Event</th></tr><tr><th>Feb 14</th><td>Seminar</td></tr></table>", 1),
    ("<table><tr><td>Date</td><td>Event</td></tr><tr><td>Feb 14</td><td>Seminar</td></tr></table>", 0),
], ids=["thead", "a row of th cells", "no th at all"])
def test_a_tables_header_rows_are_marked(table, header_rows):
    assert _table_of(nci_record(nci(P + table))).header_rows == header_rows


def test_a_table_inside_a_list_item_stays_a_table_after_the_list():
    rec = nci_record(nci(P + f"<ul><li>Seminar schedule:{CALENDAR}</li><li>Apply by March 1.</li></ul>"))
    blocks = [b for s in rec.sections for b in s.blocks]
    assert [b.type for b in blocks] == ["paragraph", "list", "table"]
    assert blocks[1].items == ["Seminar schedule:", "Apply by March 1."]
    assert blocks[2].rows == [["Date", "Event"], ["February 14, 2023", "Rising Scholars seminar"]]


def test_the_inspect_page_renders_a_nested_list_as_nested_lists():
    from ingest.cli.inspect_render import _list_html

    html = _list_html({"type": "list", "ordered": False, "items": ["a", "b", "c"], "levels": [0, 1, 0]}, {})
    assert html == "<ul><li>a<ul><li>b</li></ul></li><li>c</li></ul>"


# --------------------------------------------------------------------------------------- figures
FIGURE = ("<div class='embedded-entity align-right'><figure class='image-medium centered-set'><div class='centered-element'>"
          "<img src='/images/aspirin.jpg' alt='Pills spilling out of bottle'></div><figcaption><div class='caption-container'>"
          "<p>Taking low-dose aspirin may reduce the risk of colorectal cancer.</p>"
          "<div class='image-photo-credit'>Credit: iStock</div></div></figcaption></figure></div>")


def test_a_figure_is_a_figure_block_with_its_caption_image_and_credit():
    # about-cancer__causes-prevention__research__aspirin-cancer-risk.html
    rec = nci_record(nci(P + FIGURE), "/about-cancer/causes-prevention/research/aspirin-cancer-risk")
    [fig] = [b for s in rec.sections for b in s.blocks if b.type == "figure"]
    assert (fig.caption, fig.image, fig.alt, fig.credit) == (
        "Taking low-dose aspirin may reduce the risk of colorectal cancer.", "https://www.cancer.gov/images/aspirin.jpg",
        "Pills spilling out of bottle", "Credit: iStock")
    assert "Taking low-dose aspirin may reduce the risk of colorectal cancer.\nCredit: iStock" in rec.sections[0].text


def test_an_image_only_figure_keeps_its_image_and_adds_no_text():
    rec = nci_record(nci(P + "<figure><img src='/b.png' alt='A drawing'></figure>"))
    [fig] = [b for s in rec.sections for b in s.blocks if b.type == "figure"]
    assert (fig.caption, fig.image, fig.credit) == ("", "https://www.cancer.gov/b.png", None)
    assert rec.sections[0].text == rec.sections[0].blocks[0].text


def test_a_figure_goes_into_chunks_as_its_caption_and_credit():
    from ingest.core.chunking import split_section

    rec = nci_record(nci(P + FIGURE))
    text = "\n".join(split_section(rec.sections[0], 500))
    assert "Taking low-dose aspirin may reduce the risk of colorectal cancer.\nCredit: iStock" in text


BOXED_STORY = ("<aside class='story-box'><h3>One family's story</h3><p>" + "When Maria was diagnosed, her family "
               "joined a clinical trial close to home and learned what the treatment would involve. " * 4 + "</p></aside>")


def test_an_editorial_box_in_an_aside_stays_content_in_its_section():
    # a blog post's boxed story: an <aside> in the article, mostly its own text (not a link list)
    rec = nci_record(nci(P + BOXED_STORY), "/news-events/cancer-currents-blog/2024/x")
    [s] = [s for s in rec.sections if s.heading == "One family's story"]
    assert s.text.startswith("When Maria was diagnosed")
    assert not [r for r in rec.provenance.removals if "Maria" in r.text]


def test_a_link_list_aside_in_the_article_is_chrome_dropped_and_logged():
    links = "".join(f"<li><a href='/p{k}'>A related page about cancer treatment number {k}</a></li>" for k in range(6))
    rec = nci_record(nci(P + f"<aside class='related-resources list'><h6>Related Resources</h6><ul>{links}</ul></aside>"))
    assert "Related Resources" not in body_text(rec)
    assert [r.rule for r in rec.provenance.removals if "Related Resources" in r.text] == ["html.chrome.aside"]


def test_drop_selectors_mixing_class_lists_and_xpath_find_what_each_finds_alone():
    from lxml import html as lhtml

    from ingest.core.loaders.html.selectors import _select_all_inside, _select_inside

    zone = lhtml.fromstring("<div><p class='a'>1</p><div class='embedded-entity'><div class='feature-card'>2</div></div>"
                            "<div class='row'><div class='feature-card'>3</div></div><span id='x'>4</span></div>")
    sels = [".a", ".//*[contains(@class, 'feature-card')][ancestor::*[contains(@class, 'embedded-entity')]]", "#x, .row"]
    assert _select_all_inside(zone, sels) == [_select_inside(zone, s) for s in sels]
    assert [[e.text_content() for e in found] for found in _select_all_inside(zone, sels)] == [["1"], ["2"], ["3", "4"]]
