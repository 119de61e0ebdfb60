"""Fetching source pages into raw snapshots (issue 3). Kept import-free so ``ingest --help`` stays fast.

- :mod:`.config`     the sources file (TOML, strict pydantic; errors name the line and field)
- :mod:`.policy`     pure rules: allowed hosts, status meaning, backoff, Retry-After, file names
- :mod:`.client`     :class:`~.client.Fetcher`: requests, robots.txt, politeness, retries, redirects
- :mod:`.snapshots`  RAW_DIR layout: one current file per URL, history in ``.history``
- :mod:`.run`        per-source driver: one :class:`~.run.FetchResult` per URL
- :mod:`.errors`     :class:`~.errors.FetchError` (terminal) vs :class:`~.errors.TransientFetchError`

The Prefect flow and the deployments are in :mod:`ingest.orchestration.fetch_flow`, the commands
``ingest fetch`` / ``ingest serve`` in :mod:`ingest.cli.fetch`.

May import: :mod:`ingest.core`, :mod:`ingest.store` (snapshots are written with the store's atomic
writes), requests and the standard library. Never Prefect, :mod:`ingest.orchestration` or :mod:`ingest.cli`.
"""
