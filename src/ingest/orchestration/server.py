"""Prefect's temporary API server, started before Prefect is imported.

Without ``PREFECT_API_URL`` a Prefect flow run starts a temporary server (a uvicorn subprocess) the
first time it needs the API. Prefect does that late: it first imports its whole server package into
the flow's process (~2 s) just to build the command, then waits ~3 s for the subprocess, which
imports the same package again. ``ingest normalize`` measured ~7 s of fixed cost per run that way,
as much as normalizing 200 pages.

:func:`start_early` launches the same subprocess (same command and environment as Prefect 3.8's
``SubprocessASGIServer``) as the CLI's first act, so the server boots on one core while this
process imports Prefect and ingest on the other; :func:`api_url_for_flow` then hands its URL to the
flow run, only if Prefect would have started a temporary server itself (no API URL configured,
ephemeral mode allowed). Otherwise it is stopped and Prefect does what it always does. It is
stopped at exit, after Prefect's own exit handlers (which flush logs to it) have run.

Under load (issue 12): the first run with an empty PREFECT_HOME creates the database, which took
over a minute on a busy 2-core machine, so the wait is :func:`startup_timeout` (Prefect's
``PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS`` when set, else :data:`DEFAULT_STARTUP_TIMEOUT`),
and a server not healthy by then is an error that names that setting
(:class:`TemporaryServerTimeout`), not a second server started by Prefect with a shorter wait. The
server runs in its own session (a Ctrl-C in the terminal reaches the CLI, which stops the server after
its last API calls) and ends with its parent (:mod:`ingest.orchestration.lifeline`), SIGKILL included.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from ingest.core.errors import IngestError

#: Seconds to wait for the temporary server's /health when PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS
#: is not set (Prefect's own default, 20 s, is too short for a first run on a busy machine).
DEFAULT_STARTUP_TIMEOUT = 180.0
TIMEOUT_SETTING = "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"


class TemporaryServerTimeout(IngestError):
    """The temporary Prefect server did not answer in time (exit 2, with the setting to raise)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(timeout_message(seconds))


def timeout_message(seconds: float | None) -> str:
    waited = f"within {seconds:g} s" if seconds else "in time"
    return (
        f"the temporary Prefect server did not start {waited} (a first run creates its database; a busy "
        f"machine is slower): raise {TIMEOUT_SETTING} (e.g. {TIMEOUT_SETTING}=600), or run "
        "`prefect server start` once and set PREFECT_API_URL=http://127.0.0.1:4200/api"
    )

_server: _EarlyServer | None = None


class _EarlyServer:
    def __init__(self) -> None:
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def start(self) -> None:
        import importlib.util

        spec = importlib.util.find_spec("prefect")  # finds the package without importing it
        if spec is None or spec.origin is None:
            raise RuntimeError("prefect is not installed")
        env = {
            **os.environ,
            "PREFECT_UI_ENABLED": "0",
            "PREFECT__SERVER_EPHEMERAL": "1",
            "PREFECT__SERVER_FINAL": "1",
        }
        env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")  # as the CLI sets before importing Prefect
        self.process = subprocess.Popen(
            [
                # uvicorn as Prefect runs it, in a process that ends with this one (lifeline.py)
                sys.executable, "-m", "ingest.orchestration.lifeline",
                "--app-dir", str(Path(spec.origin).parent.parent),
                "--factory", "prefect.server.api.server:create_app",
                "--host", "127.0.0.1", "--port", str(self.port),
                "--log-level", "error", "--lifespan", "on",
            ],
            env=env,
            stdin=subprocess.DEVNULL,
            # not our stdout: the server may outlive this process by a moment (see stop_at_exit), and a
            # reader of our output (a pipe) must see its end when we end
            stdout=subprocess.DEVNULL,
            start_new_session=True,  # not stopped by the terminal's Ctrl-C before the CLI's last API calls
        )

    def wait_healthy(self, timeout: float = DEFAULT_STARTUP_TIMEOUT) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(f"{self.api_url}/health", timeout=1) as r:  # noqa: S310 - loopback
                    if r.status == 200:
                        return True
            except OSError:
                pass
            time.sleep(0.05)
        return False

    def stop_at_exit(self) -> None:
        """Ask the server to stop and do not wait (~0.2 s of uvicorn shutdown, at the end of every run):
        it has nothing left to write (Prefect's exit handlers, which run before this one, flushed the
        logs to it), and it ends on its own."""
        p, self.process = self.process, None
        if p is not None and p.poll() is None:
            p.terminate()

    def stop(self) -> None:
        p, self.process = self.process, None
        if p is not None:
            stop_process(p, 5)


def stop_process(p: subprocess.Popen, timeout: float) -> None:
    """SIGTERM ``p`` if it still runs, and SIGKILL it if it has not ended after ``timeout`` seconds."""
    if p.poll() is not None:
        return
    p.terminate()
    try:
        p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_early() -> None:
    """Launch the temporary server now, unless ``PREFECT_API_URL`` is set or Prefect is already
    imported (a test harness, another flow in this process). Never raises."""
    global _server
    if _server is not None or os.environ.get("PREFECT_API_URL", "").strip() or "prefect" in sys.modules:
        return
    server = _EarlyServer()
    try:
        server.start()
    except (OSError, RuntimeError):
        server.stop()
        return
    _server = server
    atexit.register(server.stop_at_exit)  # registered before Prefect's handlers: runs after them


def startup_timeout() -> float:
    """Seconds to wait for the temporary server: Prefect's PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS
    if the user set it (environment or profile), else :data:`DEFAULT_STARTUP_TIMEOUT`."""
    from prefect.settings import get_current_settings

    ephemeral = get_current_settings().server.ephemeral
    if "startup_timeout_seconds" in ephemeral.model_fields_set:
        return float(ephemeral.startup_timeout_seconds)
    return DEFAULT_STARTUP_TIMEOUT


def api_url_for_flow() -> str | None:
    """The early server's API URL if the flow should use it (Prefect would start a temporary server
    of its own), else None (and the early server, if any, is stopped).

    Raises :class:`TemporaryServerTimeout` if it is still not healthy after :func:`startup_timeout`
    seconds (it is stopped); if it exited instead (it could not start), Prefect starts its own.
    """
    global _server
    server = _server
    if server is None:
        return None
    from prefect.settings import get_current_settings

    settings = get_current_settings()
    if settings.api.url or not settings.server.ephemeral.enabled:
        discard()
        return None
    _preload()  # while the server is still booting
    timeout = startup_timeout()
    if not server.wait_healthy(timeout):
        timed_out = server.process is not None and server.process.poll() is None
        discard()
        if timed_out:
            raise TemporaryServerTimeout(timeout)
        return None
    return server.api_url


#: What a flow run imports on its way to its first API call (measured on Prefect 3.8.8: ~130 modules,
#: ~0.3 s; ``Flow.serialize_parameters`` alone pulls in FastAPI's encoders). Imported while the early
#: server boots on the other core, they are off the critical path.
PRELOAD = ("prefect.flow_engine", "prefect.task_engine", "fastapi.encoders", "prefect.utilities.visualization",
           "prefect.concurrency.v1.context", "multiprocessing.popen_spawn_posix")


def _preload() -> None:
    import importlib

    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - an optimization only: whatever is missing is imported later
            pass


def temporary_api_url() -> str | None:
    """The early temporary server's API URL while there is one (a flow run on it reaches nothing that
    outlives this process)."""
    return _server.api_url if _server is not None else None


def discard() -> None:
    """Stop the early server unused (the flow must not hand its loopback URL to other machines)."""
    global _server
    if _server is not None:
        _server.stop()
        _server = None


#: Environment variables that configure flow-run heartbeats (Prefect's name and its legacy alias).
HEARTBEAT_VARS = ("PREFECT_FLOWS_HEARTBEAT_FREQUENCY", "PREFECT_RUNNER_HEARTBEAT_FREQUENCY")


def heartbeats_configured() -> bool:
    """Whether the user set a flow-run heartbeat frequency (environment or active Prefect profile).

    Prefect's default is a heartbeat every 180 s. It only matters to a server with an automation that
    marks runs without heartbeats as crashed; its cost is paid by every run: the flow waits up to 1 s
    at its end for the heartbeat thread to notice it should stop (``_send_heartbeats`` sleeps in 1 s
    steps), ~25% of an unchanged rerun of 200 pages. So CLI runs send none unless asked to.
    """
    if any(os.environ.get(v, "").strip() for v in HEARTBEAT_VARS):
        return True
    try:
        from prefect.settings.profiles import load_current_profile

        configured = {getattr(k, "name", str(k)) for k in load_current_profile().settings}
    except Exception:  # noqa: BLE001 - no readable profile: nothing configured
        return False
    return any(v in configured for v in HEARTBEAT_VARS)


@contextlib.contextmanager
def flow_api() -> Iterator[str | None]:
    """Run the flow inside this block against the early server, when there is one to use; without
    flow-run heartbeats unless the user configured them (:func:`heartbeats_configured`)."""
    from prefect.settings import PREFECT_API_URL, PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    url = api_url_for_flow()
    updates: dict = {}
    if url is not None:
        updates[PREFECT_API_URL] = url
    # The early server ends with this process, so heartbeats there are of no use to anyone.
    if url is not None or not heartbeats_configured():
        updates[PREFECT_FLOWS_HEARTBEAT_FREQUENCY] = None
    with temporary_settings(updates=updates):
        yield url
