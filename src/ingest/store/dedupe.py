"""The same page arriving twice, and pages that are nearly the same: outcomes in, outcomes out.

The store resolves duplicates among the outcomes of one run before publishing them (no I/O here).

- **Same canonical URL** (same record id): one record is published, chosen deterministically (the
  original HTML over NCI's XML over a Markdown or text conversion, then the newest ``fetched_at``,
  then the input name), with ``provenance.duplicates`` naming the other inputs; the manifest lists
  the other copies under ``duplicates`` (they are not failures).
- **Near-duplicates** (different ids, almost the same body text, e.g. a page under two URLs): a
  64-bit SimHash of the body's word 3-grams is stored in ``provenance.simhash``; pairs within
  :data:`NEAR_DISTANCE` bits are listed in the manifest under ``near_duplicates``. Flagged, never
  removed: a reviewer decides.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from ingest.core.inputs import parse_timestamp
from ingest.core.models import Record
from ingest.core.pipeline import Outcome, Published
from ingest.core.simhash import hamming

#: Hamming distance (of 64 bits) at or under which two bodies are flagged as near-duplicates.
NEAR_DISTANCE = 6
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


def near_duplicates(records: Iterable[Record], max_distance: int = NEAR_DISTANCE) -> list[dict]:
    """Pairs of records whose body SimHashes differ in at most ``max_distance`` bits.

    Candidates share one of four 16-bit bands (pigeonhole: within 3 bits they must; up to
    ``max_distance`` most do), so the cost stays near-linear in the number of records.
    """
    items = [(r.id, r.provenance.simhash) for r in records if r.provenance.simhash and int(r.provenance.simhash, 16)]
    bands: dict[tuple[int, str], list[int]] = defaultdict(list)
    for k, (_rid, h) in enumerate(items):
        for band in range(4):
            bands[(band, h[band * 4:(band + 1) * 4])].append(k)
    pairs: set[tuple[int, int]] = set()
    for members in bands.values():
        for i in range(len(members)):
            for j in range(i + 1, len(members)):
                pairs.add((members[i], members[j]))
    out = []
    for i, j in pairs:
        d = hamming(items[i][1], items[j][1])
        if d <= max_distance:
            a, b = sorted((items[i][0], items[j][0]))
            out.append({"ids": [a, b], "distance": d})
    return sorted(out, key=lambda e: (e["ids"], e["distance"]))
