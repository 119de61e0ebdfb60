"""Pure fetch policy: which URLs may be fetched, what a status means, how long to wait, where a
snapshot goes. No I/O here (the HTTP client and the snapshot store call these)."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import Enum
from urllib.parse import quote_from_bytes, urljoin, urlsplit

#: Media types the fetcher can store, with the extension the normalizer dispatches on.
EXTENSIONS: dict[str, str] = {
    "text/html": ".html",
    "application/xhtml+xml": ".html",
    "text/plain": ".txt",
    "text/markdown": ".md",
    "application/xml": ".xml",
    "text/xml": ".xml",
}
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
DEFAULT_PORTS = {"http": 80, "https": 443}
OK_STATUSES = frozenset({200, 203})
_SLUG_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class Verdict(Enum):
    """What to do with one HTTP response."""

    OK = "ok"
    NOT_MODIFIED = "not_modified"
    REDIRECT = "redirect"
    RETRY = "retry"
    FAIL = "fail"


def classify(status: int) -> Verdict:
    """200/203 ok, 304 not modified, 301/302/303/307/308 redirect, 408/429/5xx retry, the rest fail.

    >>> [classify(s).value for s in (200, 304, 301, 429, 503, 404, 410, 204)]
    ['ok', 'not_modified', 'redirect', 'retry', 'retry', 'fail', 'fail', 'fail']
    """
    if status in OK_STATUSES:
        return Verdict.OK
    if status == 304:
        return Verdict.NOT_MODIFIED
    if status in REDIRECT_STATUSES:
        return Verdict.REDIRECT
    if status in (408, 429) or 500 <= status <= 599:
        return Verdict.RETRY
    return Verdict.FAIL


def media_type(content_type: str | None) -> str:
    """``"text/html; charset=UTF-8"`` -> ``"text/html"`` (lowercase; empty when missing)."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def extension_for(content_type: str | None) -> str:
    """The snapshot extension for a Content-Type; ``ValueError`` for a type the fetcher cannot store."""
    mt = media_type(content_type)
    try:
        return EXTENSIONS[mt]
    except KeyError:
        raise ValueError(f"no snapshot extension for content type {mt!r}") from None


def hostname(url: str) -> str:
    """The URL's host, lowercase, without port or trailing dot ('' when there is none)."""
    try:
        return (urlsplit(url).hostname or "").rstrip(".").lower()
    except ValueError:
        return ""


def split_host_entry(entry: str) -> tuple[str, int | None]:
    """An ``allowed_hosts`` entry -> (host, port): ``"www.cancer.gov"`` -> ``("www.cancer.gov", None)``,
    ``"127.0.0.1:8000"`` -> ``("127.0.0.1", 8000)``."""
    host, sep, port = entry.rpartition(":")
    if sep and port.isdigit():
        return host, int(port)
    return entry, None


def refusal(url: str, allowed_hosts: frozenset[str] | set[str]) -> str | None:
    """Why ``url`` must not be requested, or None when it may be.

    Only http(s) URLs without credentials whose origin (scheme, host, port) ``allowed_hosts`` lists:
    an entry ``host`` allows that host on its scheme's default port only (80 for http, 443 for
    https), an entry ``host:port`` allows that port (for http and https). Hosts match exactly, so
    an internal address is only reachable when it is listed itself, and only on the ports listed.

    >>> refusal("https://www.cancer.gov/types", {"www.cancer.gov"}) is None
    True
    >>> refusal("https://evil.example/x", {"www.cancer.gov"})
    "host 'evil.example' is not in allowed_hosts"
    >>> refusal("file:///etc/passwd", {"www.cancer.gov"})
    "scheme 'file' is not http or https"
    >>> refusal("http://127.0.0.1:8000/x", {"127.0.0.1:8000"}) is None
    True
    >>> refusal("http://127.0.0.1:9000/x", {"127.0.0.1:8000"})  # doctest: +ELLIPSIS
    "http://127.0.0.1:9000 is not an allowed origin: allowed_hosts lists '127.0.0.1:8000' for this host ..."
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as e:
        return f"malformed URL: {e}"
    if parts.scheme not in DEFAULT_PORTS:
        return f"scheme {parts.scheme!r} is not http or https"
    if parts.username is not None or parts.password is not None:
        return "URL carries credentials"
    host = hostname(url)
    if not host:
        return "URL has no host"
    default = DEFAULT_PORTS[parts.scheme]
    port = default if port is None else port
    if f"{host}:{port}" in allowed_hosts or (port == default and host in allowed_hosts):
        return None
    listed = sorted(e for e in allowed_hosts if split_host_entry(e)[0] == host)
    if not listed:
        return f"host {host!r} is not in allowed_hosts"
    return (
        f"{parts.scheme}://{host}:{port} is not an allowed origin: allowed_hosts lists "
        f"{', '.join(map(repr, listed))} for this host (a host without a port means port 80 for http and 443 "
        f"for https only); add '{host}:{port}' to allow it"
    )


def entry_hosts(allowed_hosts: frozenset[str] | set[str] | list[str]) -> list[str]:
    """The host names of ``allowed_hosts`` entries (ports dropped, duplicates removed, in order)."""
    return list(dict.fromkeys(split_host_entry(e)[0] for e in allowed_hosts))


_HEADER_SAFE = bytes(range(0x21, 0x7F))  # printable ASCII stays as it is (``%`` included: already encoded)


def decode_location(value: str | bytes) -> str:
    """A ``Location`` header as an ASCII string: its bytes (http.client hands them over decoded as
    latin-1, as HTTP defines) with every byte outside printable ASCII percent-encoded, so a UTF-8
    path becomes ``%C3%A9`` and a stray latin-1 byte ``%E9``; never raises.

    >>> decode_location("/caf\xc3\xa9 au lait"), decode_location("/caf\xe9")
    ('/caf%C3%A9%20au%20lait', '/caf%E9')
    """
    if isinstance(value, str):
        try:
            raw = value.encode("latin-1")
        except UnicodeEncodeError:  # not from the wire (a mock, a library that decoded it as UTF-8)
            raw = value.encode("utf-8", errors="surrogateescape")
    else:
        raw = value
    return quote_from_bytes(raw.strip(b" \t\r\n"), safe=_HEADER_SAFE)


def resolve_location(current_url: str, location: str) -> str:
    """The absolute URL of a redirect's ``Location`` (relative to the URL that answered), no fragment;
    ``ValueError`` when it cannot be a URL (``http://[::1``)."""
    target = urljoin(current_url, location.strip()).split("#", 1)[0]
    urlsplit(target).port  # noqa: B018 - raises ValueError for a bad host or port
    return target


def robots_url(url: str) -> str:
    """``scheme://host[:port]/robots.txt`` for ``url`` (a default port left out)."""
    return f"{origin(url)}/robots.txt"


def origin(url: str) -> str:
    """``scheme://host[:port]``: the key robots.txt rules and politeness apply to; the host in lower
    case, a default port (80 for http, 443 for https) left out, so ``https://h:443`` is ``https://h``."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1].lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is not None and port == DEFAULT_PORTS.get(parts.scheme):
        host = host.rsplit(":", 1)[0]
    return f"{parts.scheme}://{host}"


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date); None if absent
    or unparseable; never negative.

    >>> parse_retry_after("120", datetime(2026, 1, 1, tzinfo=UTC))
    120.0
    >>> parse_retry_after("Thu, 01 Jan 2026 00:00:30 GMT", datetime(2026, 1, 1, tzinfo=UTC))
    30.0
    """
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def backoff_delay(retry: int, base: float, cap: float, jitter: float, retry_after: float | None = None) -> float:
    """Seconds to wait before retry number ``retry`` (1 for the first retry).

    Exponential with "equal jitter": half of ``min(cap, base * 2**(retry-1))`` plus ``jitter`` (a
    number in [0, 1), from an injectable random source) times the other half. A server's
    ``Retry-After`` is a floor: never retry sooner than it asked.

    >>> [backoff_delay(n, 1.0, 60.0, 0.0) for n in (1, 2, 3, 4)]
    [0.5, 1.0, 2.0, 4.0]
    >>> backoff_delay(1, 1.0, 60.0, 0.5, retry_after=7)
    7.0
    """
    step = min(cap, base * 2 ** (retry - 1))
    delay = step / 2 + jitter * step / 2
    return float(max(delay, retry_after or 0.0))


def url_slug(url: str) -> str:
    """A stable, readable, collision-free file stem for a URL: its path (``/`` -> ``__``), sanitised and
    cut to 80 characters, plus 10 hex of its sha256. Never starts with "." (hidden files are not inputs).

    >>> url_slug("https://www.cancer.gov/types/leukemia/patient/cll-treatment-pdq")
    'types__leukemia__patient__cll-treatment-pdq-156ab8f300'
    """
    parts = urlsplit(url)
    readable = parts.path.strip("/").replace("/", "__")
    if parts.query:
        readable += "_" + parts.query
    readable = _SLUG_UNSAFE.sub("-", readable).lstrip("._-")[:80].rstrip("._-") or "index"
    return f"{readable}-{hashlib.sha256(url.encode('utf-8')).hexdigest()[:10]}"


def utc_timestamp(moment: datetime) -> str:
    """``2026-11-21T08:00:00Z`` (UTC, whole seconds): how fetch times are written."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
