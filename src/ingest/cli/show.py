"""``ingest show`` and ``ingest list``: published records, readably, in a terminal.

All document text goes through :func:`safe` and rich ``Text`` objects (never console markup), so a
record cannot inject terminal escape sequences or rich markup.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ingest.core.errors import IngestError
from ingest.store.files import RECORDS_DIR
from ingest.store.manifest import MANIFEST_NAME, load_manifest

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_DATE_FIELDS = (("published", "published"), ("last_reviewed", "reviewed"), ("last_revised", "revised"))


class RecordNotFound(IngestError):
    """No record (or an ambiguous prefix) for ``ingest show``; no OUT_DIR or manifest. The CLI exits 2."""


def safe(text: Any) -> str:
    """Text without control characters (terminal escape sequences), tabs and newlines kept.

    >>> safe("ok\\x1b[31mred\\x07")
    'ok[31mred'
    """
    return _CONTROL.sub("", str(text))


def _console() -> Any:
    from rich.console import Console

    probe = Console()
    # a pipe or a file gets a wide, plain layout; a terminal its own width
    return Console(highlight=False, soft_wrap=False, width=None if probe.is_terminal else 140)


def _require_dir(out_dir: Path) -> None:
    if not out_dir.is_dir():
        raise RecordNotFound(f"OUT_DIR not found: {out_dir}")


def find_record(out_dir: Path, key: str) -> Path:
    """The record file for ``key``: an id, a unique id prefix, an input name from the manifest, or the
    old id of a record that moved (the manifest's withdrawn entry names where it went)."""
    _require_dir(out_dir)
    records = out_dir / RECORDS_DIR
    key = key.strip()
    if re.fullmatch(r"[a-z]+-[0-9a-f]{16}", key) and (records / f"{key}.json").is_file():
        return records / f"{key}.json"
    manifest = load_manifest(out_dir) or {}
    for e in manifest.get("records", []):
        if isinstance(e, dict) and key in (e.get("input"), e.get("path")) and isinstance(e.get("id"), str):
            path = records / f"{e['id']}.json"
            if re.fullmatch(r"[a-z]+-[0-9a-f]{16}", e["id"]) and path.is_file():
                return path
    for e in manifest.get("withdrawn", []):  # an id that moved (issue 16): follow it to the current record
        target = e.get("moved_to") if isinstance(e, dict) and key in (e.get("id"), e.get("input")) else None
        if isinstance(target, str) and re.fullmatch(r"[a-z]+-[0-9a-f]{16}", target) and (records / f"{target}.json").is_file():
            return records / f"{target}.json"
    matches = sorted(p for p in records.glob("*.json") if key and p.stem.startswith(key)) if records.is_dir() else []
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        some = ", ".join(p.stem for p in matches[:5]) + (", ..." if len(matches) > 5 else "")
        raise RecordNotFound(f"{key!r} matches {len(matches)} records in {out_dir}: {some}")
    raise RecordNotFound(f"no record {key!r} in {out_dir} (`ingest list {out_dir}` lists them)")


def _date_text(dates: dict[str, Any] | None) -> str:
    parts = []
    for key, label in _DATE_FIELDS:
        d = (dates or {}).get(key)
        if isinstance(d, dict) and d.get("value"):
            parts.append(f"{label} {d['value']}")
    return ", ".join(parts) or "-"


def list_records(out_dir: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """One row per manifest record (id, title, input, source, dates, version) and the manifest."""
    _require_dir(out_dir)
    manifest = load_manifest(out_dir)
    if manifest is None:
        raise RecordNotFound(f"no {MANIFEST_NAME} in {out_dir} (not written by `ingest normalize`?)")
    version = manifest.get("pipeline_version")
    rows = []
    for e in manifest.get("records", []):
        if not isinstance(e, dict):
            continue
        row: dict[str, Any] = {"id": e.get("id"), "title": e.get("title"), "input": e.get("input"),
                               "publisher": None, "family": None, "url": None,
                               "dates": {k: None for k, _ in _DATE_FIELDS}, "version": version}
        try:
            rec = json.loads((out_dir / str(e.get("path", ""))).read_bytes())
        except (OSError, ValueError):
            rec = None
        if isinstance(rec, dict):
            src = rec.get("source") or {}
            row.update(publisher=src.get("publisher"), family=src.get("family"), url=src.get("url"))
            for k, _ in _DATE_FIELDS:
                d = (rec.get("dates") or {}).get(k)
                row["dates"][k] = d.get("value") if isinstance(d, dict) else None
            row["version"] = (rec.get("provenance") or {}).get("pipeline_version") or version
        rows.append(row)
    rows.sort(key=lambda r: (str(r["title"] or "").lower(), str(r["id"])))
    return rows, manifest


def print_list(rows: list[dict[str, Any]], manifest: dict[str, Any]) -> None:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    console = _console()
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=True)
    for name, kw in (("ID", {"no_wrap": True}), ("TITLE", {"ratio": 4}), ("SOURCE", {"ratio": 2}),
                     ("DATES", {"ratio": 2}), ("VERSION", {"no_wrap": True})):
        table.add_column(name, **kw)
    for r in rows:
        source = r["publisher"] or "-"
        if r["family"]:
            source += f" ({r['family']})"
        dates = {k: {"value": v} if v else None for k, v in r["dates"].items()}
        table.add_row(Text(safe(r["id"])), Text(safe(r["title"] or "")), Text(safe(source)),
                      Text(_date_text(dates)), Text(safe(r["version"] or "-")))
    console.print(table)
    n_q = len(manifest.get("quarantined", []) or [])
    console.print(Text(f"{len(rows)} records, {n_q} quarantined (pipeline {safe(manifest.get('pipeline_version'))})"))


def print_record(rec: dict[str, Any]) -> None:
    """The record as a person reads it; every field that matters, nothing raw."""
    from rich.padding import Padding
    from rich.rule import Rule
    from rich.text import Text

    console = _console()

    def line(label: str, value: Any) -> None:
        if value in (None, "", []):
            return
        t = Text()
        t.append(f"{label}: ", style="bold")
        t.append(safe(value))
        console.print(t)

    src = rec.get("source") or {}
    prov = rec.get("provenance") or {}
    console.print(Text(safe(rec.get("title", "")), style="bold underline"))
    line("id", rec.get("id"))
    line("source", " · ".join(dict.fromkeys(safe(x) for x in (src.get("publisher"), src.get("family"),
                                                               src.get("kind"), src.get("format")) if x)))
    line("url", src.get("url"))
    if src.get("grounded_in"):
        line("grounded in", src.get("grounded_in"))
    line("dates", ", ".join(
        f"{label} {d['value']} ({safe(d.get('source'))})" for key, label in _DATE_FIELDS
        if isinstance(d := (rec.get("dates") or {}).get(key), dict)) or "-")
    line("language", f"{rec.get('language')} ({rec.get('language_source')})")
    line("audience", rec.get("audience"))
    line("cancer types", ", ".join(map(safe, rec.get("cancer_types") or [])))
    line("tags", ", ".join(map(safe, rec.get("tags") or [])))
    line("AI-generated", "yes" if rec.get("ai_generated") else None)
    line("input", prov.get("input"))
    line("version", f"pipeline {prov.get('pipeline_version')}, schema {rec.get('schema_version')}")

    notices = rec.get("notices") or []
    if notices:
        console.print(Rule(Text("Notices (taken out of the body)"), align="left"))
        for n in notices:
            console.print(Padding(Text(f"[{safe(n.get('kind'))}] {safe(n.get('text'))}"), (0, 0, 0, 2), expand=False))

    for s in rec.get("sections") or []:
        head = safe(s.get("heading") or "(before the first heading)")
        path = " › ".join(map(safe, s.get("path") or []))
        title = Text(f"{s.get('id')}  {head}" + (f"   [{path}]" if path else ""), style="bold")
        console.print(Rule(title, align="left"))
        for b in s.get("blocks") or []:
            kind = b.get("type")
            if kind == "list":
                levels = b.get("levels") or []
                for i, item in enumerate(b.get("items") or [], 1):
                    bullet = f"{i}." if b.get("ordered") else "•"
                    indent = 2 + 2 * (levels[i - 1] if i <= len(levels) else 0)
                    console.print(Padding(Text(f"{bullet} {safe(item)}"), (0, 0, 0, indent), expand=False))
            elif kind == "table":
                for row in b.get("rows") or []:
                    console.print(Padding(Text(" | ".join(safe(c) for c in row)), (0, 0, 0, 2), expand=False))
            elif kind == "figure":
                line = " ".join(x for x in (b.get("caption"), b.get("credit")) if x)
                console.print(Padding(Text(f"[figure{' ' + safe(b['image']) if b.get('image') else ''}] {safe(line)}"),
                                      (0, 0, 0, 2), expand=False))
            else:
                prefix = "> " if kind == "quote" else ""
                console.print(Padding(Text(prefix + safe(b.get("text", ""))), (0, 0, 0, 2), expand=False))
            console.print()
        if s.get("citation_ids"):
            console.print(Padding(Text("cites " + ", ".join(map(safe, s["citation_ids"])), style="dim"),
                                  (0, 0, 0, 2), expand=False))

    cits = rec.get("citations") or []
    if cits:
        console.print(Rule(Text(f"Citations ({len(cits)})"), align="left"))
        for c in cits:
            extra = " ".join(x for x in (f"PMID {c['pmid']}" if c.get("pmid") else "",
                                          str(c["year"]) if c.get("year") else "", safe(c.get("url") or "")) if x)
            console.print(Padding(Text(f"{safe(c.get('id'))} [{safe(c.get('kind'))}] {safe(c.get('text'))}"
                                       + (f" — {extra}" if extra else "")), (0, 0, 0, 2), expand=False))
    gl = rec.get("glossary") or []
    if gl:
        console.print(Rule(Text(f"Glossary ({len(gl)})"), align="left"))
        for g in gl:
            console.print(Padding(Text(f"{safe(g.get('term'))} ({safe(g.get('cdr_id'))}, ×{g.get('count')}) "
                                       f"{safe(g.get('url'))}"), (0, 0, 0, 2), expand=False))
    removals = prov.get("removals") or []
    repairs = prov.get("repairs") or []
    if removals or repairs:
        times = sum(int(r.get("count", 1)) for r in removals)
        console.print(Rule(Text(f"Removed by cleaning ({len(removals)} texts, {times} times; "
                                "`ingest inspect INPUT` shows them in place)"), align="left"))
        for r in removals:
            text = safe(r.get("text", ""))
            if len(text) > 100:
                text = text[:99] + "…"
            console.print(Padding(Text(f"{safe(r.get('rule'))} [{safe(r.get('kind'))}] ×{r.get('count')}: "
                                       f"{text}"), (0, 0, 0, 2), expand=False))
        for r in repairs:
            console.print(Padding(Text(f"{safe(r.get('rule'))} repaired: {safe(r.get('before'))} → "
                                       f"{safe(r.get('after'))}"), (0, 0, 0, 2), expand=False))
