"""Issue 13, Markdown export: nested lists keep their nesting; a list of headed cards is headings and text."""

from __future__ import annotations

import pytest

from ingest.core.loaders.markdown import load_markdown

from .helpers import body_text, norm

FRONT = "---\ntitle: Page\nurl: https://www.cancer.gov/news-events\n---\n\n# Page\n\n"


def md_blocks(body: str):
    return [(b.kind, b.text or b.items, b.levels) for b in load_markdown(FRONT + body).blocks if b.kind != "heading"
            or b.text != "Page"]


@pytest.mark.parametrize("body, expected", [
    pytest.param("- Outer one\n  - inner a\n  - inner b\n- Outer two\n",
                 [("list", ["Outer one", "inner a", "inner b", "Outer two"], [0, 1, 1, 0])],
                 id="a nested item keeps its depth"),
    pytest.param("- one\n- two\n", [("list", ["one", "two"], [])], id="a flat list has no levels"),
    pytest.param("1. First\n   1. sub\n2. Second\n", [("list", ["First", "sub", "Second"], [0, 1, 0])],
                 id="an ordered list nests too"),
])
def test_markdown_lists_keep_their_nesting(body: str, expected: list) -> None:
    assert md_blocks(body) == expected


def test_a_list_of_headed_cards_becomes_headings_with_their_text_not_list_items() -> None:
    body = ("- ### [Drug approved for breast cancer](/news-events/cancer-currents-blog/2024/x)\n\n"
            "  A new drug was approved.\n\n"
            "- ### [Another story](/news-events/y)\n\n  Researchers found a link.\n\n"
            "After the cards.\n")
    assert md_blocks(body) == [
        ("heading", "Drug approved for breast cancer", []), ("paragraph", "A new drug was approved.", []),
        ("heading", "Another story", []), ("paragraph", "Researchers found a link.", []),
        ("paragraph", "After the cards.", []),
    ]
    rec = norm(FRONT + body, "news.md")
    card = next(s for s in rec.sections if s.heading == "Drug approved for breast cancer")
    assert card.blocks[0].text == "A new drug was approved."
    assert "[" not in body_text(rec) and "](" not in body_text(rec)


def test_a_list_whose_items_only_contain_a_heading_further_down_stays_a_list() -> None:
    body = "- first item\n- second item\n\n### Not in the list\n\nText.\n"
    assert md_blocks(body)[0] == ("list", ["first item", "second item"], [])


def test_nested_markdown_items_reach_the_record_with_their_levels() -> None:
    rec = norm(FRONT + "## Key Points\n\n- Outer\n  - inner\n", "kp.md")
    lst = rec.sections[-1].blocks[0]
    assert (lst.items, lst.levels) == (["Outer", "inner"], [0, 1])
