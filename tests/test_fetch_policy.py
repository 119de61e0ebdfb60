"""Pure fetch policy: which URLs may be requested, what each status means, snapshot file names."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ingest.fetch.policy import (
    Verdict,
    classify,
    extension_for,
    parse_retry_after,
    refusal,
    resolve_location,
    url_slug,
)

HOSTS = frozenset({"www.cancer.gov", "127.0.0.1:8000"})

# An allowed origin is scheme + host + port: "host" means the scheme's default port (80 for http,
# 443 for https) only, "host:port" that port.
REFUSALS = {
    "an_allowed_https_url": ("https://www.cancer.gov/types/leukemia", None),
    "an_allowed_http_url_on_port_80": ("http://www.cancer.gov/types/leukemia", None),
    "the_default_port_written_out": ("https://www.cancer.gov:443/types", None),
    "a_listed_host_and_port": ("http://127.0.0.1:8000/x", None),
    "another_port_of_a_listed_host_and_port": ("http://127.0.0.1:9000/x", "http://127.0.0.1:9000 is not an allowed origin"),
    "the_default_port_of_a_host_listed_with_a_port": ("http://127.0.0.1/x", "add '127.0.0.1:80' to allow it"),
    "another_port_of_a_host_listed_without_one": ("https://www.cancer.gov:8443/x", "https://www.cancer.gov:8443 is not an allowed origin"),
    "https_on_port_80": ("https://www.cancer.gov:80/x", "443 for https only"),
    "http_on_port_443": ("http://www.cancer.gov:443/x", "not an allowed origin"),
    "an_allowed_host_in_upper_case": ("https://WWW.CANCER.GOV/types", None),
    "another_host": ("https://www.cancer.gov.evil.example/x", "not in allowed_hosts"),
    "a_lookalike_suffix": ("https://evilwww.cancer.gov/x", "not in allowed_hosts"),
    "credentials_in_the_url": ("https://user:pw@www.cancer.gov/x", "credentials"),
    "the_cloud_metadata_address": ("http://169.254.169.254/latest", "not in allowed_hosts"),
    "localhost_by_name_when_only_the_ip_is_allowed": ("http://localhost/x", "not in allowed_hosts"),
    "a_file_url": ("file:///etc/passwd", "scheme 'file'"),
    "a_javascript_url": ("javascript:alert(1)", "scheme 'javascript'"),
    "a_bad_port": ("http://127.0.0.1:99999/x", "malformed URL"),
    "no_host": ("http:///x", "no host"),
}


@pytest.mark.parametrize(("url", "why"), REFUSALS.values(), ids=REFUSALS.keys())
def test_only_http_urls_on_allowed_hosts_may_be_requested(url, why) -> None:
    got = refusal(url, HOSTS)
    assert (got is None) if why is None else (got is not None and why in got)


@pytest.mark.parametrize(
    ("status", "verdict"),
    [(200, Verdict.OK), (203, Verdict.OK), (304, Verdict.NOT_MODIFIED), (308, Verdict.REDIRECT), (408, Verdict.RETRY),
     (429, Verdict.RETRY), (500, Verdict.RETRY), (599, Verdict.RETRY), (400, Verdict.FAIL), (401, Verdict.FAIL),
     (404, Verdict.FAIL), (410, Verdict.FAIL), (451, Verdict.FAIL), (204, Verdict.FAIL), (300, Verdict.FAIL)],
)
def test_only_timeouts_429_and_5xx_are_retried(status, verdict) -> None:
    assert classify(status) is verdict


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("0", 0.0), ("120", 120.0), ("Mon, 05 Jan 2026 06:01:00 GMT", 60.0), ("Mon, 05 Jan 2026 05:00:00 GMT", 0.0),
     ("soon", None), ("", None), (None, None), ("-5", None)],
    ids=["zero", "seconds", "a_date_ahead", "a_date_past", "garbage", "empty", "absent", "negative"],
)
def test_retry_after_is_read_as_seconds_or_an_http_date(value, seconds) -> None:
    assert parse_retry_after(value, datetime(2026, 1, 5, 6, 0, tzinfo=UTC)) == seconds


@pytest.mark.parametrize(
    ("url", "starts"),
    [
        ("https://www.cancer.gov/types/leukemia/patient/cll-treatment-pdq", "types__leukemia__patient__cll-treatment-pdq-"),
        ("https://www.cancer.gov/", "index-"),
        ("https://www.cancer.gov/.well-known/x", "well-known__x-"),
        ("https://www.cancer.gov/Common/PopUps/popDefinition.aspx?id=45622&version=patient", "Common__PopUps__popDefinition.aspx_id-45622-version-patient-"),
    ],
    ids=["a_pdq_page", "the_root", "a_dot_path_never_becomes_a_hidden_file", "a_query"],
)
def test_snapshot_names_are_readable_stable_and_never_hidden(url, starts) -> None:
    slug = url_slug(url)
    assert slug.startswith(starts) and slug == url_slug(url) and not slug.startswith(".")
    assert url_slug(url) != url_slug(url + "x")


def test_the_extension_follows_the_content_type() -> None:
    assert [extension_for(c) for c in ("text/html; charset=UTF-8", "application/xhtml+xml", "text/plain", "text/xml")] == [
        ".html", ".html", ".txt", ".xml"
    ]
    with pytest.raises(ValueError):
        extension_for("application/pdf")


def test_a_relative_location_resolves_against_the_url_that_answered() -> None:
    assert resolve_location("https://www.cancer.gov/a/b", "../c#top") == "https://www.cancer.gov/c"
    assert resolve_location("https://www.cancer.gov/a", "//evil.example/x") == "https://evil.example/x"
