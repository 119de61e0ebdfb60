"""Small str → str cleaners. Each is pure, idempotent and documented with a before/after example."""

from __future__ import annotations

import re

_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def fold_whitespace(text: str) -> str:
    """Collapse every run of whitespace (NBSP, tabs, newlines) to one space and strip.

    >>> fold_whitespace("  Acute\\u00a0 myeloid\\n leukemia ")
    'Acute myeloid leukemia'
    """
    return " ".join(text.split())  # str.split() splits on what \\s matches, NBSP included


def remove_invisible(text: str) -> str:
    """Drop zero-width characters, soft hyphens and control characters (not newlines or tabs).

    >>> remove_invisible("leu\\u00adkemia\\u200b\\x07")
    'leukemia'
    """
    return _CONTROL.sub("", _ZERO_WIDTH.sub("", text))


def clean_inline(text: str) -> str:
    """The cleaning every piece of text gets: invisible characters out, whitespace folded.

    >>> clean_inline("  Blood\\u200b counts\\n(CBC) ")
    'Blood counts (CBC)'
    """
    return fold_whitespace(remove_invisible(text))


def strip_title_suffix(title: str, suffixes: tuple[re.Pattern[str], ...]) -> str:
    """Remove a site suffix from a title.

    >>> strip_title_suffix("Drugs Approved for Leukemia - NCI", (re.compile(r"\\s+-\\s+NCI$"),))
    'Drugs Approved for Leukemia'
    """
    for pat in suffixes:
        new = pat.sub("", title).strip()
        if new:
            title = new
    return title
