"""How CLI runs talk to Prefect: flow-run heartbeats are off unless the user configured them."""

from __future__ import annotations

import pytest

from ingest import prefect_api


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
