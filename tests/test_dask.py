"""The same flow in this process, on local worker processes and on a Dask cluster: same bytes out.

The Dask case runs the batch tasks on a ``dask.distributed.LocalCluster`` of two worker processes
through prefect-dask's ``DaskTaskRunner`` (``ingest normalize --dask-address``), as it would on a
real cluster.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ingest.orchestration.normalize_flow import normalize_flow, run_normalize
from ingest.store.manifest import load_manifest

from .helpers import CORPUS, RAW

pytestmark = pytest.mark.slow

HTML = CORPUS / "cancer-gov-html"
PAGES = ["types__leukemia__patient__cll-treatment-pdq.html", "about-cancer__coping__feelings.html",
         "Common__PopUps__popDefinition.aspx__id-CDR0000044871__patient.html"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeds, an empty file, and (when ../shared is there) three cancer.gov pages with sidecars."""
    raw = tmp_path_factory.mktemp("dask") / "raw"
    shutil.copytree(RAW, raw)
    (raw / "empty.txt").write_bytes(b"")
    pages = json.loads((HTML / "pages.json").read_text()) if (HTML / "pages.json").is_file() else []
    for page in (p for p in pages if p["file"] in PAGES):
        shutil.copyfile(HTML / page["file"], raw / page["file"])
        (raw / f"{page['file']}.meta.json").write_text(json.dumps({"url": page["url"], "fetched_at": page["crawled_utc"]}))
    return raw


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as c:
        yield c


def published(out: Path) -> dict[str, bytes]:
    """records/ and manifest.json (report.md holds the run's time)."""
    files = [out / "manifest.json", *sorted((out / "records").iterdir())]
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in files}


@pytest.fixture(scope="module")
def reference(prefect_harness, corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("in-process") / "out"
    normalize_flow(raw_dirs=[str(corpus)], out_dir=str(out), batch_size=2, workers=1)
    return published(out)


def test_two_local_worker_processes_publish_the_same_bytes_as_one_process(
    prefect_harness, corpus: Path, reference: dict[str, bytes], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = normalize_flow(raw_dirs=[str(corpus)], out_dir=str(out), batch_size=2, workers=2)
    assert result["quarantined"] >= 1
    assert published(out) == reference


def test_a_dask_cluster_of_two_workers_publishes_the_same_bytes_as_one_process(
    prefect_harness, corpus: Path, reference: dict[str, bytes], cluster, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    run_normalize([str(corpus)], str(out), batch_size=2, dask_address=cluster.scheduler_address)
    assert published(out) == reference
    # the batches really ran on the cluster's workers, not here
    assert "normalize_stage_batch" in cluster.scheduler.task_prefixes
    assert len(load_manifest(out)["records"]) >= 5
