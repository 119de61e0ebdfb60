"""HTML loader: structure, links, chrome removal, robustness, zones, metadata, real cancer.gov pages."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ingest.core.blocks import Block
from ingest.core.loaders.html import DEFAULT_ZONES, css_to_xpath, load_html, load_html_generic

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
CANCER_GOV = CORPUS / "cancer-gov-html"
needs_corpus = pytest.mark.skipif(not CANCER_GOV.is_dir(), reason="shared corpus not available")


def page(body: str, head: str = "") -> str:
    return f"<!DOCTYPE html><html lang='en'><head><title>T</title>{head}</head><body>{body}</body></html>"


def blocks(html: str, **kw) -> list[Block]:
    return load_html(html, **kw).blocks


def all_text(html: str, **kw) -> str:
    return "\n".join(b.plain() for b in blocks(html, **kw))


def only(html: str, kind: str) -> Block:
    found = [b for b in blocks(html) if b.kind == kind]
    assert len(found) == 1, found
    return found[0]


def corpus_page(name: str) -> str:
    return (CANCER_GOV / name).read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# structure


def test_list_items_stay_separate():
    b = only(page("<ul><li>Fever</li><li>Night <b>sweats</b></li><li>Weight loss</li></ul>"), "list")
    assert b.items == ["Fever", "Night sweats", "Weight loss"]
    assert b.ordered is False


def test_an_ordered_list_says_so():
    assert only(page("<ol><li>First</li><li>Second</li></ol>"), "list").ordered is True


def test_nested_list_items_become_further_items_of_the_outer_list():
    b = only(page("<ul><li>Blood tests<ul><li>CBC</li><li>Smear</li></ul></li><li>Biopsy</li></ul>"), "list")
    assert b.items == ["Blood tests", "CBC", "Smear", "Biopsy"]


def test_table_rows_are_kept_and_empty_rows_skipped():
    html = page(
        "<table><caption>Drugs</caption><thead><tr><th>Name</th><th>Type</th></tr></thead>"
        "<tbody><tr><td>Ondansetron</td><td>5-HT3</td></tr><tr><td> </td><td></td></tr>"
        "<tr><td>Dexamethasone</td><td>Steroid</td></tr></tbody></table>"
    )
    table = only(html, "table")
    assert table.rows == [["Name", "Type"], ["Ondansetron", "5-HT3"], ["Dexamethasone", "Steroid"]]
    assert [b.text for b in blocks(html) if b.kind == "paragraph"] == ["Drugs"]  # the caption


def test_a_layout_table_is_walked_like_containers():
    html = page("<table><tr><td><h2>Side effects</h2><p>Fatigue is common.</p></td></tr></table>")
    assert [(b.kind, b.text) for b in blocks(html)] == [("heading", "Side effects"), ("paragraph", "Fatigue is common.")]


@pytest.mark.parametrize("level", [1, 2, 3, 4, 5, 6])
def test_headings_keep_their_level(level):
    b = only(page(f"<h{level}>Treatment  options</h{level}><p>text</p>"), "heading")
    assert (b.text, b.level) == ("Treatment options", level)


def test_a_definition_list_becomes_term_colon_definition_items():
    b = only(page("<dl><dt>CBC</dt><dd>Complete blood count.</dd><dt>AML</dt><dd>Acute myeloid leukemia.</dd></dl>"), "list")
    assert b.items == ["CBC: Complete blood count.", "AML: Acute myeloid leukemia."]


def test_a_definition_list_whose_term_is_a_heading_is_a_layout_box():
    # cancer.gov glossary pop-ups: <dl><dt><h1>term</h1><span>(pronunciation)</span></dt><dd>definition</dd></dl>
    html = page("<dl><dt><h1>bone marrow</h1><span>(bone MAYR-oh)</span></dt><dd>The soft, spongy tissue.</dd></dl>")
    assert [(b.kind, b.text) for b in blocks(html)] == [
        ("heading", "bone marrow"), ("paragraph", "(bone MAYR-oh)"), ("paragraph", "The soft, spongy tissue.")]


@pytest.mark.parametrize(
    "body,expected",
    [
        ("<blockquote><p>It isn't my fault.</p><p>Becky</p></blockquote>", [("quote", "It isn't my fault. Becky")]),
        ("<figure><img src='x.png' alt='ALT TEXT'><figcaption>Anatomy of the <b>bone</b>.</figcaption></figure>",
         [("figure", "Anatomy of the bone.")]),
        ("<p>Line one<br>line two</p>", [("paragraph", "Line one line two")]),
        ("<div>Intro <p>Inner paragraph.</p> closing words</div>",
         [("paragraph", "Intro"), ("paragraph", "Inner paragraph."), ("paragraph", "closing words")]),
        ("<section><div><div>Deep text</div></div></section>", [("paragraph", "Deep text")]),
        ("<p>a\u00a0\u00a0b\t\n c\u200bd</p>", [("paragraph", "a b cd")]),
        ("<p>  </p><p>\u00a0</p><div><span> </span></div>", []),
    ],
    ids=["blockquote is one quote", "a figure is one figure block and its alt text is not its text",
         "br inside a paragraph is a space", "container text is emitted once around nested blocks",
         "nested divs give one paragraph", "whitespace and nbsp fold to one space", "empty blocks are dropped"],
)
def test_each_construct_becomes_the_expected_blocks(body, expected):
    assert [(b.kind, b.plain()) for b in blocks(page(body))] == expected


# ---------------------------------------------------------------------------------------------
# links


def test_links_are_collected_with_their_raw_hrefs():
    html = page(
        "<p>CLL is a <a href='/Common/PopUps/popDefinition.aspx?id=45333&amp;version=patient'>cancer</a> of the "
        "<a href='../blood'>blood</a>, see <a href='https://www.cancer.gov/x#top'>NCI</a>.</p>"
    )
    b = only(html, "paragraph")
    assert b.text == "CLL is a cancer of the blood, see NCI."
    assert [(link.text, link.href) for link in b.links] == [
        ("cancer", "/Common/PopUps/popDefinition.aspx?id=45333&version=patient"),
        ("blood", "../blood"),
        ("NCI", "https://www.cancer.gov/x#top"),
    ]


def test_links_in_list_items_and_table_cells_belong_to_the_list_or_table():
    lst = only(page("<ul><li><a href='/a'>A</a><ul><li><a href='/b'>B</a></li></ul></li><li><a href='/c'>C</a></li></ul>"), "list")
    assert [link.href for link in lst.links] == ["/a", "/b", "/c"]  # document order
    table = only(page("<table><tr><td><a href='/t'>cell</a></td></tr></table>"), "table")
    assert [(link.text, link.href) for link in table.links] == [("cell", "/t")]


@pytest.mark.parametrize("href", ["javascript:popWindow('x')", " JavaScript:void(0)", "data:text/html,<b>x</b>", "vbscript:x"])
def test_javascript_and_data_links_are_dropped_but_their_text_is_kept(href):
    b = only(page(f'<p>See <a href="{href}">the glossary</a> now.</p>'), "paragraph")
    assert b.text == "See the glossary now."
    assert b.links == []


def test_a_link_wrapping_whole_blocks_is_attached_to_the_first_of_them_that_is_not_a_heading():
    # a section keeps no heading links: on a card the link goes with the card's text
    bl = blocks(page("<a href='/card'><div><h3>Card title</h3><p>Card text</p></div></a>"))
    assert [(b.kind, b.text) for b in bl] == [("heading", "Card title"), ("paragraph", "Card text")]
    assert bl[0].links == []
    assert [(link.text, link.href) for link in bl[1].links] == [("Card title Card text", "/card")]


def test_a_link_wrapping_only_a_heading_stays_on_it():
    bl = blocks(page("<a href='/card'><h3>Card title</h3></a><p>Other</p>"))
    assert [(link.text, link.href) for link in bl[0].links] == [("Card title", "/card")]


# ---------------------------------------------------------------------------------------------
# chrome never reaches a block

CHROME = [
    ("script", "<script>var SECRET = 1;</script>"),
    ("style", "<style>.SECRET { color: red }</style>"),
    ("iframe", "<iframe src='x'>SECRET</iframe>"),
    ("noscript", "<noscript>SECRET enable JavaScript</noscript>"),
    ("template", "<template><p>SECRET</p></template>"),
    ("svg", "<svg><title>SECRET</title><text>SECRET</text></svg>"),
    ("form", "<form><label>SECRET</label><input value='SECRET'><button>SECRET</button></form>"),
    ("select", "<select><option>SECRET</option></select>"),
    ("nav", "<nav><ul><li>SECRET</li></ul></nav>"),
    ("footer", "<footer>SECRET footer</footer>"),
    ("aside", "<aside>SECRET related</aside>"),
    ("role=navigation", "<div role='navigation'>SECRET</div>"),
    ("role=banner", "<div role='banner'>SECRET</div>"),
    ("role=contentinfo", "<div role='contentinfo'>SECRET</div>"),
    ("role=search", "<div role='search'>SECRET</div>"),
    ("aria-hidden", "<div aria-hidden='true'>SECRET</div>"),
    ("hidden attribute", "<div hidden>SECRET</div>"),
    ("display none", "<div style='color: red; DISPLAY : none'>SECRET</div>"),
    ("event handler attribute", "<p onclick=\"alert('SECRET')\" onmouseover='SECRET()'>visible</p>"),
    ("comment", "<!-- SECRET --><p>visible</p>"),
]


@pytest.mark.parametrize("name,chrome", CHROME, ids=[c[0] for c in CHROME])
def test_a_script_never_reaches_a_block(name, chrome):
    html = page(f"<main><p>Before.</p>{chrome}<p>After.</p></main>")
    text = all_text(html)
    assert "SECRET" not in text
    assert "Before." in text and "After." in text
    for b in blocks(html):
        assert all("SECRET" not in link.text and "SECRET" not in link.href for link in b.links)


def test_dropped_elements_keep_the_text_that_follows_them():
    assert only(page("<p>one <script>x()</script>two</p>"), "paragraph").text == "one two"


def test_a_page_header_is_chrome_but_an_article_header_is_content():
    html = page("<header>Site banner</header><article><header><h1>Article title</h1></header><p>Body.</p></article>")
    assert [(b.kind, b.text) for b in blocks(html)] == [("heading", "Article title"), ("paragraph", "Body.")]
    body_zone = page("<header><a href='/'>Site banner</a></header><div><p>Body.</p></div>")
    assert all_text(body_zone) == "Body."


def test_chrome_that_swallowed_the_main_content_through_bad_nesting_is_not_dropped():
    # an unclosed <div> inside a menu <button> makes libxml2 nest the whole page inside the header
    html = page("<header role='banner'><button><div>Menu</button><nav>Links</nav><main><p>The real content.</p></main>")
    assert "The real content." in all_text(html)
    assert "Links" not in all_text(html)


# ---------------------------------------------------------------------------------------------
# robustness


@pytest.mark.parametrize("depth", [50_000, 100_000])
def test_deeply_nested_divs_load_without_error(depth):
    html = "<html><body><p>Start.</p>" + "<div>" * depth + "deep" + "</div>" * depth + "</body></html>"
    doc = load_html(html)
    assert doc.format == "html"
    assert [b.text for b in doc.blocks][:1] == ["Start."]
    assert doc.metadata.get("html_truncated") is True  # libxml2 stops building the tree at depth 2048


def test_deeply_nested_unclosed_lists_and_generic_loader_do_not_raise():
    html = "<html><body>" + "<ul><li>item " * 5_000 + "</body></html>"
    assert load_html(html).blocks
    load_html_generic(html)


@pytest.mark.parametrize(
    "text",
    ["", "   \n\t ", "\x00\x01\x02\x03\x04" * 200, "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00" * 100,
     bytes(range(256)).decode("latin-1") * 20, "<!-- only a comment -->", "<html><body><script>alert(1)</script></body></html>",
     "<html><head><title>Only a title</title></head></html>"],
    ids=["empty", "whitespace", "control characters", "png bytes", "every byte", "only a comment", "only scripts",
         "only a head"],
)
def test_empty_or_garbage_input_gives_no_blocks_without_raising(text):
    doc = load_html(text)
    assert doc.blocks == []
    assert doc.format == "html"
    assert load_html_generic(text).blocks == []


def test_a_str_with_an_xml_encoding_declaration_still_parses():
    html = "<?xml version='1.0' encoding='ISO-8859-1'?><html><body><p>Leucémie aiguë</p></body></html>"
    assert all_text(html) == "Leucémie aiguë"


def test_a_meta_charset_does_not_reinterpret_already_decoded_text():
    html = "<html><head><meta charset='windows-1252'></head><body><p>café – naïve</p></body></html>"
    assert all_text(html) == "café – naïve"


# ---------------------------------------------------------------------------------------------
# zones


def test_zone_selection_picks_main_over_body_chrome():
    html = page("<div class='promo'>Sign up for our newsletter</div><main><h1>CLL</h1><p>Main text.</p></main>"
                "<div>Cookie settings</div>")
    doc = load_html(html)
    assert [b.text for b in doc.blocks] == ["CLL", "Main text."]
    assert doc.metadata["zone"] == "main"


def test_an_empty_main_falls_through_to_the_next_zone():
    doc = load_html(page("<main> </main><div id='content'><p>Real content.</p></div>"))
    assert [b.text for b in doc.blocks] == ["Real content."]
    assert doc.metadata["zone"] == "#content"


def test_zone_and_drop_selectors_come_from_the_caller_as_css_or_xpath():
    html = page("<main><h1>Title</h1><div id='cgvBody'><p>Body.</p><div class='on-this-page x'>TOC</div>"
                "<p class='share'>Share</p></div></main>")
    css = load_html(html, zone_selectors=("#cgvBody", "main"), drop_selectors=(".on-this-page", "p.share"))
    xpath = load_html(html, zone_selectors=("//*[@id='cgvBody']",), drop_selectors=("//p[@class='share']",))
    assert [b.text for b in css.blocks] == ["Body."]
    assert css.metadata["zone"] == "#cgvBody"
    assert [b.text for b in xpath.blocks] == ["Body.", "TOC"]


def test_drop_selectors_only_act_inside_the_zone():
    html = page("<div class='wrap'><main><p>Kept.</p><p class='wrap'>Dropped.</p></main></div>")
    assert all_text(html, drop_selectors=(".wrap",)) == "Kept."


def test_no_matching_zone_gives_no_blocks():
    doc = load_html(page("<div><p>Text outside any zone.</p></div>"), zone_selectors=("#nowhere",))
    assert doc.blocks == [] and doc.metadata["zone"] is None


def test_default_zones_are_tried_in_the_documented_order():
    assert DEFAULT_ZONES == ("main", "article", "[role=main]", "#content", "body")


@pytest.mark.parametrize(
    "css,xpath",
    [
        ("main", "//main"),
        ("#cgvBody", "//*[@id='cgvBody']"),
        ("[role=main]", "//*[@role='main']"),
        (".on-this-page", "//*[contains(@class, 'on-this-page') and "
                          "contains(concat(' ', normalize-space(@class), ' '), ' on-this-page ')]"),
        ("div#a > p", "//div[@id='a']/p"),
        ("h2 + ul", "//h2/following-sibling::*[1][self::ul]"),
        ("a[href^='/Common'], nav", "//a[starts-with(@href, '/Common')] | //nav"),
    ],
)
def test_each_css_selector_translates_to_the_expected_xpath(css, xpath):
    assert css_to_xpath(css) == xpath


@pytest.mark.parametrize("css", ["a:hover", "p::before", "", "div >"])
def test_unsupported_css_is_refused_with_a_value_error(css):
    with pytest.raises(ValueError):
        css_to_xpath(css)


# ---------------------------------------------------------------------------------------------
# metadata


def test_head_metadata_is_read():
    head = (
        "<meta name='Description' content='First  description'><meta name='description' content='second'>"
        "<meta property='og:title' content='OG title'><meta property='article:published_time' content='2024-01-02'>"
        "<meta name='dcterms.modified' content='2024-03-04'><meta itemprop='name' content='Item'>"
        "<link rel='alternate' href='/es'><link rel='Canonical' href=' https://www.cancer.gov/types/leukemia '>"
        "<base href='https://www.cancer.gov/types/'>"
    )
    md = load_html(page("<main><p>x</p></main>", head)).metadata
    assert md["html_title"] == "T"
    assert md["html_lang"] == "en"
    assert md["html_meta"]["description"] == "First description"  # lower-cased key, first wins
    assert md["html_meta"]["og:title"] == "OG title"
    assert md["html_meta"]["article:published_time"] == "2024-01-02"
    assert md["html_meta"]["dcterms.modified"] == "2024-03-04"
    assert md["html_meta"]["name"] == "Item"
    assert md["canonical_url"] == "https://www.cancer.gov/types/leukemia"
    assert md["base_href"] == "https://www.cancer.gov/types/"


@pytest.mark.parametrize(
    "body,expected",
    [
        ("<li><strong>Updated:</strong> <time datetime='2024-01-19T12:00:00Z'>January 19, 2024</time></li>",
         [{"label": "Updated", "datetime": "2024-01-19T12:00:00Z", "text": "January 19, 2024"}]),
        ("<p>Posted: <time datetime='2017-10-03'>Oct 3, 2017</time> Reviewed: <time datetime='2024-01-02'>Jan 2, 2024</time></p>",
         [{"label": "Posted", "datetime": "2017-10-03", "text": "Oct 3, 2017"},
          {"label": "Reviewed", "datetime": "2024-01-02", "text": "Jan 2, 2024"}]),
        ("<dl><dt>Last reviewed:</dt><dd><time datetime='2023-05-01'>May 1, 2023</time></dd></dl>",
         [{"label": "Last reviewed", "datetime": "2023-05-01", "text": "May 1, 2023"}]),
        ("<p><time datetime='2024-01-23'>January 23, 2024</time>, by Elia Ben-Ari</p>",
         [{"label": "", "datetime": "2024-01-23", "text": "January 23, 2024"}]),
        ("<p><strong>Updated:</strong> March 5, 2024</p>", [{"label": "Updated", "datetime": None, "text": "March 5, 2024"}]),
        ("<p><time datetime='PT7M'>7 min read</time></p>", []),
    ],
    ids=["cancer.gov date line", "two labelled dates on one line", "dt label", "unlabelled blog date",
         "date line without a time element", "a duration is not a date"],
)
def test_dates_are_found_with_their_labels(body, expected):
    md = load_html(page(f"<main><p>Text.</p>{body}</main>")).metadata
    assert md["time"] == expected


def test_dates_in_the_article_footer_are_found_although_the_footer_is_dropped():
    html = page("<main><article><p>Body.</p><footer><div class='document-dates'><ul><li><strong>Reviewed:</strong>"
                "<time datetime='2022-10-14T12:00:00Z'>October 14, 2022</time></li></ul></div></footer></article></main>")
    doc = load_html(html)
    assert doc.metadata["time"] == [{"label": "Reviewed", "datetime": "2022-10-14T12:00:00Z", "text": "October 14, 2022"}]
    assert "Reviewed" not in all_text(html)


def test_a_date_in_a_caption_sentence_is_not_a_date_line():
    html = page("<main><figure><figcaption>Figure 1. A map of the U.S. states that have approved the medical use of "
                "Cannabis, with territories and more words. Last updated: 10/14/2021</figcaption></figure></main>")
    assert load_html(html).metadata["time"] == []


@pytest.mark.parametrize(
    "body,byline",
    [
        ("<p class='byline'>By Jane Doe</p>", "Jane Doe"),
        ("<div class='post_author'><strong>By <a href='/team/x'>Dr. Vahid Osman</a></strong> - Mar 27, 2024</div>",
         "Dr. Vahid Osman"),
        ("<p><time datetime='2024-01-23'>January 23, 2024</time>, by Elia Ben-Ari</p>", "Elia Ben-Ari"),
        ("<span itemprop='author'>Carmen Phillips</span>", "Carmen Phillips"),
        ("<div class='pullquote'><p>Quote.</p><p class='author'>Becky</p></div>", None),
    ],
    ids=["byline class", "author class with a date", "cancer.gov blog line", "itemprop author", "a quote's author is no byline"],
)
def test_the_byline_is_found_when_there_is_one(body, byline):
    md = load_html(page(f"<main><h1>Title</h1>{body}<p>Text.</p></main>")).metadata
    assert md.get("byline") == byline


BYLINE_CASES = [  # the same lines, on a page of an unknown site (the generic loader reads metadata the same way)
    ("<p class='byline'>By Jane Doe</p>", "Jane Doe"),
    ("<p><time datetime='2024-01-23'>January 23, 2024</time>, by Elia Ben-Ari</p>", "Elia Ben-Ari"),
    ("<span itemprop='author'>Carmen Phillips</span>", "Carmen Phillips"),
    ("<div class='pullquote'><p>Quote.</p><p class='author'>Becky</p></div>", None),
]


@pytest.mark.parametrize("body,byline", BYLINE_CASES, ids=["byline class", "a <time> line only", "itemprop author",
                                                            "a quote's author is no byline"])
def test_the_generic_loader_finds_the_byline_of_a_page_with_or_without_author_markup(body, byline):
    text = "Regular walking helps many people cope with tiredness during treatment. " * 6
    md = load_html_generic(page(f"<main><h1>Title</h1>{body}<p>{text}</p></main>")).metadata
    assert md.get("byline") == byline


def test_a_byline_outside_the_zone_is_ignored_and_meta_author_is_the_fallback():
    html = page("<main><p>Text.</p></main><div class='related'><div class='byline'>By Someone Else</div></div>",
                "<meta name='author' content='Meta Author'>")
    assert load_html(html).metadata["byline"] == "Meta Author"


# ---------------------------------------------------------------------------------------------
# the generic (trafilatura) path

ARTICLE = page(
    "<nav><a href='/'>Home</a><a href='/news'>News</a></nav>"
    "<article><h1>Living with fatigue</h1>"
    + "".join(
        f"<p>Paragraph {i}: cancer-related fatigue is common during treatment and it can last for months "
        f"afterwards, so talk with your <a href='/Common/PopUps/popDefinition.aspx?id={i}'>doctor</a> about it.</p>"
        for i in range(6)
    )
    + "<h2>What helps</h2><ul><li>Light exercise</li><li>Good sleep habits</li><li>Balanced meals</li></ul>"
    "<table><tr><th>Activity</th><th>Minutes</th></tr><tr><td>Walking</td><td>30</td></tr></table>"
    "<footer><strong>Updated:</strong> <time datetime='2024-02-02'>February 2, 2024</time></footer></article>"
    "<footer>Copyright</footer>",
    "<meta property='og:title' content='Fatigue'>",
)


def test_the_generic_loader_turns_trafilatura_xml_into_the_same_blocks():
    doc = load_html_generic(ARTICLE)
    assert doc.metadata["extractor"] == "trafilatura"
    kinds = {b.kind for b in doc.blocks}
    assert {"heading", "paragraph", "list"} <= kinds
    lst = next(b for b in doc.blocks if b.kind == "list")
    assert lst.items == ["Light exercise", "Good sleep habits", "Balanced meals"]
    assert ("What helps", 2) in [(b.text, b.level) for b in doc.blocks if b.kind == "heading"]
    hrefs = [link.href for b in doc.blocks for link in b.links]
    assert "/Common/PopUps/popDefinition.aspx?id=0" in hrefs
    assert "Home" not in "\n".join(b.plain() for b in doc.blocks)
    # metadata still comes from the original HTML
    assert doc.metadata["html_meta"]["og:title"] == "Fatigue"
    assert doc.metadata["time"] == [{"label": "Updated", "datetime": "2024-02-02", "text": "February 2, 2024"}]


@pytest.mark.parametrize("outcome", [None, "empty body", RecursionError("too deep"), ValueError("bad")], ids=repr)
def test_the_generic_loader_falls_back_to_the_zone_walk_when_trafilatura_finds_nothing_or_fails(monkeypatch, outcome):
    import types

    import trafilatura.core
    from lxml import etree

    def fake_bare_extraction(*args, **kwargs):
        if isinstance(outcome, Exception):
            raise outcome
        return None if outcome is None else types.SimpleNamespace(body=etree.Element("body"))

    monkeypatch.setattr(trafilatura.core, "bare_extraction", fake_bare_extraction)
    doc = load_html_generic(page("<nav>Menu</nav><main><h1>Fatigue</h1><p>Tiny.</p></main>"))
    assert [b.text for b in doc.blocks] == ["Fatigue", "Tiny."]
    assert doc.metadata["extractor"] == "lxml"


# ---------------------------------------------------------------------------------------------
# real cancer.gov pages


@needs_corpus
def test_a_real_pdq_page_loads_with_title_language_text_headings_and_glossary_links():
    doc = load_html(corpus_page("types__leukemia__patient__cll-treatment-pdq.html"))
    md = doc.metadata
    assert md["html_title"] == "Chronic Lymphocytic Leukemia Treatment - NCI"
    assert md["html_lang"] == "en"
    assert md["canonical_url"] == "https://www.cancer.gov/types/leukemia/patient/cll-treatment-pdq"
    assert md["html_meta"]["dcterms.type"] == "pdqCancerInfoSummary"
    assert md["time"] == [{"label": "Updated", "datetime": "2024-01-19T12:00:00Z", "text": "January 19, 2024"}]
    headings = [(b.text, b.level) for b in doc.blocks if b.kind == "heading"]
    assert ("Chronic Lymphocytic Leukemia Treatment (PDQ®)–Patient Version", 1) in headings
    assert ("General Information About Chronic Lymphocytic Leukemia", 2) in headings
    paragraphs = [b.text for b in doc.blocks if b.kind == "paragraph"]
    assert any("CLL is a cancer of the blood and bone marrow that usually gets worse slowly." in p for p in paragraphs)
    glossary = [link for b in doc.blocks for link in b.links if link.href.startswith("/Common/PopUps/popDefinition.aspx?id=")]
    assert len(glossary) > 100
    assert ("bone marrow", "/Common/PopUps/popDefinition.aspx?id=45622&version=patient&language=English&dictionary=Cancer.gov") in [
        (link.text, link.href) for link in glossary]
    key_points = next(b for b in doc.blocks if b.kind == "list")
    assert key_points.items[1] == "Leukemia may affect red blood cells, white blood cells, and platelets."
    text = "\n".join(b.plain() for b in doc.blocks)
    for chrome in ("On This Page", "Search", "Sign up"):  # TOC nav, header search form, footer
        assert chrome not in text


@needs_corpus
@pytest.mark.parametrize(
    "name,labels",
    [
        ("about-cancer__treatment__drugs__abemaciclib.html", [("Posted", "2017-10-03T12:00:00Z"), ("Updated", "2024-01-02T12:00:00Z")]),
        ("about-cancer__diagnosis-staging__staging.html", [("Reviewed", "2022-10-14T12:00:00Z")]),
        ("news-events__cancer-currents-blog__2024__breast-cancer-skip-lymph-node-radiation.html", [("", "2024-01-23T12:00:00Z")]),
    ],
)
def test_real_pages_carry_their_date_lines(name, labels):
    md = load_html(corpus_page(name)).metadata
    assert [(t["label"], t["datetime"]) for t in md["time"]] == labels


@needs_corpus
def test_a_real_blog_post_has_its_author_byline():
    md = load_html(corpus_page("news-events__cancer-currents-blog__2024__breast-cancer-skip-lymph-node-radiation.html")).metadata
    assert md["byline"] == "Elia Ben-Ari"


@needs_corpus
@pytest.mark.parametrize("name", ["publications__dictionaries__cancer-terms__def__leukopenia.html",
                                  "research__participate__clinical-trials__disease__acute-myeloid-leukemia.html"])
def test_a_javascript_only_shell_has_no_real_text(name):
    # <main> holds only <div id="...-app-root"><noscript>You need to enable JavaScript...</noscript></div>;
    # with the default zones the body's skip link is all that is left, with content zones nothing is
    html = corpus_page(name)
    doc = load_html(html)
    assert all_text(html) == "Skip to main content"
    assert load_html(html, zone_selectors=("#cgvBody", "main", "article")).blocks == []
    assert "html_title" not in doc.metadata  # the <title> is set by JavaScript; svg icon titles are not taken
    assert doc.metadata["html_meta"]["dcterms.type"] == "nciAppModulePage"


@needs_corpus
def test_every_corpus_page_loads_quickly():
    pages = sorted(CANCER_GOV.glob("*.html"))
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in pages]
    start = time.perf_counter()
    docs = [load_html(t) for t in texts]
    elapsed = time.perf_counter() - start
    print(f"\nloaded {len(pages)} cancer.gov pages in {elapsed:.3f}s")
    assert len(docs) == len(pages) >= 40
    assert elapsed < 10  # ~0.3 s on a laptop; generous for busy CI machines
    assert sum(1 for d in docs if d.blocks) >= len(docs) - 1


# ---------------------------------------------------------------------------------------------
# cancer.gov structure fixes (issue 4)


@pytest.mark.parametrize(
    "body,expected",
    [
        ("<p>Bone has marrow.<figure><img src='x.jpg'><figcaption>Anatomy of the bone.</figcaption></figure> More text.</p>",
         [("paragraph", "Bone has marrow. More text."), ("figure", "Anatomy of the bone.")]),
        ("<ol><li><p>Step one.<figure><figcaption>Caption.</figcaption></figure></p></li><li>Step two.</li></ol>",
         [("list", "Step one.\nStep two."), ("figure", "Caption.")]),
        ("<h2 id='x'><p>How does immunotherapy work?</p></h2><p>It helps.</p>",
         [("heading", "How does immunotherapy work?"), ("paragraph", "It helps.")]),
    ],
    ids=["a figure inside a paragraph becomes its own block after it",
         "a figure inside a list item comes after the list",
         "a heading whose text libxml2 moved into a following paragraph gets it back"],
)
def test_cancer_gov_markup_quirks_give_clean_blocks(body, expected):
    assert [(b.kind, b.plain()) for b in blocks(page(f"<main>{body}</main>"))] == expected


def test_what_a_drop_selector_removes_is_reported_for_provenance():
    doc = load_html(page("<main><p>Kept.</p><div class='on-this-page'>On This Page</div></main>"),
                    drop_selectors=(".on-this-page",))
    assert doc.metadata["dropped"] == [[".on-this-page", "On This Page"]]
    assert [b.text for b in doc.blocks] == ["Kept."]


# --------------------------------------------------------------------------------------------- anchors
@pytest.mark.parametrize("body, expected", [
    pytest.param('<main><h2 id="fear">Fear</h2><p>x</p></main>', "fear", id="a heading's own id is its anchor"),
    pytest.param('<main><p>x</p><section id="_1"><h2>General</h2><p>y</p></section></main>', "_1",
                 id="a heading that opens a section with an id takes the section's id"),
    pytest.param('<main><p>x</p><section id="_1"><p>intro</p><h2>General</h2></section></main>', None,
                 id="a heading in the middle of a container does not take the container's id"),
    pytest.param('<main><p>x</p><h2>Plain</h2><p>y</p></main>', None, id="a heading without any id has no anchor"),
    pytest.param('<main><p>x</p><h2 id="a b&quot;c">Odd</h2><p>y</p></main>', None,
                 id="an id that is not a plain token is no anchor"),
    pytest.param('<main id="content"><h2>First</h2><p>y</p></main>', None,
                 id="the content zone's own id is not a heading's anchor"),
])
def test_headings_carry_the_fragment_that_leads_to_them(body: str, expected: str | None) -> None:
    headings = [b for b in blocks(page(body)) if b.kind == "heading"]
    assert headings and headings[0].anchor == expected


@needs_corpus
def test_pdq_sections_and_their_chunks_link_to_the_pages_section_anchors() -> None:
    from ingest.core.chunking import chunk_dicts
    from ingest.core.inputs import InputMeta
    from ingest.core.pipeline import process

    name = "types__leukemia__patient__cll-treatment-pdq.html"
    rec = process((CANCER_GOV / name).read_bytes(), InputMeta(input=name, filename=name)).record
    assert all(s.anchor for s in rec.sections)  # every PDQ section has one (#_1, #_3, ...)
    assert rec.sections[0].heading.startswith("General Information") and rec.sections[0].anchor == "_1"
    anchors = {s.id: s.anchor for s in rec.sections}
    chunks = chunk_dicts(rec)
    assert chunks and all(
        c["url"] == f"https://www.cancer.gov/types/leukemia/patient/cll-treatment-pdq#{anchors[c['section_id']]}"
        for c in chunks)
