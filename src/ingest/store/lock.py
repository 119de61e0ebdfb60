"""One writer per OUT_DIR: an exclusive ``fcntl.flock`` on ``OUT_DIR/.lock``.

``ingest normalize`` / ``ingest replay`` and the normalize flow take it before their first write.
A second run on the same OUT_DIR refuses at once (:class:`LockBusy`, exit 2, naming the holder's
pid) or, with ``wait`` seconds, waits for it. The lock file is created once and never written (so an
unchanged rerun still touches no file); the holder's pid is read from ``/proc/locks`` (Linux), not
from the file. The lock is re-entrant within a process (the CLI holds it, then the flow it runs
takes it again) and is released by the kernel when the process dies, even on SIGKILL.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from ingest.core.errors import IngestError
from ingest.store.files import OutputDirError

LOCK_NAME = ".lock"

_held: dict[str, list[int]] = {}  # resolved OUT_DIR -> [fd, depth]
_guard = threading.Lock()


class LockBusy(IngestError):
    """Another run holds OUT_DIR's lock. The CLI exits 2."""


def holder_pid(lock_path: Path) -> int | None:
    """The pid holding a flock on ``lock_path``, from ``/proc/locks`` (None when unknown)."""
    try:
        ino = lock_path.stat().st_ino
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        parts = line.split()
        if "->" in parts or len(parts) < 6 or parts[1] != "FLOCK":
            continue
        try:
            if int(parts[5].rsplit(":", 1)[-1]) == ino:
                return int(parts[4])
        except ValueError:
            continue
    return None


@contextlib.contextmanager
def out_dir_lock(out_dir: Path, wait: float | None = None) -> Iterator[None]:
    """Hold the exclusive lock on ``out_dir`` (created if missing) for the ``with`` block.

    ``wait``: seconds to wait for another holder (None or 0: refuse at once). Raises :class:`LockBusy`.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    key = str(out_dir.resolve())
    with _guard:
        if key in _held:
            _held[key][1] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _guard:
                _held[key][1] -= 1
        return
    path = out_dir / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:  # a read-only OUT_DIR (or file system): say so, not "[Errno 30] ... .lock"
        raise OutputDirError(
            f"output dir {out_dir} is not writable ({e.strerror or e}): cannot create its lock file {LOCK_NAME}; "
            "choose another --out or make it writable"
        ) from e
    deadline = time.monotonic() + (wait or 0)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    pid = holder_pid(path)
                    who = f"pid {pid}" if pid is not None else "another process"
                    waited = f" (waited {wait:g} s)" if wait else ""
                    raise LockBusy(
                        f"output dir {out_dir} is locked by another ingest run ({who}){waited}: "
                        "wait for it to finish, or pass --wait-lock SECONDS"
                    ) from None
                time.sleep(0.1)
    except BaseException:
        os.close(fd)
        raise
    with _guard:
        _held[key] = [fd, 1]
    try:
        yield
    finally:
        with _guard:
            _held.pop(key, None)
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
