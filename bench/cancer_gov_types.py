"""cancer.gov page types: what the pipeline publishes, quarantines and keeps, per page type (issue 13).

    python -m bench.cancer_gov_types [--corpus ../shared/corpus]

Over ``cancer-gov-html-more`` (124 real pages; ``pages.json`` gives each file's ``page_type``, see
its SOURCES.md): per page type, the pages, how many were published, how many quarantined (with the
error kinds and reasons counted), and the with/without snippet checks of
``tests/snippets_cancer_gov.py`` (``CANCER_GOV_HTML_MORE``) for the pages of that type: checks kept
(sentences, headings, notices, nested list items, table cells, references) and chrome gone. Prints a
Markdown table. Nothing is timed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingest.core.inputs import InputMeta  # noqa: E402
from ingest.core.pipeline import Published, process  # noqa: E402
from tests.helpers import snippet_checks  # noqa: E402
from tests.snippets_cancer_gov import CANCER_GOV_HTML_MORE  # noqa: E402

FOLDER = "cancer-gov-html-more"


def _reason(kind: str, reason: str) -> str:
    """A quarantine reason without the page's own details (the bracketed rule evidence, quoted text)."""
    short = re.sub(r"\s*\[.*\]$", "", reason)
    short = re.sub(r"\s*\(.*?\)", "", short)
    return f"{kind}: {short.split(':')[0].strip()}"


def run(corpus: Path) -> list[dict]:
    folder = corpus / FOLDER
    pages = json.loads((folder / "pages.json").read_text(encoding="utf-8"))
    rows: dict[str, dict] = defaultdict(lambda: {"pages": 0, "published": 0, "quarantined": 0, "reasons": Counter(),
                                                 "kept": 0, "kept_of": 0, "gone": 0, "gone_of": 0})
    for p in pages:
        row = rows[p["page_type"]]
        row["pages"] += 1
        meta = InputMeta(input=f"{FOLDER}/{p['file']}", filename=p["file"], url=p.get("url"),
                         fetched_at=p.get("crawled_utc"), content_type=p.get("content_type"))
        o = process((folder / p["file"]).read_bytes(), meta)
        record = o.record if isinstance(o, Published) else None
        if record is not None:
            row["published"] += 1
        else:
            row["quarantined"] += 1
            row["reasons"][_reason(o.kind, o.reason)] += 1
        exp = CANCER_GOV_HTML_MORE.get(p["file"])
        if exp is not None:
            kept, gone = snippet_checks(exp, record)
            row["kept"] += sum(ok for _, ok in kept)
            row["kept_of"] += len(kept)
            row["gone"] += sum(ok for _, ok in gone)
            row["gone_of"] += len(gone)
    return [{"page_type": t, **r} for t, r in rows.items()]


def table(rows: list[dict]) -> str:
    out = ["| page_type | pages | published | quarantined (reasons) | kept | chrome gone |",
           "|---|---:|---:|---|---:|---:|"]
    total = Counter()
    for r in rows:
        reasons = "; ".join(f"{k} ×{n}" for k, n in sorted(r["reasons"].items()))
        kept = f"{r['kept']}/{r['kept_of']}" if r["kept_of"] else "–"
        gone = f"{r['gone']}/{r['gone_of']}" if r["gone_of"] else "–"
        out.append(f"| {r['page_type']} | {r['pages']} | {r['published']} | {r['quarantined']}"
                   f"{' (' + reasons + ')' if reasons else ''} | {kept} | {gone} |")
        total.update({k: r[k] for k in ("pages", "published", "quarantined", "kept", "kept_of", "gone", "gone_of")})
    out.append(f"| **all** | {total['pages']} | {total['published']} | {total['quarantined']} | "
               f"{total['kept']}/{total['kept_of']} | {total['gone']}/{total['gone_of']} |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    args = ap.parse_args(argv)
    if not (args.corpus / FOLDER / "pages.json").is_file():
        print(f"no {FOLDER}/pages.json under {args.corpus}", file=sys.stderr)
        return 2
    print(table(run(args.corpus)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
