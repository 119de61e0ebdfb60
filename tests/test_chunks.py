"""Issue 15: stable section ids, token-bounded chunks with their citations and context."""

from __future__ import annotations

import pytest

from ingest.core.chunking import ApproxWordPiece, Chunk, chunk_record
from ingest.core.models import Record
from ingest.core.section_ids import assign_section_ids

from .helpers import norm, norm_seed

DOC = """---
title: Chronic Lymphocytic Leukemia Treatment
url: https://www.cancer.gov/types/leukemia/patient/cll-treatment-pdq
lastReviewed: 2024-11
language: en
---

# Chronic Lymphocytic Leukemia Treatment

## General Information

Chronic lymphocytic leukemia is a type of cancer in which the bone marrow makes too many lymphocytes.

## Treatment Option Overview

There are different types of treatment for patients with CLL.

- Watchful waiting
- Targeted therapy
- Chemotherapy

## Relapsed CLL

Treatment of relapsed CLL may include targeted therapy.
"""


def _insert(doc: str, before: str, section: str) -> str:
    i = doc.index(before)
    return doc[:i] + section + doc[i:]


def test_inserting_a_section_renames_none_of_its_neighbours() -> None:
    a = norm(DOC, "cll.md")
    b = norm(_insert(DOC, "## Treatment Option Overview", "## Stages of CLL\n\nThere are four stages.\n\n"), "cll.md")
    ids_a = {s.heading: s.id for s in a.sections}
    ids_b = {s.heading: s.id for s in b.sections}
    assert set(ids_b) - set(ids_a) == {"Stages of CLL"}
    assert all(ids_b[h] == i for h, i in ids_a.items())
    assert len(set(ids_b.values())) == len(ids_b)


def test_same_named_sections_get_distinct_ids_by_position_among_themselves() -> None:
    secs = [{"path": ["A"], "heading": "Risks"}, {"path": ["B"], "heading": "Risks"},
            {"path": ["A"], "heading": "Risks"}, {"path": [], "heading": None}]
    ids = [s["id"] for s in assign_section_ids(secs)]
    assert len(set(ids)) == 4
    again = [s["id"] for s in assign_section_ids([secs[1], secs[0], secs[3]])]
    assert again == [ids[1], ids[0], ids[3]]


def test_chunk_ids_stay_the_same_across_an_edit_elsewhere_in_the_document() -> None:
    a = chunk_record(norm(DOC, "cll.md"))
    edited = DOC.replace("There are different types", "There are several different types")
    edited = _insert(edited, "## Relapsed CLL", "## Clinical Trials\n\nPatients may take part in a trial.\n\n")
    b = chunk_record(norm(edited, "cll.md"))
    ids_a = {c.text: c.id for c in a}
    ids_b = {c.text: c.id for c in b}
    unchanged = [t for t in ids_a if t in ids_b]
    assert len(unchanged) == len(a) - 1  # only the edited passage changed
    assert all(ids_a[t] == ids_b[t] for t in unchanged)
    # and across runs: the same input gives the same chunks, byte for byte
    assert [c.model_dump() for c in chunk_record(norm(DOC, "cll.md"))] == [c.model_dump() for c in a]


def test_every_chunk_carries_the_context_a_patient_answer_must_show() -> None:
    rec = norm(DOC, "cll.md")
    chunks = chunk_record(rec)
    for c in chunks:
        Chunk.model_validate(c.model_dump())  # a valid chunk
        assert c.record_id == rec.id and c.record_version == rec.version and c.title == rec.title
        assert c.url == "https://www.cancer.gov/types/leukemia/patient/cll-treatment-pdq"
        assert c.dates.last_reviewed is not None
        assert (c.dates.last_reviewed.value, c.dates.last_reviewed.precision) == ("2024-11", "month")
        assert c.language == "en" and c.ai_generated is False
    relapsed = next(c for c in chunks if c.heading_path[-1:] == ["Relapsed CLL"])
    assert "targeted therapy" in relapsed.text


@pytest.mark.parametrize("seed", ["000_1cf3df3bac4fc228.txt", "001_d2d436e0fefeada2.txt"])
def test_an_ai_answer_s_chunks_carry_its_disclosure_and_guideline_citations(seed: str) -> None:
    rec = norm_seed(seed)
    chunks = chunk_record(rec)
    assert rec.ai_generated and all(c.ai_generated for c in chunks)
    assert all(c.notices == rec.notices for c in chunks)
    cited = {c.id for ch in chunks for c in ch.citations}
    assert cited == {c for s in rec.sections for c in s.citation_ids} | {
        c.id for c in rec.citations if c.origin == "source_guidelines"
        and not any(c.id in s.citation_ids for s in rec.sections)
    }


def _long_record(n_items: int = 80) -> Record:
    items = "\n".join(f"- Item {k}: a treatment option that patients can discuss with their doctor." for k in range(n_items))
    rows = "\n".join(f"| Drug {k} | Targeted therapy given by mouth every day |" for k in range(60))
    para = " ".join(f"Sentence {k} explains one more thing about the treatment." for k in range(150))
    doc = (f"---\ntitle: Long page\nurl: https://www.cancer.gov/long\n---\n\n# Long page\n\n## List\n\n{items}\n\n"
           f"## Table\n\n| Drug | How |\n| --- | --- |\n{rows}\n\n## Paragraph\n\n{para}\n")
    return norm(doc, "long.md")


def test_chunks_respect_the_budget_and_split_between_items_rows_and_sentences() -> None:
    rec = _long_record()
    tok = ApproxWordPiece()
    for budget in (64, 128, 512):
        chunks = chunk_record(rec, max_tokens=budget)
        assert all(c.tokens <= budget and tok.count(c.text) == c.tokens for c in chunks)
        by_section: dict[str, list[str]] = {}
        for c in chunks:
            by_section.setdefault(c.heading_path[-1], []).append(c.text)
        items = [line for t in by_section["List"] for line in t.split("\n")]
        assert all(line.startswith("- Item ") and line.endswith("doctor.") for line in items)  # no item cut
        assert len(items) == 80
        for t in by_section["Table"]:
            assert t.startswith("Drug | How")  # a continued table repeats its header row
            assert all(line.count("|") == 1 for line in t.split("\n"))
        for t in by_section["Paragraph"]:
            assert t.startswith("Sentence ") and t.endswith(".")  # cut at sentence ends
    assert len(chunk_record(rec, max_tokens=64)) > len(chunk_record(rec, max_tokens=512))


def test_overlap_repeats_the_end_of_the_previous_chunk() -> None:
    rec = _long_record()
    chunks = [c for c in chunk_record(rec, max_tokens=128, overlap=20) if c.heading_path[-1] == "Paragraph"]
    assert len(chunks) > 2
    for prev, nxt in zip(chunks, chunks[1:], strict=False):
        last_sentence = prev.text.rsplit(". ", 1)[-1]
        assert nxt.text.startswith(last_sentence.rstrip("."))


def test_text_without_spaces_is_cut_within_the_budget() -> None:
    doc = "---\ntitle: 癌症\n---\n\n# 癌症\n\n## 治疗\n\n" + "癌症是一种疾病" * 400 + "\n"
    chunks = chunk_record(norm(doc, "zh.md"), max_tokens=64)
    assert len(chunks) > 1 and all(c.tokens <= 64 for c in chunks)
    assert "".join(c.text for c in chunks) == "癌症是一种疾病" * 400


@pytest.mark.parametrize("max_tokens, overlap", [(512, 0), (64, 10)])
def test_a_chunks_token_count_is_what_counting_its_text_gives_on_real_pages(max_tokens: int, overlap: int) -> None:
    # chunk_dicts sums its units' counts instead of counting each passage again (a whitespace
    # separator adds no token); on real pages with lists, tables and long paragraphs it must agree
    from ingest.core.chunking import chunk_dicts
    from ingest.core.inputs import InputMeta
    from ingest.core.pipeline import Published, process

    from .helpers import CORPUS

    tok = ApproxWordPiece()
    pages = sorted((CORPUS / "cancer-gov-html").glob("*.html"))[:12] + sorted((CORPUS / "pdq-xml").glob("*.xml"))[:3]
    checked = 0
    for p in pages:
        o = process(p.read_bytes(), InputMeta(input=p.name, filename=p.name))
        if not isinstance(o, Published):
            continue
        for c in chunk_dicts(o.record, max_tokens, overlap):
            assert c["tokens"] == max(1, tok.count(c["text"])), (p.name, c["text"][:80])
            checked += 1
    assert checked > 100


def test_chunk_dicts_are_exactly_what_the_validated_chunk_model_dumps() -> None:
    from ingest.core.chunking import chunk_dicts

    rec = norm(DOC, "cll.md")
    assert [Chunk.model_validate(c).model_dump(mode="json") for c in chunk_dicts(rec)] == chunk_dicts(rec)
