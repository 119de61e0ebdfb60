"""Extraction quality, side by side: this pipeline vs bare trafilatura (and readability-lxml if installed).

    python -m bench.quality [--corpus ../shared/corpus] [--limit N]      (make quality)

1. Generic benchmarks with ground truth (article-extraction-benchmark, WCXB health pages): token
   precision, recall and F1 of the extracted body text against the ground-truth body (bag of
   lower-cased word tokens; mean over pages).
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingest.core.inputs import InputMeta  # noqa: E402
from ingest.core.pipeline import Published, process  # noqa: E402
from tests.helpers import body_text  # noqa: E402
from tests.snippets_cancer_gov import ACS_TEXT, CANCER_GOV_HTML, CANCER_GOV_MARKDOWN  # noqa: E402

_TOKEN = re.compile(r"\w+", re.U)


def tokens(text: str) -> Counter:
    return Counter(t.lower() for t in _TOKEN.findall(text or ""))


def prf(pred: str, truth: str) -> tuple[float, float, float]:
    p, t = tokens(pred), tokens(truth)
    overlap = sum((p & t).values())
    precision = overlap / sum(p.values()) if p else 0.0
    recall = overlap / sum(t.values()) if t else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


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
def generic_pages(corpus: Path, limit: int | None) -> dict[str, list[tuple[str, str, str]]]:
    """{benchmark: [(name, html, truth, url)]}"""
    out: dict[str, list] = {}
    aeb = corpus / "article-extraction-benchmark"
    if aeb.is_dir():
        truth = json.loads((aeb / "ground-truth.json").read_text(encoding="utf-8"))
        items = []
        for item_id in sorted(truth)[:limit]:
            f = aeb / "html" / f"{item_id}.html.gz"
            if f.is_file():
                items.append((f"{item_id}.html", gzip.decompress(f.read_bytes()).decode("utf-8", "replace"),
                              truth[item_id]["articleBody"], truth[item_id].get("url")))
        out["article-extraction-benchmark"] = items
    wcxb = corpus / "wcxb-health"
    if wcxb.is_dir():
        items = []
        for g in sorted((wcxb / "ground-truth").glob("*.json"))[:limit]:
            gt = json.loads(g.read_text(encoding="utf-8"))
            f = wcxb / "html" / f"{g.stem}.html.gz"
            if f.is_file():
                body = gt.get("main_content") or gt.get("ground_truth", {}).get("main_content") or ""
                items.append((f"{g.stem}.html", gzip.decompress(f.read_bytes()).decode("utf-8", "replace"), body,
                              gt.get("url")))
        out["WCXB health"] = items
    return out


def score_generic(pages: list, with_readability: bool) -> dict[str, tuple[float, float, float]]:
    sums: dict[str, list[float]] = {}
    for name, html, truth, url in pages:
        preds = {
            "pipeline": pipeline_text(html.encode("utf-8"), name, url=url) or "",
            "trafilatura": trafilatura_text(html),
        }
        if with_readability:
            preds["readability-lxml"] = readability_text(html) or ""
        for k, pred in preds.items():
            acc = sums.setdefault(k, [0.0, 0.0, 0.0])
            for i, v in enumerate(prf(pred, truth)):
                acc[i] += v
    n = max(1, len(pages))
    return {k: (v[0] / n, v[1] / n, v[2] / n) for k, v in sums.items()}


def snippet_cases(corpus: Path) -> list[tuple[str, str, Path, dict, dict]]:
    """(group, name, path, expectations, input metadata) for every snippet page present."""
    pages_json = corpus / "cancer-gov-html" / "pages.json"
    pages = {p["file"]: p for p in json.loads(pages_json.read_text(encoding="utf-8"))} if pages_json.is_file() else {}
    cases = []
    for name, exp in CANCER_GOV_HTML.items():
        p = pages.get(name, {})
        cases.append(("cancer.gov HTML", name, corpus / "cancer-gov-html" / name, exp,
                      {"url": p.get("url"), "fetched_at": p.get("crawled_utc"), "content_type": p.get("content_type")}))
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

    print("| benchmark | pages | " + " | ".join(f"{e} P / R / F1" for e in extractors) + " |")
    print("|---|---|" + "---|" * len(extractors))
    for bench, pages in generic_pages(args.corpus, args.limit).items():
        res = score_generic(pages, with_readability)
        cells = [f"{res[e][0]:.3f} / {res[e][1]:.3f} / **{res[e][2]:.3f}**" if e in res else "–" for e in extractors]
        print(f"| {bench} | {len(pages)} | " + " | ".join(cells) + " |")
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
