"""SimHash of a document's body: a 64-bit fingerprint that nearly-equal texts share.

Pure (text in, hex string out). The record stores it in ``provenance.simhash``; the store compares
fingerprints across published records (:mod:`ingest.store.dedupe`) to flag near-duplicates.
"""

from __future__ import annotations

import hashlib
import re

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
