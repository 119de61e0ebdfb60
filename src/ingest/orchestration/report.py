"""The run report: what a flow run did, per source, as Markdown in OUT_DIR/report.md and as a Prefect
markdown artifact (so the morning-after reader sees it in the UI without opening a file), plus the
quarantined inputs as a Prefect table artifact.

Artifact keys are one per OUT_DIR (:func:`artifact_key`: its folder name and a hash of its absolute
path, so two OUT_DIRs called ``normalized`` never share a history); the report names them. Both are
attached to the top-level flow run: a fetch run's report hangs on the fetch run, not on its
normalize subflow.

- **source**: the folder an input sits in directly under its raw folder, which is where ``ingest
  fetch`` puts each source's pages (``raw/nci/x.html`` → ``nci``); an input directly in the raw
  folder belongs to the raw folder itself (``raw/x.txt`` → ``raw``); one named by URL → its host.
- per source: published records (new, updated, unchanged: compared with the manifest of the
  previous run), quarantined inputs (with stage and reason), duplicates, removed stale records,
  fetch failures (the manifest's optional ``fetch_failures`` list: ``{"source", "url", "reason", ..}``)
  and, when the caller measured it, the time spent per source.
- the most frequent removals (which cleaning rule, how many times, in how many documents).

``report.md`` holds the run's time, so it changes on every run: it is not listed in manifest.json,
``ingest validate`` does not look at it (it checks ``records/`` and the manifest only), and the
committed ``normalized/`` does not include it (.gitignore).

In a flow::

    report = RunReport.begin(out_dir)          # before publishing: remembers the previous manifest
    ...
    report.publish(summary, outcomes, logger)  # writes report.md, creates the artifact; never raises

``RunReport.begin(out_dir, kind="fetch")`` titles it "Fetch run report"; ``publish(...,
source_seconds={"nci": 12.5})`` adds a time column.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import re
import time
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ingest.core.display import printable
from ingest.core.pipeline import Outcome, Published
from ingest.store.files import atomic_write
from ingest.store.manifest import load_manifest
from ingest.store.staging import summarize_removals

REPORT_NAME = "report.md"
#: Rows in the "most frequent removals" table.
TOP_REMOVALS = 15
#: Quarantined inputs / fetch failures listed in full before "... and N more".
MAX_LISTED = 50
#: Rows of the quarantine table artifact.
MAX_TABLE_ROWS = 1000

_SLUG = re.compile(r"[^a-z0-9]+")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|#~])")


def source_of(input_name: str) -> str:
    """The source an input belongs to: its folder directly under the raw folder (where ``ingest fetch``
    puts a source's pages), else the raw folder itself; for a URL its host.

    >>> source_of("raw/000_x.txt"), source_of("raw/nci/pages/a.html"), source_of("https://www.cancer.gov/a")
    ('raw', 'nci', 'www.cancer.gov')
    """
    if "://" in input_name:
        return urlsplit(input_name).hostname or input_name
    parts = input_name.split("/")
    if len(parts) >= 3:
        return parts[1]
    return parts[0] if len(parts) == 2 and parts[0] else "(none)"


def artifact_key(out_dir: str | Path, what: str = "report") -> str:
    """The key of OUT_DIR's ``what`` artifact (``report``, ``quarantined``): stable across runs, unique
    per OUT_DIR: ``ingest-<what>-<folder name>-<8 hex digits of its absolute path>``. Prefect keys
    may hold only lowercase letters, digits and dashes.

    >>> artifact_key("/data/normalized"), artifact_key("/srv/normalized"), artifact_key("/data/Out_Dir 2/", "quarantined")
    ('ingest-report-normalized-7b855030', 'ingest-report-normalized-81a87a07', 'ingest-quarantined-out-dir-2-92c2dd64')
    """
    path = os.path.abspath(str(out_dir))
    digest = hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    slug = _SLUG.sub("-", os.path.basename(path).lower()).strip("-")[:60] or "out"
    prefix = _SLUG.sub("-", what.lower()).strip("-") or "report"
    return f"ingest-{prefix}-{slug}-{digest}"


def md(text: Any, limit: int = 160) -> str:
    """Untrusted text as one line of inert Markdown (no HTML, links, emphasis or table breaks).

    >>> md("a | b <script>*x*</script>")
    'a \\\\| b &lt;script&gt;\\\\*x\\\\*&lt;/script&gt;'
    """
    s = printable(" ".join(str(text).split()))  # one line; controls, bidi overrides escaped
    if len(s) > limit:
        s = s[: limit - 1].rstrip() + "…"
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", s)


def code(text: Any, limit: int = 80) -> str:
    """Untrusted text as an inline code span (no backticks or pipes inside, one line).

    >>> code("acs.text_size")
    '`acs.text_size`'
    """
    s = printable(" ".join(str(text).split())).replace("`", "'").replace("|", "/")
    return f"`{s[:limit]}`"


@dataclass
class SourceRow:
    published: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    duplicates: int = 0
    removed: int = 0
    fetch_failures: int = 0


@dataclass
class ReportData:
    """Everything the Markdown is rendered from (pure data; see :func:`build_report_data`)."""

    rows: dict[str, SourceRow] = field(default_factory=dict)
    quarantined: list[dict[str, Any]] = field(default_factory=list)
    fetch_failures: list[dict[str, Any]] = field(default_factory=list)
    removals: list[dict[str, Any]] = field(default_factory=list)
    documents_normalized: int = 0


def _entry_key(e: dict[str, Any]) -> tuple[Any, ...]:
    return (e.get("id"), e.get("content_sha256"), e.get("raw_sha256"))


def _fetch_source(f: dict[str, Any]) -> str:
    if isinstance(f.get("source"), str) and f["source"]:
        return f["source"]
    where = f.get("input") or f.get("url") or ""
    return source_of(str(where)) if where else "(unknown)"


def top_removals(
    outcomes: list[Outcome], limit: int = TOP_REMOVALS, staged: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Removal rules by how much they removed: rule, kinds, times, documents, reason, an example.

    ``staged`` (input -> :class:`ingest.store.staging.Staged`): where the flow's slim outcomes, which carry
    no removals, have them summarized.
    """
    times: Counter[str] = Counter()
    docs: Counter[str] = Counter()
    kinds: dict[str, list[str]] = defaultdict(list)
    first: dict[str, tuple[str, str]] = {}
    for o in outcomes:
        if not isinstance(o, Published):
            continue
        s = staged.get(o.input) if staged else None
        summary = s.removals if s is not None and not o.record.provenance.removals else summarize_removals(o.record)
        for rule, rule_kinds, n, reason, text in summary:
            times[rule] += n
            kinds[rule].extend(k for k in rule_kinds if k not in kinds[rule])
            first.setdefault(rule, (reason, text))
            docs[rule] += 1
    ranked = sorted(times, key=lambda rule: (-times[rule], rule))[:limit]
    return [
        {"rule": rule, "kinds": kinds[rule], "times": times[rule], "documents": docs[rule],
         "reason": first[rule][0], "example": first[rule][1]}
        for rule in ranked
    ]


def build_report_data(previous: dict[str, Any] | None, manifest: dict[str, Any] | None,
                      outcomes: list[Outcome], staged: Mapping[str, Any] | None = None) -> ReportData:
    """Per-source counts from the manifests before and after the run, plus the run's removals."""
    data = ReportData()
    prev_by_input = {e.get("input"): e for e in (previous or {}).get("records", []) if isinstance(e, dict)}
    manifest = manifest or {}
    rows: dict[str, SourceRow] = defaultdict(SourceRow)
    now_inputs = set()
    for e in manifest.get("records", []):
        if not isinstance(e, dict):
            continue
        inp = str(e.get("input", ""))
        now_inputs.add(inp)
        row = rows[source_of(inp)]
        row.published += 1
        old = prev_by_input.get(inp)
        if old is None:
            row.new += 1
        elif _entry_key(old) == _entry_key(e):
            row.unchanged += 1
        else:
            row.updated += 1
    for inp in prev_by_input:
        if inp not in now_inputs:
            rows[source_of(str(inp))].removed += 1
    for q in manifest.get("quarantined", []):
        if isinstance(q, dict):
            src = source_of(str(q.get("input", "")))
            rows[src].quarantined += 1
            data.quarantined.append({**q, "source": src})
    for d in manifest.get("duplicates", []) or []:
        if isinstance(d, dict):
            rows[source_of(str(d.get("input", "")))].duplicates += 1
    for f in manifest.get("fetch_failures", []) or []:
        if isinstance(f, dict):
            src = _fetch_source(f)
            rows[src].fetch_failures += 1
            data.fetch_failures.append({**f, "source": src})
    data.rows = dict(sorted(rows.items()))
    data.removals = top_removals(outcomes, staged=staged)
    data.documents_normalized = sum(isinstance(o, Published) for o in outcomes)
    return data


def _fmt_duration(seconds: float) -> str:
    """
    >>> _fmt_duration(3.25), _fmt_duration(125)
    ('3.2 s', '2 min 5 s')
    """
    if seconds < 60:
        return f"{seconds:.1f} s"
    m, s = divmod(int(round(seconds)), 60)
    return f"{m} min {s} s"


def render_markdown(data: ReportData, *, summary: dict[str, Any], out_dir: str, started: dt.datetime,
                    duration: float, pipeline_version: str | None = None, run_name: str | None = None,
                    kind: str = "normalize", source_seconds: dict[str, float] | None = None) -> str:
    """The report as Markdown; every document-derived text is escaped (:func:`md`, :func:`code`)."""
    total = SourceRow()
    for row in data.rows.values():
        for k in vars(total):
            setattr(total, k, getattr(total, k) + getattr(row, k))
    when = started.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    lines = [f"# {md(kind.capitalize())} run report", ""]
    who = f"Run {md(run_name)} started" if run_name else "Started"
    lines.append(
        f"{who} {when}, took {_fmt_duration(duration)}; output {code(out_dir, 200)}"
        + (f"; pipeline {md(pipeline_version)}" if pipeline_version else "") + "."
    )
    lines.append("")
    lines.append(f"Prefect artifacts of this output folder: {code(artifact_key(out_dir), 120)} (this report), "
                 f"{code(artifact_key(out_dir, 'quarantined'), 120)} (the quarantined inputs, as a table).")
    lines.append("")
    lines.append(
        f"**{total.published} published** ({total.new} new, {total.updated} updated, {total.unchanged} unchanged), "
        f"**{total.quarantined} quarantined**, {total.duplicates} duplicates, {total.removed} removed, "
        f"{total.fetch_failures} fetch failures. "
        f"Record files written {summary.get('written', 0)}, left untouched {summary.get('unchanged', 0)}."
    )
    times = dict(source_seconds or {})
    lines += ["", "## By source", ""]
    lines.append("| source | published | new | updated | unchanged | quarantined | duplicates | removed "
                 "| fetch failures |" + (" time |" if times else ""))
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|" + ("---:|" if times else ""))

    def row_line(name: str, r: SourceRow, seconds: float | None) -> str:
        return (f"| {name} | {r.published} | {r.new} | {r.updated} | {r.unchanged} | {r.quarantined} | "
                f"{r.duplicates} | {r.removed} | {r.fetch_failures} |"
                + ((f" {_fmt_duration(seconds)} |" if seconds is not None else " – |") if times else ""))

    for name in sorted(set(data.rows) | set(times)):
        lines.append(row_line(md(name), data.rows.get(name, SourceRow()), times.get(name)))
    if len(data.rows) > 1:
        lines.append(row_line("**total**", total, duration))
    lines.append("")
    lines.append("new / updated / unchanged compare each record with the previous run's manifest; removed = "
                 "records of inputs that are gone; duplicates = inputs published under another input's record.")

    # Lists, not tables: long inputs and reasons wrap (a wide table is cut off in the Prefect UI).
    lines += _listing(
        "Quarantined", data.quarantined,
        lambda q: f"**{md(q['source'])}** {code(q.get('input'), 200)}: {md(q.get('stage'))}, "
                  f"{md(q.get('kind'))}: {md(q.get('reason'), 240)}",
    )
    lines += _listing(
        "Fetch failures", data.fetch_failures,
        lambda f: f"**{md(f['source'])}** {md(f.get('url') or f.get('input') or '', 300)}: "
                  f"{md(f.get('reason') or f.get('error') or '', 240)}",
    )

    lines += ["", "## Most frequent removals", ""]
    if not data.removals:
        lines.append(f"No text was removed from the {data.documents_normalized} documents this run published.")
    else:
        lines.append(f"Over the {data.documents_normalized} documents this run published "
                     "(`ingest inspect INPUT` shows each removal in place).")
        lines.append("")
        lines.append("| rule | kind | times | documents | reason | example |")
        lines.append("|---|---|---:|---:|---|---|")
        for r in data.removals:
            lines.append(f"| {code(r['rule'])} | {md(', '.join(r['kinds']))} | {r['times']} | {r['documents']} | "
                         f"{md(r['reason'], 100)} | {md(r['example'], 80)} |")
    return "\n".join(lines) + "\n"


def _run_name() -> str | None:
    try:
        from prefect.runtime import flow_run

        return flow_run.name or None
    except Exception:  # noqa: BLE001 - outside a flow run
        return None


def _top_level_flow_run_id() -> Any:
    """The id of the flow run at the top of this one's subflow chain (itself when it has no parent)."""
    from prefect.runtime import flow_run

    return flow_run.root_flow_run_id or None


def _in_run_context() -> bool:
    try:
        from prefect.context import get_run_context

        get_run_context()
        return True
    except Exception:  # noqa: BLE001 - MissingContextError
        return False


@dataclass
class RunReport:
    """Collects what a report needs across one run; see the module docstring."""

    out_dir: Path
    previous: dict[str, Any] | None
    started: dt.datetime
    t0: float
    markdown: str = ""
    artifact_id: Any = None

    kind: str = "normalize"

    @classmethod
    def begin(cls, out_dir: str | Path, kind: str = "normalize") -> RunReport:
        """Call before publishing: remembers the previous manifest and the start time."""
        out = Path(out_dir)
        return cls(out, load_manifest(out), dt.datetime.now(dt.UTC), time.monotonic(), kind=kind)

    def build(self, summary: dict[str, Any], outcomes: list[Outcome],
              source_seconds: dict[str, float] | None = None, staged: Mapping[str, Any] | None = None) -> str:
        manifest = load_manifest(self.out_dir)
        data = build_report_data(self.previous, manifest, outcomes, staged)
        self.markdown = render_markdown(
            data, summary=summary, out_dir=str(self.out_dir), started=self.started,
            duration=time.monotonic() - self.t0,
            pipeline_version=(manifest or {}).get("pipeline_version"), run_name=_run_name(),
            kind=self.kind, source_seconds=source_seconds,
        )
        return self.markdown

    def publish(self, summary: Any, outcomes: list[Outcome],
                logger: logging.Logger | logging.LoggerAdapter | None = None,
                source_seconds: dict[str, float] | None = None,
                staged: Mapping[str, Any] | None = None) -> Path | None:
        """Write OUT_DIR/report.md and, inside a flow run, a Prefect markdown artifact.

        Never raises (a report must not fail a run that published its records): problems are
        logged as warnings. Returns the report's path, or None if it could not be written.
        """
        log = logger or logging.getLogger(__name__)
        as_dict = summary.as_dict() if hasattr(summary, "as_dict") else dict(summary)
        try:
            text = self.build(as_dict, outcomes, source_seconds, staged)
        except Exception as e:  # noqa: BLE001
            log.warning("run report not built: %s: %s", type(e).__name__, e)
            return None
        path: Path | None = self.out_dir / REPORT_NAME
        try:
            write_report(path, text.encode("utf-8"))
        except OSError as e:
            log.warning("cannot write %s: %s", path, e.strerror or e)
            path = None
        if _in_run_context():
            try:
                self.artifact_id = self._artifacts(text, as_dict)
            except Exception as e:  # noqa: BLE001 - the UI artifact is a convenience
                log.warning("run report artifact not created: %s: %s", type(e).__name__, e)
        return path

    def _artifacts(self, text: str, summary: dict[str, Any]) -> Any:
        """The report (markdown) and the quarantined inputs (table), on the top-level flow run."""
        from prefect.artifacts import MarkdownArtifact, TableArtifact

        owner = _top_level_flow_run_id()
        where = f"ingest {self.kind} → {self.out_dir}: "
        made = MarkdownArtifact(
            key=artifact_key(self.out_dir), markdown=text, flow_run_id=owner,
            description=where + _counts(summary),
        ).create(_sync=True)  # type: ignore[call-arg]
        rows = [
            # short columns first: the UI's table does not wrap, a long input would push the reason out of view
            {"source": source_of(str(q.get("input", ""))), "kind": str(q.get("kind")), "stage": str(q.get("stage")),
             "reason": " ".join(str(q.get("reason")).split())[:200], "input": str(q.get("input"))}
            for q in (summary.get("quarantined_outcomes") or [])[:MAX_TABLE_ROWS]
        ]
        n = int(summary.get("quarantined") or 0)
        more = f" (first {MAX_TABLE_ROWS}; all in manifest.json)" if n > MAX_TABLE_ROWS else ""
        TableArtifact(
            key=artifact_key(self.out_dir, "quarantined"), table=rows, flow_run_id=owner,
            description=where + f"{n} quarantined inputs{more}",
        ).create(_sync=True)  # type: ignore[call-arg]
        return made.id


def write_report(path: Path, data: bytes) -> None:
    """Write the report: the first time atomically, then in place (same inode), so that replacing it
    on every run does not change OUT_DIR's own mtime: a rerun over unchanged input still leaves every
    other file and OUT_DIR itself untouched."""
    try:
        with open(path, "r+b") as f:
            f.write(data)
            f.truncate()
            f.flush()
            os.fsync(f.fileno())
    except FileNotFoundError:
        atomic_write(path, data)


def _counts(summary: dict[str, Any]) -> str:
    return f"published {summary.get('published', 0)}, quarantined {summary.get('quarantined', 0)}"


def _listing(title: str, entries: list[dict], item) -> list[str]:
    """A "## title (n)" section listing at most MAX_LISTED entries; nothing when empty."""
    if not entries:
        return []
    out = ["", f"## {title} ({len(entries)})", ""]
    out += ["- " + item(e) for e in entries[:MAX_LISTED]]
    if len(entries) > MAX_LISTED:
        out.append(f"\n… and {len(entries) - MAX_LISTED} more (see manifest.json).")
    return out
