"""Cancer-type vocabulary: pattern → canonical name (and the broader types it implies).

Matched against the title, breadcrumb, topic and header topic only, never the whole body: a body
mentions many cancers in passing; the title says what the page is about.
"""

from __future__ import annotations

import re

# (long form, any case; abbreviation, upper case only; canonical name; broader names implied)
CANCER_TYPES: tuple[tuple[str, str | None, str, tuple[str, ...]], ...] = (
    (r"\bacute lympho(?:blastic|cytic)\b|\bleukemia\s*-+\s*acute lympho(?:blastic|cytic)\b", r"\bALL\b", "acute lymphoblastic leukemia", ("leukemia",)),
    (r"\bacute myeloid\b", r"\bAML\b", "acute myeloid leukemia", ("leukemia",)),
    (r"\bchronic lymphocytic\b", r"\bCLL\b", "chronic lymphocytic leukemia", ("leukemia",)),
    (r"\bchronic myeloid\b", r"\bCML\b", "chronic myeloid leukemia", ("leukemia",)),
    (r"\bhairy cell leukemia\b", None, "hairy cell leukemia", ("leukemia",)),
    (r"\bmyelodysplastic syndromes?\b", r"\bMDS\b", "myelodysplastic syndromes", ()),
    (r"\bleuka?emias?\b|\bleucémies?\b|\bleucemias?\b", None, "leukemia", ()),
    (r"\bbreast cancer\b|\bbreast\b", None, "breast cancer", ()),
    (r"\blung cancer\b", None, "lung cancer", ()),
    (r"\bcolon cancer\b|\bcolorectal cancer\b", None, "colorectal cancer", ()),
    (r"\bprostate cancer\b", None, "prostate cancer", ()),
    (r"\bcervical cancer\b", None, "cervical cancer", ()),
    (r"\bmelanoma\b", None, "melanoma", ("skin cancer",)),
    (r"\bskin cancer\b", None, "skin cancer", ()),
    (r"\bbrain (?:tumou?rs?|cancer)\b", None, "brain tumors", ()),
)

_COMPILED = tuple(
    (re.compile(long, re.I), re.compile(abbr) if abbr else None, name, implied)
    for long, abbr, name, implied in CANCER_TYPES
)


def cancer_types(texts: list[str]) -> list[str]:
    """Canonical cancer types named in ``texts``, in vocabulary order, no duplicates.

    >>> cancer_types(["What happens if the clinical trial treatment for CLL doesn't work"])
    ['chronic lymphocytic leukemia', 'leukemia']
    """
    found: list[str] = []
    for long, abbr, name, implied in _COMPILED:
        if any(long.search(t) or (abbr is not None and abbr.search(t)) for t in texts):
            for n in (name, *implied):
                if n not in found:
                    found.append(n)
    return found
