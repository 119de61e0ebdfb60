"""The HTTP client against `responses` mocks: statuses, retries, redirects, robots.txt, limits.

No test sleeps: the fetcher's ``sleep`` records the waits it would make, and the jitter source is
fixed at 0 so every backoff is exactly half its exponential step.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
import responses

from ingest.fetch.client import Fetcher, HostThrottle, Validators, host_limits
from ingest.fetch.config import FetchSettings, Source
from ingest.fetch.errors import FetchError

PAGE = "https://www.cancer.gov/types/leukemia/patient/cll-treatment-pdq"
ROBOTS = "https://www.cancer.gov/robots.txt"
HOSTS = frozenset({"www.cancer.gov"})
HTML = frozenset({"text/html", "application/xhtml+xml"})
BODY = b"<html><h1>Chronic Lymphocytic Leukemia Treatment</h1></html>"


class ZeroJitter:
    def random(self) -> float:
        return 0.0


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(round(seconds, 3))


def make_fetcher(sleeps: Sleeps | None = None, **settings: Any) -> Fetcher:
    return Fetcher(
        FetchSettings(**{"backoff_base": 1.0, "max_attempts": 4, **settings}),
        {"www.cancer.gov": (2, 0.0)},
        sleep=sleeps if sleeps is not None else Sleeps(),
        rng=ZeroJitter(),  # type: ignore[arg-type]
        now=lambda: datetime(2026, 1, 5, 6, 0, tzinfo=UTC),
    )


@pytest.fixture
def mock():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as r:
        yield r


def html(status: int = 200, body: bytes = BODY, **headers: str) -> dict[str, Any]:
    return {"status": status, "body": body, "headers": {"Content-Type": "text/html; charset=UTF-8", **headers}}


def page_calls(mock: responses.RequestsMock) -> list[str]:
    return [c.request.url for c in mock.calls if not c.request.url.endswith("/robots.txt")]


# Each case: (responses for PAGE in order, extra URL -> response, validators, expected status or error
# kind, expected page requests, expected sleeps)
CASES = {
    "a_200_returns_the_body": ([html(ETag='"v1"')], {}, None, 200, 1, []),
    "a_304_costs_no_download": ([{"status": 304, "headers": {"ETag": '"v1"'}}], {}, Validators('"v1"'), 304, 1, []),
    "a_301_to_an_allowed_host_is_followed": (
        [{"status": 301, "headers": {"Location": "/types/leukemia/patient/cll-treatment-pdq-new"}}],
        {PAGE + "-new": html()},
        None, 200, 2, [],
    ),
    "a_301_to_another_host_is_refused_and_never_requested": (
        [{"status": 301, "headers": {"Location": "https://evil.example/cll"}}],
        {"https://evil.example/cll": html()},
        None, "RedirectRefused", 1, [],
    ),
    "a_redirect_to_a_non_http_scheme_is_refused": (
        [{"status": 302, "headers": {"Location": "file:///etc/passwd"}}], {}, None, "RedirectRefused", 1, [],
    ),
    "a_404_fails_without_retry": ([html(404)], {}, None, "HttpStatusError", 1, []),
    "a_410_fails_without_retry": ([html(410)], {}, None, "HttpStatusError", 1, []),
    "a_403_fails_without_retry": ([html(403)], {}, None, "HttpStatusError", 1, []),
    "a_429_waits_as_long_as_retry_after_says": ([html(429, **{"Retry-After": "7"}), html()], {}, None, 200, 2, [7.0]),
    "a_429_with_an_http_date_retry_after_is_honoured": (
        [html(429, **{"Retry-After": "Mon, 05 Jan 2026 06:00:30 GMT"}), html()], {}, None, 200, 2, [30.0],
    ),
    "a_retry_after_beyond_the_limit_gives_up_at_once": (
        [html(429, **{"Retry-After": "3600"})], {}, None, "RetriesExhausted", 1, [],
    ),
    "a_503_then_200_is_retried_with_exponential_backoff": ([html(503), html(503), html()], {}, None, 200, 3, [0.5, 1.0]),
    "four_503s_exhaust_the_retries": ([html(503)] * 4, {}, None, "RetriesExhausted", 4, [0.5, 1.0, 2.0]),
    "a_connect_timeout_is_retried": (
        [{"body": requests.exceptions.ConnectTimeout("slow")}, html()], {}, None, 200, 2, [0.5],
    ),
    "read_timeouts_exhaust_the_retries": (
        [{"body": requests.exceptions.ReadTimeout("slow")}] * 4, {}, None, "RetriesExhausted", 4, [0.5, 1.0, 2.0],
    ),
    "a_connection_error_is_retried": (
        [{"body": requests.exceptions.ConnectionError("reset")}, html()], {}, None, 200, 2, [0.5],
    ),
    "a_declared_oversized_body_is_not_downloaded": (
        [html(body=b"x" * 2000, **{"Content-Length": "2000"})], {}, None, "BodyTooLarge", 1, [],
    ),
    "an_undeclared_oversized_body_is_cut_off": ([html(body=b"x" * 200_000)], {}, None, "BodyTooLarge", 1, []),
    "a_wrong_content_type_is_refused_without_retry": (
        [{"status": 200, "body": b"%PDF-1.7", "headers": {"Content-Type": "application/pdf"}}],
        {}, None, "UnexpectedContentType", 1, [],
    ),
    "a_body_that_does_not_decode_fails_without_retry": (
        [html(body=b"not gzip at all", **{"Content-Encoding": "gzip"})], {}, None, "FetchError", 1, [],
    ),
    "a_missing_content_type_is_refused": ([{"status": 200, "body": BODY}], {}, None, "UnexpectedContentType", 1, []),
    "a_304_to_an_unconditional_request_is_an_error": ([{"status": 304}], {}, None, "HttpStatusError", 1, []),
    "a_redirect_loop_stops_after_max_redirects": (
        [{"status": 302, "headers": {"Location": PAGE}}], {}, None, "TooManyRedirects", 6, [],
    ),
    # issue 16: an allowed origin is scheme + host + port ("www.cancer.gov" = 80 for http, 443 for https)
    "a_redirect_to_another_port_of_the_allowed_host_is_refused": (
        [{"status": 301, "headers": {"Location": "https://www.cancer.gov:8443/cll"}}],
        {"https://www.cancer.gov:8443/cll": html()}, None, "RedirectRefused", 1, [],
    ),
    "a_redirect_to_http_on_another_port_is_refused": (
        [{"status": 302, "headers": {"Location": "http://www.cancer.gov:8080/cll"}}],
        {"http://www.cancer.gov:8080/cll": html()}, None, "RedirectRefused", 1, [],
    ),
    "a_redirect_to_the_default_port_written_out_is_followed": (
        [{"status": 301, "headers": {"Location": "https://www.cancer.gov:443/cll"}}],
        {"https://www.cancer.gov:443/cll": html()}, None, 200, 2, [],
    ),
    # issue 16: Location bytes as HTTP gives them (latin-1 decoded), non-ASCII percent-encoded
    "a_non_utf8_location_is_percent_encoded_and_followed": (
        [{"status": 301, "headers": {"Location": "/types/caf\xe9"}}],
        {"https://www.cancer.gov/types/caf%E9": html()}, None, 200, 2, [],
    ),
    "a_utf8_location_is_percent_encoded_and_followed": (
        [{"status": 301, "headers": {"Location": "/types/caf\xc3\xa9 au lait"}}],
        {"https://www.cancer.gov/types/caf%C3%A9%20au%20lait": html()}, None, 200, 2, [],
    ),
    "a_location_that_is_not_a_url_is_refused": (
        [{"status": 302, "headers": {"Location": "http://[::1/x"}}], {}, None, "RedirectRefused", 1, [],
    ),
}


@pytest.mark.parametrize(
    ("page", "others", "validators", "expected", "page_requests", "sleeps"), CASES.values(), ids=CASES.keys()
)
def test_each_http_answer_ends_in_the_right_result(
    mock, page, others, validators, expected, page_requests, sleeps
) -> None:
    mock.add(responses.GET, ROBOTS, body="User-agent: *\nDisallow: /search\n", content_type="text/plain")
    for kwargs in page:
        mock.add(responses.GET, PAGE, **kwargs)
    for url, kwargs in others.items():
        mock.add(responses.GET, url, **kwargs)
    waited = Sleeps()
    fetcher = make_fetcher(waited, max_bytes=1000)
    try:
        result: Any = fetcher.fetch(PAGE, allowed_hosts=HOSTS, content_types=HTML, validators=validators)
        got = result.status
    except FetchError as e:
        got = e.kind
        assert e.url == PAGE and e.reason and "unexpected" not in e.reason
    assert got == expected
    assert len(page_calls(mock)) == page_requests
    assert "https://evil.example/cll" not in page_calls(mock)
    assert waited == sleeps
    assert fetcher.stats.retries == len(sleeps)


def test_a_200_carries_body_final_url_headers_and_fetch_time(mock) -> None:
    mock.add(responses.GET, ROBOTS, status=404)
    mock.add(responses.GET, PAGE, status=301, headers={"Location": "https://www.cancer.gov/cll"})
    mock.add(responses.GET, "https://www.cancer.gov/cll", **html(ETag='"v2"', **{"Last-Modified": "Fri, 22 Mar 2024 21:49:19 GMT"}))
    got = make_fetcher().fetch(PAGE, allowed_hosts=HOSTS, content_types=HTML)
    assert (got.url, got.final_url, got.status, got.body) == (PAGE, "https://www.cancer.gov/cll", 200, BODY)
    assert got.headers["etag"] == '"v2"' and got.headers["last-modified"].startswith("Fri, 22 Mar 2024")
    assert got.fetched_at == "2026-01-05T06:00:00Z"


def test_validators_go_out_as_if_none_match_and_if_modified_since_with_user_agent_and_timeouts(mock) -> None:
    mock.add(responses.GET, ROBOTS, status=404)
    mock.add(responses.GET, PAGE, status=304)
    fetcher = make_fetcher(connect_timeout=3.0, read_timeout=9.0)
    fetcher.fetch(PAGE, allowed_hosts=HOSTS, content_types=HTML, validators=Validators('"v1"', "Fri, 22 Mar 2024 21:49:19 GMT"))
    request = mock.calls[-1].request
    assert request.headers["If-None-Match"] == '"v1"'
    assert request.headers["If-Modified-Since"] == "Fri, 22 Mar 2024 21:49:19 GMT"
    assert request.headers["User-Agent"].startswith("ingest-fetch/")
    assert request.req_kwargs["timeout"] == (3.0, 9.0)
    assert request.req_kwargs["stream"] is True


ROBOTS_CASES = {
    "a_disallowed_url_is_never_requested": (
        {"status": 200, "body": "User-agent: *\nDisallow: /types/\n"}, "DisallowedByRobots"),
    "rules_for_our_agent_win_over_the_wildcard": (
        {"status": 200, "body": "User-agent: *\nAllow: /\n\nUser-agent: ingest-fetch\nDisallow: /types/leukemia\n"},
        "DisallowedByRobots"),
    "a_robots_txt_5xx_keeps_the_whole_host_off_limits": ({"status": 503}, "RobotsUnavailable"),
    "an_unreachable_robots_txt_keeps_the_whole_host_off_limits": (
        {"body": requests.exceptions.ConnectionError("refused")}, "RobotsUnavailable"),
    "a_missing_robots_txt_allows_everything": ({"status": 404}, 200),
    "a_robots_txt_for_other_agents_allows_us": (
        {"status": 200, "body": "User-agent: BadBot\nDisallow: /\n"}, 200),
}


@pytest.mark.parametrize(("robots", "expected"), ROBOTS_CASES.values(), ids=ROBOTS_CASES.keys())
def test_robots_txt_is_obeyed(mock, robots, expected) -> None:
    mock.add(responses.GET, ROBOTS, **robots)
    mock.add(responses.GET, PAGE, **html())
    try:
        got: Any = make_fetcher(max_attempts=2).fetch(PAGE, allowed_hosts=HOSTS, content_types=HTML).status
    except FetchError as e:
        got = e.kind
    assert got == expected
    assert len(page_calls(mock)) == (1 if expected == 200 else 0)


def test_robots_txt_is_fetched_once_per_host_per_run_even_from_many_threads(mock) -> None:
    mock.add(responses.GET, ROBOTS, body="User-agent: *\nDisallow: /search\n")
    mock.add(responses.GET, "https://www.cancer.org/robots.txt", body="")
    urls = [f"https://www.cancer.gov/p{i}" for i in range(8)] + ["https://www.cancer.org/a", "https://www.cancer.org/b"]
    for u in urls:
        mock.add(responses.GET, u, **html())
    fetcher = make_fetcher()
    hosts = frozenset({"www.cancer.gov", "www.cancer.org"})
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(lambda u: fetcher.fetch(u, allowed_hosts=hosts, content_types=HTML), urls))
    robots = [c.request.url for c in mock.calls if c.request.url.endswith("/robots.txt")]
    assert sorted(robots) == ["https://www.cancer.gov/robots.txt", "https://www.cancer.org/robots.txt"]
    assert fetcher.stats.as_dict()["robots_requests"] == 2
    assert fetcher.stats.requests == 12


def test_a_url_outside_allowed_hosts_is_refused_before_any_request(mock) -> None:
    with pytest.raises(FetchError) as e:
        make_fetcher().fetch("http://169.254.169.254/latest/meta-data", allowed_hosts=HOSTS, content_types=HTML)
    assert e.value.kind == "HostNotAllowed"
    assert len(mock.calls) == 0


def test_a_robots_crawl_delay_longer_than_ours_slows_the_host_down(mock) -> None:
    mock.add(responses.GET, ROBOTS, body="User-agent: *\nCrawl-delay: 5\n")
    mock.add(responses.GET, PAGE, **html())
    fetcher = make_fetcher()
    fetcher.fetch(PAGE, allowed_hosts=HOSTS, content_types=HTML)
    assert fetcher.throttle("www.cancer.gov").min_delay == 5.0


# --------------------------------------------------------------------------- bounded waits (issue 16)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


# Each case: ([fetch] settings, robots.txt, responses for PAGE in order, expected status or error kind,
# words of the reason, page requests, sleeps). The clock only moves when the fetcher sleeps.
WAITS = {
    "a_crawl_delay_over_the_cap_puts_the_host_off_limits": (
        {}, "User-agent: *\nCrawl-delay: 100000000\n", [html()], "WaitTooLong",
        ["robots.txt asks for a 100000000 s crawl delay, over the 60 s cap"], 0, [],
    ),
    "a_crawl_delay_over_a_smaller_cap": (
        {"max_crawl_delay": 2.0}, "User-agent: *\nCrawl-delay: 5\n", [html()], "WaitTooLong",
        ["5 s crawl delay, over the 2 s cap"], 0, [],
    ),
    "a_crawl_delay_within_the_cap_is_obeyed": (
        {"max_crawl_delay": 5.0}, "User-agent: *\nCrawl-delay: 5\n", [html()], 200, [], 1, [],
    ),
    "retries_stop_when_the_next_one_would_pass_the_deadline": (
        {"backoff_base": 40.0, "url_deadline_seconds": 45.0}, "", [html(503)] * 4, "DeadlineExceeded",
        ["deadline of 45 s exceeded", "HTTP 503 after 2 attempt(s)", "retry in 30 s"], 2, [20.0],
    ),
    "a_retry_after_allowed_by_max_retry_after_but_past_the_deadline": (
        {"url_deadline_seconds": 60.0}, "", [html(429, **{"Retry-After": "100"}), html()], "DeadlineExceeded",
        ["deadline of 60 s exceeded", "retry in 100 s"], 1, [],
    ),
    "a_retry_after_within_the_deadline_is_honoured": (
        {"url_deadline_seconds": 60.0}, "", [html(429, **{"Retry-After": "30"}), html()], 200, [], 2, [30.0],
    ),
    "a_retry_after_over_max_retry_after_still_gives_up_at_once": (
        {"max_retry_after": 10.0}, "", [html(429, **{"Retry-After": "11"})], "RetriesExhausted",
        ["exceeds max_retry_after 10 s"], 1, [],
    ),
}


@pytest.mark.parametrize(
    ("settings", "robots", "page", "expected", "words", "page_requests", "sleeps"), WAITS.values(), ids=WAITS.keys()
)
def test_every_wait_a_server_asks_for_is_capped_and_a_url_has_a_deadline(
    mock, settings, robots, page, expected, words, page_requests, sleeps
) -> None:
    mock.add(responses.GET, ROBOTS, body=robots, content_type="text/plain")
    for kwargs in page:
        mock.add(responses.GET, PAGE, **kwargs)
    clock = FakeClock()
    fetcher = Fetcher(
        FetchSettings(**{"backoff_base": 1.0, "max_attempts": 4, **settings}),
        {"www.cancer.gov": (2, 0.0)},
        sleep=clock.sleep, clock=clock, rng=ZeroJitter(),  # type: ignore[arg-type]
        now=lambda: datetime(2026, 1, 5, 6, 0, tzinfo=UTC),
    )
    try:
        got: Any = fetcher.fetch(PAGE, allowed_hosts=HOSTS, content_types=HTML).status
        reason = ""
    except FetchError as e:
        got, reason = e.kind, e.reason
    assert got == expected, reason
    for w in words:
        assert w in reason
    assert len(page_calls(mock)) == page_requests
    assert clock.sleeps == sleeps


def test_a_turn_at_the_host_after_the_deadline_fails_the_url_without_taking_the_turn(mock) -> None:
    mock.add(responses.GET, ROBOTS, body="User-agent: *\nCrawl-delay: 50\n", content_type="text/plain")
    mock.add(responses.GET, PAGE, **html())
    clock = FakeClock()
    fetcher = Fetcher(
        FetchSettings(url_deadline_seconds=40.0), {"www.cancer.gov": (1, 0.0)}, sleep=clock.sleep, clock=clock
    )
    assert fetcher.fetch(PAGE, allowed_hosts=HOSTS, content_types=HTML).status == 200
    with pytest.raises(FetchError) as e:  # the next start is 50 s away: past the 40 s deadline
        fetcher.fetch(PAGE, allowed_hosts=HOSTS, content_types=HTML)
    assert e.value.kind == "DeadlineExceeded"
    assert "deadline of 40 s exceeded: the next turn at www.cancer.gov is in 50 s" in e.value.reason
    assert clock.sleeps == [] and len(page_calls(mock)) == 1
    fetcher.settings = FetchSettings(url_deadline_seconds=60.0)  # the refused turn was not reserved
    assert fetcher.fetch(PAGE, allowed_hosts=HOSTS, content_types=HTML).status == 200
    assert clock.sleeps == [50.0]


# --------------------------------------------------------------------------- real sockets (issue 16)


def _redirect(location: str):
    return lambda path, headers: (302, {"Location": location}, b"")


# Each case: (set up sites a and b -> the URL to fetch, [fetch] settings, expected status or error
# kind, words of the reason, paths b was asked for)
LOOPBACK = {
    "a_redirect_to_another_port_on_127_0_0_1_is_refused_and_never_requested": (
        lambda a, b: (a.scripts.__setitem__("/moved", _redirect(b.url("/page"))), a.url("/moved"))[1],
        {}, "RedirectRefused", ["is not an allowed origin", "add '127.0.0.1:"], [],
    ),
    "a_latin1_location_on_the_wire_is_percent_encoded_and_followed": (
        lambda a, b: (a.scripts.__setitem__("/moved", _redirect("/caf\xe9")), a.url("/moved"))[1],
        {}, 200, [], [],
    ),
    "a_utf8_location_on_the_wire_is_percent_encoded_and_followed": (
        lambda a, b: (a.scripts.__setitem__("/moved", _redirect("/caf\xc3\xa9")), a.url("/moved"))[1],
        {}, 200, [], [],
    ),
    "a_body_trickling_in_is_cut_at_the_deadline": (
        lambda a, b: (a.trickle.__setitem__("/caf%E9", 0.02), a.url("/caf%E9"))[1],
        {"url_deadline_seconds": 0.4}, "DeadlineExceeded", ["deadline of 0.4 s exceeded while reading the body"], [],
    ),
}


@pytest.mark.parametrize(("setup", "settings", "expected", "words", "b_paths"), LOOPBACK.values(), ids=LOOPBACK.keys())
def test_redirects_and_bodies_over_real_sockets(setup, settings, expected, words, b_paths) -> None:
    import time

    from ingest.fetch.loopback import LoopbackSite

    pages = {"/caf%E9": BODY * 20, "/caf%C3%A9": BODY, "/page": BODY}
    with LoopbackSite(pages) as a, LoopbackSite(pages) as b:
        url = setup(a, b)
        fetcher = Fetcher(
            FetchSettings(**{"max_attempts": 1, "read_timeout": 5.0, **settings}), {"127.0.0.1": (2, 0.0)}
        )
        started = time.monotonic()
        try:
            got: Any = fetcher.fetch(url, allowed_hosts=frozenset({a.base_url.removeprefix("http://")}), content_types=HTML)
            status, reason = got.status, ""
        except FetchError as e:
            status, reason = e.kind, e.reason
        assert status == expected, reason
        for w in words:
            assert w in reason
        assert b.paths == b_paths
        assert time.monotonic() - started < 3.0
        if expected == 200:
            assert got.final_url.startswith(a.base_url + "/caf%") and got.body in (BODY, BODY * 20)


# --------------------------------------------------------------------------- politeness


def test_requests_to_one_host_start_at_least_min_delay_apart() -> None:
    clock = FakeClock()
    throttle = HostThrottle(1, 2.0, clock=clock, sleep=clock.sleep)
    starts = []
    for _ in range(3):
        with throttle.slot():
            starts.append(clock.now)
            clock.now += 0.5  # the request itself takes half a second
    assert starts == [100.0, 102.0, 104.0]
    assert clock.sleeps == [1.5, 1.5]


def test_no_more_than_max_concurrent_requests_are_in_flight_to_one_host() -> None:
    throttle = HostThrottle(2, 0.0)
    in_flight, peak, lock = 0, 0, threading.Lock()
    release = threading.Event()

    def request() -> None:
        nonlocal in_flight, peak
        with throttle.slot():
            with lock:
                in_flight += 1
                peak = max(peak, in_flight)
            release.wait(0.05)
            with lock:
                in_flight -= 1

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(lambda _: request(), range(6)))
    assert 1 <= peak <= 2


def test_sources_sharing_a_host_get_the_strictest_limits() -> None:
    def source(name: str, n: int, delay: float) -> Source:
        return Source(
            name=name, publisher="NCI", allowed_hosts=["www.cancer.gov"], urls=[PAGE], schedule="0 6 * * 1",
            max_concurrent_per_host=n, min_delay_seconds=delay,
        )

    assert host_limits([source("a", 4, 0.5), source("b", 1, 2.0)]) == {"www.cancer.gov": (1, 2.0)}
