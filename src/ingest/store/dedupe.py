"""The same page arriving twice, and pages that are nearly the same: outcomes in, outcomes out.

The store resolves duplicates among the outcomes of one run before publishing them (no I/O here).

- **Same canonical URL** (same record id): one record is published, chosen deterministically (the
  original HTML over NCI's XML over a Markdown or text conversion, then the newest ``fetched_at``,
  then the input name), with ``provenance.duplicates`` naming the other inputs; the manifest lists
  the other copies under ``duplicates`` (they are not failures).
- **Near-duplicates** (different ids, almost the same body text, e.g. a page under two URLs): a
  64-bit SimHash of the body's word 3-grams is stored in ``provenance.simhash``; the manifest lists,
  under ``near_duplicates``, the clusters of records linked within :data:`NEAR_DISTANCE` bits, each
  once with its first :data:`MAX_CLUSTER_IDS` ids and its size (never every pair: 20,000 similar
  pages would give millions). Flagged, never removed: a reviewer decides.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from ingest.core.inputs import parse_timestamp
from ingest.core.models import Record
from ingest.core.pipeline import Outcome, Published

#: Hamming distance (of 64 bits) at or under which two bodies are flagged as near-duplicates.
NEAR_DISTANCE = 6
#: Record ids listed per near-duplicate cluster (the rest are counted, in ``more``).
MAX_CLUSTER_IDS = 20
_FORMAT_RANK = {"html": 0, "pdq_xml": 1, "markdown": 2, "text": 3}


def _preference(p: Published) -> tuple:
    """Sort key of the copy to keep: format rank, then the newest ``fetched_at`` as a parsed time
    (a copy without one, or with one that is not a timestamp, counts as oldest: an unvalidated
    string never decides which copy owns the id), then the input name."""
    fetched = parse_timestamp(p.record.provenance.fetched_at or "")
    newest_first = -fetched.timestamp() if fetched is not None else float("inf")
    return (_FORMAT_RANK.get(p.record.source.format, 9), newest_first, p.input)


def resolve_duplicates(outcomes: list[Outcome]) -> tuple[list[Outcome], list[dict]]:
    """One published outcome per record id; the preferred copy carries ``provenance.duplicates``.

    Returns the outcomes (input order kept; the other copies left out) and the manifest's
    ``duplicates`` entries: ``{"input", "id", "duplicate_of", "raw_sha256"}`` sorted by input, plus
    ``"conflict"`` (a sentence) when the copy left out has other content than the one kept: two
    inputs claim one URL with different text, which a reviewer should see.
    """
    from ingest.core.pipeline import Published

    groups: dict[str, list[Published]] = defaultdict(list)
    for o in outcomes:
        if isinstance(o, Published):
            groups[o.record.id].append(o)
    chosen: dict[str, Published] = {}
    dropped: set[int] = set()
    entries: list[dict] = []
    for rid, copies in groups.items():
        if len(copies) == 1:
            continue
        best = min(copies, key=_preference)
        others = sorted(c.input for c in copies if c is not best)
        prov = best.record.provenance.model_copy(update={"duplicates": others})
        chosen[rid] = Published(best.input, best.record.model_copy(update={"provenance": prov}))
        for c in copies:
            if c is not best:
                dropped.add(id(c))
                entry = {"input": c.input, "id": rid, "duplicate_of": best.input,
                         "raw_sha256": c.record.provenance.raw_sha256}
                if c.record.content_sha256 != best.record.content_sha256:
                    entry["conflict"] = (f"claims the same URL as {best.input} with different content; "
                                         f"kept {best.input} ({_why(best, c)})")
                entries.append(entry)
    out: list[Outcome] = []
    for o in outcomes:
        if isinstance(o, Published) and id(o) in dropped:
            continue
        if isinstance(o, Published) and o.record.id in chosen:
            o = chosen[o.record.id]
        out.append(o)
    return out, sorted(entries, key=lambda e: (e["input"], e["id"]))


def _why(best: Published, other: Published) -> str:
    """Why ``best`` was kept over ``other`` (for the manifest's conflict sentence)."""
    b, o = best.record, other.record
    if _FORMAT_RANK.get(b.source.format, 9) != _FORMAT_RANK.get(o.source.format, 9):
        return f"{b.source.format} is preferred over {o.source.format}"
    if (b.provenance.fetched_at or "") != (o.provenance.fetched_at or ""):
        return "fetched later" if b.provenance.fetched_at else "the other has no fetched_at"
    return "first by input name"


def near_duplicates(
    records: Iterable[Record], max_distance: int = NEAR_DISTANCE, max_ids: int | None = None
) -> list[dict]:
    """Clusters of records whose body SimHashes are near each other: the connected groups of the
    graph that links two records within ``max_distance`` bits (so a cluster may chain records that
    are further apart than that), each listed once.

    Each cluster is ``{"ids", "size", "more", "distance"}``: ``ids`` its first ``max_ids`` record ids
    (:data:`MAX_CLUSTER_IDS`; sorted), ``size`` how many records it holds, ``more`` how many of them
    ``ids`` leaves out, ``distance`` the most bits any listed id differs from ``ids[0]``. Sorted by
    ``ids``. Records without a SimHash (or with an all-zero one: no words) are in none.

    Never lists pairs: 20,000 similar pages make one entry, not 200 million, and the work holds a
    few arrays of one number per record. Candidates share one of four 16-bit bands (pigeonhole:
    within 3 bits they must; up to ``max_distance`` most do), so the cost stays near-linear in the
    number of records unless many differ by more than ``max_distance`` yet share a band.
    """
    limit = MAX_CLUSTER_IDS if max_ids is None else max_ids
    ids: list[str] = []
    hashes: list[int] = []
    for r in records:
        h = int(r.provenance.simhash, 16) if r.provenance.simhash else 0
        if h:
            ids.append(r.id)
            hashes.append(h)
    n = len(hashes)
    # the members of each band value; a bucket shrinks as its members are reached
    buckets: dict[tuple[int, int], Any] = {}
    for k, h in enumerate(hashes):
        for band in range(4):
            buckets.setdefault((band, (h >> (16 * band)) & 0xFFFF), []).append(k)
    of: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for key, bucket in list(buckets.items()):
        if len(bucket) == 1:
            del buckets[key]
        else:
            for k in bucket:
                of[k].append(key)
    seen = bytearray(n)
    near_in = _BucketSearch(hashes, seen, max_distance)
    clusters: list[dict] = []
    for start in range(n):
        if seen[start] or not of[start]:
            continue
        seen[start] = 1
        todo, members = [start], [start]
        while todo:  # breadth-first over the records within max_distance of a reached one
            k = todo.pop()
            for key in of[k]:
                bucket = buckets.get(key)
                if bucket is None:
                    continue
                found, rest = near_in(bucket, k)
                if len(rest):  # still to be compared with the members reached later
                    buckets[key] = rest
                else:
                    del buckets[key]
                todo.extend(found)
                members.extend(found)
        if len(members) > 1:
            listed = sorted(members, key=ids.__getitem__)[:limit]
            first = hashes[listed[0]]
            clusters.append({
                "ids": [ids[k] for k in listed],
                "size": len(members),
                "more": len(members) - len(listed),
                "distance": max((first ^ hashes[k]).bit_count() for k in listed[1:]),
            })
    return sorted(clusters, key=lambda c: c["ids"])


class _BucketSearch:
    """Split a bucket into the unseen members within ``max_distance`` bits of member ``k`` (marked
    seen) and the other unseen ones: in Python for small buckets, with numpy for large ones (20,000
    similar pages share their band values)."""

    VECTOR_FROM = 256

    def __init__(self, hashes: list[int], seen: bytearray, max_distance: int) -> None:
        self.hashes, self.seen, self.max_distance = hashes, seen, max_distance
        self.np: Any = None

    def __call__(self, bucket: Any, k: int) -> tuple[list[int], Any]:
        hk, seen, d = self.hashes[k], self.seen, self.max_distance
        if len(bucket) < self.VECTOR_FROM:
            found, rest = [], []
            for m in bucket:
                if not seen[m]:
                    if (self.hashes[m] ^ hk).bit_count() <= d:
                        seen[m] = 1
                        found.append(m)
                    else:
                        rest.append(m)
            return found, rest
        if self.np is None:
            import numpy as np  # here: most of the flow process needs no numpy (see ingest.core.simhash)

            self.np = np
            self.h = np.array(self.hashes, dtype=np.uint64)
            self.seen_np = np.frombuffer(seen, dtype=np.bool_)  # a view: marks show in both
        np = self.np
        bucket = np.asarray(bucket, dtype=np.intp)
        bucket = bucket[~self.seen_np[bucket]]
        near = np.bitwise_count(self.h[bucket] ^ np.uint64(hk)) <= d
        found = bucket[near]
        self.seen_np[found] = True
        rest = bucket[~near]
        return found.tolist(), (rest if len(rest) >= self.VECTOR_FROM else rest.tolist())
