"""Prefect flow entry points (thin re-exports of :mod:`ingest.flow`)."""
