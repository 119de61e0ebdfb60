"""One run per OUT_DIR (issue 6): a second `ingest normalize` on the same folder refuses at once with
a one-line message naming the holder's pid (exit 2), or waits with --wait-lock; a killed holder
releases the lock; nothing is written by the run that was refused."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from ingest.store.lock import LockBusy, holder_pid, out_dir_lock
from ingest.store.verify import verify_dir

from .helpers import ROOT
from .reliability import cli_env, kill, normalize_cmd, run_cli, seed_corpus, start_paused


def _files(out: Path) -> dict[str, tuple[bytes, int]]:
    return {p.relative_to(out).as_posix(): (p.read_bytes() if p.is_file() else b"", p.stat().st_mtime_ns)
            for p in sorted([out, *out.rglob("*")])}


@pytest.mark.parametrize(
    ("extra", "waited"),
    [([], ""), (["--wait-lock", "0.5"], "(waited 0.5 s)")],
    ids=["without --wait-lock the second run refuses at once",
         "with --wait-lock it refuses once the wait is over"],
)
def test_a_second_run_on_a_locked_out_dir_exits_2_naming_the_holder_and_writes_nothing(
    tmp_path: Path, extra: list[str], waited: str
) -> None:
    raw, out = tmp_path / "raw", tmp_path / "out"
    seed_corpus(raw)
    with out_dir_lock(out):
        before = _files(out)
        started = time.monotonic()
        r = run_cli(normalize_cmd(raw, out, *extra), cli_env(None), timeout=60)
        took = time.monotonic() - started
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith(f"ingest: error: output dir {out} is locked by another ingest run (pid {os.getpid()})")
    assert waited in lines[0]
    assert took >= (0.5 if extra else 0)
    assert _files(out) == before


def test_the_lock_is_reentrant_in_one_process_and_names_its_holder() -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as d, out_dir_lock(Path(d)), out_dir_lock(Path(d)):
        assert holder_pid(Path(d) / ".lock") == os.getpid()


def test_another_process_cannot_take_a_held_lock(tmp_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from ingest.store.lock import out_dir_lock, LockBusy\n"
        "try:\n    with out_dir_lock(Path(sys.argv[1])): print('acquired')\n"
        "except LockBusy as e: print('busy', e)\n"
    )
    with out_dir_lock(tmp_path):
        r = subprocess.run([os.sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert r.stdout.startswith("busy") and f"pid {os.getpid()}" in r.stdout
    r = subprocess.run([os.sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert r.stdout.strip() == "acquired"
    assert issubclass(LockBusy, Exception)


def test_a_waiting_run_starts_when_the_holder_is_killed_and_publishes_a_consistent_folder(
    tmp_path: Path, prefect_harness
) -> None:
    from prefect.settings import PREFECT_API_URL

    env = cli_env(str(PREFECT_API_URL.value()))
    raw, out = tmp_path / "raw", tmp_path / "out"
    seed_corpus(raw)
    holder, _point = start_paused(normalize_cmd(raw, out), env, at=3)  # mid-publish, holding the lock
    waiter = subprocess.Popen(normalize_cmd(raw, out, "--wait-lock", "60"), env=env, cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)
        assert waiter.poll() is None, "the second run must wait for the lock, not run alongside"
        kill(holder)
        _out, err = waiter.communicate(timeout=120)
    finally:
        if waiter.poll() is None:
            waiter.kill()
    assert waiter.returncode == 0, err
    assert verify_dir(out, ROOT / "schemas")[0] == []


def test_ingest_fetch_on_a_locked_out_dir_waits_with_wait_lock_or_exits_2_before_prefect_starts(tmp_path: Path) -> None:
    """issue 17: the lock message says "pass --wait-lock SECONDS"; `ingest fetch` has that option too."""
    import sys
    import time

    out = tmp_path / "out"
    out.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; from ingest.store.lock import out_dir_lock\n"
         f"with out_dir_lock(Path({str(out)!r})):\n    print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        sources = tmp_path / "sources.toml"
        sources.write_text('[[sources]]\nname = "x"\npublisher = "X"\nallowed_hosts = ["127.0.0.1:9"]\nurls = ["http://127.0.0.1:9/a"]\n')
        started = time.monotonic()
        proc = subprocess.run([sys.executable, "-m", "ingest.cli", "fetch", "--sources", str(sources), "--raw",
                               str(tmp_path / "raw"), "--out", str(out), "--wait-lock", "1"],
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2, proc.stderr
        assert "is locked by another ingest run" in proc.stderr and f"pid {holder.pid}" in proc.stderr
        assert time.monotonic() - started < 60  # refused after waiting 1 s, before any Prefect server starts
    finally:
        holder.kill()
        holder.wait()
