"""Character-level text helpers shared by the HTML loader's modules: whitespace folding (invisible
characters out, every whitespace run to one space) and the test for binary garbage decoded as text."""

from __future__ import annotations

import re

_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\x00-\x08\x0b\x0e-\x1b\x7f-\x9f]")
_BINARYISH = re.compile("[\x00-\x08\x0b\x0e-\x1b\x7f-\x9f\ufffd]")


def _fold(s: str) -> str:
    """Invisible characters out, every whitespace run (NBSP included) → one space, stripped."""
    if not s:
        return ""
    return " ".join(_INVISIBLE.sub("", s).split())


def _looks_binary(text: str) -> bool:
    head = text[:4096]
    return bool(head) and len(_BINARYISH.findall(head)) > len(head) // 10
