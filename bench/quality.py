"""Extraction quality, side by side: this pipeline vs bare trafilatura (and readability-lxml if installed).

    python -m bench.quality [--corpus ../shared/corpus] [--limit N]      (make quality)

1. Generic benchmarks with ground truth (article-extraction-benchmark, WCXB health pages, the 250
   WCXB dev-more pages of every page type): word-level precision, recall and F1 of the extracted
   body text against the ground-truth body, and the share of WCXB's with/without snippets found,
   as WCXB's ``evaluate.py`` scores them (``\\w+`` tokens, lower-cased; means over pages), per page
   type. The ground truth is read by this scorer only, never by the pipeline.
2. cancer.gov HTML/Markdown pages and ACS handouts: the with/without snippet checks of
   ``tests/snippets_cancer_gov.py`` (sentences that must be kept, chrome that must be gone). For a
   page the pipeline must quarantine (JavaScript shells, error pages) every "without" snippet must be
   absent from what is published. Markdown exports and ACS handouts are not HTML: there the
   baseline columns are the raw input text (what an HTML extractor would pass through).

Prints a Markdown table (the README's "Extraction quality" section). Nothing is timed.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingest.core.inputs import InputMeta  # noqa: E402
from ingest.core.pipeline import Published, process  # noqa: E402
from tests.helpers import body_text  # noqa: E402
from tests.snippets_cancer_gov import (  # noqa: E402
    ACS_TEXT,
    CANCER_GOV_HTML,
    CANCER_GOV_HTML_MORE,
    CANCER_GOV_MARKDOWN,
)

_TOKEN = re.compile(r"\w+", re.U)


def tokens(text: str) -> Counter:
    return Counter(t.lower() for t in _TOKEN.findall(text or ""))


def prf(pred: str, truth: str) -> tuple[float, float, float]:
    """Word-level precision, recall, F1 as the WCXB repo's ``evaluate.py`` computes them (``\\w+``
    tokens, lower-cased, multiset overlap; an empty truth scores 1 for an empty prediction)."""
    p, t = tokens(pred), tokens(truth)
    if not t:
        return (1.0, 1.0, 1.0) if not p else (0.0, 0.0, 0.0)
    if not p:
        return 0.0, 0.0, 0.0
    overlap = sum((p & t).values())
    precision = overlap / sum(p.values())
    recall = overlap / sum(t.values())
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def snippet_rate(text: str, snippets: list[str]) -> float:
    """WCXB's snippet check: the share of ``snippets`` found in ``text`` (case-insensitive); 1 if none."""
    if not snippets:
        return 1.0
    low = (text or "").lower()
    return sum(1 for s in snippets if s.lower() in low) / len(snippets)


# ----------------------------------------------------------------------------------------- extractors
def pipeline_text(raw: bytes, name: str, url: str | None = None, fetched_at: str | None = None) -> str | None:
    """The published body text (headings + sections), or None when the input is quarantined."""
    o = process(raw, InputMeta(input=f"bench/{name}", filename=name, url=url, fetched_at=fetched_at))
    if not isinstance(o, Published):
        return None
    rec = o.record
    parts = []
    for s in rec.sections:
        if s.heading:
            parts.append(s.heading)
        parts.append(s.text)
    return "\n".join(parts)


def pipeline_snippet_text(raw: bytes, name: str, **kw) -> str | None:
    o = process(raw, InputMeta(input=f"bench/{name}", filename=name, **kw))
    return body_text(o.record) if isinstance(o, Published) else None


def trafilatura_text(html: str) -> str:
    import trafilatura

    return trafilatura.extract(html) or ""


def readability_text(html: str) -> str | None:
    try:
        from readability import Document
    except ImportError:
        return None
    import lxml.html

    try:
        summary = Document(html).summary(html_partial=True)
        return lxml.html.fromstring(summary).text_content()
    except Exception:  # noqa: BLE001 - a benchmark baseline failing on a page scores 0 for it
        return ""


def readability_available() -> bool:
    try:
        import readability  # noqa: F401
    except ImportError:
        return False
    return True


# ----------------------------------------------------------------------------------------- benchmarks
@dataclass(frozen=True)
class Page:
    name: str
    html: str
    truth: str
    url: str | None
    page_type: str = "article"
    with_: tuple[str, ...] = ()
    without: tuple[str, ...] = ()


def _wcxb_page_type(gt: dict) -> str:
    """The page type as WCXB's ``evaluate.py`` reads it (``category`` is ``collection``)."""
    pt = (gt.get("_internal") or {}).get("page_type", {})
    pt = pt.get("primary", "article") if isinstance(pt, dict) else (pt if isinstance(pt, str) else "article")
    return "collection" if pt == "category" else pt


def generic_pages(corpus: Path, limit: int | None) -> dict[str, list[Page]]:
    """{benchmark: pages}. The ground truth is read here, by the scorer only, never by the pipeline."""
    out: dict[str, list[Page]] = {}
    aeb = corpus / "article-extraction-benchmark"
    if aeb.is_dir():
        truth = json.loads((aeb / "ground-truth.json").read_text(encoding="utf-8"))
        items = []
        for item_id in sorted(truth)[:limit]:
            f = aeb / "html" / f"{item_id}.html.gz"
            if f.is_file():
                items.append(Page(f"{item_id}.html", gzip.decompress(f.read_bytes()).decode("utf-8", "replace"),
                                  truth[item_id]["articleBody"], truth[item_id].get("url")))
        out["article-extraction-benchmark"] = items
    for folder, label in (("wcxb-health", "WCXB health"), ("wcxb-dev-more", "WCXB dev-more")):
        wcxb = corpus / folder
        if not wcxb.is_dir():
            continue
        items = []
        for g in sorted((wcxb / "ground-truth").glob("*.json"))[:limit]:
            data = json.loads(g.read_text(encoding="utf-8"))
            gt = data.get("ground_truth") or {}
            f = wcxb / "html" / f"{g.stem}.html.gz"
            if f.is_file():
                items.append(Page(f"{g.stem}.html", gzip.decompress(f.read_bytes()).decode("utf-8", "replace"),
                                  gt.get("main_content") or data.get("main_content") or "", data.get("url"),
                                  _wcxb_page_type(data), tuple(gt.get("with") or ()), tuple(gt.get("without") or ())))
        out[label] = items
    return out


#: page-type order of WCXB's evaluate.py
PAGE_TYPES = ("article", "forum", "product", "collection", "listing", "documentation", "service")


def score_generic(pages: list[Page], with_readability: bool) -> dict[str, dict[str, list[float]]]:
    """{page type or "all": {extractor: [P, R, F1, with, without, pages]}} (means over the pages)."""
    sums: dict[str, dict[str, list[float]]] = {}
    for page in pages:
        preds = {
            "pipeline": pipeline_text(page.html.encode("utf-8"), page.name, url=page.url) or "",
            "trafilatura": trafilatura_text(page.html),
        }
        if with_readability:
            preds["readability-lxml"] = readability_text(page.html) or ""
        for k, pred in preds.items():
            values = (*prf(pred, page.truth), snippet_rate(pred, list(page.with_)), snippet_rate(pred, list(page.without)))
            for group in (page.page_type, "all"):
                acc = sums.setdefault(group, {}).setdefault(k, [0.0] * 6)
                for i, v in enumerate(values):
                    acc[i] += v
                acc[5] += 1
    return {g: {k: [x / v[5] for x in v[:5]] + [v[5]] for k, v in by.items()} for g, by in sums.items()}


def snippet_cases(corpus: Path) -> list[tuple[str, str, Path, dict, dict]]:
    """(group, name, path, expectations, input metadata) for every snippet page present."""
    cases = []
    for group, folder, table in (("cancer.gov HTML", "cancer-gov-html", CANCER_GOV_HTML),
                                 ("cancer.gov HTML, more page types", "cancer-gov-html-more", CANCER_GOV_HTML_MORE)):
        pages_json = corpus / folder / "pages.json"
        pages = {p["file"]: p for p in json.loads(pages_json.read_text(encoding="utf-8"))} if pages_json.is_file() else {}
        for name, exp in table.items():
            p = pages.get(name, {})
            cases.append((group, name, corpus / folder / name, exp,
                          {"url": p.get("url"), "fetched_at": p.get("crawled_utc"),
                           "content_type": p.get("content_type")}))
    for name, exp in CANCER_GOV_MARKDOWN.items():
        cases.append(("cancer.gov Markdown", name, corpus / "cancer-gov-markdown" / name, exp, {}))
    for name, exp in ACS_TEXT.items():
        cases.append(("ACS handouts (text)", name, corpus / "cancer-org-text" / name, exp, {}))
    return [c for c in cases if c[2].is_file()]


def score_snippets(cases: list, with_readability: bool) -> dict[str, dict[str, list[int]]]:
    """{group: {extractor: [with_ok, with_total, without_ok, without_total]}}"""
    out: dict[str, dict[str, list[int]]] = {}
    for group, _name, path, exp, meta in cases:
        raw = path.read_bytes()
        text = raw.decode("utf-8", "replace")
        preds: dict[str, str | None] = {"pipeline": pipeline_snippet_text(raw, path.name, **meta)}
        if path.suffix == ".html":
            preds["trafilatura"] = trafilatura_text(text)
            if with_readability:
                preds["readability-lxml"] = readability_text(text) or ""
        else:  # Markdown/text: no HTML to extract from; the baseline keeps the text as it is
            preds["trafilatura"] = text
            if with_readability:
                preds["readability-lxml"] = None
        for k, pred in preds.items():
            acc = out.setdefault(group, {}).setdefault(k, [0, 0, 0, 0])
            if pred is None and k != "pipeline":
                continue
            published = pred or ""
            withs = [] if "quarantine" in exp else exp.get("with", [])
            acc[0] += sum(1 for w in withs if w in published)
            acc[1] += len(withs)
            acc[2] += sum(1 for w in exp.get("without", []) if w not in published)
            acc[3] += len(exp.get("without", []))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.quality", description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    ap.add_argument("--limit", type=int, default=None, help="at most N pages per generic benchmark")
    args = ap.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 2
    warnings.filterwarnings("ignore")
    import logging

    logging.disable(logging.WARNING)  # trafilatura/readability chatter
    with_readability = readability_available()
    extractors = ["pipeline", "trafilatura"] + (["readability-lxml"] if with_readability else [])

    print("Word-level precision / recall / **F1** (WCXB evaluate.py) and the with / without snippet rates "
          "(WCXB only; without: lower is better), per page type")
    print()
    print("| benchmark | page type | pages | " + " | ".join(f"{e} P / R / F1 / with / without" for e in extractors)
          + " |")
    print("|---|---|---|" + "---|" * len(extractors))
    for bench, pages in generic_pages(args.corpus, args.limit).items():
        res = score_generic(pages, with_readability)
        snippets = any(p.with_ or p.without for p in pages)
        groups = [t for t in PAGE_TYPES if t in res] + sorted(g for g in res if g not in PAGE_TYPES and g != "all")
        if len(groups) > 1 or "all" not in res:
            groups.append("all")
        else:
            groups = ["all"]
        for group in groups:
            cells = []
            for e in extractors:
                v = res.get(group, {}).get(e)
                if v is None:
                    cells.append("–")
                    continue
                cell = f"{v[0]:.3f} / {v[1]:.3f} / **{v[2]:.3f}**"
                cells.append(cell + (f" / {v[3]:.2f} / {v[4]:.2f}" if snippets else ""))
            n = int(next(iter(res[group].values()))[5])
            label = f"**{group}**" if group == "all" else group
            print(f"| {bench} | {label} | {n} | " + " | ".join(cells) + " |")
    if not with_readability:
        print()
        print("readability-lxml: not installed")
    print()
    print("| snippet checks | pages | " + " | ".join(f"{e}: kept / chrome gone" for e in extractors) + " |")
    print("|---|---|" + "---|" * len(extractors))
    cases = snippet_cases(args.corpus)
    res = score_snippets(cases, with_readability)
    for group in res:
        n = sum(1 for c in cases if c[0] == group)
        cells = []
        for e in extractors:
            a = res[group].get(e)
            cells.append(f"{a[0]}/{a[1]} / {a[2]}/{a[3]}" if a and (a[1] or a[3]) else "n/a")
        print(f"| {group} | {n} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
