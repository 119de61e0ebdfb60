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
    # numpy here: the flow's process imports this module to publish, and needs no numpy
    import numpy as np

    # Each distinct word is hashed once (blake2b, 64 bits); a 3-gram's hash combines its words' hashes,
    # rotated by position (order counts: "a b c" is not "c b a"), through splitmix64's finalizer so
    # that every bit depends on every word. Issue 14: 1.6x faster than a blake2b of each gram's text
    # (pipeline 2026.12.4; the values differ from earlier versions', which republish every record).
    index: dict[str, int] = {}
    ids = np.fromiter([index.setdefault(w, len(index)) for w in words], dtype=np.intp, count=len(words))
    blake2b = hashlib.blake2b
    h = np.frombuffer(b"".join([blake2b(w.encode("utf-8"), digest_size=8).digest() for w in index]),
                      dtype="<u8")[ids]
    # a text of one or two words is its own single gram
    grams = h[:-2] ^ _rotl(h[1:-1], 21) ^ _rotl(h[2:], 42) if len(h) > 2 else np.bitwise_xor.reduce(h, keepdims=True)
    grams = (grams ^ (grams >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    grams = (grams ^ (grams >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    grams ^= grams >> np.uint64(31)
    # a bit is on when more than half of the grams' hashes have it: the hashes as an (n, 64) bit
    # matrix (big-endian: column j is bit 63 - j), summed per column
    n = len(grams)
    ones = np.unpackbits(grams.astype(">u8").view(np.uint8).reshape(n, 8), axis=1).sum(axis=0)
    return np.packbits((2 * ones > n).astype(np.uint8)).tobytes().hex()


def _rotl(x, r: int):
    import numpy as np

    return (x << np.uint64(r)) | (x >> np.uint64(64 - r))


def hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()
