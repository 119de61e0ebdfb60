"""Extraction quality on real pages: the with/without snippet checks of tests/snippets_cancer_gov.py.

bench/quality.py runs the same checks on bare trafilatura and readability-lxml for comparison.
"""

from __future__ import annotations

import json
from functools import cache

import pytest

from ingest.core.inputs import InputMeta
from ingest.core.pipeline import Published, process

from .helpers import CORPUS, body_text, dig, snippet_checks
from .snippets_cancer_gov import ACS_TEXT, CANCER_GOV_HTML, CANCER_GOV_HTML_MORE, CANCER_GOV_MARKDOWN

needs_corpus = pytest.mark.skipif(not (CORPUS / "cancer-gov-html").is_dir(), reason="shared corpus not available")

FOLDERS = {"html": CORPUS / "cancer-gov-html", "more": CORPUS / "cancer-gov-html-more", "md": CORPUS / "cancer-gov-markdown",
           "acs": CORPUS / "cancer-org-text"}
CASES = [("html", n, e) for n, e in CANCER_GOV_HTML.items()] + [("md", n, e) for n, e in CANCER_GOV_MARKDOWN.items()] + [
    ("acs", n, e) for n, e in ACS_TEXT.items()]
if FOLDERS["more"].is_dir():
    CASES += [("more", n, e) for n, e in CANCER_GOV_HTML_MORE.items()]
IDS = [f"{k}:{n}" for k, n, _ in CASES]


@cache
def _pages(kind: str = "html") -> dict[str, dict]:
    path = FOLDERS[kind] / "pages.json"
    return {p["file"]: p for p in json.loads(path.read_text(encoding="utf-8"))} if path.is_file() else {}


@cache
def outcome(kind: str, name: str):
    path = FOLDERS[kind] / name
    page = _pages(kind).get(name, {}) if kind in ("html", "more") else {}
    meta = InputMeta(input=f"{FOLDERS[kind].name}/{name}", filename=path.name, url=page.get("url"),
                     fetched_at=page.get("crawled_utc"), content_type=page.get("content_type"))
    return process(path.read_bytes(), meta)


def record(kind: str, name: str):
    o = outcome(kind, name)
    assert isinstance(o, Published), f"{name} was quarantined: {o.kind}: {o.reason}"
    return o.record


@needs_corpus
@pytest.mark.parametrize("kind,name,exp", CASES, ids=IDS)
def test_each_page_keeps_the_sentences_it_must_keep(kind, name, exp):
    if "quarantine" in exp:
        pytest.skip("quarantined page")
    body = body_text(record(kind, name))
    assert [w for w in exp["with"] if w not in body] == []


@needs_corpus
@pytest.mark.parametrize("kind,name,exp", CASES, ids=IDS)
def test_each_page_loses_the_chrome_it_must_lose(kind, name, exp):
    o = outcome(kind, name)
    if "quarantine" in exp:
        assert not isinstance(o, Published)
        return
    body = body_text(o.record)
    assert [w for w in exp["without"] if w in body] == []


@needs_corpus
@pytest.mark.parametrize(
    "kind,name,path,value",
    [(k, n, p, v) for k, n, e in CASES for p, v in e.get("fields", {}).items()],
)
def test_each_page_field_has_the_expected_value(kind, name, path, value):
    got = dig(record(kind, name).model_dump(mode="json"), path)
    assert got == value


@needs_corpus
@pytest.mark.parametrize("kind,name,exp", [c for c in CASES if c[2].get("headings")], ids=lambda x: x if isinstance(x, str) else "")
def test_each_page_has_its_section_headings(kind, name, exp):
    headings = [s.heading for s in record(kind, name).sections]
    assert [h for h in exp["headings"] if h not in headings] == []


@needs_corpus
@pytest.mark.parametrize("kind,name,exp", [c for c in CASES if c[2].get("glossary_min")], ids=lambda x: x if isinstance(x, str) else "")
def test_each_page_turns_its_glossary_links_into_entries(kind, name, exp):
    rec = record(kind, name)
    assert len(rec.glossary) >= exp["glossary_min"]
    links = [lk.url for s in rec.sections for b in s.blocks for lk in b.links]
    assert not any("popDefinition" in u or "/cancer-terms/def/" in u for u in links)


@needs_corpus
@pytest.mark.parametrize("kind,name,exp", [c for c in CASES if c[2].get("pdq_citation_pmid")], ids=lambda x: x if isinstance(x, str) else "")
def test_a_pdq_summary_keeps_its_own_citation_with_its_pmid(kind, name, exp):
    rec = record(kind, name)
    [own] = [c for c in rec.citations if c.kind == "publisher" and c.pmid]
    assert own.pmid == exp["pdq_citation_pmid"]
    assert own.text.startswith("PDQ® Adult Treatment Editorial Board. PDQ Chronic Lymphocytic Leukemia Treatment.")
    assert [n.kind for n in rec.notices] == ["about"]
    assert any(r.kind == "pdq_about" for r in rec.provenance.removals)


@needs_corpus
@pytest.mark.parametrize("kind,name,exp", [c for c in CASES if c[2].get("reference_pmids_min")], ids=lambda x: x if isinstance(x, str) else "")
def test_a_health_professional_summary_reads_its_references_with_pmids(kind, name, exp):
    refs = [c for c in record(kind, name).citations if c.kind == "reference"]
    assert sum(1 for c in refs if c.pmid) >= exp["reference_pmids_min"]
    assert not any(c.text.endswith("[PUBMED Abstract]") for c in refs)
    urls = [c.url for c in refs if c.url and "cancer.org" in c.url]
    assert len(urls) <= 2  # "Available online" links are not handed to the next reference


@needs_corpus
@pytest.mark.parametrize("kind,name,exp", [c for c in CASES if "quarantine" in c[2]], ids=lambda x: x if isinstance(x, str) else "")
def test_shells_and_error_pages_are_quarantined_with_a_reason_that_says_what_they_are(kind, name, exp):
    o = outcome(kind, name)
    assert not isinstance(o, Published)
    assert (o.stage, o.kind) == ("extract", exp["quarantine"])
    assert exp["reason"] in o.reason


@needs_corpus
def test_every_html_drop_is_logged_in_provenance_with_its_rule():
    rec = record("html", "news-events__cancer-currents-blog__2024__fda-amtagvi-til-therapy-melanoma.html")
    rules = {r.rule for r in rec.provenance.removals}
    assert {"nci.html.blog_byline", "nci.html.subscribe", "nci.html.enlarge"} <= rules


@needs_corpus
@pytest.mark.parametrize(
    "kind,name,exp",
    [c for c in CASES if any(c[2].get(k) for k in ("notices", "nested", "table_cells", "reference_texts", "figures"))],
    ids=lambda x: x if isinstance(x, str) else "",
)
def test_each_page_keeps_its_notices_nested_items_table_cells_references_and_figures(kind, name, exp):
    keys = ("notices", "nested", "table_cells", "reference_texts", "figures")
    kept, _ = snippet_checks({k: exp.get(k, []) for k in keys},
                             record(kind, name))
    assert [w for w, ok in kept if not ok] == []
