"""OUT_DIR's file primitives: atomic writes, writes only when the bytes change, record paths.

Writes are atomic (temp file in the same dir, fsync, ``os.replace``) and happen only when the bytes
differ from what is on disk, so a rerun over unchanged input touches no file (mtimes unchanged).
Also here: :func:`ensure_out_dir` and :class:`OutputDirError` (OUT_DIR cannot be written),
:func:`record_path` (``records/<id>.json``, the one check that an id cannot escape ``records/``) and
:func:`fault_point` (where the crash tests kill a run between two writes).

The bottom of the OUT_DIR modules: imports no other module of :mod:`ingest.store`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

from ingest.core.errors import IngestError

RECORDS_DIR = "records"
_ID_RE = re.compile(r"^[a-z]+-[0-9a-f]{16}$")
TMP_PREFIX = ".tmp-"


class OutputDirError(IngestError):
    """OUT_DIR cannot be created or written. The CLI exits 2."""


def fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: temp file in the same dir, fsync, ``os.replace``.

    Readers see either the old file or the new one, never a partial write; no temp file is left
    behind, even on error.
    """

    def write(f: BinaryIO) -> bool:
        f.write(data)
        return True

    _replace_atomically(path, write)


def write_if_changed(path: Path, data: bytes) -> bool:
    """Atomically write ``data`` unless ``path`` already holds exactly these bytes. True if written."""
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    atomic_write(path, data)
    return True


def write_stream_if_changed(path: Path, chunks: Iterable[bytes]) -> bool:
    """:func:`write_if_changed` for output too big to hold in memory (``records.jsonl`` of a whole
    corpus): ``chunks`` are streamed to a temp file in the same dir while hashed; the temp file is
    dropped if ``path`` already holds the same bytes (same size and sha256), else fsynced and renamed
    into place. True if written."""

    def write(f: BinaryIO) -> bool:
        digest, size = hashlib.sha256(), 0
        for chunk in chunks:
            f.write(chunk)
            digest.update(chunk)
            size += len(chunk)
        return not _same_file_content(path, size, digest.hexdigest())

    return _replace_atomically(path, write)


def write_temp(directory: Path, data: Iterable[bytes], prefix: str = TMP_PREFIX, fsync: bool = True) -> str:
    """Write ``data`` to a new temp file (``prefix``…``.part``, mode 644) in ``directory``; returns its
    name. ``fsync``: on disk before returning (a staged record is renamed into place later; staged
    chunk lines are only read back by the same run). No file is left on error."""
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=prefix, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.writelines(data)
            if fsync:
                f.flush()
                os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return os.path.basename(tmp)


def is_temp_name(name: str, prefix: str = TMP_PREFIX) -> bool:
    """``name`` is a bare file name (no directory part) starting with ``prefix``: one :func:`write_temp`
    could have made in the directory at hand."""
    return name.startswith(prefix) and "/" not in name and os.sep not in name


def _replace_atomically(path: Path, write: Callable[[BinaryIO], bool]) -> bool:
    """``write`` a temp file beside ``path``; if it returns True, fsync the file and rename it over
    ``path`` (keeping ``path``'s permissions), else drop it. True if replaced. The temp file never
    outlives the call, even on error."""
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o644
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=TMP_PREFIX, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            keep = write(f)
            if keep:
                f.flush()
                os.fsync(f.fileno())
        if not keep:
            os.unlink(tmp)
            return False
        os.chmod(tmp, mode)
        os.replace(tmp, path)
        return True
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _same_file_content(path: Path, size: int, sha256: str) -> bool:
    try:
        if path.stat().st_size != size:
            return False
        digest = hashlib.sha256()
        with path.open("rb") as f:
            while block := f.read(1 << 20):
                digest.update(block)
    except FileNotFoundError:
        return False
    return digest.hexdigest() == sha256


def ensure_out_dir(out_dir: Path) -> None:
    """Create ``OUT_DIR/records`` if needed and check it is writable; raise :class:`OutputDirError`."""
    try:
        (out_dir / RECORDS_DIR).mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputDirError(f"cannot write to output dir {out_dir}: {e.strerror or e}") from e
    # os.access, not a probe file: probing would change the dirs' mtimes on every (no-op) rerun.
    for d in (out_dir, out_dir / RECORDS_DIR):
        if not os.access(d, os.W_OK | os.X_OK):
            raise OutputDirError(f"cannot write to output dir {out_dir}: {d} is not writable")


def record_path(out_dir: Path, record_id: str) -> Path:
    """``OUT_DIR/records/<id>.json``; raises ``ValueError`` if the id could escape ``records/``."""
    if not _ID_RE.match(record_id):
        raise ValueError(f"unsafe record id {record_id!r}")
    records = (out_dir / RECORDS_DIR).resolve()
    path = (records / f"{record_id}.json").resolve()
    if path.parent != records:
        raise ValueError(f"record id {record_id!r} resolves outside {records}")
    return out_dir / RECORDS_DIR / f"{record_id}.json"


_fault_count = 0


def fault_point(name: str) -> None:
    """Fault injection for the crash tests (a no-op unless one of these is set):

    - ``INGEST_FAULT_AT=N``: at the N-th fault point of the process, write ``ingest-fault: <name>``
      to stderr and sleep until killed, so a test can SIGKILL the run exactly between two writes;
    - ``INGEST_FAULT_PAUSE=SECONDS``: announce every fault point and pause that long.

    Fault points: after each batch of the flow, each history copy, record file written, record
    withdrawn, records.jsonl, changes.jsonl, chunk-changes.jsonl and chunks.jsonl (the manifest is
    the last write).
    """
    global _fault_count
    at, pause = os.environ.get("INGEST_FAULT_AT"), os.environ.get("INGEST_FAULT_PAUSE")
    if not (at or pause):
        return
    _fault_count += 1
    if pause:
        os.write(2, f"ingest-fault: {_fault_count} {name}\n".encode())
        time.sleep(float(pause))
    if at and int(at) == _fault_count:
        os.write(2, f"ingest-fault: {_fault_count} {name}\n".encode())
        time.sleep(3600)
