"""The sources file: the shipped starter list parses; every malformed file names its line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.fetch.config import DEFAULT_USER_AGENT, load_sources, parse_sources
from ingest.fetch.errors import SourcesFileError

ROOT = Path(__file__).resolve().parents[1]

GOOD = """\
[fetch]
max_bytes = 5000000

[[sources]]
name = "nci-leukemia"
publisher = "NCI"
allowed_hosts = ["www.cancer.gov"]
urls = [
  "https://www.cancer.gov/types/leukemia/patient/cll-treatment-pdq",
  "https://www.cancer.gov/types/leukemia/research/more-chemo-helps-all",
]
schedule = "0 6 * * 1"

[[sources]]
name = "acs-leukemia"
publisher = "ACS"
allowed_hosts = ["www.cancer.org"]
urls = ["https://www.cancer.org/cancer/types/chronic-lymphocytic-leukemia/treating.html"]
schedule = "0 7 * * 1"
timezone = "America/New_York"
min_delay_seconds = 3
"""


def test_the_shipped_sources_file_lists_nci_and_acs_leukemia_cll_and_mds_pages() -> None:
    spec = load_sources(ROOT / "sources.toml")
    urls = [u for s in spec.sources for u in s.urls]
    assert {s.publisher for s in spec.sources} == {"NCI", "ACS"}
    assert "https://www.cancer.gov/types/leukemia/research/more-chemo-helps-all" in urls  # seed 004
    assert any("cll-treatment-pdq" in u for u in urls)
    assert any("myelodysplastic" in u for u in urls)
    assert any(u.startswith("https://www.cancer.org/") for u in urls)


def test_a_good_file_gets_defaults_for_what_it_leaves_out() -> None:
    spec = parse_sources(GOOD)
    nci, acs = spec.sources
    assert spec.fetch.max_bytes == 5_000_000 and spec.fetch.user_agent == DEFAULT_USER_AGENT
    assert spec.fetch.robots_agent == "ingest-fetch"
    assert (nci.timezone, nci.max_concurrent_per_host, nci.min_delay_seconds) == ("UTC", 2, 1.0)
    assert nci.content_types == ["text/html", "application/xhtml+xml"]
    assert (acs.timezone, acs.min_delay_seconds) == ("America/New_York", 3.0)
    assert [s.name for s in spec.select(["acs-leukemia"])] == ["acs-leukemia"]


def replace(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new, 1)


# (text, expected line, expected field, words the message must contain)
MALFORMED = {
    "a_toml_syntax_error_names_its_line": (replace('schedule = "0 7 * * 1"', "schedule = 0 7"), 19, None, ["TOML syntax error"]),
    "a_cron_with_four_fields": (replace('"0 6 * * 1"', '"0 6 * *"'), 12, "schedule", ["sources[0]", "'nci-leukemia'", "5 fields"]),
    "a_cron_with_a_bad_minute": (replace('"0 7 * * 1"', '"61 7 * * 1"'), 19, "schedule", ["sources[1]", "'acs-leukemia'", "invalid cron"]),
    "a_url_outside_allowed_hosts": (
        replace('"https://www.cancer.gov/types/leukemia/research', '"https://evil.example/types/leukemia/research'),
        10, "urls[1]", ["sources[0]", "not in allowed_hosts"],
    ),
    "a_non_http_url": (replace('"https://www.cancer.org/cancer', '"ftp://www.cancer.org/cancer'), 18, "urls[0]", ["'acs-leukemia'", "scheme 'ftp'"]),
    # a missing key has no line of its own: the line of its [[sources]] header
    "a_missing_field": (replace('publisher = "ACS"\n', ""), 14, "publisher", ["sources[1]", "Field required"]),
    "an_unknown_field": (replace('timezone = "America/New_York"', 'timezone = "UTC"\nschedul = "x"'), 21, "schedul", ["Extra inputs"]),
    "a_wrong_type": (replace("min_delay_seconds = 3", 'min_delay_seconds = "3"'), 21, "min_delay_seconds", ["valid number"]),
    "a_bad_time_zone": (replace("America/New_York", "Mars/Olympus"), 20, "timezone", ["unknown time zone"]),
    "a_host_with_a_scheme": (replace('allowed_hosts = ["www.cancer.org"]', 'allowed_hosts = ["https://www.cancer.org"]'), 17, "allowed_hosts[0]", ["lowercase host name"]),
    "a_duplicate_name": (replace('name = "acs-leukemia"', 'name = "nci-leukemia"'), 15, "name", ["duplicate name"]),
    "a_bad_fetch_setting": (replace("max_bytes = 5000000", "max_bytes = 0"), 2, "max_bytes", ["[fetch]", "greater than 0"]),
    "an_unsupported_content_type": (replace('min_delay_seconds = 3', 'content_types = ["application/pdf"]'), 21, "content_types[0]", ["application/pdf"]),
    "no_sources_at_all": ("[fetch]\nmax_bytes = 10\n", None, "sources", ["Field required"]),
}


@pytest.mark.parametrize(("text", "line", "field", "words"), MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_sources_file_fails_fast_naming_the_line_and_field(text, line, field, words) -> None:
    with pytest.raises(SourcesFileError) as e:
        parse_sources(text, "sources.toml")
    err = e.value
    assert (err.line, err.field) == (line, field)
    first = str(err).splitlines()[0]
    assert first.startswith(f"sources.toml:{line}: " if line else "sources.toml: ")
    if field:
        assert f"field {field!r}" in first or field == "sources"
    for w in words:
        assert w in first


def test_every_problem_is_listed_with_its_own_line() -> None:
    text = replace('"0 6 * * 1"', '"0 6 * *"').replace('"0 7 * * 1"', '"nope"')
    lines = str(pytest.raises(SourcesFileError, parse_sources, text, "s.toml").value).splitlines()
    assert [ln.split(": ", 1)[0] for ln in lines] == ["s.toml:12", "s.toml:19"]


@pytest.mark.parametrize(
    ("names", "message"),
    [(["nope"], "no source named 'nope'"), (["acs-leukemia", "x"], "no source named 'x'")],
    ids=["unknown_name", "one_unknown_among_known"],
)
def test_selecting_an_unknown_source_names_the_known_ones(names, message) -> None:
    with pytest.raises(SourcesFileError) as e:
        parse_sources(GOOD).select(names, "sources.toml")
    assert message in str(e.value) and "acs-leukemia, nci-leukemia" in str(e.value)


def test_a_missing_sources_file_is_a_sources_file_error(tmp_path: Path) -> None:
    with pytest.raises(SourcesFileError, match="sources file not found"):
        load_sources(tmp_path / "nope.toml")


# --------------------------------------------------------------------------- several problems (issue 17)


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    from ingest.cli import main as cli

    try:
        code = cli.main(argv)
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 2
    out, err = capsys.readouterr()
    return code, out, err


# Each case: the file's text and the start of each problem line the CLI prints, in order.
SEVERAL = {
    "two_bad_crons": (
        replace('"0 6 * * 1"', '"0 6 * *"').replace('"0 7 * * 1"', '"nope"'),
        ["s.toml:12: sources[0] ('nci-leukemia'): field 'schedule': cron '0 6 * *' must have 5 fields",
         "s.toml:19: sources[1] ('acs-leukemia'): field 'schedule': cron 'nope' must have 5 fields"],
    ),
    "a_fetch_setting_a_url_and_a_missing_field": (
        replace("max_bytes = 5000000", "max_bytes = 0")
        .replace('publisher = "ACS"\n', "")
        .replace('"https://www.cancer.gov/types/leukemia/research', '"https://evil.example/types/leukemia/research'),
        ["s.toml:2: [fetch]: field 'max_bytes': Input should be greater than 0",
         "s.toml:14: sources[1] ('acs-leukemia'): field 'publisher': Field required"],
    ),
    "urls_outside_allowed_hosts_after_the_fields_are_valid": (
        replace('"https://www.cancer.gov/types/leukemia/research', '"https://www.cancer.gov:8443/types/leukemia/research')
        .replace('"https://www.cancer.org/cancer', '"http://www.cancer.org:8080/cancer'),
        ["s.toml:10: sources[0] ('nci-leukemia'): field 'urls[1]': 'https://www.cancer.gov:8443/types/leukemia/research/more-chemo-helps-all': https://www.cancer.gov:8443 is not an allowed origin",
         "s.toml:18: sources[1] ('acs-leukemia'): field 'urls[0]': 'http://www.cancer.org:8080/cancer/types/chronic-lymphocytic-leukemia/treating.html': http://www.cancer.org:8080 is not an allowed origin"],
    ),
}


@pytest.mark.parametrize(("text", "starts"), SEVERAL.values(), ids=SEVERAL.keys())
def test_the_cli_prints_each_problem_of_a_sources_file_on_its_own_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, text, starts
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("s.toml").write_text(text)
    code, out, err = run_cli(["fetch", "--sources", "s.toml", "--raw", "raw", "--out", "out"], capsys)
    lines = err.splitlines()
    assert code == 2 and len(lines) == len(starts), err
    for line, start in zip(lines, starts, strict=True):
        assert line.startswith(f"ingest: error: {start}"), line
    assert not (tmp_path / "raw").exists()
    code, out, err = run_cli(["--json", "fetch", "--sources", "s.toml", "--raw", "raw", "--out", "out"], capsys)
    import json

    assert json.loads(out.splitlines()[-1])["error"].splitlines() == [ln.removeprefix("ingest: error: ") for ln in lines]


# --------------------------------------------------------------------------- on demand (issue 17)

# Each case: the source's schedule lines, then its expected schedule and `ingest serve --dry-run` line.
SCHEDULES = {
    "a_cron_schedule": ('schedule = "0 6 * * 1"\n', "0 6 * * 1", "fetch/solo: cron '0 6 * * 1' (UTC), sources ['solo']"),
    "no_schedule_fetched_on_demand": ("", None, "fetch/solo: on demand (no schedule), sources ['solo']"),
    "no_schedule_but_a_time_zone": ('timezone = "Europe/Paris"\n', None, "fetch/solo: on demand (no schedule), sources ['solo']"),
}


@pytest.mark.parametrize(("lines", "schedule", "dry_run"), SCHEDULES.values(), ids=SCHEDULES.keys())
def test_a_source_needs_no_schedule_and_is_then_served_without_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], lines, schedule, dry_run
) -> None:
    from ingest.orchestration.fetch_flow import build_deployments

    text = (
        '[[sources]]\nname = "solo"\npublisher = "NCI"\nallowed_hosts = ["www.cancer.gov"]\n'
        f'urls = ["https://www.cancer.gov/types/leukemia"]\n{lines}'
    )
    path = tmp_path / "sources.toml"
    path.write_text(text)
    [source] = parse_sources(text).sources
    assert source.schedule == schedule
    [deployment] = [d for d in build_deployments(parse_sources(text), path, tmp_path / "raw", tmp_path / "out") if d.flow_name == "fetch"]
    assert [s.schedule.cron for s in deployment.schedules] == ([schedule] if schedule else [])
    assert deployment.parameters["sources"] == ["solo"]
    code, out, _ = run_cli(["serve", "--sources", str(path), "--raw", str(tmp_path / "raw"), "--out", str(tmp_path / "out"), "--dry-run"], capsys)
    assert code == 0 and dry_run in out.splitlines()
