"""Links: resolve against the page URL, keep only safe schemes, turn NCI glossary popups into terms."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from .blocks import Block, Link

_GLOSSARY = re.compile(r"popDefinition\.aspx\?(?:[^#]*?&)?id=(?:CDR)?0*(?P<id>\d+)", re.I)
_DICTIONARY = "https://www.cancer.gov/publications/dictionaries/cancer-terms/def/{id}"
_SAFE = ("http", "https", "mailto")


def glossary_id(href: str) -> str | None:
    """CDR id of an NCI glossary popup link, zero-padded to 10 digits.

    >>> [glossary_id(h) for h in ["/Common/PopUps/popDefinition.aspx?id=CDR0000045586&version=Patient",
    ...  "popDefinition.aspx?id=44363", "/types/leukemia"]]
    ['CDR0000045586', 'CDR0000044363', None]
    """
    m = _GLOSSARY.search(href)
    return f"CDR{int(m['id']):010d}" if m else None


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
    """Take glossary popup links out of the blocks; return ``{cdr_id: [term, count]}`` in order.

    The term stays in the text as plain words; only the link goes.
    """
    found: dict[str, list] = {}
    for b in blocks:
        keep: list[Link] = []
        for lk in b.links:
            cdr = glossary_id(lk.href)
            if cdr is None:
                keep.append(lk)
                continue
            if cdr in found:
                found[cdr][1] += 1
            else:
                found[cdr] = [lk.text, 1]
        b.links = keep
    return found
