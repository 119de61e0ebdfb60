"""The store: files on disk, on both sides of the core.

- raw inputs: :mod:`.discovery` (which files under a raw folder are inputs; reading them with caps
  and sidecars);
- OUT_DIR: :mod:`.publish` (the crash-safe publishing transaction), which calls :mod:`.files`
  (atomic writes, record paths, fault points), :mod:`.staging` (records staged by the flow's batches,
  slim records), :mod:`.history` (versions, ``history/``), :mod:`.feed` (``changes.jsonl``,
  ``records.jsonl``), :mod:`.manifest` (``manifest.json``, what a rerun may reuse) and
  :mod:`.dedupe` (duplicate resolution of one run's outcomes); :mod:`.lock` (one writer per
  OUT_DIR), :mod:`.validate` and :mod:`.verify` (what a reader may rely on), :mod:`.schemas` (the
  generated JSON Schema files).

Within OUT_DIR's modules a lower one never imports a higher one: files < staging < manifest, files <
history, files < feed; publish imports them all.

May import: :mod:`ingest.core` and the standard library's I/O. Never: Prefect, the network,
:mod:`ingest.fetch`, :mod:`ingest.orchestration`, :mod:`ingest.cli`.
"""
