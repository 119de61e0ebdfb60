"""Discovery and reading of raw inputs on disk: the I/O edge in front of the pure pipeline.

Every regular, non-hidden file under a raw dir is an input, whatever its suffix: files the
normalizer has no loader for are quarantined by it (``UnsupportedFormat``), never silently ignored.
Only ``<file>.meta.json`` sidecars (metadata written by the fetcher) and hidden files/dirs are skipped.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ingest.core.errors import IngestError, OversizeInput
from ingest.core.inputs import InputMeta

#: Default cap on an input's size (issue 6); ``INGEST_MAX_INPUT_BYTES`` / ``--max-input-bytes`` change it.
DEFAULT_MAX_INPUT_BYTES = 20 * 1024 * 1024
#: Cap on a ``<file>.meta.json`` sidecar.
MAX_SIDECAR_BYTES = 1024 * 1024


def max_input_bytes() -> int:
    """The input size cap: ``INGEST_MAX_INPUT_BYTES`` if set to a positive integer, else 20 MB."""
    try:
        v = int(os.environ.get("INGEST_MAX_INPUT_BYTES", "").strip() or 0)
    except ValueError:
        v = 0
    return v if v > 0 else DEFAULT_MAX_INPUT_BYTES


def read_capped(path: Path, cap: int, what: str = "input") -> bytes:
    """The bytes of ``path``; raises :class:`OversizeInput` when it is larger than ``cap``, checked on
    the open file *before* reading (and again while reading, in case it grows)."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size > cap:
            raise OversizeInput(f"the {what} is {size} bytes, over the {cap}-byte cap (not read)")
        data = f.read(cap + 1)
    if len(data) > cap:
        raise OversizeInput(f"the {what} grew past the {cap}-byte cap while it was read")
    return data

#: Suffixes the normalizer has loaders for (informational; discovery does not filter on them).
SUPPORTED_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".html", ".htm", ".xml"})
SIDECAR_SUFFIX = ".meta.json"


class InputDirError(IngestError):
    """A raw dir is missing, not a directory, unreadable, or ambiguous. The CLI exits 2."""


@dataclass(frozen=True, slots=True)
class RawRef:
    """One raw input on disk.

    ``input`` is its stable name: the raw dir's name + "/" + the POSIX path relative to that dir
    (e.g. ``raw/000_x.txt``), never absolute, so records do not depend on the machine.
    """

    path: Path
    input: str


def is_supported(path: Path) -> bool:
    """Whether the normalizer has a loader for this file's suffix (case-insensitive)."""
    return path.suffix.lower() in SUPPORTED_SUFFIXES


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)


def _is_sidecar(name: str) -> bool:
    return name.lower().endswith(SIDECAR_SUFFIX)


def _dir_label(raw_dir: Path) -> str:
    # resolve() so that "." or "raw/" still give the directory's real name.
    return raw_dir.resolve().name or raw_dir.resolve().anchor


def check_raw_dirs(raw_dirs: list[Path]) -> None:
    """Raise :class:`InputDirError` unless every raw dir exists, is a directory and has a distinct name."""
    if not raw_dirs:
        raise InputDirError("no raw dir given")
    seen: dict[str, Path] = {}
    for d in raw_dirs:
        if not d.exists():
            raise InputDirError(f"raw dir not found: {d}")
        if not d.is_dir():
            raise InputDirError(f"raw dir is not a directory: {d}")
        if not os.access(d, os.R_OK | os.X_OK):
            raise InputDirError(f"raw dir is not readable: {d}")
        label = _dir_label(d)
        other = seen.get(label)
        if other is not None and other.resolve() != d.resolve():
            raise InputDirError(
                f"raw dirs {other} and {d} have the same name {label!r}: their inputs would be ambiguous"
            )
        seen[label] = d


def discover(raw_dirs: list[Path]) -> list[RawRef]:
    """All inputs under ``raw_dirs``: each dir in the order given, its files sorted by relative path.

    Hidden files and dirs (name starting with ".") and ``*.meta.json`` sidecars are skipped; every
    other regular file is returned, whatever its suffix. A dir given twice is walked once.
    Raises :class:`InputDirError` for a missing or non-directory raw dir.
    """
    check_raw_dirs(raw_dirs)
    refs: list[RawRef] = []
    seen_dirs: set[Path] = set()
    for raw_dir in raw_dirs:
        resolved = raw_dir.resolve()
        if resolved in seen_dirs:
            continue
        seen_dirs.add(resolved)
        label = _dir_label(raw_dir)
        found: list[tuple[str, Path]] = []

        def on_error(e: OSError) -> None:
            raise InputDirError(f"cannot read raw dir {e.filename}: {e.strerror}") from e

        for dirpath, dirnames, filenames in os.walk(raw_dir, onerror=on_error):
            dirnames[:] = sorted(n for n in dirnames if not n.startswith("."))
            base = Path(dirpath)
            for name in filenames:
                if name.startswith(".") or _is_sidecar(name):
                    continue
                path = base / name
                if not path.is_file():  # sockets, fifos, broken symlinks
                    continue
                rel = path.relative_to(raw_dir).as_posix()
                found.append((rel, path))
        found.sort(key=lambda item: item[0])
        refs.extend(RawRef(path=path, input=f"{label}/{rel}") for rel, path in found)
    return refs


def read(ref: RawRef) -> tuple[bytes, InputMeta]:
    """The input's bytes and its metadata (from the optional ``<file>.meta.json`` sidecar).

    Raises ``OSError`` when the file itself cannot be read, :class:`OversizeInput` when it (or its
    sidecar) is over the size cap; a missing sidecar is normal.
    """
    raw, meta, _sidecar = read_with_sidecar(ref)
    return raw, meta


def read_with_sidecar(ref: RawRef) -> tuple[bytes, InputMeta, bytes | None]:
    """:func:`read`, plus the sidecar's bytes (None when there is none): incremental runs hash them."""
    raw = read_capped(ref.path, max_input_bytes())
    try:
        sidecar: bytes | None = read_capped(sidecar_path(ref.path), MAX_SIDECAR_BYTES, "sidecar")
    except FileNotFoundError:
        sidecar = None
    return raw, InputMeta.from_sidecar(ref.input, ref.path.name, sidecar), sidecar
