"""Raw snapshots on disk: exactly one current file per URL, every earlier version kept.

Layout::

    RAW_DIR/<source>/<slug>.html                  the current snapshot (what `ingest normalize` reads)
    RAW_DIR/<source>/<slug>.html.meta.json        its sidecar (url, final_url, status, fetched_at, etag,
                                                  last_modified, content_type, sha256, headers, ...)
    RAW_DIR/<source>/.history/<slug>/<fetched_at>-<sha256[:12]>.html   earlier versions (+ .meta.json)

``<slug>`` comes from the requested URL (:func:`ingest.fetch.policy.url_slug`), the extension from
the Content-Type. Discovery (:func:`ingest.store.discovery.discover`) skips hidden dirs and sidecars, so the
normalizer sees one input per URL and never the history. Nothing is ever deleted: a changed page
moves its previous version to ``.history`` first; a failed fetch touches nothing.

Writes are atomic (:func:`ingest.store.files.atomic_write`): body first, then sidecar. A sidecar whose
``sha256`` does not match its body (an interrupted write) is not trusted for a conditional GET.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ingest.fetch.client import Fetched, Validators
from ingest.fetch.config import Source
from ingest.fetch.policy import extension_for, url_slug
from ingest.store.discovery import SIDECAR_SUFFIX, sidecar_path
from ingest.store.files import atomic_write, write_if_changed

HISTORY_DIR = ".history"
SaveOutcome = Literal["new", "updated", "unchanged"]
#: Response headers copied into the sidecar's ``headers`` (what the normalizer may use).
KEPT_HEADERS = ("content-type", "content-language", "etag", "last-modified")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The current snapshot of one URL: its file, the sha256 of its bytes, its sidecar (may be empty)."""

    path: Path
    sha256: str
    meta: dict[str, Any]

    @property
    def trusted(self) -> bool:
        """The sidecar describes exactly these bytes (so its validators may be sent back)."""
        return self.meta.get("sha256") == self.sha256

    def validators(self) -> Validators | None:
        if not self.trusted:
            return None
        v = Validators(etag=_str(self.meta.get("etag")), last_modified=_str(self.meta.get("last_modified")))
        return v if v else None


@dataclass(frozen=True, slots=True)
class Saved:
    outcome: SaveOutcome
    path: Path
    #: Whether any file under RAW_DIR changed (body or sidecar): the input must be re-normalized.
    wrote: bool


def _str(v: Any) -> str | None:
    return v if isinstance(v, str) and v else None


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _dump(meta: dict[str, Any]) -> bytes:
    return (json.dumps(meta, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def sidecar_for(source: Source, fetched: Fetched, sha256: str, size: int, fetched_at: str) -> dict[str, Any]:
    """The sidecar of a 200 response (pure). Keys read by :meth:`ingest.core.inputs.InputMeta.from_sidecar`:
    ``url``/``final_url``, ``fetched_at``, ``content_type``, ``headers``."""
    h = fetched.headers
    return {
        "url": fetched.url,
        "final_url": fetched.final_url,
        "status": fetched.status,
        "fetched_at": fetched_at,
        "etag": h.get("etag"),
        "last_modified": h.get("last-modified"),
        "content_type": h.get("content-type"),
        "sha256": sha256,
        "bytes": size,
        "source": source.name,
        "publisher": source.publisher,
        "headers": {k: h[k] for k in KEPT_HEADERS if h.get(k)},
    }


class SnapshotStore:
    """Reads and writes snapshots under ``raw_dir`` (see the module docstring for the layout)."""

    def __init__(self, raw_dir: Path) -> None:
        self.raw_dir = raw_dir

    def source_dir(self, source: str) -> Path:
        return self.raw_dir / source

    def current(self, source: str, url: str) -> Snapshot | None:
        """The current snapshot of ``url`` (None before its first successful fetch)."""
        d = self.source_dir(source)
        slug = url_slug(url)
        try:
            candidates = sorted(
                p for p in d.glob(f"{slug}.*") if not p.name.endswith(SIDECAR_SUFFIX) and p.is_file()
            )
        except OSError:
            return None
        if not candidates:
            return None
        path = candidates[0]
        body = path.read_bytes()
        try:
            meta = json.loads(sidecar_path(path).read_bytes())
        except (FileNotFoundError, ValueError):
            meta = {}
        return Snapshot(path, _sha256(body), meta if isinstance(meta, dict) else {})

    def save(self, source: Source, fetched: Fetched, previous: Snapshot | None) -> Saved:
        """Store a 200 response as the current snapshot of ``fetched.url``.

        Identical bytes keep the file (and its ``fetched_at``) as they are; changed bytes move the
        previous version to ``.history`` first. Raises ``ValueError`` for a content type with no
        extension (the client only accepts types that have one) and ``OSError`` on disk errors.
        """
        ext = extension_for(fetched.headers.get("content-type"))
        d = self.source_dir(source.name)
        d.mkdir(parents=True, exist_ok=True)
        path = d / f"{url_slug(fetched.url)}{ext}"
        sha = _sha256(fetched.body)

        if previous is not None and previous.sha256 == sha and previous.path == path:
            fetched_at = _str(previous.meta.get("fetched_at")) if previous.trusted else None
            meta = sidecar_for(source, fetched, sha, len(fetched.body), fetched_at or fetched.fetched_at)
            wrote = write_if_changed(sidecar_path(path), _dump(meta))
            return Saved("unchanged", path, wrote)

        if previous is not None:
            self._archive(self.history_dir(source.name, fetched.url), previous)
            if previous.path != path:  # the content type changed: one current file per URL
                previous.path.unlink(missing_ok=True)
                sidecar_path(previous.path).unlink(missing_ok=True)
        atomic_write(path, fetched.body)
        atomic_write(sidecar_path(path), _dump(sidecar_for(source, fetched, sha, len(fetched.body), fetched.fetched_at)))
        return Saved("updated" if previous is not None else "new", path, True)

    def history_dir(self, source: str, url: str) -> Path:
        return self.source_dir(source) / HISTORY_DIR / url_slug(url)

    @staticmethod
    def _archive(hist: Path, snap: Snapshot) -> None:
        """Copy a snapshot (and its sidecar) into ``hist`` unless that version is already there."""
        hist.mkdir(parents=True, exist_ok=True)
        stamp = (_str(snap.meta.get("fetched_at")) or "unknown").replace(":", "")
        target = hist / f"{stamp}-{snap.sha256[:12]}{snap.path.suffix}"
        if not target.exists():
            atomic_write(target, snap.path.read_bytes())
        try:
            meta = sidecar_path(snap.path).read_bytes()
        except FileNotFoundError:
            return
        write_if_changed(sidecar_path(target), meta)
