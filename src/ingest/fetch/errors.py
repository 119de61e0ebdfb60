"""Fetch errors, organised by what the caller should do (extends the tree in :mod:`ingest.core.errors`).

::

    IngestError
    ├── SourcesFileError          the sources file is malformed: fix it (the CLI exits 2); names line and field
    ├── FetchError                this URL cannot be fetched in this run: report it in the manifest's
    │   │                         ``fetch_failures``, keep the previous snapshot and record, go on
    │   ├── HttpStatusError           4xx other than 429 (404, 410, 403 ...) or an unexpected status
    │   ├── HostNotAllowed            the URL's host is not in the source's ``allowed_hosts``
    │   ├── RedirectRefused           a redirect to an origin (scheme, host, port) ``allowed_hosts`` does not
    │   │                             list, not http/https, or a Location that is not a URL
    │   ├── TooManyRedirects          more hops than ``max_redirects``
    │   ├── DisallowedByRobots        robots.txt forbids it (never requested)
    │   ├── RobotsUnavailable         robots.txt answered 5xx / was unreachable: the host is off limits
    │   ├── BodyTooLarge              the body exceeds ``max_bytes`` (the download is stopped)
    │   ├── WaitTooLong               robots.txt asks for a Crawl-delay over ``max_crawl_delay``: the host is
    │   │                             off limits for this run
    │   ├── DeadlineExceeded          the URL would take more than ``url_deadline_seconds`` in all (turns,
    │   │                             retries, Retry-After, a slow body): given up for this run
    │   ├── UnexpectedContentType     the Content-Type is not one the source accepts
    │   └── RetriesExhausted          transient errors until the last attempt (or a Retry-After too long)
    └── RetryableError
        └── TransientFetchError   timeout, connection error, 429, 5xx: retried with backoff, never reported
                                  as such (after the last attempt it becomes RetriesExhausted)

Every fetch error carries the ``url``, the HTTP ``status`` when there was one, and a ``reason``.
"""

from __future__ import annotations

from ingest.core.errors import IngestError, RetryableError


class SourcesFileError(IngestError):
    """The sources file cannot be used. ``str()`` is ``FILE:LINE: message`` (LINE when known); a file
    with several problems has one ``FILE:LINE: message`` line per problem, listed in ``problem_lines``."""

    def __init__(self, path: str, message: str, *, line: int | None = None, field: str | None = None) -> None:
        self.path = path
        self.line = line
        self.field = field
        self.message = message
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}")

    @property
    def problem_lines(self) -> list[str]:
        """One line per problem, each ``FILE:LINE: where: field: message``."""
        return str(self).splitlines()


class FetchError(IngestError):
    """A terminal failure for one URL in this run (no retry would help now)."""

    def __init__(self, url: str, reason: str, *, status: int | None = None) -> None:
        super().__init__(reason)
        self.url = url
        self.reason = reason
        self.status = status

    @property
    def kind(self) -> str:
        return type(self).__name__

    def __str__(self) -> str:
        return f"{self.url}: {self.reason}"


class HttpStatusError(FetchError):
    pass


class HostNotAllowed(FetchError):
    pass


class RedirectRefused(FetchError):
    pass


class TooManyRedirects(FetchError):
    pass


class DisallowedByRobots(FetchError):
    pass


class RobotsUnavailable(FetchError):
    pass


class BodyTooLarge(FetchError):
    pass


class UnexpectedContentType(FetchError):
    pass


class WaitTooLong(FetchError):
    pass


class DeadlineExceeded(FetchError):
    pass


class RetriesExhausted(FetchError):
    """The last transient error, after ``attempts`` tries."""

    def __init__(self, url: str, reason: str, *, status: int | None = None, attempts: int = 0) -> None:
        super().__init__(url, reason, status=status)
        self.attempts = attempts


class TransientFetchError(RetryableError):
    """One attempt failed in a way that may succeed later; ``retry_after`` in seconds when the server said."""

    def __init__(
        self, url: str, reason: str, *, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(reason, retry_after=retry_after)
        self.url = url
        self.status = status
