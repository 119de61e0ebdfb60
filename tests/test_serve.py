"""Scheduling: one deployment per source with its cron and parameters plus normalize/folder (built,
never served: tests/test_prefect_ops.py serves and runs them), a prefect.yaml in step with
sources.toml, and the CLI's `serve` / `fetch` usage errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ingest.cli import main as cli
from ingest.fetch.config import load_sources, parse_sources
from ingest.orchestration.fetch_flow import build_deployments, fetch_flow
from ingest.orchestration.normalize_flow import normalize_flow

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "sources.toml"

TWO = """\
[[sources]]
name = "nci-leukemia"
publisher = "NCI"
allowed_hosts = ["www.cancer.gov"]
urls = ["https://www.cancer.gov/types/leukemia/patient/cll-treatment-pdq"]
schedule = "0 6 * * 1"

[[sources]]
name = "acs-leukemia"
publisher = "ACS"
allowed_hosts = ["www.cancer.org"]
urls = ["https://www.cancer.org/cancer/types/chronic-lymphocytic-leukemia/treating.html"]
schedule = "15 7 1 * *"
timezone = "America/New_York"
"""


def run_main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = cli.main(argv)
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 2
    out, err = capsys.readouterr()
    return code, out, err


def test_each_source_becomes_a_deployment_on_its_own_cron_with_its_own_parameters(tmp_path: Path) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text(TWO)
    *deployments, normalize = build_deployments(parse_sources(TWO), sources, tmp_path / "raw", tmp_path / "out")
    got = [
        (d.name, d.flow_name, d.schedules[0].schedule.cron, d.schedules[0].schedule.timezone, d.concurrency_limit)
        for d in deployments
    ]
    assert got == [
        ("nci-leukemia", "fetch", "0 6 * * 1", "UTC", 1),
        ("acs-leukemia", "fetch", "15 7 1 * *", "America/New_York", 1),
    ]
    assert deployments[1].parameters == {
        "sources_file": str(sources.resolve()),
        "raw_dir": str((tmp_path / "raw").resolve()),
        "out_dir": str((tmp_path / "out").resolve()),
        "sources": ["acs-leukemia"],
    }
    # module paths: a runner or worker imports them from whatever folder it runs in
    assert all(d.entrypoint == "ingest.orchestration.fetch_flow.fetch_flow" for d in deployments)
    assert "ACS" in deployments[1].tags
    # The parameters are exactly the flow's: a scheduled run calls fetch_flow(**parameters).
    assert set(deployments[0].parameters) <= set(fetch_flow.parameters.properties)
    assert (normalize.flow_name, normalize.name, normalize.schedules) == ("normalize", "folder", [])
    assert normalize.entrypoint == "ingest.orchestration.normalize_flow.normalize_flow"
    assert normalize.parameters == {"raw_dirs": [str((tmp_path / "raw").resolve())],
                                    "out_dir": str((tmp_path / "out").resolve())}
    assert set(normalize.parameters) <= set(normalize_flow.parameters.properties)


def test_only_the_named_sources_are_built() -> None:
    deployments = build_deployments(parse_sources(TWO), SOURCES, Path("raw"), Path("out"), ["acs-leukemia"])
    assert [d.name for d in deployments] == ["acs-leukemia", "folder"]


def test_prefect_yaml_deploys_every_source_of_sources_toml_on_the_same_schedule() -> None:
    from prefect.cli.deploy._models import PrefectYamlModel

    config = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    model = PrefectYamlModel.model_validate(config)  # what `prefect deploy` parses
    spec = load_sources(SOURCES)
    by_name = {d.name: d for d in model.deployments}
    assert list(by_name) == [s.name for s in spec.sources] + ["folder"]
    normalize = by_name.pop("folder")
    assert normalize.entrypoint == "flows/normalize_flow.py:normalize_flow" and not normalize.schedules
    assert set(normalize.parameters) == {"raw_dirs", "out_dir"} <= set(normalize_flow.parameters.properties)
    for s in spec.sources:
        d = by_name[s.name]
        if s.schedule is None:  # fetched on demand: no schedule in prefect.yaml either
            assert not d.schedules
        else:
            [schedule] = d.schedules
            assert (schedule.cron, schedule.timezone) == (s.schedule, s.timezone)
        assert d.entrypoint == "flows/fetch_flow.py:fetch_flow"
        assert d.parameters["sources"] == [s.name] and d.parameters["sources_file"] == "sources.toml"
        assert set(d.parameters) <= set(fetch_flow.parameters.properties)
        assert d.work_pool.name == "ingest" and d.concurrency_limit == 1
    assert (ROOT / "flows" / "fetch_flow.py").is_file() and (ROOT / "flows" / "normalize_flow.py").is_file()


def test_serve_dry_run_lists_the_deployments_without_serving(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(["serve", "--sources", str(SOURCES), "--dry-run"], capsys)
    spec = load_sources(SOURCES)
    assert code == 0
    assert out.splitlines() == [
        f"fetch/{s.name}: cron {s.schedule!r} ({s.timezone}), sources [{s.name!r}]" for s in spec.sources
    ] + [f"normalize/folder: on demand, raw_dirs [{str(Path('fetched/raw').resolve())!r}] -> out_dir "
         f"{str(Path('fetched/normalized').resolve())!r}"]


def test_serve_without_a_prefect_server_says_it_needs_one(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setattr("ingest.cli.common.prefect_api_url", lambda: None)
    code, _, err = run_main(["serve", "--sources", str(SOURCES)], capsys)
    assert code == 2
    assert err.startswith("ingest: error: ingest serve needs a Prefect server that outlives it")
    assert "PREFECT_API_URL" in err


USAGE_ERRORS = {
    "a_malformed_sources_file_names_line_and_field": (
        lambda tmp: ["fetch", "--sources", str(write(tmp, TWO.replace('"15 7 1 * *"', '"15 7 1 *"'))), "--raw", str(tmp / "raw"), "--out", str(tmp / "out")],
        ":13: sources[1] ('acs-leukemia'): field 'schedule': cron '15 7 1 *' must have 5 fields",
    ),
    "a_missing_sources_file": (
        lambda tmp: ["fetch", "--sources", str(tmp / "nope.toml"), "--raw", str(tmp / "raw"), "--out", str(tmp / "out")],
        "sources file not found",
    ),
    "an_unknown_source": (
        lambda tmp: ["fetch", "--sources", str(write(tmp, TWO)), "--source", "nci", "--raw", str(tmp / "raw"), "--out", str(tmp / "out")],
        "no source named 'nci' (it has: acs-leukemia, nci-leukemia)",
    ),
    "out_dir_inside_raw_dir": (
        lambda tmp: ["fetch", "--sources", str(write(tmp, TWO)), "--raw", str(tmp / "raw"), "--out", str(tmp / "raw" / "out")],
        "is inside RAW_DIR",
    ),
    "serve_with_a_malformed_sources_file": (
        lambda tmp: ["serve", "--sources", str(write(tmp, "[[sources]]\nname = 3\n")), "--dry-run"],
        ":2: sources[0]: field 'name': Input should be a valid string",
    ),
}


def write(tmp: Path, text: str) -> Path:
    path = tmp / "sources.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(("argv", "message"), USAGE_ERRORS.values(), ids=USAGE_ERRORS.keys())
def test_usage_errors_exit_2_with_one_line_before_anything_is_fetched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv, message
) -> None:
    code, out, err = run_main(argv(tmp_path), capsys)
    assert code == 2
    assert err.startswith("ingest: error: ") and message in err
    assert not (tmp_path / "raw").exists() and not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("argv", "must_mention"),
    [
        (["fetch", "--help"], ["--sources", "--raw", "--out", "--source", "304", "robots.txt", "fetch_failures", "exit codes"]),
        (["serve", "--help"], ["--sources", "cron", "--dry-run", "prefect.yaml", "exit codes"]),
    ],
    ids=["fetch", "serve"],
)
def test_help_explains_fetch_and_serve(argv, must_mention, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(argv, capsys)
    assert code == 0
    for phrase in must_mention:
        assert phrase in out, phrase
