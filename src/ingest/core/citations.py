"""Citations: PubMed links, NCCN guideline mentions, reference lists, the front matter's citation.

Ids are c1, c2, ... in order of first use in the body; citations found outside the body
(Source Guidelines, front matter) come after. Each section lists the ids it uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.core.blocks import Block
from ingest.core.links import resolve
from ingest.core.references import reference_title

# PubMed links as NCI writes them: /pubmed/123, pubmed.ncbi.nlm.nih.gov/123, ?term=123, and the old
# Entrez form (PDQ reference lists): entrez/query.fcgi?cmd=Retrieve&db=PubMed&list_uids=123
_PUBMED = re.compile(
    r"(?:ncbi\.nlm\.nih\.gov/pubmed/|pubmed\.ncbi\.nlm\.nih\.gov/)(?:\?term=)?(?P<pmid>\d+)"
    r"|ncbi\.nlm\.nih\.gov/entrez/query\.fcgi\?(?:[^#]*?&)?db=pubmed&(?:[^#]*?&)?list_uids=(?P<uid>\d+)",
    re.I,
)
_REF_PUBMED_LABEL = re.compile(r"\s*\[PubMed Abstract\]\s*$", re.I)


def pubmed_id(href: str) -> str | None:
    """PMID of a PubMed link in any of the forms NCI pages use, else None.

    >>> [pubmed_id(h) for h in ["http://www.ncbi.nlm.nih.gov/pubmed/22494120", "https://pubmed.ncbi.nlm.nih.gov/26389485/",
    ...  "http://www.ncbi.nlm.nih.gov/entrez/query.fcgi?cmd=Retrieve&db=PubMed&list_uids=26111473&dopt=Abstract", "/x"]]
    ['22494120', '26389485', '26111473', None]
    """
    m = _PUBMED.search(href)
    return (m["pmid"] or m["uid"]) if m else None
# "NCCN Guidelines for Patients: Acute Myeloid Leukemia" (a name, optional year), stopping at punctuation
_NCCN_FULL = re.compile(
    r"NCCN Guidelines for Patients:\s*(?P<name>[A-Z][A-Za-z'’ -]*?[A-Za-z])\s*(?:\((?P<year>\d{4})\))?(?=\s*(?:[,.;:)\"”(]|$|\s(?:note|notes|say|says|state|states|recommend|recommends)\b))"
)
_NCCN_SHORT = re.compile(r"NCCN Guidelines for (?!Patients\b)(?P<abbr>[A-Z][A-Za-z]{1,5})\b")
_NCCN_ANY = re.compile(r"\bNCCN Guidelines\b(?!\s+for\s+Patients\s*→)")
_YEAR = re.compile(r"\b(19|20)\d{2}\b")
# where a reference states its publication year: after a comma or semicolon, closing the imprint
# ("J Eval Clin Pract 11 (1): 27-31, 2005.", "National Cancer Institute, 2010.", "Springer; 2017, pp 589–628")
_PUB_YEAR = re.compile(r"[,;]\s*(?P<y>(?:19|20)\d{2})(?=\s*(?:[.,;:]|$))")
_ACCESSED = re.compile(r"\b(?:Last )?accessed\b.*$", re.I)


def publication_year(text: str) -> int | None:
    """The year a reference was published: the last year closing an imprint (", 2010."), else the last
    year in it; never a date it was last accessed, nor the first year of a range in its title.

    >>> publication_year("Altekruse SF, et al.: SEER Cancer Statistics Review, 1975-2007. National Cancer Institute, "
    ...                  "2010. Also available online. Last accessed April 24, 2025.")
    2010
    >>> publication_year("Johnson A: Breast cancer incidence. J Eval Clin Pract 11 (1): 27-31, 2005.")
    2005
    >>> publication_year("Breast. In: Amin MB, et al., eds.: AJCC Cancer Staging Manual. 8th ed. Springer; 2017, pp. 589–628.")
    2017
    >>> publication_year("Cancer Facts and Figures 2024. American Cancer Society, 2024. Last accessed January 16, 2025.")
    2024
    >>> publication_year("No year here") is None
    True
    """
    body = _ACCESSED.sub("", text)
    pub = list(_PUB_YEAR.finditer(body))
    if pub:
        return int(pub[-1]["y"])
    years = list(_YEAR.finditer(body))
    return int(years[-1].group(0)) if years else None


@dataclass
class CitationIndex:
    """Collects citations, deduplicated by key, numbered in order of first use."""

    entries: dict[str, dict] = field(default_factory=dict)

    def add(self, key: str, **fields) -> str:
        if key not in self.entries:
            self.entries[key] = {"id": f"c{len(self.entries) + 1}", **fields}
        else:
            e = self.entries[key]
            for k, v in fields.items():
                if e.get(k) is None and v is not None:
                    e[k] = v
        return self.entries[key]["id"]

    def list(self) -> list[dict]:
        return list(self.entries.values())


def guideline_from_line(line: str) -> tuple[str, str, int | None] | None:
    """``(key, title, year)`` for a full NCCN guideline name, else None.

    >>> guideline_from_line("NCCN Guidelines for Patients: Chronic Lymphocytic Leukemia (2026)")
    ('nccn:chronic lymphocytic leukemia', 'NCCN Guidelines for Patients: Chronic Lymphocytic Leukemia', 2026)
    """
    m = _NCCN_FULL.search(line)
    if not m:
        return None
    name = m["name"].strip()
    return f"nccn:{name.lower()}", f"NCCN Guidelines for Patients: {name}", int(m["year"]) if m["year"] else None


class CitationFinder:
    """Finds citations block by block. ``known_guidelines`` come from the Source Guidelines list."""

    def __init__(self, base_url: str | None, source_guidelines: list[str]):
        self.base_url = base_url
        self.index = CitationIndex()
        self.guidelines: list[tuple[str, str, int | None]] = []
        for line in source_guidelines:
            g = guideline_from_line(line)
            if g and g not in self.guidelines:
                self.guidelines.append(g)

    def _single_guideline(self) -> tuple[str, str, int | None] | None:
        return self.guidelines[0] if len(self.guidelines) == 1 else None

    def scan(self, b: Block, section_text_parts: list[str]) -> list[str]:
        ids: list[str] = []
        for lk in b.links:
            pmid = pubmed_id(lk.href)
            if pmid:
                url = resolve(lk.href, self.base_url) or lk.href
                ids.append(self.index.add(f"pmid:{pmid}", kind="pubmed", text=lk.text, title=None, url=url,
                                          pmid=pmid, year=None, origin="body"))
        text = b.plain()
        if "NCCN" in text:
            ids.extend(self._nccn(text))
        return list(dict.fromkeys(ids))

    def _nccn(self, text: str) -> list[str]:
        ids: list[str] = []
        spans: list[tuple[int, int]] = []
        for m in _NCCN_FULL.finditer(text):
            spans.append((m.start(), m.end()))
            key, title, year = guideline_from_line(m.group(0)) or ("", "", None)
            src = next((g for g in self.guidelines if g[0] == key), None)
            ids.append(self.index.add(key, kind="guideline", text=m.group(0).strip(), title=title, url=None, pmid=None,
                                      year=year or (src[2] if src else None), origin="body"))
        for m in _NCCN_SHORT.finditer(text):
            spans.append((m.start(), m.end()))
            ids.append(self._vague(m.group(0), m["abbr"]))
        for m in _NCCN_ANY.finditer(text):
            if any(s <= m.start() < e for s, e in spans):
                continue
            ids.append(self._vague(m.group(0), None))
        return ids

    def _vague(self, text: str, abbr: str | None) -> str:
        """A mention that does not name the guideline in full: the document's single source guideline
        if it has exactly one, else a guideline named by its abbreviation's initials, else a generic one."""
        g = self._single_guideline()
        if g is None and abbr:
            g = next((x for x in self.guidelines if _initials(x[1].split(":", 1)[1]) == abbr.upper()), None)
        if g is not None:
            return self.index.add(g[0], kind="guideline", text=g[1], title=g[1], url=None, pmid=None, year=g[2],
                                  origin="body")
        title = f"NCCN Guidelines for {abbr}" if abbr else "NCCN Guidelines"
        return self.index.add(f"nccn:{title.lower()}", kind="guideline", text=text, title=title, url=None, pmid=None,
                              year=None, origin="body")

    def add_source_guidelines(self) -> None:
        for key, title, year in self.guidelines:
            self.index.add(key, kind="guideline", text=f"{title}" + (f" ({year})" if year else ""), title=title,
                           url=None, pmid=None, year=year, origin="source_guidelines")

    def add_reference(self, text: str, links: list, origin: str = "reference_list") -> str:
        pmid = None
        url = None
        for lk in links:
            pmid = pubmed_id(lk.href)
            if pmid:
                url = resolve(lk.href, self.base_url)
                break
        if url is None and links:
            url = resolve(links[0].href, self.base_url)
        text = _REF_PUBMED_LABEL.sub("", text) or text
        key = f"pmid:{pmid}" if pmid else f"ref:{text.lower()}"
        return self.index.add(key, kind="reference", text=text, title=reference_title(text), url=url, pmid=pmid,
                              year=publication_year(text), origin=origin)

    def add_publisher(self, text: str, pmid: str | None, origin: str) -> str:
        """The document's own citation ("PDQ® Adult Treatment Editorial Board. ... [PMID: 26389485]")."""
        ym = _YEAR.search(text)
        key = f"pmid:{pmid}" if pmid else f"publisher:{text.lower()}"
        return self.index.add(key, kind="publisher", text=text, title=None,
                              url=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" if pmid else None, pmid=pmid,
                              year=int(ym.group(0)) if ym else None, origin=origin)

    def add_front_matter(self, citation: str) -> None:
        ym = _YEAR.search(citation)
        self.index.add(f"fm:{citation.lower()}", kind="publisher", text=citation, title=None, url=None, pmid=None,
                       year=int(ym.group(0)) if ym else None, origin="front_matter")


def _initials(name: str) -> str:
    return "".join(w[0] for w in re.findall(r"[A-Za-z]+", name)).upper()
