"""Issue 14: the generic path (pages without a site profile) does not lose a page.

When trafilatura's first pass (balanced, its default mode) leaves nothing, a tiny text or only chrome
(text the rules remove, like "Skip to main content"), the next pass runs (``favor_recall``, then
the default-zone walk) before the page is quarantined as having no content, and the record's
``provenance.extraction`` names the pass whose text was kept.

trafilatura's extraction (``generic._extract_tree``) is replaced by a stand-in that answers per
pass, so each case says exactly what each pass finds.
"""

from __future__ import annotations

import pytest
from lxml import etree

from ingest.core.inputs import InputMeta
from ingest.core.loaders.html import generic, load_html_generic
from ingest.core.pipeline import Published, process

ARTICLE = (
    "Regular walking helps many people cope with tiredness during treatment. Short walks, taken every day, "
    "are easier to keep up than long ones. Ask your care team how much activity is safe for you, and rest when "
    "you need to. Drinking water through the day and eating small meals also help with energy levels."
)
SKIP = "<doc><main><p>Skip to main content</p></main></doc>"
FULL = f"<doc><main><head rend='h2'>Staying active</head><p>{ARTICLE}</p></main></doc>"
TINY = "<doc><main><p>Walking helps with tiredness.</p></main></doc>"
SHORTER = "<doc><main><p>Walking.</p></main></doc>"

#: The page the stand-in is asked about: the zone walk finds its <main>.
PAGE = (
    "<!DOCTYPE html><html lang='en'><head><title>Coping with fatigue</title></head><body>"
    "<a href='#main'>Skip to main content</a><nav><a href='/'>Home</a></nav>"
    f"<main id='main'><h1>Coping with fatigue</h1><p>{ARTICLE}</p></main></body></html>"
)


def fake_trafilatura(monkeypatch, balanced: str | None, recall: str | None) -> list[str]:
    """trafilatura's extraction answers ``balanced`` for the first pass and ``recall`` for favor_recall;
    returns the list of passes it was asked for."""
    calls: list[str] = []

    def extract(page, settings):
        assert not settings.get("favor_precision"), "the generic path no longer asks for favor_precision"
        name = "favor_recall" if settings.get("favor_recall") else "balanced"
        calls.append(name)
        return _xml(recall if name == "favor_recall" else balanced)

    monkeypatch.setattr(generic, "_extract_tree", extract)
    return calls


def _xml(xml: str | None):
    """trafilatura's extracted tree as the generic path gets it: the ``<main>`` of its XML output."""
    return etree.fromstring(xml).find("main") if xml else None


def published(html: str = PAGE):
    out = process(html.encode("utf-8"), InputMeta(input="raw/fatigue.html", filename="fatigue.html"))
    assert isinstance(out, Published), out
    return out.record


CASES = [
    # (name, balanced pass, recall pass, passes asked for, extraction in provenance, text expected)
    ("a first pass that gives only 'Skip to main content' is replaced by the recall pass's text",
     SKIP, FULL, ["balanced", "favor_recall"],
     "trafilatura favor_recall (after trafilatura balanced: 0 characters of content)", ARTICLE[:60]),
    ("an empty first pass is replaced by the recall pass's text",
     None, FULL, ["balanced", "favor_recall"], "trafilatura favor_recall (after trafilatura balanced: 0", ARTICLE[:60]),
    ("a tiny first pass is replaced by a longer recall pass",
     TINY, FULL, ["balanced", "favor_recall"], "trafilatura favor_recall (after trafilatura balanced: 29",
     ARTICLE[:60]),
    ("a tiny first pass is kept when the recall pass finds even less",
     TINY, SHORTER, ["balanced", "favor_recall"], "trafilatura balanced (trafilatura balanced: 29",
     "Walking helps with tiredness."),
    ("when both passes give only chrome the default-zone walk gives the page its text",
     SKIP, SKIP, ["balanced", "favor_recall"], "lxml default-zones (after trafilatura balanced: 0", ARTICLE[:60]),
    ("when both passes find nothing the default-zone walk gives the page its text",
     None, "", ["balanced", "favor_recall"], "lxml default-zones (after trafilatura balanced: 0", ARTICLE[:60]),
    ("a first pass with enough content is kept and no fallback runs",
     FULL, SKIP, ["balanced"], "trafilatura balanced", ARTICLE[:60]),
]


@pytest.mark.parametrize(("balanced", "recall", "calls", "extraction", "text"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_the_generic_path_falls_back_before_a_page_is_lost(monkeypatch, balanced, recall, calls, extraction, text):
    asked = fake_trafilatura(monkeypatch, balanced, recall)
    rec = published()
    assert asked == calls
    assert rec.provenance.extraction.startswith(extraction), rec.provenance.extraction
    body = "\n".join(s.text for s in rec.sections)
    assert text in body
    assert "Skip to main content" not in body


def test_a_first_pass_with_content_names_exactly_that_pass_in_the_record(monkeypatch):
    fake_trafilatura(monkeypatch, FULL, None)
    assert published().provenance.extraction == "trafilatura balanced"


def test_pages_with_a_site_profile_record_no_generic_extraction():
    html = ("<!DOCTYPE html><html><head><title>Fatigue - NCI</title>"
            "<link rel='canonical' href='https://www.cancer.gov/about-cancer/treatment/side-effects/fatigue'></head>"
            f"<body><main><h1>Fatigue</h1><p>{ARTICLE}</p></main></body></html>")
    out = process(html.encode(), InputMeta(input="raw/f.html", filename="f.html",
                                           url="https://www.cancer.gov/about-cancer/treatment/side-effects/fatigue"))
    assert isinstance(out, Published), out
    assert out.record.provenance.extraction is None


LINK_CASES = [
    ("a link in a kept paragraph is given back to that paragraph",
     "<main><p>Read <a href='/fatigue'>more about fatigue</a> here, it explains what helps.</p></main>",
     "/fatigue", True),
    ("a link in a kept list item is given back to the list",
     "<main><ul><li><a href='/walk'>Walking plans</a></li><li>Rest</li></ul></main>", "/walk", True),
    ("a menu link whose words also appear in the text is not given to it",
     "<div class='menu'><p><a href='/fatigue'>fatigue</a></p></div><main><p>More about fatigue, it explains what "
     "helps.</p></main>", "/fatigue", False),
]


@pytest.mark.parametrize(("body", "href", "linked"), [c[1:] for c in LINK_CASES], ids=[c[0] for c in LINK_CASES])
def test_links_are_given_back_to_the_block_whose_text_holds_them(monkeypatch, body, href, linked):
    def extract(page, settings):  # what trafilatura keeps without links: the <main> text, no <ref>
        return _xml("<doc><main><p>Read more about fatigue here, it explains what helps.</p>"
                "<p>More about fatigue, it explains what helps.</p>"
                "<list rend='ul'><item>Walking plans</item><item>Rest</item></list></main></doc>")

    monkeypatch.setattr(generic, "_extract_tree", extract)
    doc = load_html_generic(f"<!DOCTYPE html><html><head><title>T</title></head><body>{body}</body></html>")
    hrefs = [lk.href for b in doc.blocks for lk in b.links]
    assert (href in hrefs) is linked, hrefs
