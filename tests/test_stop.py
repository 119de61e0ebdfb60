"""A stopped run leaves no process behind (issue 11/12): `ingest normalize` with its temporary Prefect
server and worker processes, stopped mid-run by SIGTERM (it stops them and says so) or SIGKILL (they
notice their parent is gone and end), and a temporary server that cannot start in time is an error
that names the setting to raise."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

psutil = pytest.importorskip("psutil")

pytestmark = pytest.mark.slow

ENTRY = "import sys; from ingest.cli.main import entry; sys.argv = ['ingest', *sys.argv[1:]]; entry()"


def corpus(raw: Path, n: int = 40) -> Path:
    raw.mkdir(parents=True)
    for i in range(n):
        (raw / f"page_{i:03d}.txt").write_text(
            f"Leukemia page {i}\n\n" + f"Paragraph {i} about how leukemia is treated, with enough words to be body text. " * 8
        )
    return raw


def env_without_api(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INGEST_FAULT", "PREFECT_API_URL"))}
    env.update({"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "INGEST_WORKERS": "2", **extra})
    return env


def start_paused(tmp_path: Path) -> tuple[subprocess.Popen, list]:
    """`ingest normalize` (the console script's code) without PREFECT_API_URL, paused after its first
    batch: the temporary server and two workers are running. Returns it and its descendants."""
    cmd = [sys.executable, "-c", ENTRY, "normalize", str(corpus(tmp_path / "raw")), "--out", str(tmp_path / "out"),
           "--batch-size", "10", "--workers", "2"]
    proc = subprocess.Popen(cmd, env=env_without_api(INGEST_FAULT_AT="1"), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:  # generous: the temporary server boots in 3 s idle, far longer on a busy machine
        seen.append(line)
        if line.startswith("ingest-fault: "):
            break
    else:
        proc.wait(timeout=30)
        raise AssertionError(f"the run ended before its first batch: {''.join(seen)[-2000:]}")
    children = psutil.Process(proc.pid).children(recursive=True)
    cmdlines = [" ".join(c.cmdline()) for c in children]
    assert any("prefect.server.api.server:create_app" in c for c in cmdlines), cmdlines  # the temporary server
    assert sum("multiprocessing" in c and "spawn_main" in c for c in cmdlines) >= 2, cmdlines  # the workers
    return proc, children


def survivors(children: list, within: float) -> list[str]:
    deadline = time.monotonic() + within
    alive = children
    while time.monotonic() < deadline:
        alive = [c for c in alive if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
        if not alive:
            return []
        time.sleep(0.2)
    return [" ".join(c.cmdline())[:200] for c in alive if c.is_running()]


def kill_all(proc: subprocess.Popen, children: list) -> None:
    for p in [proc.pid, *(c.pid for c in children)]:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_sigterm_stops_the_server_and_the_workers_and_says_so(tmp_path: Path) -> None:
    proc, children = start_paused(tmp_path)
    try:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 128 + signal.SIGTERM, err[-2000:]
        last = err.strip().splitlines()[-1]
        assert last.startswith("ingest: stopped by SIGTERM before the run finished"), err[-2000:]
        assert survivors(children, within=15) == []
    finally:
        kill_all(proc, children)


def test_after_sigkill_the_server_and_the_workers_end_on_their_own(tmp_path: Path) -> None:
    proc, children = start_paused(tmp_path)
    try:
        proc.kill()
        proc.wait(timeout=30)
        assert survivors(children, within=15) == []  # lifeline: 0.5 s to notice, up to 5 s to stop
    finally:
        kill_all(proc, children)


def test_a_temporary_server_slower_than_the_timeout_is_an_error_naming_the_setting(tmp_path: Path) -> None:
    raw = corpus(tmp_path / "raw", n=2)
    proc = subprocess.run(
        [sys.executable, "-c", ENTRY, "normalize", str(raw), "--out", str(tmp_path / "out")],
        env=env_without_api(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="1"),
        capture_output=True, text=True, timeout=180,
    )
    assert proc.returncode == 2, proc.stderr
    [line] = proc.stderr.strip().splitlines()
    assert line.startswith("ingest: error: the temporary Prefect server did not start within 1 s"), line
    assert "raise PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS" in line and "internal error" not in line
