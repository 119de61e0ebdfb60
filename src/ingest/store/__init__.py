"""The store: files on disk, on both sides of the core.

- raw inputs: :mod:`.discovery` (which files under a raw folder are inputs; reading them with caps
  and sidecars);
- OUT_DIR: :mod:`.publish` (staging, crash-safe publishing, manifest, change feed, history),
  :mod:`.dedupe` (duplicate resolution of one run's outcomes), :mod:`.lock` (one writer per
  OUT_DIR), :mod:`.validate` and :mod:`.verify` (what a reader may rely on), :mod:`.schemas` (the
  generated JSON Schema files).

May import: :mod:`ingest.core` and the standard library's I/O. Never: Prefect, the network,
:mod:`ingest.fetch`, :mod:`ingest.orchestration`, :mod:`ingest.cli`.
"""
