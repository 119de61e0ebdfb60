"""The bundled seeds: golden files, with/without snippets, field values, determinism."""

from __future__ import annotations

import json

import pytest

from ingest.core.serialize import canonical_json

from .helpers import RAW, ROOT, body_text, dig, norm_seed
from .seeds_expectations import SEED_EXPECTATIONS

GOLDEN = ROOT / "tests" / "golden"
SEEDS = sorted(p.name for p in RAW.glob("*.txt"))


def test_every_seed_has_expectations_and_a_golden_file():
    assert SEEDS == sorted(SEED_EXPECTATIONS)
    assert sorted(p.name for p in GOLDEN.glob("*.json")) == [s.replace(".txt", ".json") for s in SEEDS]


@pytest.mark.parametrize("seed", SEEDS)
def test_each_seed_matches_its_golden_record(seed):
    expected = (GOLDEN / seed.replace(".txt", ".json")).read_text(encoding="utf-8")
    got = canonical_json(norm_seed(seed)).decode("utf-8")
    assert got == expected, f"{seed} differs from its golden file; if the change is intended run `make golden`"


@pytest.mark.parametrize("seed", SEEDS)
def test_each_seed_keeps_the_sentences_it_must_keep(seed):
    body = body_text(norm_seed(seed))
    missing = [w for w in SEED_EXPECTATIONS[seed]["with"] if w not in body]
    assert not missing


@pytest.mark.parametrize("seed", SEEDS)
def test_each_seed_loses_the_chrome_it_must_lose(seed):
    body = body_text(norm_seed(seed))
    left = [w for w in SEED_EXPECTATIONS[seed]["without"] if w in body]
    assert not left


@pytest.mark.parametrize(
    "seed,path,value",
    [(s, p, v) for s, e in sorted(SEED_EXPECTATIONS.items()) for p, v in e["fields"].items()],
)
def test_each_seed_field_has_the_expected_value(seed, path, value):
    assert dig(norm_seed(seed).model_dump(mode="json"), path) == value


@pytest.mark.parametrize("seed", SEEDS)
def test_the_same_bytes_give_the_same_json(seed):
    assert canonical_json(norm_seed(seed)) == canonical_json(norm_seed(seed))


@pytest.mark.parametrize("seed", SEEDS)
def test_no_redaction_marker_survives_anywhere_in_a_record(seed):
    rec = norm_seed(seed).model_dump(mode="json")
    rec.pop("provenance")  # provenance lists what was removed, on purpose
    assert "removed]" not in json.dumps(rec, ensure_ascii=False)


def test_the_damaged_heading_of_seed_000_is_repaired_from_the_question_title():
    rec = norm_seed("000_1cf3df3bac4fc228.txt")
    assert rec.sections[0].heading == "What happens if the clinical trial treatment for Leukemia doesn't work"
    [repair] = rec.provenance.repairs
    assert repair.before == "What [facility removed]al Trial Treatment Doesn't Work"
    assert any(r.kind == "redaction" and r.text == "[facility removed]" for r in rec.provenance.removals)


def test_questions_to_ask_stay_one_item_per_question():
    rec = norm_seed("001_d2d436e0fefeada2.txt")
    [sec] = [s for s in rec.sections if s.heading == "Important Questions to Ask Your Doctor"]
    [lst] = [b for b in sec.blocks if b.type == "list"]
    assert len(lst.items) == 6
    assert all(item.startswith('"') for item in lst.items)


def test_ai_answer_notices_keep_the_disclaimers_out_of_the_body():
    rec = norm_seed("000_1cf3df3bac4fc228.txt")
    kinds = [n.kind for n in rec.notices]
    assert kinds == ["ai_disclosure", "disclaimer"]
    assert "It is not medical advice" in rec.notices[0].text


def test_source_guidelines_become_a_citation_with_its_year_and_every_mention_points_to_it():
    rec = norm_seed("001_d2d436e0fefeada2.txt")
    [cit] = rec.citations
    assert (cit.title, cit.year, cit.kind) == ("NCCN Guidelines for Patients: Chronic Lymphocytic Leukemia", 2026, "guideline")
    cited = [s.heading for s in rec.sections if cit.id in s.citation_ids]
    assert "Why This Matters" in cited and "How Doctors Think About Treatment Response" in cited


def test_nci_seed_turns_glossary_links_into_terms_and_pubmed_links_into_citations():
    rec = norm_seed("004_c67a55daeefbee0f.txt")
    assert [g.cdr_id for g in rec.glossary][:2] == ["CDR0000045586", "CDR0000045736"]
    assert rec.glossary[0].term == "acute lymphoblastic leukemia"
    assert rec.glossary[0].url == "https://www.cancer.gov/publications/dictionaries/cancer-terms/def/45586"
    pmids = [c.pmid for c in rec.citations if c.kind == "pubmed"]
    assert pmids == ["22494120", "22494125"]
    assert [c.text for c in rec.citations if c.kind == "publisher"] == ["NCI, 2025"]
    links = [lk.url for s in rec.sections for b in s.blocks for lk in b.links]
    assert "https://www.cancer.gov/ncicancerbulletin" in links
    assert not any("popDefinition" in u for u in links)


def test_the_id_comes_from_the_url_when_known_and_from_the_relative_path_otherwise():
    from ingest.core.record import record_id

    assert norm_seed("004_c67a55daeefbee0f.txt").id == record_id(
        "https://www.cancer.gov/types/leukemia/research/more-chemo-helps-all", "ignored"
    )
    assert norm_seed("003_a791fc4135c499f1.txt").id == record_id(None, "raw/003_a791fc4135c499f1.txt")


# ---- the AI answers' run-together header (issue 14): other topics, other date forms, after a title line.
# Each row: (name, the first lines of seed 000 with the header replaced, header topic words, date, service).
_SEED_000 = (RAW / "000_1cf3df3bac4fc228.txt").read_text(encoding="utf-8")
_TITLE = "What happens if the clinical trial treatment for Leukemia doesn't work"
_HEADER_000 = "LeukemiaMay 15, 2026Navis AI"
HEADER_CASES = [
    ("a topic with parentheses after a title line", f"{_TITLE}\n\nAML (Acute Myeloid Leukemia)June 2, 2026Navis AI",
     "AML (Acute Myeloid Leukemia)", "2026-06-02", "Navis AI"),
    ("a long topic with a slash and parentheses", f"{_TITLE}\n\nChronic Lymphocytic Leukemia / Small Lymphocytic "
     "Lymphoma (CLL/SLL)Jan. 5, 2026Navis AI",
     "Chronic Lymphocytic Leukemia / Small Lymphocytic Lymphoma (CLL/SLL)", "2026-01-05", "Navis AI"),
    ("a topic with digits, a hyphen and an apostrophe", f"{_TITLE}\n\nStage 4 Non-Hodgkin's LymphomaDec 12, 2025Navis AI",
     "Stage 4 Non-Hodgkin's Lymphoma", "2025-12-12", "Navis AI"),
    ("a topic with a plus sign", f"{_TITLE}\n\nHER2+ Breast CancerSeptember 30, 2025Navis AI",
     "HER2+ Breast Cancer", "2025-09-30", "Navis AI"),
    ("a day-first date", f"{_TITLE}\n\nB-Cell ALL2 June 2026Navis AI", "B-Cell ALL", "2026-06-02", "Navis AI"),
    ("an ISO date", f"{_TITLE}\n\nMultiple Myeloma2026-06-02Navis AI", "Multiple Myeloma", "2026-06-02", "Navis AI"),
    ("a US numeric date glued to the topic", f"{_TITLE}\n\nLung Cancer06/02/2026Navis AI", "Lung Cancer",
     "2026-06-02", "Navis AI"),
    ("the parts set apart by separators", f"{_TITLE}\n\nMyelodysplastic Syndromes (MDS) | June 2, 2026 | Navis AI",
     "Myelodysplastic Syndromes (MDS)", "2026-06-02", "Navis AI"),
    ("the header on line 3 after a title and a subtitle", f"{_TITLE}\n\nAnswers for patients and families\n\n"
     "AML (Acute Myeloid Leukemia)June 2, 2026Navis AI", "AML (Acute Myeloid Leukemia)", "2026-06-02", "Navis AI"),
    ("the header before the title", f"AML (Acute Myeloid Leukemia)June 2, 2026Navis AI\n\n{_TITLE}",
     "AML (Acute Myeloid Leukemia)", "2026-06-02", "Navis AI"),
]


def _with_header(lines: str) -> str:
    head = f"{_TITLE}\n\n{_HEADER_000}"
    assert _SEED_000.startswith(head)
    return lines + _SEED_000[len(head):]


@pytest.mark.parametrize("name,lines,topic,date,service", HEADER_CASES, ids=[c[0] for c in HEADER_CASES])
def test_the_ai_header_is_read_whatever_its_topic_date_form_and_line(name, lines, topic, date, service):
    from .helpers import norm

    rec = norm(_with_header(lines), "answer.txt")
    assert rec.source.family == "ai_answer"
    assert (rec.dates.published and rec.dates.published.value, rec.source.publisher) == (date, service)
    assert [r.text for r in rec.provenance.removals if r.rule == "ai.header"] == [lines.split("\n")[-1]
                                                                                    if lines.startswith(_TITLE)
                                                                                    else lines.split("\n")[0]]
    assert topic not in body_text(rec).split("\n")[:3] and "Navis AI" not in body_text(rec)
    assert rec.title == _TITLE


# Lines near the top that hold a date but are no header: they stay in the body and give no date.
NOT_HEADER_CASES = [
    ("a sentence with a date and no service", "The FDA approved this drug on June 2, 2026."),
    ("a sentence that ends in AI after a date with a lead-in word", "The results were published on June 2, 2026 by Navis AI"),
    ("a sentence with a date in the middle", "Since June 2, 2026, doctors have used a new AI tool for this."),
]


@pytest.mark.parametrize("name,line", NOT_HEADER_CASES, ids=[c[0] for c in NOT_HEADER_CASES])
def test_an_ordinary_sentence_with_a_date_is_not_a_header(name, line):
    from .helpers import norm

    rec = norm(_with_header(f"{_TITLE}\n\n{line}"), "answer.txt")
    assert rec.dates.published is None
    assert rec.source.publisher is None
    assert line in body_text(rec)
