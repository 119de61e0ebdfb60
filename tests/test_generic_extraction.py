"""Issue 14: the generic path reads trafilatura's extracted tree without its XML round trip.

``generic._extract_tree`` takes the tree ``trafilatura.bare_extraction`` returns and cleans it as
``trafilatura.extract(output_format="xml")`` does before serializing (saving the serializing, the
parse back and a content fingerprint nobody reads). These tests hold it to what it replaces: on real
pages of every WCXB page type, the blocks walked from ``_extract_tree`` are the blocks walked from
``extract``'s XML string, word for word, including where XML indentation put the only space between
two words (a table cell holding two ``<code>`` elements and nothing else). One difference is meant:
a code block nested in a code block keeps all its lines (trafilatura's XML kept the first).
"""

from __future__ import annotations

import gzip
import json

import pytest
from lxml import etree

from ingest.core.loaders.html import generic
from ingest.core.loaders.html.parsing import parse_html
from ingest.core.loaders.html.walk import _walk

from .helpers import CORPUS

WCXB = CORPUS / "wcxb-dev-more"
needs_wcxb = pytest.mark.skipif(not (WCXB / "html").is_dir(), reason="shared corpus not present")


def _pages() -> list[str]:
    """Two pages of each WCXB page type (the first two by file name), and 0686 (the cell of <code>s)."""
    if not (WCXB / "ground-truth").is_dir():
        return []
    by_type: dict[str, list[str]] = {}
    for g in sorted((WCXB / "ground-truth").glob("*.json")):
        pt = ((json.loads(g.read_text(encoding="utf-8")).get("_internal") or {}).get("page_type") or {})
        primary = pt.get("primary", "article") if isinstance(pt, dict) else str(pt)
        by_type.setdefault(primary, []).append(g.stem)
    chosen = sorted({s for stems in by_type.values() for s in stems[:2]} | {"0686"})
    return [s for s in chosen if (WCXB / "html" / f"{s}.html.gz").is_file()]


def _prepared(stem: str) -> etree._Element:
    html = gzip.decompress((WCXB / "html" / f"{stem}.html.gz").read_bytes()).decode("utf-8", "replace")
    root = parse_html(html).root
    etree.strip_elements(root, *generic._NEVER_CONTENT, *generic._NO_TEXT, with_tail=False)
    return root


def _blocks_from_xml_string(page: etree._Element, settings: dict) -> list:
    """What the generic path did before: ``extract`` to an XML string, parsed back, walked."""
    import trafilatura

    xml = trafilatura.extract(page, output_format="xml", include_tables=True, include_links=False,
                              include_comments=False, **settings)
    if not xml:
        return []
    doc = etree.fromstring(xml.encode("utf-8"), parser=etree.XMLParser(remove_comments=True, remove_pis=True))
    generic._traf_to_html(doc)
    return _walk(doc)


@needs_wcxb
@pytest.mark.parametrize("stem", _pages())
@pytest.mark.parametrize("settings", [{}, {"favor_recall": True}], ids=["balanced", "favor_recall"])
def test_the_extracted_tree_walks_into_the_blocks_of_trafilaturas_xml_output(stem, settings):
    page = _prepared(stem)
    expected = _blocks_from_xml_string(page, settings)
    got = generic._trafilatura_blocks(page, settings)
    assert [(b.kind, b.plain()) for b in got] == [(b.kind, b.plain()) for b in expected]
    assert got == expected


@pytest.mark.parametrize(
    ("xml", "words"),
    [
        ("<body><table><row><cell><hi>source</hi><hi>content</hi></cell></row></table></body>", "source content"),
        ("<body><p>one <hi>two</hi><hi>three</hi></p></body>", "one twothree"),  # text around: no indentation
        ("<body><list><item><p>a</p><p>b</p></item></list></body>", "a b"),
    ],
    ids=["a cell of inline elements only", "a paragraph with text of its own", "an item of paragraphs"],
)
def test_children_of_an_element_without_text_of_their_own_stay_words_apart(xml, words):
    body = etree.fromstring(xml)
    generic._finish_like_xml_output(body)
    assert " ".join("".join(body.itertext()).split()) == words


def test_a_code_block_inside_a_code_block_keeps_every_line():
    body = etree.fromstring("<body><p>Call it:</p><code><code>const a = 1;<lb/>function f() {<lb/>  return a;<lb/>}"
                            "</code></code></body>")
    generic._finish_like_xml_output(body)
    generic._traf_to_html(body)
    text = " ".join(b.plain() for b in _walk(body))
    assert " ".join(text.split()) == "Call it: const a = 1; function f() { return a; }"


@needs_wcxb
def test_every_line_of_a_highlighted_snippet_on_a_real_page_is_kept():
    """WCXB 2873 (react.dev): each example is ``<pre><code>`` around one ``<div>`` per line."""
    page = _prepared("2873")
    text = "\n".join(b.plain() for b in generic._trafilatura_blocks(page, {}))
    assert "setName('Taylor');" in text and "setAge(a => a + 1);" in text
    assert "setName('Taylor');" not in "\n".join(b.plain() for b in _blocks_from_xml_string(page, {}))


SANITIZE_TEXTS = ["plain words", "  spaced   words  ", "", "   ", "line one\nline two", "tab\tseparated", "a&nbsp;b",
                  "zero\u200bwidth", "soft\u00adhyphen", "symbol \u2424 for newline", "trailing ", " leading",
                  "code\n\n  indented\n", "caf\u00e9 cr\u00e8me", "x&#13;y", "\u00a0nbsp\u00a0"]


@pytest.mark.parametrize("text", SANITIZE_TEXTS, ids=repr)
@pytest.mark.parametrize(("preserve", "trailing"), [(False, False), (False, True), (True, True)],
                         ids=["text", "inline text", "code"])
def test_the_fast_text_sanitizing_gives_what_trafilaturas_sanitize_gives(text, preserve, trailing):
    from trafilatura.utils import sanitize

    assert generic._sanitize_text(text, preserve, trailing, sanitize) == sanitize(text, preserve, trailing)
