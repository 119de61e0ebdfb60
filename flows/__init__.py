"""Prefect flow entry points (thin re-exports of :mod:`ingest.orchestration.normalize_flow`)."""
