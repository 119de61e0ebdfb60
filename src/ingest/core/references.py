"""The title of a reference-list entry, read only when the entry's shape leaves no doubt.

A reference starts with its authors, then the title: "Jabbour E, Kantarjian H. Acute lymphoblastic
leukemia: 2024 update on diagnosis and management. Am J Hematol. 2024;99(4):726-741." (Vancouver, as
cancer.org writes them), "Siegel RL, Miller KD, Jemal A: Cancer statistics, 2020. CA Cancer J Clin ..."
(NCI's PDQ style, a colon after the authors), or an organisation as author: "American Society of
Clinical Oncology. Leukemia - Acute Lymphoblastic - ALL - Adult: Treatment. Accessed at ...". The
title is the sentence after the authors. When the start is not an author list (a title first, a
sentence), there is no title: never a guess.
"""

from __future__ import annotations

import re

# "Jabbour E", "van der Berg JA", "O'Brien S", "Garcia-Manero G"
_UP = "A-ZÀ-ÖØ-Þ"  # upper-case letters, Latin-1 ones too ("Øra I", "Émile J")
_PERSON = rf"(?:(?:van|von|de|der|den|del|da|di|le|la)\s)*[{_UP}][\w'’-]+(?:\s[{_UP}][\w'’-]+)?\s[{_UP}]{{1,4}}"
_PEOPLE = _PERSON + r"(?:,\s" + _PERSON + r")*(?:,?\s(?:et al|and others)\.?)?"
# "American Society of Clinical Oncology", "National Comprehensive Cancer Network", "U.S. Food and Drug Administration"
# (an organisation names itself so: a capitalised "Chemotherapy Side Effects." is a title, not an author)
_ORG_WORD = (r"(?:Society|Association|Institutes?|Network|Organi[sz]ation|Administration|Agency|Cent(?:er|re)s?|College|"
             r"Foundation|Council|Committee|Board|Department|Group|University|Academy|Commission|Services?|Alliance|"
             r"Coalition|Federation|Clinic|Hospital|Registry|Program(?:me)?|Office|Ministry|Task Force|Consortium|League)")
_ORG_TOKEN = r"(?:of|for|and|the|on|in|&|[A-Z][\w'’&.-]*)"
_ORG = r"(?:[A-Z][\w'’&.-]*\s)(?:" + _ORG_TOKEN + r"\s){0,8}?" + _ORG_WORD + r"(?:\s" + _ORG_TOKEN + r"){0,8}?"
_START = re.compile(r"(?:(?P<people>" + _PEOPLE + r")|(?P<org>" + _ORG + r"))(?:\.|:)\s+")
# the title ends at the first sentence end: ". " (not after an initial or "vs"), "? ", "! "
_TITLE_END = re.compile(r"(?<![A-Z])(?<!\bvs)(?<!\bet al)\.(?=\s|$)|[?!](?=\s|$)")
_MIN_TITLE_WORDS = 1
_MAX_TITLE_CHARS = 300


def reference_title(text: str) -> str | None:
    """The title of one reference-list entry, or None when its shape is not authors-then-title.

    >>> reference_title("Jabbour E, Kantarjian H. Acute lymphoblastic leukemia: 2024 update. Am J Hematol. 2024;99:726.")
    'Acute lymphoblastic leukemia: 2024 update'
    >>> reference_title("Siegel RL, Miller KD, Jemal A: Cancer statistics, 2020. CA Cancer J Clin 70 (1): 7-30, 2020.")
    'Cancer statistics, 2020'
    >>> reference_title("American Society of Clinical Oncology. Leukemia - ALL - Adult: Treatment. Accessed at x on 2024.")
    'Leukemia - ALL - Adult: Treatment'
    >>> reference_title("Cancer Facts & Figures 2024. Atlanta: American Cancer Society; 2024.") is None
    True
    >>> reference_title("Chemotherapy Side Effects. American Cancer Society website. Accessed 2024.") is None
    True
    """
    m = _START.match(text)
    if not m:
        return None
    rest = text[m.end():]
    end = _TITLE_END.search(rest)
    title = (rest[: end.start() + (1 if end and rest[end.start()] in "?!" else 0)] if end else rest).strip()
    if end is None or len(title.split()) < _MIN_TITLE_WORDS or len(title) > _MAX_TITLE_CHARS:
        return None
    return title
