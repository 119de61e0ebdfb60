"""How CLI runs talk to Prefect: flow-run heartbeats are off unless the user configured them."""

from __future__ import annotations

import pytest

from ingest.orchestration import server as prefect_api


@pytest.mark.parametrize(
    ("env", "configured"),
    [
        ({}, False),
        ({"PREFECT_FLOWS_HEARTBEAT_FREQUENCY": "60"}, True),
        ({"PREFECT_RUNNER_HEARTBEAT_FREQUENCY": "60"}, True),
        ({"PREFECT_FLOWS_HEARTBEAT_FREQUENCY": "  "}, False),
    ],
    ids=["nothing set", "Prefect's variable", "its legacy alias", "a blank value"],
)
def test_heartbeats_count_as_configured_only_when_a_frequency_is_set(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], configured: bool
) -> None:
    for var in prefect_api.HEARTBEAT_VARS:
        monkeypatch.delenv(var, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert prefect_api.heartbeats_configured() is configured


def test_a_flow_run_inside_flow_api_sends_no_heartbeats_unless_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY

    for var in prefect_api.HEARTBEAT_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(prefect_api, "_server", None)  # no early server: the API URL is left alone
    assert PREFECT_FLOWS_HEARTBEAT_FREQUENCY.value() is not None, "Prefect's default sends them"
    with prefect_api.flow_api() as url:
        assert url is None
        assert PREFECT_FLOWS_HEARTBEAT_FREQUENCY.value() is None
    assert PREFECT_FLOWS_HEARTBEAT_FREQUENCY.value() is not None


def test_a_configured_heartbeat_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY

    monkeypatch.setattr(prefect_api, "_server", None)
    monkeypatch.setattr(prefect_api, "heartbeats_configured", lambda: True)
    before = PREFECT_FLOWS_HEARTBEAT_FREQUENCY.value()
    with prefect_api.flow_api():
        assert PREFECT_FLOWS_HEARTBEAT_FREQUENCY.value() == before


@pytest.mark.slow
def test_the_console_script_exits_quickly_and_its_flow_logs_still_reach_the_api(prefect_harness, tmp_path) -> None:
    """``ingest`` (cli.entry) skips the interpreter's teardown: the flow run's last log lines, sent by
    Prefect's exit handlers, must still arrive, and the JSON result must be flushed."""
    import json
    import os
    import subprocess
    import sys

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.client.schemas.sorting import FlowRunSort
    from prefect.settings import PREFECT_API_URL

    from .helpers import RAW

    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "INGEST_WORKERS": "1"}
    code = "import sys; from ingest.cli.main import entry; sys.argv = ['ingest', *sys.argv[1:]]; entry()"
    proc = subprocess.run(
        [sys.executable, "-c", code, "--json", "normalize", str(RAW), "--out", str(tmp_path / "out")],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["published"] == 5
    with get_client(sync_client=True) as client:
        [run] = client.read_flow_runs(sort=FlowRunSort.START_TIME_DESC, limit=1)
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run.id])))
    messages = [log.message for log in logs]
    assert any(m.startswith("published 5") for m in messages), messages
    assert messages[-1].startswith("Finished in state Completed"), messages[-1]
