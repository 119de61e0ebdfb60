"""Child processes that end with their parent: the temporary Prefect server and the local workers.

A run stopped by SIGTERM or Ctrl-C stops its children itself (:mod:`ingest.cli.main`,
:class:`ingest.orchestration.workers.LocalPool`, :mod:`ingest.orchestration.server`). A parent killed
by SIGKILL (or the OOM killer) cannot, so every child also watches its parent: :func:`exit_with_parent`
starts a thread that notices when the parent is gone (the child is re-parented, ``os.getppid()``
changes) and ends the child: SIGTERM to itself first (uvicorn then shuts down cleanly), and after a
grace period an immediate exit. Portable (no ``prctl``), and safe whichever thread started the child.

``python -m ingest.orchestration.lifeline UVICORN-ARGS...`` runs uvicorn so: it is how
:mod:`ingest.orchestration.server` starts the temporary server. Standard library only, imports nothing
of ingest or Prefect.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

#: Seconds between two looks at the parent; a child outlives a killed parent by at most this much
#: (plus :data:`GRACE` if it does not stop on SIGTERM).
POLL = 0.5
GRACE = 5.0


def exit_with_parent(poll: float = POLL, grace: float = GRACE) -> threading.Thread:
    """Start the watch (a daemon thread); returns it. Call early in the child."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll)
        try:
            os.kill(os.getpid(), signal.SIGTERM)
        finally:
            time.sleep(grace)
            os._exit(1)

    t = threading.Thread(target=watch, name="exit-with-parent", daemon=True)
    t.start()
    return t


def main() -> None:
    """uvicorn's command line, in a process that ends with its parent."""
    exit_with_parent()
    from uvicorn.main import main as uvicorn_main

    sys.argv[0] = "uvicorn"
    uvicorn_main()


if __name__ == "__main__":
    main()
