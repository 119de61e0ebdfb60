"""A small static site on 127.0.0.1 for tests, the loopback benchmark and trying ``ingest fetch`` offline.

Serves a dict of ``path -> bytes`` with a strong ETag (sha256 of the body) and a Last-Modified,
answers ``If-None-Match`` / ``If-Modified-Since`` with 304, serves ``/robots.txt``, and counts every
request by status. Pages can be changed, removed, scripted or slowed down (``trickle``: seconds
between two bytes of a path's body) while it runs::

    with LoopbackSite(corpus_pages(CORPUS, limit=20)) as site:
        site.url("/types/leukemia")          # http://127.0.0.1:PORT/types/leukemia
        site.pages["/types/leukemia"] = b"<html>changed</html>"
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

#: A scripted answer: ``(status, headers, body)`` for a request path (and its request headers).
Script = Callable[[str, dict[str, str]], tuple[int, dict[str, str], bytes]]
LAST_MODIFIED = datetime(2024, 3, 22, 21, 49, 19, tzinfo=UTC)


def corpus_pages(corpus_dir: Path, limit: int | None = None) -> dict[str, bytes]:
    """``URL path -> HTML bytes`` for the 200 pages of a crawl folder with a ``pages.json`` (e.g.
    ``../shared/corpus/cancer-gov-html``), in the order listed, at most ``limit``."""
    entries = json.loads((corpus_dir / "pages.json").read_bytes())
    pages: dict[str, bytes] = {}
    for e in entries:
        if e.get("status") != 200 or "?" in e["url"]:
            continue
        pages[urlsplit(e["url"]).path] = (corpus_dir / e["file"]).read_bytes()
        if limit is not None and len(pages) >= limit:
            break
    return pages


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:20] + '"'


class LoopbackSite:
    def __init__(
        self,
        pages: dict[str, bytes],
        *,
        robots: str = "User-agent: *\nDisallow:\n",
        content_type: str = "text/html; charset=UTF-8",
    ) -> None:
        self.pages = dict(pages)
        self.robots = robots
        self.content_type = content_type
        self.scripts: dict[str, Script] = {}
        self.trickle: dict[str, float] = {}
        self.statuses: Counter[int] = Counter()
        self.paths: list[str] = []
        self.bytes_sent = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> LoopbackSite:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def start(self) -> None:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real sites

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                status, headers, body = site.answer(self.path, {k.lower(): v for k, v in self.headers.items()})
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                delay = site.trickle.get(urlsplit(self.path).path)
                if not delay:
                    self.wfile.write(body)
                    return
                try:  # one byte at a time (the handler's wfile is unbuffered)
                    for i in range(len(body)):
                        self.wfile.write(body[i : i + 1])
                        time.sleep(delay)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up
                    self.close_connection = True

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="loopback-site", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the site first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def reset_counts(self) -> None:
        with self._lock:
            self.statuses.clear()
            self.paths.clear()
            self.bytes_sent = 0

    # ------------------------------------------------------------------ answering

    def answer(self, raw_path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        path = urlsplit(raw_path).path
        if path in self.scripts:
            status, out, body = self.scripts[path](path, headers)
        elif path == "/robots.txt":
            status, out, body = 200, {"Content-Type": "text/plain"}, self.robots.encode()
        elif path in self.pages:
            status, out, body = self._page(self.pages[path], headers)
        else:
            status, out, body = 404, {"Content-Type": "text/html"}, b"<h1>Not Found</h1>"
        with self._lock:
            self.statuses[status] += 1
            self.paths.append(path)
            self.bytes_sent += len(body)
        return status, out, body

    def _page(self, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        etag = etag_of(body)
        validators = {"ETag": etag, "Last-Modified": format_datetime(LAST_MODIFIED, usegmt=True)}
        inm = headers.get("if-none-match")
        if inm is not None:
            if etag in [t.strip() for t in inm.split(",")] or inm.strip() == "*":
                return 304, validators, b""
        elif (ims := headers.get("if-modified-since")) is not None:
            try:
                if parsedate_to_datetime(ims) >= LAST_MODIFIED:
                    return 304, validators, b""
            except (TypeError, ValueError):
                pass
        return 200, {"Content-Type": self.content_type, **validators}, body


def loopback_sources_toml(urls: list[str], *, backoff_base: float = 0.05, max_attempts: int | None = None) -> str:
    """A sources file for the loopback site: one NCI source on 127.0.0.1 (its ``host:port`` origins
    from ``urls``), no politeness delay."""
    attempts = f"max_attempts = {max_attempts}\n" if max_attempts is not None else ""
    origins = sorted({urlsplit(u).netloc for u in urls}) or ["127.0.0.1"]
    return f"""
[fetch]
backoff_base = {backoff_base}
{attempts}
[[sources]]
name = "nci-loopback"
publisher = "NCI"
allowed_hosts = {json.dumps(origins)}
urls = {json.dumps(urls)}
schedule = "0 6 * * 1"
max_concurrent_per_host = 4
min_delay_seconds = 0.0
"""
