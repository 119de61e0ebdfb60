"""The same page twice (one record per canonical URL) and near-duplicate flagging."""

from __future__ import annotations

import pytest

from ingest.core.pipeline import Published, Quarantined
from ingest.core.simhash import hamming, simhash
from ingest.store.dedupe import near_duplicates, resolve_duplicates
from ingest.store.manifest import load_manifest
from ingest.store.publish import publish

from .conftest import make_record

RID = "nci-0123456789abcdef"


def copy(input: str, fmt: str, fetched_at: str | None = None, text: str = "Body text.") -> Published:
    rec = make_record(
        id=RID, source={"format": fmt, "family": "nci"},
        provenance={"input": input, "fetched_at": fetched_at, "simhash": simhash(text)},
    )
    return Published(input, rec)


@pytest.mark.parametrize(
    "copies,winner",
    [
        ([("md/a.md", "markdown", "2025-12-30"), ("html/a.html", "html", "2024-03-24")], "html/a.html"),
        ([("html/b.html", "html", "2024-03-24"), ("html/a.html", "html", "2024-03-25")], "html/a.html"),
        ([("html/b.html", "html", "2024-03-24"), ("html/a.html", "html", "2024-03-24")], "html/a.html"),
        ([("raw/a.txt", "text", None), ("xml/a.xml", "pdq_xml", None)], "xml/a.xml"),
    ],
    ids=["html is preferred over markdown", "then the newest fetched_at", "then the input name",
         "pdq xml is preferred over text"],
)
def test_the_preferred_copy_is_chosen_the_same_way_whatever_the_input_order(copies, winner):
    outs = [copy(*c) for c in copies]
    for order in (outs, list(reversed(outs))):
        kept, dups = resolve_duplicates(order)
        [p] = kept
        assert p.input == winner
        assert p.record.provenance.duplicates == sorted(c[0] for c in copies if c[0] != winner)
        assert [(d["input"], d["duplicate_of"]) for d in dups] == [(c[0], winner) for c in sorted(copies) if c[0] != winner]


def test_quarantined_outcomes_and_distinct_ids_pass_through_untouched():
    q = Quarantined("raw/x.html", "extract", "JavaScriptShell", "shell", None)
    other = Published("raw/o.txt", make_record(provenance={"input": "raw/o.txt"}))
    kept, dups = resolve_duplicates([q, other])
    assert kept == [q, other] and dups == []


def test_publish_writes_one_record_and_lists_the_other_copy_as_a_duplicate_not_a_failure(tmp_path):
    summary = publish(tmp_path, [copy("md/a.md", "markdown"), copy("html/a.html", "html")])
    assert (summary.published, summary.quarantined, summary.duplicates) == (1, 0, 1)
    manifest = load_manifest(tmp_path)
    assert [e["input"] for e in manifest["records"]] == ["html/a.html"]
    assert manifest["duplicates"][0]["input"] == "md/a.md" and manifest["quarantined"] == []


def test_near_duplicate_bodies_are_flagged_and_different_ones_are_not():
    base = " ".join(f"Sentence number {i} about leukemia treatment and its side effects." for i in range(60))
    near = base.replace("number 7 about", "number seven about")
    far = " ".join(f"Completely different words {i} on breast screening programs." for i in range(60))
    assert hamming(simhash(base), simhash(near)) <= 6 < hamming(simhash(base), simhash(far))
    recs = [make_record(id=f"nci-{i:016x}", provenance={"input": f"raw/{i}", "simhash": simhash(t)})
            for i, t in enumerate([base, near, far])]
    assert [e["ids"] for e in near_duplicates(recs)] == [["nci-0000000000000000", "nci-0000000000000001"]]
