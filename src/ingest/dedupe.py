"""The same page arriving twice, and pages that are nearly the same. Pure: outcomes in, outcomes out.

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

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .models import Record

if TYPE_CHECKING:  # pipeline imports normalize, which imports simhash from here
    from .pipeline import Outcome, Published

#: Hamming distance (of 64 bits) at or under which two bodies are flagged as near-duplicates.
NEAR_DISTANCE = 6
_FORMAT_RANK = {"html": 0, "pdq_xml": 1, "markdown": 2, "text": 3}
_WORD = re.compile(r"\w+", re.U)


def simhash(text: str) -> str:
    """64-bit SimHash (16 hex digits) of ``text``'s lower-cased word 3-grams; all zeros for no words.

    >>> simhash("Leukemia is a cancer of the blood.") == simhash("LEUKEMIA is a cancer of the blood!")
    True
    >>> hamming(simhash("a b c d e f g h i j k l m n o p"), simhash("a b c d e f g h i j k l m n o q")) < 16
    True
    """
    words = _WORD.findall(text.lower())
    if not words:
        return "0" * 16
    # word 3-grams ("a b c"); a text of one or two words is its own single gram
    grams = map(" ".join, zip(words, words[1:], words[2:], strict=False)) if len(words) > 2 else [" ".join(words)]
    # A bit is on when more than half of the grams' 64-bit blake2b hashes have it: the hashes as an
    # (n, 64) bit matrix, summed per column by numpy (issue 5: ~2x faster than counting in Python;
    # the same values as ever, so published records keep their simhash).
    import numpy as np  # here: the flow's process imports this module to publish, and needs no numpy

    blake2b = hashlib.blake2b
    digests = b"".join([blake2b(g.encode("utf-8"), digest_size=8).digest() for g in grams])
    n = len(digests) // 8
    ones = np.unpackbits(np.frombuffer(digests, dtype=np.uint8).reshape(n, 8), axis=1).sum(axis=0)
    bits = (2 * ones > n).astype(np.uint8)  # column j is bit 63 - j
    return np.packbits(bits).tobytes().hex()



def hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def _preference(p: Published) -> tuple:
    prov = p.record.provenance
    fetched = prov.fetched_at or ""
    # newest fetched_at first: invert the string's characters' order by sorting on a negated key
    return (_FORMAT_RANK.get(p.record.source.format, 9), _Desc(fetched), p.input)


class _Desc:
    """Sorts strings in descending order inside a tuple key."""

    __slots__ = ("s",)

    def __init__(self, s: str) -> None:
        self.s = s

    def __lt__(self, other: _Desc) -> bool:
        return self.s > other.s

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Desc) and self.s == other.s


def resolve_duplicates(outcomes: list[Outcome]) -> tuple[list[Outcome], list[dict]]:
    """One published outcome per record id; the preferred copy carries ``provenance.duplicates``.

    Returns the outcomes (input order kept; the other copies left out) and the manifest's
    ``duplicates`` entries: ``{"input", "id", "duplicate_of"}`` sorted by input.
    """
    from .pipeline import Published

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
                entries.append({"input": c.input, "id": rid, "duplicate_of": best.input,
                                "raw_sha256": c.record.provenance.raw_sha256})
    out: list[Outcome] = []
    for o in outcomes:
        if isinstance(o, Published) and id(o) in dropped:
            continue
        if isinstance(o, Published) and o.record.id in chosen:
            o = chosen[o.record.id]
        out.append(o)
    return out, sorted(entries, key=lambda e: (e["input"], e["id"]))


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
