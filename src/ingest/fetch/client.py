"""The HTTP edge of the fetcher: one :class:`Fetcher` per run, shared by every source and thread.

- ``requests`` with a clear User-Agent, connect/read timeouts, streamed bodies cut at ``max_bytes``
  and a Content-Type check before the body is read;
- retries with exponential backoff and jitter on timeouts, connection errors, 408, 429 and 5xx,
  honouring ``Retry-After``; none on other 4xx (``sleep`` and the random source are injectable);
- robots.txt fetched once per origin per run and obeyed (Protego); a disallowed URL is never requested;
- per-host politeness: at most N requests in flight and a minimum delay between request starts;
- redirects followed by hand, each hop's origin (scheme, host, port) checked against ``allowed_hosts``
  and robots.txt; a ``Location`` is read as bytes (latin-1) with non-ASCII percent-encoded;
- conditional GET: the caller's validators are sent as If-None-Match / If-Modified-Since;
- bounded waits: backoff (``backoff_max``), Retry-After (``max_retry_after``) and robots.txt
  Crawl-delay (``max_crawl_delay``) are capped, and each URL has a total deadline
  (``url_deadline_seconds``) covering its turn at the host, robots.txt, retries and a slow body
  (``clock`` is injectable, with ``sleep``).

Failures are exceptions from :mod:`ingest.fetch.errors`, never None.
"""

from __future__ import annotations

import contextlib
import logging
import math
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import requests
from protego import Protego

from ingest.fetch.config import FetchSettings, Source
from ingest.fetch.errors import (
    BodyTooLarge,
    DeadlineExceeded,
    DisallowedByRobots,
    FetchError,
    HostNotAllowed,
    HttpStatusError,
    RedirectRefused,
    RetriesExhausted,
    RobotsUnavailable,
    TooManyRedirects,
    TransientFetchError,
    UnexpectedContentType,
    WaitTooLong,
)
from ingest.fetch.policy import (
    Verdict,
    backoff_delay,
    classify,
    decode_location,
    entry_hosts,
    hostname,
    media_type,
    origin,
    parse_retry_after,
    refusal,
    resolve_location,
    robots_url,
    utc_timestamp,
)

log = logging.getLogger("ingest.fetch")

ROBOTS_MAX_BYTES = 512 * 1024  # RFC 9309: parse at least the first 500 KiB
_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class Validators:
    """What makes a GET conditional: the ETag and Last-Modified of the last good response."""

    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        h = {}
        if self.etag:
            h["If-None-Match"] = self.etag
        if self.last_modified:
            h["If-Modified-Since"] = self.last_modified
        return h

    def __bool__(self) -> bool:
        return bool(self.etag or self.last_modified)


@dataclass(frozen=True, slots=True)
class Response:
    """One HTTP response (one hop, redirects not followed). ``body`` is only read for 200/203."""

    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes = b""


@dataclass(frozen=True, slots=True)
class Fetched:
    """A URL fetched to the end of its redirects: 200 with a body, or 304 (``body`` empty)."""

    url: str
    final_url: str
    status: int
    headers: Mapping[str, str]
    body: bytes
    fetched_at: str

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(slots=True)
class FetchStats:
    """Counters for one run (thread-safe through :meth:`add`)."""

    requests: int = 0
    robots_requests: int = 0
    retries: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add_request(self, *, status: int | None = None, error: str | None = None, robots: bool = False) -> None:
        with self._lock:
            self.requests += 1
            self.robots_requests += robots
            if status is not None:
                self.statuses[status] += 1
            if error is not None:
                self.errors[error] += 1

    def add_retry(self) -> None:
        with self._lock:
            self.retries += 1

    def as_dict(self) -> dict[str, object]:
        with self._lock:
            return {
                "requests": self.requests,
                "robots_requests": self.robots_requests,
                "retries": self.retries,
                "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
                "errors": dict(sorted(self.errors.items())),
            }


class LateTurn(Exception):
    """The next free start at a host is after the caller's deadline (nothing was reserved)."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"the next turn is in {wait:.1f} s")
        self.wait = wait


class NoRedirectSession(requests.Session):
    """A Session that never resolves redirects: the fetcher follows them by hand. (With
    ``allow_redirects=False`` requests still works out the next request, decoding ``Location`` as
    UTF-8, and raises ``UnicodeDecodeError`` on other bytes.)"""

    def get_redirect_target(self, resp: requests.Response) -> None:  # type: ignore[override]
        return None


class HostThrottle:
    """At most ``max_concurrent`` requests in flight to one host, request starts ``min_delay`` apart.

    Each request reserves the next start time under a lock, then sleeps outside it, so waiting
    threads are served in order and never all at once. A request with a ``deadline`` (on ``clock``)
    whose turn would come after it raises :class:`LateTurn` without reserving anything.
    """

    def __init__(
        self,
        max_concurrent: int,
        min_delay: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.max_concurrent = max_concurrent
        self.min_delay = min_delay
        self._slots = threading.BoundedSemaphore(max_concurrent)
        self._lock = threading.Lock()
        self._next_start: float | None = None
        self._clock = clock
        self._sleep = sleep

    def slow_down(self, min_delay: float) -> None:
        """Raise the delay (robots.txt Crawl-delay); never lowers it."""
        with self._lock:
            self.min_delay = max(self.min_delay, min_delay)

    @contextlib.contextmanager
    def slot(self, deadline: float | None = None) -> Iterator[None]:
        with self._slots:
            with self._lock:
                now = self._clock()
                start = now if self._next_start is None else max(now, self._next_start)
                if deadline is not None and start > deadline:
                    raise LateTurn(start - now)
                self._next_start = start + self.min_delay
            if start > now:
                self._sleep(start - now)
            yield


def host_limits(sources: list[Source]) -> dict[str, tuple[int, float]]:
    """Per host name (whatever the port), the strictest (max in flight, min delay) of every source
    allowed to fetch from it."""
    limits: dict[str, tuple[int, float]] = {}
    for s in sources:
        for host in entry_hosts(s.allowed_hosts):
            n, d = limits.get(host, (s.max_concurrent_per_host, s.min_delay_seconds))
            limits[host] = (min(n, s.max_concurrent_per_host), max(d, s.min_delay_seconds))
    return limits


class Fetcher:
    """Fetches URLs for one run. Thread-safe: share one instance between every source and worker."""

    def __init__(
        self,
        settings: FetchSettings,
        limits: Mapping[str, tuple[int, float]] | None = None,
        *,
        session_factory: Callable[[], requests.Session] = NoRedirectSession,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self.stats = FetchStats()
        self._limits = dict(limits or {})
        self._session_factory = session_factory
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._rng_lock = threading.Lock()
        self._now = now
        self._local = threading.local()
        self._lock = threading.Lock()
        self._throttles: dict[str, HostThrottle] = {}
        self._robots: dict[str, Protego | FetchError] = {}
        self._robots_locks: dict[str, threading.Lock] = {}

    @classmethod
    def for_sources(cls, settings: FetchSettings, sources: list[Source], **kwargs: object) -> Fetcher:
        return cls(settings, host_limits(sources), **kwargs)  # type: ignore[arg-type]

    # ------------------------------------------------------------------ plumbing

    def _session(self) -> requests.Session:
        s = getattr(self._local, "session", None)
        if s is None:
            s = self._session_factory()
            s.headers["User-Agent"] = self.settings.user_agent
            self._local.session = s
        return s

    def throttle(self, host: str) -> HostThrottle:
        with self._lock:
            t = self._throttles.get(host)
            if t is None:
                n, d = self._limits.get(host, (1, 1.0))
                t = self._throttles[host] = HostThrottle(n, d, clock=self._clock, sleep=self._sleep)
            return t

    def _jitter(self) -> float:
        with self._rng_lock:
            return self._rng.random()

    def _deadline_error(self, url: str, what: str, status: int | None = None) -> DeadlineExceeded:
        return DeadlineExceeded(
            url, f"deadline of {_secs(self.settings.url_deadline_seconds)} s exceeded{what}", status=status
        )

    def _request(
        self,
        url: str,
        headers: Mapping[str, str],
        *,
        content_types: frozenset[str] | None,
        max_bytes: int,
        robots: bool = False,
        truncate: bool = False,
        deadline: float | None = None,
    ) -> Response:
        """One GET, redirects not followed. Reads the body of a 200/203 only, and only when its
        Content-Type is acceptable (``content_types`` None accepts any) and it fits in ``max_bytes``
        (``truncate`` keeps the first ``max_bytes`` instead of failing, for robots.txt). Nothing
        about it outlasts ``deadline`` (on the fetcher's clock) by more than one socket read."""
        host = hostname(url)
        try:
            with self.throttle(host).slot(deadline):
                return self._send(url, headers, content_types, max_bytes, robots, truncate, deadline)
        except LateTurn as e:
            raise self._deadline_error(url, f": the next turn at {host} is in {_secs(round(e.wait, 1))} s") from None

    def _send(
        self,
        url: str,
        headers: Mapping[str, str],
        content_types: frozenset[str] | None,
        max_bytes: int,
        robots: bool,
        truncate: bool,
        deadline: float | None,
    ) -> Response:
        s = self.settings
        connect, read = s.connect_timeout, s.read_timeout
        if deadline is not None:
            left = deadline - self._clock()
            if left <= 0:
                raise self._deadline_error(url, " before the request")
            connect, read = min(connect, left), min(read, left)
        try:
            resp = self._session().get(
                url,
                headers=dict(headers),
                timeout=(connect, read),
                allow_redirects=False,
                stream=True,
            )
        except requests.Timeout as e:
            self.stats.add_request(error="timeout", robots=robots)
            raise TransientFetchError(url, f"timed out: {type(e).__name__}") from e
        except requests.ConnectionError as e:
            self.stats.add_request(error="connection", robots=robots)
            raise TransientFetchError(url, f"connection failed: {_short(e)}") from e
        except requests.RequestException as e:  # invalid URL, too many headers ...
            self.stats.add_request(error=type(e).__name__, robots=robots)
            raise FetchError(url, f"request failed: {_short(e)}") from e
        except UnicodeError as e:  # a session that decodes headers itself (NoRedirectSession does not)
            self.stats.add_request(error=type(e).__name__, robots=robots)
            raise FetchError(url, f"request failed: a header or the URL cannot be decoded: {_short(e)}") from e
        with resp:
            self.stats.add_request(status=resp.status_code, robots=robots)
            hdrs = {k.lower(): v for k, v in resp.headers.items()}
            if classify(resp.status_code) is not Verdict.OK:
                return Response(url, resp.status_code, hdrs)
            mt = media_type(hdrs.get("content-type"))
            if content_types is not None and mt not in content_types:
                raise UnexpectedContentType(
                    url,
                    f"content type {mt or '(none)'!r} is not one of {', '.join(sorted(content_types))}",
                    status=resp.status_code,
                )
            body = self._read_body(resp, url, max_bytes, truncate, deadline)
            return Response(url, resp.status_code, hdrs, body)

    def _read_body(
        self, resp: requests.Response, url: str, max_bytes: int, truncate: bool, deadline: float | None = None
    ) -> bytes:
        declared = resp.headers.get("Content-Length")
        if not truncate and declared and declared.isdigit() and int(declared) > max_bytes:
            raise BodyTooLarge(
                url, f"body of {int(declared)} bytes exceeds max_bytes {max_bytes} (not downloaded)", status=resp.status_code
            )
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in _body_chunks(resp):
                size += len(chunk)
                if size > max_bytes:
                    if truncate:
                        chunks.append(chunk[: len(chunk) - (size - max_bytes)])
                        break
                    raise BodyTooLarge(
                        url, f"body exceeds max_bytes {max_bytes} (download stopped)", status=resp.status_code
                    )
                chunks.append(chunk)
                if deadline is not None and self._clock() > deadline:
                    raise self._deadline_error(
                        url, f" while reading the body ({size} bytes so far, download stopped)", resp.status_code
                    )
        except requests.exceptions.ContentDecodingError as e:
            raise FetchError(url, f"body cannot be decoded: {_short(e)}", status=resp.status_code) from e
        except requests.RequestException as e:  # read timeout, reset connection, broken chunking
            raise TransientFetchError(url, f"connection broke while reading the body: {_short(e)}") from e
        return b"".join(chunks)

    def _with_retries(self, attempt: Callable[[], Response], url: str, deadline: float | None = None) -> Response:
        """Run ``attempt`` until it returns a response that is not worth retrying, or give up (after
        ``max_attempts``, at a Retry-After over ``max_retry_after``, or when the wait before the next
        attempt would pass ``deadline``)."""
        s = self.settings
        for n in range(1, s.max_attempts + 1):
            try:
                resp = attempt()
                if classify(resp.status) is not Verdict.RETRY:
                    return resp
                wait = parse_retry_after(resp.headers.get("retry-after"), self._now())
                error = TransientFetchError(url, f"HTTP {resp.status}", status=resp.status, retry_after=wait)
            except TransientFetchError as e:
                error = e
            if error.retry_after is not None and error.retry_after > s.max_retry_after:
                raise RetriesExhausted(
                    url,
                    f"{error.reason}: Retry-After {error.retry_after:.0f} s exceeds max_retry_after {s.max_retry_after:.0f} s",
                    status=error.status,
                    attempts=n,
                )
            if n == s.max_attempts:
                break
            delay = backoff_delay(n, s.backoff_base, s.backoff_max, self._jitter(), error.retry_after)
            if deadline is not None and self._clock() + delay > deadline:
                raise self._deadline_error(
                    url, f": {error.reason} after {n} attempt(s), and the retry in {_secs(round(delay, 1))} s would pass it",
                    error.status,
                )
            log.info("retry %d of %s in %.1f s: %s", n, url, delay, error.reason)
            self.stats.add_retry()
            self._sleep(delay)
        raise RetriesExhausted(
            url, f"{error.reason} (gave up after {s.max_attempts} attempts)", status=error.status, attempts=s.max_attempts
        )

    # ------------------------------------------------------------------ robots.txt

    def _robots_for(self, url: str, allowed_hosts: frozenset[str], deadline: float | None = None) -> Protego | FetchError:
        key = origin(url)
        with self._lock:
            lock = self._robots_locks.setdefault(key, threading.Lock())
        with lock:  # once per origin per run, even with many threads waiting on it
            if key not in self._robots:
                rules = self._load_robots(url, allowed_hosts, deadline)
                if isinstance(rules, Protego):
                    rules = self._obey_crawl_delay(url, rules)
                self._robots[key] = rules
            return self._robots[key]

    def _obey_crawl_delay(self, url: str, rules: Protego) -> Protego | FetchError:
        """Slow the host down to robots.txt's Crawl-delay; one over ``max_crawl_delay`` puts the
        origin off limits for this run instead (a wait without bound would stall the run)."""
        delay = rules.crawl_delay(self.settings.robots_agent)
        if delay is None or math.isnan(float(delay)) or float(delay) <= 0:
            return rules
        delay, cap = float(delay), self.settings.max_crawl_delay
        if delay > cap:
            return WaitTooLong(
                url,
                f"robots.txt asks for a {_secs(delay)} s crawl delay, over the {_secs(cap)} s cap "
                "(max_crawl_delay): not fetching from this host",
            )
        self.throttle(hostname(url)).slow_down(delay)
        return rules

    def _load_robots(self, url: str, allowed_hosts: frozenset[str], deadline: float | None = None) -> Protego | FetchError:
        """RFC 9309: 2xx -> the rules; 4xx (or a redirect we cannot follow) -> no rules; 5xx or
        unreachable -> the host is treated as fully disallowed for this run."""
        target = robots_url(url)
        for _ in range(6):  # the first request and up to 5 redirects
            try:
                resp = self._with_retries(
                    lambda t=target: self._request(
                        t, {}, content_types=None, max_bytes=ROBOTS_MAX_BYTES, robots=True, truncate=True, deadline=deadline
                    ),
                    target,
                    deadline,
                )
            except FetchError as e:
                return RobotsUnavailable(url, f"robots.txt unreachable ({e.reason}): not fetching from this host", status=e.status)
            verdict = classify(resp.status)
            if verdict is Verdict.OK:
                return Protego.parse(resp.body.decode("utf-8", errors="replace"))
            if verdict is Verdict.REDIRECT and resp.headers.get("location"):
                try:
                    target = resolve_location(target, decode_location(resp.headers["location"]))
                except ValueError:
                    break
                if refusal(target, allowed_hosts) is None:
                    continue
            return Protego.parse("")  # 4xx, 304, a refused redirect: no restrictions
        return Protego.parse("")

    def check_robots(self, url: str, allowed_hosts: frozenset[str], deadline: float | None = None) -> None:
        rules = self._robots_for(url, allowed_hosts, deadline)
        if isinstance(rules, FetchError):
            raise type(rules)(url, rules.reason, status=rules.status)
        if not rules.can_fetch(url, self.settings.robots_agent):
            raise DisallowedByRobots(url, f"disallowed by {robots_url(url)} for {self.settings.robots_agent}")

    # ------------------------------------------------------------------ the public call

    def fetch(
        self,
        url: str,
        *,
        allowed_hosts: frozenset[str],
        content_types: frozenset[str],
        validators: Validators | None = None,
    ) -> Fetched:
        """GET ``url``, following redirects within ``allowed_hosts``; conditional when ``validators``.

        Returns a 200 with its body or a 304; raises a :class:`FetchError` subclass otherwise, at the
        latest ``url_deadline_seconds`` after the call (:class:`DeadlineExceeded`).
        """
        why = refusal(url, allowed_hosts)
        if why is not None:
            raise HostNotAllowed(url, why)
        deadline = self._clock() + self.settings.url_deadline_seconds
        headers = {"Accept": ", ".join(sorted(content_types)) + ", */*;q=0.1"}
        if validators:
            headers.update(validators.headers())
        current = url
        for hop in range(self.settings.max_redirects + 1):
            self.check_robots(current, allowed_hosts, deadline)
            resp = self._with_retries(
                lambda c=current: self._request(
                    c, headers, content_types=content_types, max_bytes=self.settings.max_bytes, deadline=deadline
                ),
                current,
                deadline,
            )
            verdict = classify(resp.status)
            if verdict is Verdict.OK or (verdict is Verdict.NOT_MODIFIED and validators):
                return Fetched(url, current, resp.status, resp.headers, resp.body, utc_timestamp(self._now()))
            if verdict is Verdict.NOT_MODIFIED:
                raise HttpStatusError(url, "304 Not Modified to an unconditional request", status=304)
            if verdict is Verdict.REDIRECT:
                location = resp.headers.get("location")
                if not location:
                    raise HttpStatusError(url, f"HTTP {resp.status} without a Location header", status=resp.status)
                location = decode_location(location)
                try:
                    target = resolve_location(current, location)
                except ValueError as e:
                    raise RedirectRefused(
                        url, f"HTTP {resp.status} redirect to {location!r} refused: not a URL ({e})", status=resp.status
                    ) from None
                why = refusal(target, allowed_hosts)
                if why is not None:
                    raise RedirectRefused(url, f"HTTP {resp.status} redirect to {target} refused: {why}", status=resp.status)
                if hop == self.settings.max_redirects:
                    break
                current = target
                continue
            raise HttpStatusError(url, f"HTTP {resp.status}{_reason_phrase(resp.status)}", status=resp.status)
        raise TooManyRedirects(url, f"more than {self.settings.max_redirects} redirects", status=resp.status)


def _body_chunks(resp: requests.Response) -> Iterator[bytes]:
    """The decoded body, as the bytes arrive: ``read1`` returns after one socket read, so a body
    trickling in is seen (and cut at the deadline) between reads, not only every 64 KiB. urllib3's
    errors become requests' as in ``iter_content``."""
    raw = resp.raw
    if not hasattr(raw, "read1"):
        yield from resp.iter_content(_CHUNK)
        return
    from urllib3.exceptions import DecodeError, ProtocolError, ReadTimeoutError, SSLError

    try:
        while chunk := raw.read1(_CHUNK, decode_content=True):
            yield chunk
    except ProtocolError as e:
        raise requests.exceptions.ChunkedEncodingError(e) from e
    except DecodeError as e:
        raise requests.exceptions.ContentDecodingError(e) from e
    except ReadTimeoutError as e:
        raise requests.exceptions.ConnectionError(e) from e
    except SSLError as e:
        raise requests.exceptions.SSLError(e) from e


def _secs(seconds: float) -> str:
    """``100000000.0`` -> ``'100000000'``, ``0.5`` -> ``'0.5'``."""
    return f"{seconds:.0f}" if math.isfinite(seconds) and seconds == round(seconds) else f"{seconds:g}"


def _short(e: Exception) -> str:
    text = str(e) or type(e).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _reason_phrase(status: int) -> str:
    from http import HTTPStatus

    try:
        return f" {HTTPStatus(status).phrase}"
    except ValueError:
        return ""
