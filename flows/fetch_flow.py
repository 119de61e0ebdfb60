"""Entry point for ``prefect deploy`` (``flows/fetch_flow.py:fetch_flow``, see prefect.yaml).

The implementation lives in :mod:`ingest.orchestration.fetch_flow` so that ``ingest fetch``, ``ingest serve`` and
work-pool deployments run the very same flow object.
"""

from __future__ import annotations

from ingest.orchestration.fetch_flow import build_deployments, fetch_flow, fetch_source_task

__all__ = ["build_deployments", "fetch_flow", "fetch_source_task"]


if __name__ == "__main__":
    import sys

    print(fetch_flow(sources_file=sys.argv[1], raw_dir=sys.argv[2], out_dir=sys.argv[3]))
