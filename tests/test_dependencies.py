"""The dependency set Prefect needs to schedule and run deployments (issue 12): requirements.lock pins
what the server, its scheduler and its workers were verified with, the venv has it, and every exact
pin or upper bound in pyproject.toml says why it is what it is."""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def lock() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, ver = line.partition("==")
            pins[name.lower().replace("_", "-")] = ver
    return pins


def test_sqlalchemy_is_2_0_the_series_prefect_3_8_8_s_scheduler_works_with() -> None:
    major, minor, *_ = (int(x) for x in lock()["sqlalchemy"].split("."))
    assert (major, minor) == (2, 0), "SQLAlchemy 2.1 breaks prefect 3.8.8's scheduler service"


@pytest.mark.parametrize("name", ["prefect", "fastapi", "sqlalchemy", "uvicorn"])
def test_the_venv_has_the_locked_version_of_what_the_prefect_server_runs_on(name: str) -> None:
    assert version(name) == lock()[name], f"{name}: run `make venv` (requirements.lock changed)"


def test_every_exact_pin_or_upper_bound_in_pyproject_says_why() -> None:
    lines = (ROOT / "pyproject.toml").read_text().splitlines()
    for i, line in enumerate(lines):
        if re.match(r'\s*"[A-Za-z0-9_.-]+\s*(==|[^"]*<)', line):
            above = lines[i - 1].strip()
            assert above.startswith("#") or lines[i - 2].strip().startswith("#"), f"no reason given for {line.strip()}"
