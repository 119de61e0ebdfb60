"""Discovery and reading of raw inputs on disk: the I/O edge in front of the pure pipeline.

Which files under a raw dir are inputs (issues 16 and 17):

- **By default** a regular file whose suffix has a loader (.txt, .md, .markdown, .html, .htm, .xml),
  except documentation files (README, SOURCES, LICENSE, CHANGELOG, COPYING, NOTICE, any suffix, any
  case): a corpus folder's SOURCES.md is not a patient record. ``include`` globs replace this
  default (only matching files are inputs, documentation files and other suffixes too when matched);
  ``exclude`` globs remove files either way. A glob matches the path relative to the raw dir from
  the right (``*.html``, ``nci/*.md``, ``SOURCES.md``), as :meth:`PurePosixPath.match` does.
- **Never**: hidden files and dirs (name starting with "."; the fetcher's ``.history/``), and
  ``<file>.meta.json`` sidecars (metadata of their input).
- **Skipped with a reason**, listed in the manifest's ``skipped`` and counted in the summary: files
  the rules above leave out, and the hostile or broken corners: a symlink whose target resolves
  outside the raw dir (``ln -s /etc/passwd raw/x.txt``), a broken symlink or a symlink loop, a
  symlinked directory (never followed), a FIFO, socket or device (never opened: reading a FIFO
  blocks), a file name that is not valid UTF-8, a subdirectory that cannot be read. One bad corner
  never stops the run; only a raw dir that is itself missing or unreadable does (exit 2).
- Reading opens regular files only and never blocks (``O_NONBLOCK``; a sidecar that is a FIFO is
  an error of its input, which is quarantined).
"""

from __future__ import annotations

import os
import stat
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

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
    # O_NONBLOCK: opening a FIFO for reading would wait for a writer forever
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    with open(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise OSError(f"the {what} is not a regular file ({_file_type(st.st_mode)})")
        size = st.st_size
        if size > cap:
            raise OversizeInput(f"the {what} is {size} bytes, over the {cap}-byte cap (not read)")
        data = f.read(cap + 1)
    if len(data) > cap:
        raise OversizeInput(f"the {what} grew past the {cap}-byte cap while it was read")
    return data

#: Suffixes the normalizer has loaders for: without ``include`` globs, the only files that are inputs.
SUPPORTED_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".html", ".htm", ".xml"})
SIDECAR_SUFFIX = ".meta.json"
#: File names (without suffix, case-insensitive) that document a folder rather than hold a document.
DOC_STEMS = frozenset({"readme", "sources", "license", "licence", "changelog", "copying", "notice", "authors"})


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file (or directory) under a raw dir that is not an input, and why.

    ``path``: the raw dir's name + "/" + the relative path, with any byte that is not valid UTF-8
    shown as ``\\xNN``; ``kind``: a short category (``unsupported``, ``documentation``, ``excluded``,
    ``not_included``, ``outside_link``, ``broken_link``, ``link_loop``, ``linked_dir``, ``special``,
    ``bad_name``, ``unreadable``); ``reason``: a sentence.
    """

    path: str
    kind: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "kind": self.kind, "reason": self.reason}


#: Kinds of skip that point at something wrong in the raw dir (printed one by one), as opposed to
#: files that are simply not documents (counted).
PROBLEM_KINDS = frozenset({"outside_link", "broken_link", "link_loop", "special", "bad_name", "unreadable"})


@dataclass(slots=True)
class Discovery:
    """What :func:`scan` found: the inputs in order, and everything it skipped with a reason."""

    refs: list[RawRef] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def skipped_counts(self) -> dict[str, int]:
        return dict(sorted(Counter(s.kind for s in self.skipped).items()))


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


def discover(raw_dirs: list[Path], include: Sequence[str] | None = None,
             exclude: Sequence[str] | None = None) -> list[RawRef]:
    """The inputs under ``raw_dirs`` (see :func:`scan`; what it skips is dropped here)."""
    return scan(raw_dirs, include, exclude).refs


def scan(raw_dirs: list[Path], include: Sequence[str] | None = None, exclude: Sequence[str] | None = None,
         only: Iterable[str] | None = None) -> Discovery:
    """All inputs under ``raw_dirs``: each dir in the order given, its files sorted by relative path,
    and every file left out with its reason (module docstring). A dir given twice is walked once.

    ``only`` (input names, ``ingest replay``): exactly these inputs where they exist, whatever the
    globs and defaults say (they were inputs of an earlier run). Raises :class:`InputDirError` for a
    missing, non-directory or unreadable raw dir; anything wrong below it is skipped, not raised.
    """
    check_raw_dirs(raw_dirs)
    found = Discovery()
    wanted = set(only) if only is not None else None
    seen_dirs: set[Path] = set()
    for raw_dir in raw_dirs:
        resolved = raw_dir.resolve()
        if resolved in seen_dirs:
            continue
        seen_dirs.add(resolved)
        label = _dir_label(raw_dir)
        refs: list[tuple[str, Path]] = []
        for rel, path, skip in _walk(raw_dir, resolved):
            name = f"{label}/{rel}"
            if skip is not None:
                found.skipped.append(Skipped(name, *skip))
                continue
            if wanted is not None:
                if name in wanted:
                    refs.append((rel, path))
                continue
            verdict = _select(rel, include, exclude)
            if verdict is None:
                refs.append((rel, path))
            else:
                found.skipped.append(Skipped(name, *verdict))
        refs.sort(key=lambda item: item[0])
        found.refs.extend(RawRef(path=path, input=f"{label}/{rel}") for rel, path in refs)
    found.skipped.sort(key=lambda s: s.path)
    return found


def _select(rel: str, include: Sequence[str] | None, exclude: Sequence[str] | None) -> tuple[str, str] | None:
    """None when the file at ``rel`` is an input, else ``(kind, reason)``."""
    p = PurePosixPath(rel)
    for pattern in exclude or ():
        if p.match(pattern):
            return "excluded", f"excluded by --exclude {pattern!r}"
    if include:
        if any(p.match(pattern) for pattern in include):
            return None
        return "not_included", "matches no --include pattern"
    if p.stem.split(".")[0].lower() in DOC_STEMS:
        return "documentation", f"a documentation file ({p.name}), not a document (--include it to read it)"
    if p.suffix.lower() not in SUPPORTED_SUFFIXES:
        what = p.suffix.lower() or "no suffix"
        return "unsupported", f"no loader for this file type ({what}; --include it to have it quarantined)"
    return None


def _walk(raw_dir: Path, root: Path) -> Iterable[tuple[str, Path, tuple[str, str] | None]]:
    """``(relative POSIX path, path, None)`` for every regular file under ``raw_dir`` (hidden names and
    sidecars left out), ``(rel, path, (kind, reason))`` for what cannot be an input whatever the
    globs say. Never follows a directory symlink; never raises for what is below ``raw_dir``."""
    stack = [(raw_dir, "")]
    while stack:
        directory, prefix = stack.pop()
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as e:
            if not prefix:
                raise InputDirError(f"cannot read raw dir {directory}: {e.strerror or e}") from e
            yield prefix.rstrip("/"), directory, ("unreadable", f"directory cannot be read: {e.strerror or e}")
            continue
        subdirs = []
        for entry in entries:
            name = entry.name
            if name.startswith(".") or _is_sidecar(name):
                continue
            rel = prefix + name
            path = Path(entry.path)
            if not _valid_utf8(name):
                yield _escaped(rel), path, ("bad_name", "file name is not valid UTF-8 (rename the file)")
                continue
            try:
                is_link = entry.is_symlink()
                if is_link:
                    link = _check_link(path, root)
                    if link is not None:
                        yield rel, path, link
                        continue
                    if path.is_dir():
                        yield rel, path, ("linked_dir", "a symlinked directory (never followed)")
                        continue
                mode = path.stat().st_mode if is_link else entry.stat(follow_symlinks=False).st_mode
            except OSError as e:
                yield rel, path, ("unreadable", f"cannot stat: {e.strerror or e}")
                continue
            if stat.S_ISDIR(mode):
                subdirs.append((path, rel + "/"))
            elif stat.S_ISREG(mode):
                yield rel, path, None
            else:
                yield rel, path, ("special", f"not a regular file ({_file_type(mode)}): never opened")
        stack.extend(reversed(subdirs))


def _check_link(path: Path, root: Path) -> tuple[str, str] | None:
    """Why the symlink at ``path`` cannot be read as an input, or None when it stays inside ``root``."""
    try:
        target = path.resolve(strict=True)
    except FileNotFoundError:
        return "broken_link", "a broken symlink"
    except (RuntimeError, OSError) as e:  # RuntimeError: a loop (Python 3.11); OSError ELOOP elsewhere
        if isinstance(e, RuntimeError) or getattr(e, "errno", None) == 40:
            return "link_loop", "a symlink loop"
        return "broken_link", f"a symlink that cannot be resolved: {getattr(e, 'strerror', None) or e}"
    if not target.is_relative_to(root):
        return "outside_link", "a symlink to outside the raw folder (never followed)"
    return None


def _valid_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
        return True
    except UnicodeEncodeError:  # os.fsdecode keeps undecodable bytes as lone surrogates
        return False


def _escaped(name: str) -> str:
    """``name`` with every byte that is not valid UTF-8 written as ``\\xNN``."""
    return os.fsencode(name).decode("utf-8", errors="backslashreplace")


def _file_type(mode: int) -> str:
    for test, what in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISDIR, "a directory")):
        if test(mode):
            return what
    return "not a regular file"


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
