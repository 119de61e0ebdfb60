"""Prefect operations end to end (issue 12), as a data engineer uses them: against a real `prefect
server start` (a subprocess on 127.0.0.1 with its own PREFECT_HOME, started once for this module, its
scheduler loop shortened), with pages from a loopback site.

- `ingest serve`, started from another folder, registers fetch/<source> per source and
  normalize/folder; the scheduler gives the cron deployment scheduled runs (none on SQLAlchemy 2.1);
  runs created through the API complete and publish records; a run with a 404 ends in
  CompletedWithProblems with a message saying so (Failed with fail_on_problems); events name the
  records and the failed URL; the report artifacts hang on the fetch run.
- prefect.yaml with a process work pool and `prefect worker start` (from another folder, INGEST_HOME
  pointing at the checkout) runs a fetch deployment and the normalize deployment.

Runs take seconds each on an idle machine; every wait polls the API with generous timeouts, for a
loaded 2-core machine.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import pytest

from ingest.fetch.loopback import LoopbackSite
from ingest.orchestration.report import artifact_key
from ingest.orchestration.run_state import PROBLEMS_STATE
from ingest.orchestration.server import stop_process
from ingest.store.publish import load_manifest

from .helpers import ROOT

pytestmark = pytest.mark.slow

SERVER_START = 300.0  # seconds: an empty PREFECT_HOME creates the database (over a minute when the machine is busy)
RUN_TIMEOUT = 300.0


def page(title: str, topic: str) -> bytes:
    body = "".join(
        f"<p>{topic} paragraph {i}: doctors explain how {topic.lower()} is diagnosed and treated, what the "
        "treatment options are, and which side effects patients may have during and after treatment.</p>"
        for i in range(6)
    )
    return (f"<!DOCTYPE html><html lang='en'><head><title>{title}</title></head><body><nav>Menu</nav>"
            f"<main><article><h1>{title}</h1>{body}</article></main><footer>Footer</footer></body></html>").encode()


PAGES = {
    "/types/leukemia": page("Leukemia", "Leukemia"),
    "/types/leukemia/cll": page("Chronic Lymphocytic Leukemia", "CLL"),
    "/types/mds": page("Myelodysplastic Syndromes", "MDS"),
}


def sources_toml(site: LoopbackSite, cron_name: str, other_name: str) -> str:
    """Two sources on the loopback site: ``cron_name`` (every minute, two pages) and ``other_name``
    (weekly; one page and one that answers 404)."""
    return f"""
[fetch]
backoff_base = 0.01
max_attempts = 2

[[sources]]
name = "{cron_name}"
publisher = "NCI"
allowed_hosts = ["{urlsplit(site.url('/')).netloc}"]
urls = ["{site.url('/types/leukemia')}", "{site.url('/types/leukemia/cll')}"]
schedule = "* * * * *"
max_concurrent_per_host = 2
min_delay_seconds = 0.0

[[sources]]
name = "{other_name}"
publisher = "ACS"
allowed_hosts = ["{urlsplit(site.url('/')).netloc}"]
urls = ["{site.url('/types/mds')}", "{site.url('/types/gone')}"]
schedule = "0 6 * * 1"
max_concurrent_per_host = 2
min_delay_seconds = 0.0
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(check: Callable[[], Any], timeout: float, what: str, interval: float = 1.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            got = check()
        except Exception:  # noqa: BLE001 - not there yet (404, connection refused)
            got = None
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def stop(proc: subprocess.Popen) -> None:
    stop_process(proc, 30)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    """`prefect server start` on a free port with its own PREFECT_HOME; ``env`` is what clients need."""
    home = tmp_path_factory.mktemp("prefect-home")
    port = free_port()
    url = f"http://127.0.0.1:{port}/api"
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "INGEST_FAULT"))}
    base.update({"PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"})
    server_env = {**base, "PREFECT_UI_ENABLED": "false", "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "2"}
    log = open(home / "server.log", "wb")  # noqa: SIM115 - closed at teardown
    proc = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=server_env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )
    try:
        def healthy() -> bool:
            assert proc.poll() is None, (home / "server.log").read_text()[-3000:]
            with urllib.request.urlopen(f"{url}/health", timeout=2) as r:  # noqa: S310 - loopback
                return r.status == 200

        wait_for(healthy, SERVER_START, "prefect server start", interval=0.5)
        yield SimpleNamespace(url=url, home=home, log=home / "server.log",
                              env={**base, "PREFECT_API_URL": url, "INGEST_WORKERS": "1"})
    finally:
        stop(proc)
        log.close()


@pytest.fixture(scope="module")
def client(server: SimpleNamespace) -> Iterator[Any]:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: server.url}), get_client(sync_client=True) as c:
        yield c


@pytest.fixture(scope="module")
def site() -> Iterator[LoopbackSite]:
    with LoopbackSite(PAGES) as s:
        yield s


def start_run(client: Any, name: str, parameters: dict[str, Any] | None = None) -> Any:
    """Create a run of deployment ``name`` through the API, as the UI's "Quick run" does."""
    deployment = client.read_deployment_by_name(name)
    return client.create_flow_run_from_deployment(deployment.id, parameters=parameters or {})


def wait_until_final(client: Any, run: Any, timeout: float = RUN_TIMEOUT) -> Any:
    def final() -> Any:
        r = client.read_flow_run(run.id)
        return r if r.state is not None and r.state.is_final() else None

    return wait_for(final, timeout, f"run {run.name} to end", interval=1.0)


def run_deployment(client: Any, name: str, parameters: dict[str, Any] | None = None) -> Any:
    """A run of deployment ``name`` created through the API, once it has ended."""
    return wait_until_final(client, start_run(client, name, parameters))


def read_events(client: Any, prefix: str, since: Any) -> list[Any]:
    from prefect.events.filters import EventFilter, EventNameFilter, EventOccurredFilter

    page = client.read_events(filter=EventFilter(occurred=EventOccurredFilter(since=since),
                                                 event=EventNameFilter(prefix=[prefix])), limit=50)  # the API allows 50 a page
    return list(page.events)


# --------------------------------------------------------------------------- prefect.yaml + work pool
# First: `ingest serve` (below) registers normalize/folder too, and while it runs, its runner would take
# that deployment's runs from the worker.


def test_prefect_yaml_deployments_run_on_a_process_worker_started_from_another_folder(
    server: SimpleNamespace, client, site: LoopbackSite, tmp_path: Path
) -> None:
    checkout = tmp_path / "checkout"
    shutil.copytree(ROOT / "flows", checkout / "flows", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "raw", checkout / "raw")
    shutil.copy2(ROOT / "prefect.yaml", checkout / "prefect.yaml")
    # the names prefect.yaml deploys, on the loopback site
    (checkout / "sources.toml").write_text(sources_toml(site, "nci-leukemia", "acs-leukemia-mds"))
    env = {**server.env, "PREFECT_WORKER_QUERY_SECONDS": "1", "PREFECT_WORKER_PREFETCH_SECONDS": "5"}
    prefect = [sys.executable, "-m", "prefect"]
    for cmd in (["work-pool", "create", "ingest", "--type", "process"], ["--no-prompt", "deploy", "--all"]):
        done = subprocess.run(prefect + cmd, cwd=checkout, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115
    worker = subprocess.Popen(prefect + ["worker", "start", "--pool", "ingest"], cwd=elsewhere,
                              env={**env, "INGEST_HOME": str(checkout)}, stdout=log, stderr=subprocess.STDOUT)
    try:
        # side by side (their OUT_DIRs differ); relative parameters are resolved in INGEST_HOME
        runs = [start_run(client, "fetch/nci-leukemia"),
                start_run(client, "normalize/folder", {"raw_dirs": ["raw"], "out_dir": "normalized"})]
        fetch, normalize = (wait_until_final(client, r) for r in runs)
        assert (fetch.state.type.value, fetch.state.name) == ("COMPLETED", "Completed"), (
            fetch.state.message, (tmp_path / "worker.log").read_text()[-3000:])
        assert len(load_manifest(checkout / "fetched" / "normalized")["records"]) == 2
        assert (normalize.state.type.value, normalize.state.message) == ("COMPLETED", "published 5 (5 added), withdrawn 0"), (
            normalize.state.message, (tmp_path / "worker.log").read_text()[-3000:])
        assert len(load_manifest(checkout / "normalized")["records"]) == 5
    finally:
        stop(worker)
        log.close()


# --------------------------------------------------------------------------- ingest serve


@pytest.fixture(scope="module")
def served(server: SimpleNamespace, site: LoopbackSite, tmp_path_factory: pytest.TempPathFactory):
    """`ingest serve` started from a folder that is not the checkout, with relative paths."""
    where = tmp_path_factory.mktemp("serve-cwd")
    (where / "sources.toml").write_text(sources_toml(site, "nci-every-minute", "acs-weekly"))
    env = {**server.env, "PREFECT_RUNNER_POLL_FREQUENCY": "1"}
    log = open(where / "serve.log", "wb")  # noqa: SIM115 - closed at teardown
    proc = subprocess.Popen(
        [sys.executable, "-m", "ingest.cli.main", "serve", "--sources", "sources.toml", "--raw", "fetched/raw",
         "--out", "fetched/normalized"],
        cwd=where, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )
    try:
        yield SimpleNamespace(cwd=where, out=where / "fetched" / "normalized", proc=proc, log=where / "serve.log")
    finally:
        stop(proc)
        log.close()


def test_ingest_serve_registers_a_deployment_per_source_and_normalize_folder(client, served) -> None:
    def registered() -> list[Any]:
        assert served.proc.poll() is None, served.log.read_text()[-3000:]
        got = [client.read_deployment_by_name(n) for n in
               ("fetch/nci-every-minute", "fetch/acs-weekly", "normalize/folder")]
        # normalize/folder may still be prefect.yaml's (the test above deployed it)
        return got if all(d.entrypoint.startswith("ingest.orchestration.") for d in got) else None

    nci, acs, normalize = wait_for(registered, 180, "ingest serve to register its deployments")
    assert nci.entrypoint == "ingest.orchestration.fetch_flow.fetch_flow"
    assert normalize.entrypoint == "ingest.orchestration.normalize_flow.normalize_flow"
    assert [s.schedule.cron for s in nci.schedules] == ["* * * * *"] and normalize.schedules == []
    assert normalize.parameters == {"raw_dirs": [str(served.cwd / "fetched" / "raw")], "out_dir": str(served.out)}


def test_the_scheduler_gives_the_cron_deployment_scheduled_runs(client, served) -> None:
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterName, FlowRunFilter

    def scheduled() -> list[Any]:
        runs = client.read_flow_runs(
            deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=["nci-every-minute"])),
            flow_run_filter=FlowRunFilter(), limit=20,
        )
        return [r for r in runs if r.auto_scheduled]

    runs = wait_for(scheduled, 180, "the scheduler to create runs of fetch/nci-every-minute")
    assert all(r.expected_start_time.second == 0 for r in runs), "on the minute, as the cron says"
    # from here on, only the runs this module triggers touch OUT_DIR
    client.pause_deployment(client.read_deployment_by_name("fetch/nci-every-minute").id)
    for r in scheduled():
        if r.state_type.value == "SCHEDULED":
            client.delete_flow_run(r.id)
    # a scheduled run the served runner had already picked up runs to its end on its own (seen in CI:
    # the triggered fetch below then found every page "not modified"); once it has ended, the fetched
    # folder it wrote goes, so the runs this module triggers start from nothing, as on a first fetch
    final = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}
    wait_for(lambda: all(r.state_type.value in final for r in scheduled()), 180,
             "the scheduled runs already started to end")
    shutil.rmtree(served.cwd / "fetched", ignore_errors=True)


def test_a_triggered_fetch_completes_publishes_and_reports_on_the_fetch_run(client, served) -> None:
    run = run_deployment(client, "fetch/nci-every-minute", {"sources": ["nci-every-minute"]})
    assert (run.state.type.value, run.state.name) == ("COMPLETED", "Completed"), run.state.message
    assert run.state.message.startswith("published 2 (2 added), withdrawn 0; fetched 2"), run.state.message
    manifest = load_manifest(served.out)
    assert manifest is not None and len(manifest["records"]) == 2
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

    # this run's artifacts (a scheduled run that started before the deployment was paused has its own)
    mine = ArtifactFilterFlowRunId(any_=[run.id])
    for key, kind in ((artifact_key(served.out), "markdown"), (artifact_key(served.out, "quarantined"), "table")):
        [artifact] = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key]),
                                                                          flow_run_id=mine))
        assert (artifact.type, artifact.flow_run_id) == (kind, run.id), "on the fetch run, not its subflow"
    assert artifact_key(served.out) in (served.out / "report.md").read_text()


def test_a_run_with_a_404_says_so_in_its_state_and_fails_when_asked_to(client, served, site) -> None:
    since = datetime.now(UTC)
    run = run_deployment(client, "fetch/acs-weekly")
    assert (run.state.type.value, run.state.name) == ("COMPLETED", PROBLEMS_STATE), run.state.message
    assert run.state.message.startswith("1 URL failed; published 3 (1 added), withdrawn 0"), run.state.message

    failed = run_deployment(client, "fetch/acs-weekly", {"fail_on_problems": True})
    assert failed.state.type.value == "FAILED", failed.state.message
    assert failed.state.message.startswith("1 URL failed; published 3, withdrawn 0"), failed.state.message

    gone_url = f"ingest.url.{site.url('/types/gone')}"

    def events() -> dict[str, list[Any]]:
        by: dict[str, list[Any]] = {}
        for e in read_events(client, "ingest.", since):
            by.setdefault(e.event, []).append(e)
        two_failures = sum(e.resource.id == gone_url for e in by.get("ingest.fetch.failed", [])) == 2
        return by if two_failures and "ingest.record.added" in by else {}

    by_name = wait_for(events, 90, "the runs' events to be stored (one record added, a failed URL per run)")
    gone = by_name["ingest.fetch.failed"]
    assert {e.resource.id for e in gone} == {gone_url}
    assert gone[0].payload["status"] == 404 and gone[0].payload["source"] == "acs-weekly"
    [added] = by_name["ingest.record.added"]
    record_id = added.payload["id"]
    assert added.resource.id == f"ingest.record.{record_id}" and (served.out / "records" / f"{record_id}.json").is_file()
    related = {r.id for r in added.related}
    assert any(i.startswith("prefect.flow-run.") for i in related), related  # Prefect adds the run
    assert f"ingest.out-dir.{served.out}" in related


def test_a_triggered_normalize_folder_run_completes(client, served) -> None:
    run = run_deployment(client, "normalize/folder")
    assert (run.state.type.value, run.state.name) == ("COMPLETED", "Completed"), run.state.message
    assert run.state.message == "published 3, withdrawn 0"
