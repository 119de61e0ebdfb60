"""What the pure pipeline is told about one raw input (besides its bytes)."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ingest.core.errors import MalformedSidecar

# Characters RFC 3986 never allows unencoded in a URL (and that would let a URL carry markup).
URL_FORBIDDEN = re.compile(r"[\s<>\"'`{}|\\^\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class InputMeta:
    """Metadata about one raw input.

    ``input`` is the stable name of the input: its path relative to the raw folder (POSIX
    separators), or its URL. It keys the record id when no canonical URL is known, so it must not
    depend on the machine (never an absolute path).
    """

    input: str
    filename: str
    url: str | None = None
    fetched_at: str | None = None
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    status: int | None = None  # the HTTP status the fetcher recorded (sidecar ``status``), when known

    @staticmethod
    def from_sidecar(input: str, filename: str, sidecar: bytes | None) -> InputMeta:
        """Build metadata from an optional ``<file>.meta.json`` sidecar written by the fetcher.

        A sidecar that is not a JSON object is ignored field by field: unknown keys are dropped,
        non-string values are ignored. The fields that decide which document owns a record id and
        which copy is newest are untrusted input, checked here: a ``url``/``final_url`` that is not
        an absolute http(s) URL (with a host, without spaces, quotes or angle brackets) or a
        ``fetched_at`` that is not an ISO 8601 timestamp raises :class:`MalformedSidecar`.
        """
        data: dict[str, Any] = {}
        if sidecar:
            try:
                loaded = json.loads(sidecar.decode("utf-8", errors="replace"))
                if isinstance(loaded, dict):
                    data = loaded
            except ValueError:
                data = {}

        def s(key: str) -> str | None:
            v = data.get(key)
            return v if isinstance(v, str) and v.strip() else None

        for key in ("url", "final_url"):
            if s(key) is not None and not is_http_url(s(key)):
                raise MalformedSidecar(f"sidecar field {key!r} is not an http(s) URL: {_shown(s(key))}")
        if s("fetched_at") is not None and parse_timestamp(s("fetched_at")) is None:
            raise MalformedSidecar(f"sidecar field 'fetched_at' is not an ISO 8601 timestamp: {_shown(s('fetched_at'))}")

        headers = data.get("headers") if isinstance(data.get("headers"), dict) else {}
        headers = {str(k).lower(): str(v) for k, v in headers.items() if isinstance(v, str | int)}
        return InputMeta(
            input=input,
            filename=filename,
            url=s("final_url") or s("url"),
            fetched_at=s("fetched_at"),
            content_type=s("content_type") or headers.get("content-type"),
            headers=headers,
            status=_status(data.get("status")),
        )


def _status(value: Any) -> int | None:
    """The sidecar's HTTP status when it is one (an int or a string of three digits, 100-599), else None.

    >>> [_status(v) for v in [404, "301", "ok", True, 42, None]]
    [404, 301, None, None, None, None]
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    return value if isinstance(value, int) and 100 <= value <= 599 else None


def is_http_url(url: str) -> bool:
    """An absolute http(s) URL with a host and no character RFC 3986 forbids unencoded.

    >>> is_http_url("https://www.cancer.gov/types/leukemia"), is_http_url("https://x/<script>")
    (True, False)
    >>> is_http_url("javascript:alert(1)"), is_http_url("https:///nohost"), is_http_url("/relative")
    (False, False, False)
    """
    if URL_FORBIDDEN.search(url):
        return False
    try:
        parts = urlsplit(url)
        return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return False


def parse_timestamp(value: str) -> dt.datetime | None:
    """``value`` as an aware datetime (ISO 8601; no zone means UTC), or None if it is not one.

    >>> parse_timestamp("2024-03-24T20:32:55Z").isoformat()
    '2024-03-24T20:32:55+00:00'
    >>> parse_timestamp("~"), parse_timestamp("<script>")
    (None, None)
    """
    if len(value) > 64 or not value[:4].isdigit():
        return None
    try:
        t = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return t if t.tzinfo is not None else t.replace(tzinfo=dt.UTC)


def _shown(value: str, limit: int = 60) -> str:
    """A value for a one-line reason: repr-escaped, angle brackets too (no newline or markup reaches
    a log, the manifest or the report verbatim)."""
    shown = repr(value[:limit] + ("…" if len(value) > limit else ""))
    return shown.replace("<", "\\x3c").replace(">", "\\x3e")
