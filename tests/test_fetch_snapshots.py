"""Raw snapshots: one current file per URL, history kept, sidecars the normalizer reads; per-URL
results; fetch failures in the manifest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import responses

from ingest.fetch.client import Fetched, Fetcher
from ingest.fetch.config import FetchSettings, Source
from ingest.fetch.run import FetchResult, count_outcomes, fetch_url, merge_fetch_failures
from ingest.fetch.snapshots import HISTORY_DIR, SnapshotStore
from ingest.store.discovery import discover, read

URL = "https://www.cancer.gov/types/leukemia/patient/cll-treatment-pdq"
SOURCE = Source(name="nci", publisher="NCI", allowed_hosts=["www.cancer.gov"], urls=[URL], schedule="0 6 * * 1")


def fetched(body: bytes, *, etag: str = '"v1"', ctype: str = "text/html; charset=UTF-8", at: str = "2026-01-05T06:00:00Z") -> Fetched:
    headers = {"content-type": ctype, "etag": etag, "last-modified": "Fri, 22 Mar 2024 21:49:19 GMT", "content-language": "en"}
    return Fetched(URL, URL + "?final", 200, headers, body, at)


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def save(store: SnapshotStore, f: Fetched):
    return store.save(SOURCE, f, store.current(SOURCE.name, URL))


def test_a_first_fetch_writes_one_html_file_and_a_sidecar_the_normalizer_reads(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path / "raw")
    saved = save(store, fetched(b"<html>v1</html>"))
    assert (saved.outcome, saved.wrote, saved.path.suffix) == ("new", True, ".html")
    [ref] = discover([tmp_path / "raw"])
    assert ref.path == saved.path and ref.input.startswith("raw/nci/types__leukemia__patient__cll-treatment-pdq-")
    raw, meta = read(ref)
    assert raw == b"<html>v1</html>"
    assert (meta.url, meta.fetched_at, meta.content_type) == (URL + "?final", "2026-01-05T06:00:00Z", "text/html; charset=UTF-8")
    assert meta.headers["content-language"] == "en"
    sidecar = json.loads(Path(str(saved.path) + ".meta.json").read_bytes())
    assert {"url", "final_url", "status", "fetched_at", "etag", "last_modified", "content_type", "sha256"} <= set(sidecar)
    assert (sidecar["url"], sidecar["status"], sidecar["etag"]) == (URL, 200, '"v1"')


def test_the_same_bytes_again_write_nothing_and_keep_the_first_fetch_time(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path / "raw")
    save(store, fetched(b"<html>v1</html>"))
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "raw").rglob("*")}
    saved = save(store, fetched(b"<html>v1</html>", at="2026-02-01T06:00:00Z"))
    assert (saved.outcome, saved.wrote) == ("unchanged", False)
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "raw").rglob("*")} == before


def test_the_same_bytes_with_a_new_etag_update_only_the_sidecar(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path / "raw")
    save(store, fetched(b"<html>v1</html>"))
    saved = save(store, fetched(b"<html>v1</html>", etag='"v1b"', at="2026-02-01T06:00:00Z"))
    assert (saved.outcome, saved.wrote) == ("unchanged", True)
    snap = store.current("nci", URL)
    assert snap.validators().etag == '"v1b"' and snap.meta["fetched_at"] == "2026-01-05T06:00:00Z"


def test_a_changed_page_keeps_its_earlier_snapshot_in_history_out_of_the_normalizers_sight(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path / "raw")
    save(store, fetched(b"<html>v1</html>"))
    saved = save(store, fetched(b"<html>v2</html>", etag='"v2"', at="2026-02-01T06:00:00Z"))
    assert saved.outcome == "updated"
    [history] = [p for p in store.history_dir("nci", URL).iterdir() if not p.name.endswith(".meta.json")]
    assert history.read_bytes() == b"<html>v1</html>"
    assert history.name.startswith("2026-01-05T060000Z-") and history.suffix == ".html"
    assert json.loads(Path(str(history) + ".meta.json").read_bytes())["etag"] == '"v1"'
    assert [read(r)[0] for r in discover([tmp_path / "raw"])] == [b"<html>v2</html>"]
    assert HISTORY_DIR in {p.name for p in (tmp_path / "raw" / "nci").iterdir()}


def test_a_new_content_type_replaces_the_current_file_so_there_is_still_one_per_url(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path / "raw")
    save(store, fetched(b"<html>v1</html>"))
    saved = save(store, fetched(b"plain v2", ctype="text/plain"))
    assert (saved.outcome, saved.path.suffix) == ("updated", ".txt")
    assert [r.path.suffix for r in discover([tmp_path / "raw"])] == [".txt"]
    assert any(p.suffix == ".html" for p in store.history_dir("nci", URL).iterdir())


@pytest.mark.parametrize(
    ("tamper", "validators"),
    [(None, ('"v1"', "Fri, 22 Mar 2024 21:49:19 GMT")), ("body", None), ("sidecar", None)],
    ids=["a_consistent_snapshot_is_sent_back", "a_body_not_matching_its_sidecar_is_not", "a_missing_sidecar_is_not"],
)
def test_validators_are_only_sent_back_for_a_snapshot_whose_sidecar_matches_its_bytes(tmp_path: Path, tamper, validators) -> None:
    store = SnapshotStore(tmp_path / "raw")
    path = save(store, fetched(b"<html>v1</html>")).path
    if tamper == "body":
        path.write_bytes(b"<html>half-written</html>")
    elif tamper == "sidecar":
        Path(str(path) + ".meta.json").unlink()
    v = store.current("nci", URL).validators()
    assert (None if v is None else (v.etag, v.last_modified)) == validators


# --------------------------------------------------------------------------- one URL, end to end


def fetch_once(tmp_path: Path, **page: Any) -> FetchResult:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.GET, "https://www.cancer.gov/robots.txt", status=404)
        mock.add(responses.GET, URL, **page)
        fetcher = Fetcher(FetchSettings(max_attempts=1), {"www.cancer.gov": (1, 0.0)})
        return fetch_url(SOURCE, URL, fetcher, SnapshotStore(tmp_path / "raw"))


def test_a_failed_fetch_touches_no_snapshot_and_reports_status_and_reason(tmp_path: Path) -> None:
    first = fetch_once(tmp_path, body=b"<html>v1</html>", content_type="text/html", headers={"ETag": '"v1"'})
    before = files(tmp_path / "raw")
    failed = fetch_once(tmp_path, status=404, body=b"gone")
    assert (first.outcome, failed.outcome, failed.status, failed.kind) == ("new", "failed", 404, "HttpStatusError")
    assert failed.path == first.path and not failed.wrote
    assert files(tmp_path / "raw") == before
    assert failed.failure_entry() == {
        "source": "nci", "url": URL, "status": 404, "kind": "HttpStatusError", "reason": "HTTP 404 Not Found"
    }


def test_a_304_is_not_modified_and_writes_nothing(tmp_path: Path) -> None:
    fetch_once(tmp_path, body=b"<html>v1</html>", content_type="text/html", headers={"ETag": '"v1"'})
    before = files(tmp_path / "raw")
    result = fetch_once(tmp_path, status=304)
    assert (result.outcome, result.wrote) == ("not_modified", False)
    assert files(tmp_path / "raw") == before


def test_a_bug_with_one_url_is_reported_for_that_url_instead_of_stopping_the_run(tmp_path: Path) -> None:
    class Broken:
        def fetch(self, *args: Any, **kwargs: Any) -> Fetched:
            raise RuntimeError("parser bug")

    result = fetch_url(SOURCE, URL, Broken(), SnapshotStore(tmp_path / "raw"))  # type: ignore[arg-type]
    assert (result.outcome, result.kind, result.reason) == ("failed", "RuntimeError", "unexpected error: parser bug")


def test_outcomes_are_counted_as_fetched_new_updated_unchanged_not_modified_failed() -> None:
    results = [FetchResult("s", str(i), o) for i, o in enumerate(["new", "new", "updated", "unchanged", "not_modified", "failed"])]
    assert count_outcomes(results) == {
        "fetched": 4, "new": 2, "updated": 1, "unchanged": 1, "not_modified": 1, "failed": 1
    }


# --------------------------------------------------------------------------- fetch failures in the manifest


def test_a_run_of_one_source_keeps_the_other_sources_failures_listed() -> None:
    previous = [
        {"source": "nci", "url": "https://x/1", "status": 404, "kind": "HttpStatusError", "reason": "HTTP 404"},
        {"source": "acs", "url": "https://y/1", "status": 503, "kind": "RetriesExhausted", "reason": "HTTP 503"},
    ]
    now = [FetchResult("nci", "https://x/2", "failed", 410, kind="HttpStatusError", reason="HTTP 410"), FetchResult("nci", "https://x/1", "not_modified", 304)]
    merged = merge_fetch_failures(previous, now, ["nci"])
    assert [(f["source"], f["url"], f["status"]) for f in merged] == [("acs", "https://y/1", 503), ("nci", "https://x/2", 410)]
    assert merge_fetch_failures(None, [], ["nci"]) == []
