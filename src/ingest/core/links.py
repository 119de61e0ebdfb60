"""Links: resolve against the page URL, keep only safe schemes, turn NCI glossary popups into terms."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from ingest.core.blocks import Block, Link

# Glossary links as found in the corpus: the popup (popDefinition.aspx?id=CDR0000045586 or id=44363, with
# version=patient|Patient|healthprofessional|HealthProfessional, language=English|en|Spanish,
# dictionary=Cancer.gov|genetic|NotSet in any order) and direct dictionary pages with a numeric id
# (/publications/dictionaries/cancer-terms/def/737131, /genetics-dictionary/def/..., Spanish diccionario).
_GLOSSARY = re.compile(r"popDefinition\.aspx\?(?:[^#]*?&)?id=(?:CDR)?0*(?P<id>\d+)", re.I)
_DICT_PAGE = re.compile(
    r"^(?:https?://(?:www\.)?cancer\.gov)?/(?:(?P<es>espanol/publicaciones/diccionarios/diccionario-(?:cancer|genetica))|"
    r"publications/dictionaries/(?P<dict>cancer-terms|genetics-dictionary))/def/0*(?P<id>\d+)/?(?:[?#].*)?$",
    re.I,
)
_PARAM = re.compile(r"[?&](?P<k>dictionary|language)=(?P<v>[^&#]*)", re.I)
_DICTIONARY = "https://www.cancer.gov/publications/dictionaries/cancer-terms/def/{id}"
_DICTIONARIES = {
    ("cancer-terms", "en"): "https://www.cancer.gov/publications/dictionaries/cancer-terms/def/{id}",
    ("genetics", "en"): "https://www.cancer.gov/publications/dictionaries/genetics-dictionary/def/{id}",
    ("cancer-terms", "es"): "https://www.cancer.gov/espanol/publicaciones/diccionarios/diccionario-cancer/def/{id}",
    ("genetics", "es"): "https://www.cancer.gov/espanol/publicaciones/diccionarios/diccionario-genetica/def/{id}",
}
_SAFE = ("http", "https", "mailto")


def glossary_ref(href: str) -> tuple[str, str] | None:
    """``(cdr_id, dictionary_url)`` of an NCI glossary link in any form found on cancer.gov, else None.

    >>> glossary_ref("/Common/PopUps/popDefinition.aspx?id=CDR0000045586&version=Patient&language=English")
    ('CDR0000045586', 'https://www.cancer.gov/publications/dictionaries/cancer-terms/def/45586')
    >>> glossary_ref("popDefinition.aspx?version=healthprofessional&id=44363&language=English&dictionary=genetic")
    ('CDR0000044363', 'https://www.cancer.gov/publications/dictionaries/genetics-dictionary/def/44363')
    >>> glossary_ref("/publications/dictionaries/cancer-terms/def/737131")
    ('CDR0000737131', 'https://www.cancer.gov/publications/dictionaries/cancer-terms/def/737131')
    >>> glossary_ref("https://www.cancer.gov/publications/dictionaries/cancer-terms/def/leukopenia") is None
    True
    """
    m = _GLOSSARY.search(href)
    if m:
        params = {p["k"].lower(): p["v"].lower() for p in _PARAM.finditer(href)}
        dictionary = "genetics" if params.get("dictionary", "").startswith("genetic") else "cancer-terms"
        lang = "es" if params.get("language", "") in ("spanish", "es", "español", "espanol") else "en"
        n = int(m["id"])
    else:
        m = _DICT_PAGE.match(href.strip())
        if not m:
            return None
        es = m["es"] or ""
        dictionary = "genetics" if "genetic" in (m["dict"] or es).lower() else "cancer-terms"
        lang = "es" if es else "en"
        n = int(m["id"])
    return f"CDR{n:010d}", _DICTIONARIES[(dictionary, lang)].format(id=n)


def glossary_id(href: str) -> str | None:
    """CDR id of an NCI glossary popup link, zero-padded to 10 digits.

    >>> [glossary_id(h) for h in ["/Common/PopUps/popDefinition.aspx?id=CDR0000045586&version=Patient",
    ...  "popDefinition.aspx?id=44363", "/types/leukemia"]]
    ['CDR0000045586', 'CDR0000044363', None]
    """
    ref = glossary_ref(href)
    return ref[0] if ref else None


def dictionary_url(cdr_id: str) -> str:
    return _DICTIONARY.format(id=int(cdr_id[3:]))


def resolve(href: str, base: str | None) -> str | None:
    """Absolute URL for ``href``, or None for unsafe schemes (javascript:, data:) and unresolvable links.

    >>> resolve("/ncicancerbulletin", "https://www.cancer.gov/types/leukemia/research/x")
    'https://www.cancer.gov/ncicancerbulletin'
    >>> resolve("javascript:alert(1)", "https://www.cancer.gov/") is None
    True
    """
    href = href.strip()
    if not href or href.startswith("#"):
        return None
    scheme = urlsplit(href).scheme.lower()
    if scheme:
        return href if scheme in _SAFE else None
    if href.startswith("//"):
        return "https:" + href
    if not base:
        return None
    out = urljoin(base, href)
    return out if urlsplit(out).scheme in ("http", "https") else None


def extract_glossary(blocks: list[Block]) -> dict[str, list]:
    """Take glossary links out of the blocks; return ``{cdr_id: [term, count, url]}`` in order.

    The term stays in the text as plain words; only the link goes.
    """
    found: dict[str, list] = {}
    for b in blocks:
        keep: list[Link] = []
        for lk in b.links:
            ref = glossary_ref(lk.href)
            if ref is None or not lk.text:
                keep.append(lk)
                continue
            cdr, url = ref
            if cdr in found:
                found[cdr][1] += 1
            else:
                found[cdr] = [lk.text, 1, url]
        b.links = keep
    return found
