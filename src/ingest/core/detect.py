"""Which family a document belongs to, and which language it is in."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ingest.core.rules import GENERIC, PROFILES
from ingest.core.rules.base import Profile

MIN_SCORE = 4


def detect_family(text: str, url: str | None, front_matter: dict[str, Any]) -> tuple[Profile, list[str]]:
    """The profile with the most evidence (at least ``MIN_SCORE``), and the reasons that decided it.

    Only the first 50,000 characters of the text are searched: the signals sit near the top or
    in page chrome, and large pages should not cost more.
    """
    host = (urlsplit(url).hostname or "") if url else ""
    sample = text[:50_000].lower()  # signals are case-insensitive: searched folded, see Signal.folded_regex
    fm_source = str(front_matter.get("source", "") or front_matter.get("publisher", ""))
    best: tuple[int, Profile, list[str]] | None = None
    for p in PROFILES:
        score = 0
        reasons: list[str] = []
        for s in p.signals:
            hay = host if s.where == "url" else fm_source if s.where == "front_matter" else sample
            if hay and (s.folded_regex if hay is sample else s.regex).search(hay):
                score += s.weight
                reasons.append(s.reason)
        if score >= MIN_SCORE and (best is None or score > best[0]):
            best = (score, p, reasons)
    if best is None:
        return GENERIC, ["no site profile matched"]
    return best[1], best[2]


def detect_language(text: str) -> str:
    """ISO 639-1 code of ``text`` by py3langid (model shipped in the wheel); ``und`` when too short.

    Restricted to languages health-content teams publish in, so short texts are not misread as
    an obscure language.
    """
    sample = " ".join(text.split())[:5000]
    if len(sample) < 40:
        return "und"
    ident = _identifier()
    lang, _score = ident.classify(sample)
    return str(lang)


_IDENT: Any = None


def _identifier() -> Any:
    global _IDENT
    if _IDENT is None:
        from py3langid.langid import _load_identifier

        _IDENT = _load_identifier(langs=["en", "es", "fr", "de", "pt", "it", "zh", "vi", "ko", "ru", "ar", "tl", "ja", "pl", "nl"])
    return _IDENT
