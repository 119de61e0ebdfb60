"""The sources file (TOML): which pages to fetch, from which hosts, on which schedule, how politely.

::

    [fetch]                        # optional; every key has a default
    user_agent = "ingest-fetch/0.1 (...; contact ...)"
    connect_timeout = 10.0         # seconds
    read_timeout = 30.0            # seconds between bytes
    max_bytes = 10485760           # a larger body is not downloaded
    max_attempts = 4               # first try + 3 retries (timeouts, connection errors, 429, 5xx)
    backoff_base = 1.0             # seconds; doubled each retry, with jitter
    backoff_max = 60.0
    max_retry_after = 300.0        # a longer Retry-After gives up on the URL for this run
    max_crawl_delay = 60.0         # a longer robots.txt Crawl-delay: the host's URLs fail for this run
    url_deadline_seconds = 600.0   # total per URL (robots.txt, turns, retries, slow bodies); then it fails
    max_redirects = 5

    [[sources]]
    name = "nci-leukemia"          # also the folder under RAW_DIR and the deployment name
    publisher = "NCI"
    allowed_hosts = ["www.cancer.gov"]   # "host": ports 80 (http) and 443 (https) only; "host:port": that port
    urls = ["https://www.cancer.gov/types/leukemia/patient/cll-treatment-pdq"]
    schedule = "0 6 * * 1"         # optional cron (5 fields) for the deployment; none: fetched on demand only
    timezone = "UTC"               # of the schedule
    max_concurrent_per_host = 2    # requests in flight to one host
    min_delay_seconds = 1.0        # between two request starts to one host (robots.txt Crawl-delay wins if longer)
    content_types = ["text/html", "application/xhtml+xml"]

An allowed origin is scheme + host + port: the URLs, every redirect hop and robots.txt are checked
against ``allowed_hosts``, so a redirect to another port of an allowed host is refused unless that
``host:port`` is listed. Every wait a server can ask for is capped (``backoff_max``,
``max_retry_after``, ``max_crawl_delay``) and one URL never takes longer than
``url_deadline_seconds`` in all: past it the URL fails for this run (``DeadlineExceeded``).

Parsing is pure (:func:`parse_sources`); a malformed file raises :class:`SourcesFileError` naming the
line, the source (index and name) and the field of every problem, one problem per line.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from ingest import __version__
from ingest.fetch.errors import SourcesFileError
from ingest.fetch.policy import EXTENSIONS, refusal

DEFAULT_USER_AGENT = f"ingest-fetch/{__version__} (patient cancer-information pipeline; python-requests)"
_NAME = r"^[a-z0-9][a-z0-9_-]{0,63}$"
_HOST = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[1-9][0-9]{0,4})?$")
_TOML_POS = re.compile(r"\(at line (\d+), column \d+\)")
_SOURCES_HEADER = re.compile(r"^\s*\[\[\s*sources\s*\]\]")
_TABLE_HEADER = re.compile(r"^\s*\[")


def _cron(value: str) -> str:
    from cronsim import CronSim, CronSimError

    if len(value.split()) != 5:
        raise ValueError(f"cron {value!r} must have 5 fields (minute hour day-of-month month day-of-week)")
    try:
        CronSim(value, datetime(2026, 1, 1))
    except CronSimError as e:
        raise ValueError(f"invalid cron {value!r}: {e}") from None
    return value


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (use an IANA name such as 'UTC' or 'America/New_York')") from None
    return value


def _host(value: str) -> str:
    if not _HOST.match(value) or int(value.rpartition(":")[2] if ":" in value else 1) > 65535:
        raise ValueError(f"{value!r} is not a lowercase host name or host:port (no scheme or path)")
    return value


def _content_type(value: str) -> str:
    if value not in EXTENSIONS:
        raise ValueError(f"{value!r} is not one of {', '.join(sorted(EXTENSIONS))}")
    return value


class FetchSettings(BaseModel):
    """HTTP settings shared by every source (the ``[fetch]`` table)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    user_agent: str = Field(DEFAULT_USER_AGENT, min_length=1)
    connect_timeout: float = Field(10.0, gt=0)
    read_timeout: float = Field(30.0, gt=0)
    max_bytes: int = Field(10 * 2**20, gt=0)
    max_attempts: int = Field(4, ge=1, le=10)
    backoff_base: float = Field(1.0, ge=0)
    backoff_max: float = Field(60.0, ge=0)
    max_retry_after: float = Field(300.0, ge=0)
    max_crawl_delay: float = Field(60.0, ge=0)
    url_deadline_seconds: float = Field(600.0, gt=0)
    max_redirects: int = Field(5, ge=0, le=20)

    @property
    def robots_agent(self) -> str:
        """The product token robots.txt groups are matched against (``ingest-fetch``)."""
        return self.user_agent.split("/", 1)[0].split()[0]


class Source(BaseModel):
    """One ``[[sources]]`` entry."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    name: str = Field(pattern=_NAME)
    publisher: str = Field(min_length=1)
    allowed_hosts: list[Annotated[str, AfterValidator(_host)]] = Field(min_length=1)
    urls: list[str] = Field(min_length=1)
    schedule: Annotated[str, AfterValidator(_cron)] | None = None
    timezone: Annotated[str, AfterValidator(_timezone)] = "UTC"
    max_concurrent_per_host: int = Field(2, ge=1, le=16)
    min_delay_seconds: float = Field(1.0, ge=0)
    content_types: list[Annotated[str, AfterValidator(_content_type)]] = Field(
        default_factory=lambda: ["text/html", "application/xhtml+xml"], min_length=1
    )

    @property
    def hosts(self) -> frozenset[str]:
        return frozenset(self.allowed_hosts)


class SourcesFile(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    fetch: FetchSettings = Field(default_factory=FetchSettings)
    sources: list[Source] = Field(min_length=1)

    def select(self, names: Sequence[str] | None, path: str = "sources file") -> list[Source]:
        """The sources named (all when ``names`` is None or empty), in file order."""
        if not names:
            return list(self.sources)
        known = {s.name for s in self.sources}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise SourcesFileError(
                path, f"no source named {', '.join(map(repr, unknown))} (it has: {', '.join(sorted(known))})"
            )
        return [s for s in self.sources if s.name in set(names)]


# --------------------------------------------------------------------------- parsing


def load_sources(path: Path) -> SourcesFile:
    """Read and parse a sources file; :class:`SourcesFileError` when it is missing or malformed."""
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise SourcesFileError(str(path), "sources file not found") from None
    except UnicodeDecodeError as e:
        raise SourcesFileError(str(path), f"not UTF-8: {e}") from None
    except OSError as e:
        raise SourcesFileError(str(path), f"cannot read: {e.strerror or e}") from None
    return parse_sources(text, str(path))


def parse_sources(text: str, path: str = "sources.toml") -> SourcesFile:
    """Parse the TOML text of a sources file (pure). Every problem is reported, each with its line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = _TOML_POS.search(str(e))
        line = int(m.group(1)) if m else max(1, len(text.splitlines()))
        raise SourcesFileError(path, f"TOML syntax error: {_TOML_POS.sub('', str(e)).strip()}", line=line) from None
    lines = text.splitlines()
    try:
        spec = SourcesFile.model_validate(data)
    except ValidationError as e:
        problems = [(tuple(err["loc"]), err.get("input"), _message(err)) for err in e.errors()]
        raise _error(path, lines, data, problems) from None
    problems = _cross_checks(spec)
    if problems:
        raise _error(path, lines, data, problems)
    return spec


def _message(err: dict[str, Any]) -> str:
    msg = str(err["msg"])
    return msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")


def _cross_checks(spec: SourcesFile) -> list[tuple[tuple[Any, ...], Any, str]]:
    """What the per-field validation cannot see: duplicate names and URLs, URLs outside allowed_hosts."""
    problems: list[tuple[tuple[Any, ...], Any, str]] = []
    seen_names: dict[str, int] = {}
    for i, s in enumerate(spec.sources):
        if s.name in seen_names:
            problems.append((("sources", i, "name"), s.name, f"duplicate name (also sources[{seen_names[s.name]}])"))
        seen_names.setdefault(s.name, i)
        seen_urls: set[str] = set()
        for k, url in enumerate(s.urls):
            why = refusal(url, s.hosts)
            if why is not None:
                problems.append((("sources", i, "urls", k), url, f"{url!r}: {why}"))
            elif url in seen_urls:
                problems.append((("sources", i, "urls", k), url, f"{url!r} is listed twice"))
            seen_urls.add(url)
    return problems


def _error(
    path: str, lines: list[str], data: Any, problems: list[tuple[tuple[Any, ...], Any, str]]
) -> SourcesFileError:
    """One SourcesFileError listing every problem, one per line, as ``FILE:LINE: where: field: message``
    (``line`` and ``field`` are the first problem's; ``problem_lines`` holds every line)."""
    rendered: list[tuple[int | None, str]] = []
    for loc, value, msg in problems:
        rendered.append((_locate(lines, data, loc, value), f"{_describe(data, loc)}: {msg}"))
    first_line, first = rendered[0]
    more = [f"{path}:{ln if ln is not None else '?'}: {what}" for ln, what in rendered[1:]]
    return SourcesFileError(path, "\n".join([first, *more]), line=first_line, field=_field(problems[0][0]))


def _field(loc: tuple[Any, ...]) -> str:
    """``("sources", 1, "urls", 2)`` -> ``urls[2]``; ``("fetch", "max_bytes")`` -> ``max_bytes``."""
    rest = loc[2:] if loc[:1] == ("sources",) and len(loc) > 1 else loc[1:] if loc[:1] == ("fetch",) else loc
    out = ""
    for part in rest:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(entry)"


def _describe(data: Any, loc: tuple[Any, ...]) -> str:
    if loc[:1] == ("sources",) and len(loc) > 1 and isinstance(loc[1], int):
        name = None
        sources = data.get("sources") if isinstance(data, dict) else None
        if isinstance(sources, list) and loc[1] < len(sources) and isinstance(sources[loc[1]], dict):
            name = sources[loc[1]].get("name")
        who = f"sources[{loc[1]}]" + (f" ({name!r})" if isinstance(name, str) else "")
        return f"{who}: field {_field(loc)!r}" if len(loc) > 2 else who
    if loc[:1] == ("fetch",) and len(loc) > 1:
        return f"[fetch]: field {_field(loc)!r}"
    return f"field {'.'.join(map(str, loc))!r}" if loc else "file"


def _table_span(lines: list[str], loc: tuple[Any, ...], data: Any) -> tuple[int, int] | None:
    """0-based [start, end) line span of the table ``loc`` points into (a [[sources]] entry or [fetch])."""
    if loc[:1] == ("sources",) and len(loc) > 1 and isinstance(loc[1], int):
        headers = [i for i, ln in enumerate(lines) if _SOURCES_HEADER.match(ln)]
        if loc[1] < len(headers):
            start = headers[loc[1]]
        else:  # inline array of tables: fall back to the line naming the source
            sources = data.get("sources") if isinstance(data, dict) else None
            name = sources[loc[1]].get("name") if isinstance(sources, list) and loc[1] < len(sources) and isinstance(sources[loc[1]], dict) else None
            hits = [i for i, ln in enumerate(lines) if isinstance(name, str) and f'"{name}"' in ln]
            return (hits[0], hits[0] + 1) if hits else None
    elif loc[:1] == ("fetch",):
        hits = [i for i, ln in enumerate(lines) if re.match(r"^\s*\[\s*fetch\s*\]", ln)]
        if not hits:
            return None
        start = hits[0]
    else:
        return None
    end = next((i for i in range(start + 1, len(lines)) if _TABLE_HEADER.match(lines[i])), len(lines))
    return start, end


def _locate(lines: list[str], data: Any, loc: tuple[Any, ...], value: Any) -> int | None:
    """1-based line of the problem: the offending string value, else the field's key, else the table."""
    span = _table_span(lines, loc, data)
    if span is None:
        return None
    start, end = span
    if isinstance(value, str) and value:
        needle = f'"{value}"'
        for i in range(start, end):
            if needle in lines[i] or f"'{value}'" in lines[i]:
                return i + 1
    key = next((p for p in loc[2 if loc[0] == "sources" else 1 :] if isinstance(p, str)), None)
    if key is not None:
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
        for i in range(start, end):
            if pattern.match(lines[i]):
                return i + 1
    return start + 1
