"""Entry point for ``prefect deploy`` (``flows/normalize_flow.py:normalize_flow``).

The implementation lives in :mod:`ingest.orchestration.normalize_flow` so that the installed ``ingest`` CLI and Prefect
deployments run the very same flow object.
"""

from __future__ import annotations

from ingest.orchestration.normalize_flow import normalize_batch, normalize_flow, publish_outcomes

__all__ = ["normalize_batch", "normalize_flow", "publish_outcomes"]


if __name__ == "__main__":
    print(normalize_flow(raw_dirs=["raw"], out_dir="normalized"))
