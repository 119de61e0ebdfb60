"""The same page twice (one record per canonical URL) and near-duplicate flagging."""

from __future__ import annotations

import json
import random
import time

import pytest

from ingest.core.pipeline import Published, Quarantined
from ingest.core.simhash import hamming, simhash
from ingest.store.dedupe import MAX_CLUSTER_IDS, near_duplicates, resolve_duplicates
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
    assert near_duplicates(recs) == [{"ids": ["nci-0000000000000000", "nci-0000000000000001"], "size": 2, "more": 0,
                                      "distance": hamming(simhash(base), simhash(near))}]


def _sim(i: int, h: int):
    return make_record(id=f"nci-{i:016x}", provenance={"input": f"raw/{i}", "simhash": f"{h:016x}"})


def test_many_similar_records_make_one_bounded_cluster_not_all_their_pairs():
    rnd = random.Random(17)
    base = rnd.getrandbits(64)
    hashes = [base ^ sum(1 << b for b in rnd.sample(range(64), rnd.randint(0, 3))) for _ in range(5000)]
    far = base ^ ((1 << 64) - 1)  # every bit flipped: near nothing above, shares no band with it
    recs = [_sim(i, h) for i, h in enumerate(hashes)] + [_sim(5000, far), _sim(5001, far ^ 1), _sim(5002, far ^ 0xFF00)]
    started = time.process_time()
    out = near_duplicates(recs)
    assert time.process_time() - started < 10
    assert len(json.dumps(out)) < 5000  # 12.5 million pairs before
    big, small = sorted(out, key=lambda c: -c["size"])
    assert (big["size"], big["more"], len(big["ids"])) == (5000, 5000 - MAX_CLUSTER_IDS, MAX_CLUSTER_IDS)
    assert big["ids"] == sorted(big["ids"]) == [f"nci-{i:016x}" for i in range(MAX_CLUSTER_IDS)]
    assert big["distance"] <= 6
    assert small == {"ids": ["nci-0000000000001388", "nci-0000000000001389"], "size": 2, "more": 0, "distance": 1}


def test_a_cluster_chains_records_each_near_the_next_and_lists_each_record_once():
    chain = [0]
    for b in range(0, 40, 4):  # each 4 bits from the one before, 40 from the first
        chain.append(chain[-1] ^ (0xF << b))
    recs = [_sim(i, h ^ 0xABC0_0000_0000_0000) for i, h in enumerate(chain)]
    (cluster,) = near_duplicates(recs, max_ids=3)
    assert (cluster["size"], cluster["more"], len(cluster["ids"])) == (11, 8, 3)
    assert near_duplicates(recs[::2]) == []  # 8 bits apart: no link
