"""Publishing outcomes to OUT_DIR: the transaction, :func:`publish`, writing one canonical JSON file
per record plus a manifest in an order that a killed run cannot break.

Layout::

    OUT_DIR/manifest.json          canonical JSON: schema/pipeline versions, records, quarantined,
                                   withdrawn, raw_dirs
    OUT_DIR/records/<id>.json      canonical JSON of each record (with its ``version``)
    OUT_DIR/records.jsonl          every current record, one compact line each (bulk readers)
    OUT_DIR/changes.jsonl          append-only change feed: one line per record added/updated/withdrawn
    OUT_DIR/history/<id>/v<N>.json every earlier version of a record (never deleted)

Writes are atomic (temp file in the same dir, fsync, ``os.replace``) and happen only when the bytes
differ from what is on disk, so a rerun over unchanged input touches no file (mtimes unchanged).
Only changes.jsonl holds times and run ids. Record files no longer published move to history/.

The pieces it calls: :mod:`.files` (atomic writes, record paths, fault points), :mod:`.staging`
(staged and slim records), :mod:`.history` (versions, history/), :mod:`.feed` (changes.jsonl,
records.jsonl), :mod:`.manifest` (manifest.json), :mod:`.dedupe` (duplicate resolution).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ingest.core.pipeline import Outcome, Published, Quarantined
from ingest.core.serialize import canonical_json
from ingest.store.chunks import (
    CHUNK_TMP_PREFIX,
    CHUNKS_JSONL,
    ChunkSettings,
    publish_chunks,
    remove_staged_chunks,
)
from ingest.store.dedupe import resolve_duplicates
from ingest.store.feed import CHANGES_NAME, RECORDS_JSONL, append_changes, change_event, records_jsonl_lines
from ingest.store.files import (
    RECORDS_DIR,
    TMP_PREFIX,
    OutputDirError,
    ensure_out_dir,
    fault_point,
    fsync_dir,
    record_path,
    write_if_changed,
    write_stream_if_changed,
)
from ingest.store.history import archive, int_version, next_version
from ingest.store.manifest import (
    KEPT_NOTE,
    MANIFEST_NAME,
    build_manifest,
    load_manifest,
    quarantine_key,
    with_meta_hashes,
)
from ingest.store.staging import Staged, write_record


@dataclass(slots=True)
class PublishSummary:
    """What :func:`publish` did. ``written``/``unchanged`` count record files only."""

    published: int = 0
    written: int = 0
    unchanged: int = 0
    quarantined: int = 0
    #: Other copies of a published page (same record id), listed in the manifest under ``duplicates``.
    duplicates: int = 0
    removed_stale: int = 0
    kept_previous: int = 0
    manifest_written: bool = False
    #: Lines appended to changes.jsonl (added, updated, withdrawn records).
    changes: int = 0
    #: Issue 15: chunks in chunks.jsonl, and chunk-changes.jsonl lines of this run (0 when not rechunked).
    chunks: int = 0
    chunks_added: int = 0
    chunks_removed: int = 0
    #: Every quarantined outcome (from the pipeline and from publishing), sorted by input.
    quarantined_outcomes: list[Quarantined] = field(default_factory=list)
    #: What was appended to changes.jsonl (``event``, ``id``, ``input``, ``version``, ``content_sha256``),
    #: for the flow's events; not in :meth:`as_dict`.
    change_events: list[dict[str, Any]] = field(default_factory=list, repr=False)

    def counts_line(self) -> str:
        return (
            f"published {self.published} (written {self.written}, unchanged {self.unchanged}), "
            f"quarantined {self.quarantined}"
            + (f" (previous record kept for {self.kept_previous})" if self.kept_previous else "")
            + f", withdrawn {self.removed_stale}"
        )

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (what the flow returns)."""
        d = asdict(self)
        d.pop("change_events")
        d["quarantined_outcomes"] = [asdict(q) for q in self.quarantined_outcomes]
        return d


#: Default share of the published records a run may withdraw before the guard refuses it.
DEFAULT_MAX_WITHDRAW_SHARE = 0.2
WITHDRAW_MODES = ("guard", "allow", "merge")


class WithdrawalRefused(OutputDirError):
    """The run would withdraw more of the published records than allowed: nothing was written."""


def check_withdrawals(gone: int, published: int, max_share: float) -> None:
    """Raise :class:`WithdrawalRefused` when withdrawing ``gone`` of ``published`` records is over
    ``max_share`` (one withdrawal is always allowed: a page removed from a small corpus).

    >>> check_withdrawals(1, 3, 0.2); check_withdrawals(4, 20, 0.2)
    >>> check_withdrawals(40, 58, 0.2)
    Traceback (most recent call last):
    ...
    ingest.store.publish.WithdrawalRefused: this run would withdraw 40 of the 58 published records (69%, over the 20% limit); nothing was written. If those documents are really gone, rerun with --allow-withdraw; to add to OUT_DIR without withdrawing anything (another raw folder, one source of several), use --merge; --max-withdraw-share changes the limit
    """
    if gone <= 1 or published == 0 or gone / published <= max_share:
        return
    raise WithdrawalRefused(
        f"this run would withdraw {gone} of the {published} published records ({gone / published:.0%}, over the "
        f"{max_share:.0%} limit); nothing was written. If those documents are really gone, rerun with "
        "--allow-withdraw; to add to OUT_DIR without withdrawing anything (another raw folder, one source of "
        "several), use --merge; --max-withdraw-share changes the limit"
    )


def publish(
    out_dir: Path, outcomes: list[Outcome], fetch_failures: list[dict[str, Any]] | None = None,
    staged: dict[str, Staged] | None = None, raw_dirs: list[str] | None = None, run_id: str | None = None,
    skipped: list[dict[str, str]] | None = None,
    withdraw: str = "guard", max_withdraw_share: float = DEFAULT_MAX_WITHDRAW_SHARE,
    chunk_tokens: int | None = None,
) -> PublishSummary:
    """Write records and the manifest for ``outcomes`` (in input order) to ``out_dir``.

    - Two outcomes with the same record id (the same page twice): the preferred copy is published
      (HTML over XML over Markdown/text, then the newest ``fetched_at``, then the input name) with
      ``provenance.duplicates`` naming the others, which are listed under the manifest's
      ``duplicates`` (not quarantined). Near-duplicate bodies are listed under ``near_duplicates``.
    - A record whose id could escape ``records/`` is quarantined (kind ``UnsafeId``).
    - An input published by an earlier run and quarantined now keeps its previous record (listed
      in both ``records`` and ``quarantined``; the reason says so).
    - Versions (issue 6): a record's ``version`` is 1 when first published and +1 whenever its
      ``content_sha256`` changes; the replaced file is first copied to ``history/<id>/v<N>.json``.
      A record published before and not now is **withdrawn**: its file moves to history, the
      manifest lists it under ``withdrawn`` (counted in ``removed_stale``). Each added, updated or
      withdrawn record gets one line in ``changes.jsonl`` (none on a run that changes nothing).
    - ``records.jsonl`` (every current record, one line each) is rewritten with the manifest.
    - Order of writes, so that a run killed at any point leaves complete files, a manifest whose
      every record file exists, and work the next run finishes: history copies, record files
      (atomic renames), ``records.jsonl``, ``changes.jsonl`` (appended: at least once),
      ``manifest.json``, then the removal of withdrawn record files (already copied to history).
    - Files are only rewritten when their bytes change; temp files of an interrupted run are removed.
    - ``fetch_failures`` (from ``ingest fetch``) are written as the manifest's ``fetch_failures``;
      ``raw_dirs`` (as given on the command line, relative to OUT_DIR's parent) as ``raw_dirs``
      (None keeps the previous manifest's); ``skipped`` (files discovery left out: ``{"path",
      "kind", "reason"}``) as ``skipped``, absent when nothing was skipped.
    - Chunks (issue 15, :mod:`.chunks`): whenever ``records.jsonl`` is rewritten, every current record
      is chunked (``chunk_tokens`` per chunk; None keeps the previous manifest's ``chunking``, else
      512); the chunk feed is appended, then ``chunks.jsonl`` replaced, both after ``changes.jsonl``
      and before the manifest.
    - ``staged`` (from the flow's batches: input -> :class:`Staged`): those records' bytes are already
      on disk and their outcomes carry slim records; see :func:`write_record`.

    - ``withdraw`` (issue 16: a run over another raw folder, or a fetch of one source into an
      OUT_DIR another run filled, must not delete most of what downstream reads): ``"guard"``
      refuses with :class:`WithdrawalRefused`, before anything is written, a run that would withdraw
      more than ``max_withdraw_share`` of the published records (and more than one); ``"allow"``
      withdraws whatever is gone; ``"merge"`` never withdraws (records of inputs this run did not
      see stay published, as they were).

    Raises :class:`OutputDirError` when ``out_dir`` cannot be written.
    """
    if withdraw not in WITHDRAW_MODES:
        raise ValueError(f"withdraw must be one of {', '.join(WITHDRAW_MODES)}, not {withdraw!r}")
    ensure_out_dir(out_dir)
    records_dir = out_dir / RECORDS_DIR
    prev_manifest = load_manifest(out_dir) or {}
    prev_entries = [e for e in prev_manifest.get("records") or [] if isinstance(e, dict)]
    previous = {e.get("input"): e for e in prev_entries}
    prev_by_id = {e.get("id"): e for e in prev_entries}
    prev_withdrawn = {
        e.get("id"): e for e in prev_manifest.get("withdrawn") or [] if isinstance(e, dict) and e.get("id")
    }
    if raw_dirs is None and isinstance(prev_manifest.get("raw_dirs"), list):
        raw_dirs = [str(d) for d in prev_manifest["raw_dirs"]]
    summary = PublishSummary()
    chunk_settings = ChunkSettings.from_manifest(prev_manifest, chunk_tokens)
    published: list[Published] = []
    quarantined: list[Quarantined] = []
    first_input: dict[str, str] = {}
    events: list[dict[str, Any]] = []
    # the same page twice (same canonical URL): one preferred copy, the others listed as duplicates
    outcomes, duplicates = resolve_duplicates(outcomes)
    summary.duplicates = len(duplicates)
    seen_ids = {o.record.id for o in outcomes if isinstance(o, Published)}
    seen_inputs = {o.input for o in outcomes}
    # a record whose id changed (its input now names it otherwise, or the same bytes arrive under another
    # folder layout) has moved, not gone: its old entry is withdrawn with "moved_to", never counted as lost
    moved_to = {o.input: o.record.id for o in outcomes if isinstance(o, Published)}
    by_sha: dict[str, set[str]] = {}
    for o in outcomes:
        if isinstance(o, Published):
            by_sha.setdefault(o.record.provenance.raw_sha256, set()).add(o.record.id)
    prev_shas = Counter(e.get("raw_sha256") for e in prev_entries)
    moved_to_by_sha = {sha: next(iter(ids)) for sha, ids in by_sha.items()  # unambiguous on both sides only
                       if len(ids) == 1 and prev_shas[sha] == 1}
    gone = [e for rid, e in prev_by_id.items() if rid not in seen_ids and e.get("input") not in seen_inputs
            and e.get("raw_sha256") not in moved_to_by_sha]
    if withdraw == "guard":
        check_withdrawals(len(gone), len(prev_by_id), max_withdraw_share)

    for o in outcomes:
        if isinstance(o, Quarantined):
            quarantined.append(o)
            continue
        rid = o.record.id
        raw_sha = o.record.provenance.raw_sha256
        if rid in first_input:
            reason = f"duplicate id {rid}: already published from {first_input[rid]}"
            quarantined.append(Quarantined(o.input, "publish", "DuplicateId", reason, raw_sha))
            continue
        try:
            path = record_path(out_dir, rid)
        except ValueError as e:
            quarantined.append(Quarantined(o.input, "publish", "UnsafeId", str(e), raw_sha))
            continue
        version, event = next_version(o.record.content_sha256, prev_by_id.get(rid), prev_withdrawn.get(rid))
        if o.record.version != version:
            o = Published(o.input, o.record.model_copy(update={"version": version}))
        first_input[rid] = o.input
        published.append(o)
        try:
            if event == "updated":
                archive(out_dir, path, keep_if_sha=o.record.content_sha256)
            changed = write_record(out_dir, path, o, staged)
        except OSError as e:
            raise OutputDirError(f"cannot write {path}: {e.strerror or e}") from e
        if event:
            events.append(change_event(event, o.input, o.record.id, version, o.record.content_sha256))
        if changed:
            summary.written += 1
            fault_point(f"record {rid}")
        else:
            summary.unchanged += 1

    # An input that was published before and is quarantined now keeps its last good record: a rule
    # change or a bad new copy must never silently take a published record away.
    kept: list[dict[str, Any]] = []
    for i, q in enumerate(quarantined):
        old = previous.get(q.input)
        if old is None or q.kind == "DuplicateId" or old.get("id") in first_input:
            continue
        try:
            old_path = record_path(out_dir, str(old.get("id")))
        except ValueError:
            continue
        if old_path.is_file():
            kept.append(old)
            first_input[str(old["id"])] = q.input
            quarantined[i] = dataclasses.replace(q, reason=q.reason + KEPT_NOTE)
    if withdraw == "merge":  # records of inputs this run did not see stay published as they are
        for old in gone:
            rid = str(old.get("id"))
            try:
                if rid not in first_input and record_path(out_dir, rid).is_file():
                    kept.append(old)
                    first_input[rid] = str(old.get("input"))
            except ValueError:
                continue
    summary.kept_previous = len(kept)

    # Withdrawn: published by the previous run, not now. The file moves to history, never just deleted.
    withdrawn = {rid: e for rid, e in prev_withdrawn.items() if rid not in first_input}
    for rid, e in sorted(prev_by_id.items(), key=lambda kv: str(kv[0])):
        if rid in first_input or not isinstance(rid, str):
            continue
        entry = {
            "id": rid, "input": e.get("input"), "version": int_version(e),
            "content_sha256": e.get("content_sha256"), "title": e.get("title"),
        }
        event = change_event("withdrawn", e.get("input"), rid, entry["version"], e.get("content_sha256"))
        target = moved_to.get(e.get("input")) or moved_to_by_sha.get(e.get("raw_sha256"))
        if target and target != rid and target in first_input:
            entry["moved_to"] = event["moved_to"] = target  # old ids keep leading to the document
        withdrawn[rid] = entry
        events.append(event)

    keep = {f"{rid}.json" for rid in first_input}
    to_remove: list[Path] = []
    try:
        for entry in sorted(records_dir.iterdir()):
            if entry.name.startswith(CHUNK_TMP_PREFIX):
                continue  # staged chunk lines: read by publish_chunks below, then removed
            if entry.name.startswith(TMP_PREFIX) and entry.is_file():
                entry.unlink()
            elif entry.suffix == ".json" and entry.name not in keep and entry.is_file():
                archive(out_dir, entry)  # withdrawn, or left by an interrupted run: kept in history
                to_remove.append(entry)  # removed once the manifest no longer lists it
        manifest_data = with_meta_hashes(
            build_manifest(published, quarantined, kept, duplicates, fetch_failures), staged
        )
        manifest_data["withdrawn"] = [withdrawn[k] for k in sorted(withdrawn)]
        if raw_dirs is not None:
            manifest_data["raw_dirs"] = list(raw_dirs)
        if skipped:  # files under the raw dirs that are not inputs, with the reason (absent when none)
            manifest_data["skipped"] = list(skipped)
        manifest_data["chunking"] = chunk_settings.as_dict()
        manifest = canonical_json(manifest_data)
        manifest_path = out_dir / MANIFEST_NAME
        try:
            manifest_same = manifest_path.read_bytes() == manifest
        except FileNotFoundError:
            manifest_same = False
        changes_path = out_dir / CHANGES_NAME
        if not changes_path.exists():  # first run with a change feed: every current record is news
            seen = {ev["id"] for ev in events}
            for e in manifest_data["records"]:
                if e["id"] not in seen:
                    events.append(change_event(
                        "added", e.get("input"), e["id"], int_version(e), e.get("content_sha256")
                    ))
        if summary.written or events or not manifest_same or not (out_dir / RECORDS_JSONL).exists():
            write_stream_if_changed(
                out_dir / RECORDS_JSONL, records_jsonl_lines(out_dir, manifest_data["records"])
            )
            fault_point("records.jsonl")
        if events:
            events.sort(key=lambda ev: (ev["id"], ev["event"]))  # independent of input order
            append_changes(out_dir, events, run_id)
            fault_point("changes.jsonl")
        if summary.written or events or not manifest_same or not (out_dir / CHUNKS_JSONL).exists():
            cs = publish_chunks(out_dir, manifest_data["records"], chunk_settings, run_id,
                                reuse=prev_manifest.get("chunking") == chunk_settings.as_dict(),
                                staged=_staged_chunks(published, staged, chunk_settings))
            summary.chunks, summary.chunks_added, summary.chunks_removed = cs.chunks, cs.added, cs.removed
        remove_staged_chunks(records_dir)
        summary.manifest_written = False if manifest_same else write_if_changed(manifest_path, manifest)
        for entry in to_remove:
            fault_point(f"withdraw {entry.stem}")
            entry.unlink()
            if entry.stem in withdrawn:
                summary.removed_stale += 1
    except OSError as e:
        raise OutputDirError(f"cannot update {out_dir}: {e.strerror or e}") from e
    if summary.written or summary.removed_stale:
        fsync_dir(records_dir)
    if summary.manifest_written:
        fsync_dir(out_dir)

    summary.published = len(published)
    summary.quarantined = len(quarantined)
    summary.quarantined_outcomes = sorted(quarantined, key=quarantine_key)
    summary.changes = len(events)
    summary.change_events = events
    return summary


def _staged_chunks(published: list[Published], staged: dict[str, Staged] | None,
                   settings: ChunkSettings) -> dict[str, tuple[str, int]]:
    """Record id -> (its chunk lines a batch staged with ``settings``, the version they carry).
    Duplicate resolution and versioning change only provenance and version, which the lines either
    do not hold or :func:`ingest.store.chunks.publish_chunks` mends."""
    want = settings.as_dict()
    out: dict[str, tuple[str, int]] = {}
    for o in published:
        s = staged.get(o.input) if staged else None
        if s is not None and s.chunks_tmp and s.chunking == want:
            out[o.record.id] = (s.chunks_tmp, s.record.version)
    return out
