"""`ingest fetch` end to end against a real HTTP server on 127.0.0.1 (ETags, 304s, robots.txt),
with the real normalizer, under the session's Prefect harness. Nothing here touches the internet."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.cli import main as cli
from ingest.fetch.loopback import LoopbackSite, corpus_pages, loopback_sources_toml
from ingest.store.manifest import load_manifest
from ingest.store.validate import validate_dir

from .helpers import CORPUS

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (CORPUS / "cancer-gov-html").is_dir(), reason="shared corpus not available"),
]
N_PAGES = 5


def tree(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file and dir under ``root`` with its bytes and mtime (what "rewrites nothing" compares),
    except report.md: it holds the run's time, so it changes on every run by design."""
    return {
        p.relative_to(root.parent).as_posix(): (p.read_bytes() if p.is_file() else b"", p.stat().st_mtime_ns)
        for p in [root, *sorted(root.rglob("*"))]
        if p.name != "report.md"
    }


@pytest.fixture
def site():
    with LoopbackSite(corpus_pages(CORPUS / "cancer-gov-html", limit=N_PAGES)) as s:
        yield s


def write_sources(path: Path, site: LoopbackSite, extra_paths: tuple[str, ...] = ()) -> Path:
    urls = [site.url(p) for p in site.pages] + [site.url(p) for p in extra_paths]
    path.write_text(loopback_sources_toml(urls, backoff_base=0.01, max_attempts=2))
    return path


def fetch(tmp_path: Path, sources: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = cli.main(["fetch", "--sources", str(sources), "--raw", str(tmp_path / "raw"), "--out", str(tmp_path / "out")])
    return code, capsys.readouterr().out.splitlines()


def test_a_second_fetch_of_unchanged_pages_downloads_nothing_and_rewrites_nothing(
    prefect_harness, site: LoopbackSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sources = write_sources(tmp_path / "sources.toml", site)
    code, lines = fetch(tmp_path, sources, capsys)
    assert code == 0, lines
    assert site.statuses == {200: N_PAGES + 1}  # the pages and robots.txt
    assert lines[-1] == (
        f"fetched {N_PAGES} (new {N_PAGES}, updated 0, unchanged 0), not modified 0, failed 0; "
        f"requests {N_PAGES + 1}, retries 0; normalized {N_PAGES}, reused 0 unchanged"
    )
    manifest = load_manifest(tmp_path / "out")
    assert len(manifest["records"]) == N_PAGES and manifest["fetch_failures"] == []
    assert {r["input"].split("/")[1] for r in manifest["records"]} == {"nci-loopback"}
    assert validate_dir(tmp_path / "out") == []
    before = {**tree(tmp_path / "raw"), **tree(tmp_path / "out")}

    site.reset_counts()
    code, lines = fetch(tmp_path, sources, capsys)
    assert code == 0, lines
    assert site.statuses == {304: N_PAGES, 200: 1}  # only robots.txt is downloaded (once per run)
    assert lines[-1].startswith(f"fetched 0 (new 0, updated 0, unchanged 0), not modified {N_PAGES}, failed 0;")
    assert lines[-1].endswith(f"normalized 0, reused {N_PAGES} unchanged")
    assert lines[0].startswith(f"published {N_PAGES} (written 0, unchanged {N_PAGES})")
    assert {**tree(tmp_path / "raw"), **tree(tmp_path / "out")} == before, "the second run rewrote something"


def test_a_changed_page_is_renormalized_alone_and_a_failing_page_keeps_its_record(
    prefect_harness, site: LoopbackSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sources = write_sources(tmp_path / "sources.toml", site, extra_paths=("/types/leukemia/gone-for-now",))
    code, lines = fetch(tmp_path, sources, capsys)
    assert code == 1  # the missing page
    first = load_manifest(tmp_path / "out")
    [failure] = first["fetch_failures"]
    assert (failure["status"], failure["kind"]) == (404, "HttpStatusError")
    assert failure["url"].endswith("/types/leukemia/gone-for-now")
    assert any(ln.startswith("FAILED nci-loopback http://127.0.0.1:") and ln.endswith(": 404: HTTP 404 Not Found") for ln in lines)

    changed, removed = list(site.pages)[:2]
    site.pages[changed] = site.pages[changed].replace(b"</body>", b"<p>A new paragraph.</p></body>")
    removed_body = site.pages.pop(removed)
    [back] = list(corpus_pages(CORPUS / "cancer-gov-html", limit=N_PAGES + 1).values())[N_PAGES:]
    site.pages["/types/leukemia/gone-for-now"] = back
    records_before = {r["input"]: r for r in first["records"]}
    code, lines = fetch(tmp_path, sources, capsys)

    assert code == 1  # `removed` now 404s
    assert lines[-1].startswith("fetched 2 (new 1, updated 1, unchanged 0), not modified 3, failed 1;")
    assert lines[-1].endswith("normalized 2, reused 4 unchanged")
    manifest = load_manifest(tmp_path / "out")
    [failure] = manifest["fetch_failures"]
    assert failure["url"] == site.url(removed) and failure["status"] == 404
    # The failed page's snapshot and record stay; its earlier bytes are what is published.
    records = {r["input"]: r for r in manifest["records"]}
    removed_input = next(i for i in records_before if (tmp_path / i).read_bytes() == removed_body)  # input = raw/...
    assert records[removed_input] == records_before[removed_input]
    # The changed page was re-normalized; its previous snapshot is in .history.
    changed_input = next(i for i in records if (tmp_path / i).read_bytes() == site.pages[changed])
    assert records[changed_input]["raw_sha256"] != records_before[changed_input]["raw_sha256"]
    history = list((tmp_path / "raw" / "nci-loopback" / ".history").rglob("*.html"))
    assert len(history) == 1
    assert (len(records), manifest["quarantined"]) == (N_PAGES + 1, [])
    assert validate_dir(tmp_path / "out") == []


def test_the_ingest_fetch_command_runs_end_to_end_with_its_own_temporary_prefect_server(
    site: LoopbackSite, tmp_path: Path
) -> None:
    """The console script as a user runs it, no PREFECT_API_URL: the CLI's early temporary server,
    twice over a real loopback site; the second run downloads and normalizes nothing."""
    import os
    import subprocess
    import sys

    sources = write_sources(tmp_path / "sources.toml", site)
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    code = "import sys; from ingest.cli.main import entry; sys.argv = ['ingest', *sys.argv[1:]]; entry()"
    argv = [sys.executable, "-c", code, "fetch", "--sources", str(sources),
            "--raw", str(tmp_path / "raw"), "--out", str(tmp_path / "out")]
    first = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    assert f"normalized {N_PAGES}, reused 0 unchanged" in first.stdout
    site.reset_counts()
    again = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert f"not modified {N_PAGES}" in again.stdout and f"normalized 0, reused {N_PAGES} unchanged" in again.stdout
    assert site.statuses == {304: N_PAGES, 200: 1}
