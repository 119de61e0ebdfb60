"""A run must not silently withdraw most of what downstream reads (issue 16): by default a run that
would withdraw more than 20 % of the published records (and more than one) is refused before anything
is written; --allow-withdraw withdraws them; --merge never withdraws."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.core.pipeline import Published
from ingest.store.manifest import load_manifest
from ingest.store.publish import WithdrawalRefused, publish

from .test_changes_feed import pub, snapshot


def first_run(out: Path, n: int = 10) -> list[Published]:
    outcomes = [pub(f"d{i}") for i in range(n)]
    publish(out, outcomes)
    return outcomes


@pytest.mark.parametrize(
    ("kept", "mode", "share", "refused", "withdrawn", "published"),
    [
        (10, "guard", 0.2, False, 0, 10),
        (9, "guard", 0.2, False, 1, 9),  # one withdrawal is always allowed
        (8, "guard", 0.2, False, 2, 8),  # 20 %: at the limit
        (7, "guard", 0.2, True, 0, 10),  # 30 %: refused, nothing written
        (0, "guard", 0.2, True, 0, 10),  # a run over another raw folder
        (7, "guard", 0.5, False, 3, 7),
        (7, "allow", 0.2, False, 3, 7),
        (0, "merge", 0.2, False, 0, 10),
    ],
    ids=["nothing-gone", "one-gone", "at-the-limit", "over-the-limit", "everything-gone", "higher-limit",
         "allowed", "merged"],
)
def test_the_withdrawal_guard_refuses_a_mass_withdrawal_unless_allowed_or_merged(
    tmp_path: Path, kept: int, mode: str, share: float, refused: bool, withdrawn: int, published: int
) -> None:
    out = tmp_path / "out"
    first = first_run(out)
    before = snapshot(out)
    others = [pub("new")] if kept == 0 else []
    run = first[:kept] + others
    if refused:
        with pytest.raises(WithdrawalRefused, match=r"would withdraw \d+ of the 10 published records"):
            publish(out, run, withdraw=mode, max_withdraw_share=share)
        assert snapshot(out) == before  # nothing written: records, manifest, feed untouched
        return
    summary = publish(out, run, withdraw=mode, max_withdraw_share=share)
    manifest = load_manifest(out)
    assert summary.removed_stale == withdrawn == len(manifest["withdrawn"])
    assert len([e for e in manifest["records"] if e["input"] != "raw/new.txt"]) == published


@pytest.mark.slow
def test_ingest_normalize_over_another_raw_folder_is_refused_and_merge_adds_to_out_dir(tmp_path: Path) -> None:
    text = "Leukemia facts {}\n\nLeukemia is a cancer of the blood cells found in the bone marrow, page {}.\n"
    first, second = tmp_path / "a" / "raw", tmp_path / "b" / "raw"
    for folder, prefix in ((first, "a"), (second, "b")):
        folder.mkdir(parents=True)
        for i in range(3):
            (folder / f"{prefix}{i}.txt").write_text(text.format(prefix, i))
    out = tmp_path / "out"
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / ".prefect"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}

    def ingest(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "ingest.cli", "normalize", *args, "--out", str(out)],
                              capture_output=True, text=True, timeout=300, env=env)

    assert ingest(str(first)).returncode == 0
    manifest = (out / "manifest.json").read_bytes()
    refused = ingest(str(second))
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "would withdraw 3 of the 3 published records" in refused.stderr and "--merge" in refused.stderr
    assert (out / "manifest.json").read_bytes() == manifest
    merged = ingest(str(second), "--merge")
    assert merged.returncode == 0, merged.stderr
    assert len(json.loads((out / "manifest.json").read_bytes())["records"]) == 6


def test_ids_do_not_depend_on_the_folder_passed_and_a_moved_id_leads_to_the_record(tmp_path: Path) -> None:
    """The same file read as corpus/acs/x.txt and as acs/x.txt has one id; an OUT_DIR published under an
    older id rule keeps the old id working: withdrawn with moved_to, `ingest show OLD_ID` finds it."""
    from ingest.cli.show import find_record
    from ingest.core.inputs import InputMeta
    from ingest.core.pipeline import process
    from ingest.store.feed import read_changes

    data = b"Chemotherapy\n\nChemotherapy uses drugs to destroy cancer cells; your team explains the plan.\n"
    deep = process(data, InputMeta(input="corpus/cancer-org-text/english/chemo.txt", filename="chemo.txt"))
    shallow = process(data, InputMeta(input="english/chemo.txt", filename="chemo.txt"))
    assert deep.record.id == shallow.record.id
    out = tmp_path / "out"
    old = shallow.record.model_copy(update={"id": "doc-0123456789abcdef"})  # as an older rule named it
    publish(out, [Published("english/chemo.txt", old)])
    summary = publish(out, [deep])
    manifest = load_manifest(out)
    assert summary.removed_stale == 1
    assert manifest["withdrawn"][0]["id"] == "doc-0123456789abcdef"
    assert manifest["withdrawn"][0]["moved_to"] == deep.record.id
    [event] = [c for c in read_changes(out) if c["event"] == "withdrawn"]
    assert (event["id"], event["moved_to"]) == ("doc-0123456789abcdef", deep.record.id)
    assert find_record(out, "doc-0123456789abcdef").name == f"{deep.record.id}.json"


def test_a_page_declared_canonical_url_keys_its_id_whatever_url_it_was_fetched_from() -> None:
    from ingest.core.inputs import InputMeta
    from ingest.core.pipeline import process

    page = (b'<html><head><title>AML</title><link rel="canonical" href="https://www.cancer.gov/types/aml"></head>'
            b"<body><main><h1>AML</h1><p>Acute myeloid leukemia is a cancer of the blood and bone marrow, "
            b"and treatment depends on the subtype.</p></main></body></html>")
    fetched = process(page, InputMeta(input="raw/nci/aml.html", filename="aml.html",
                                      url="https://www.cancer.gov/types/aml/?utm_source=x"))
    on_disk = process(page, InputMeta(input="raw/aml.html", filename="aml.html"))
    assert fetched.record.id == on_disk.record.id
    assert fetched.record.source.url == "https://www.cancer.gov/types/aml"


@pytest.mark.slow
def test_a_corpus_folder_with_its_sources_md_and_pages_json_publishes_only_its_pages(tmp_path: Path) -> None:
    """issue 16: pointing `ingest normalize` at a corpus folder published SOURCES.md as a patient record
    and quarantined pages.json; now both are skipped (documentation, unsupported) with a reason."""
    import shutil

    from .helpers import CORPUS

    src = CORPUS / "cancer-gov-html"
    if not src.is_dir():
        pytest.skip("../shared/corpus is not here")
    raw = tmp_path / "cancer-gov-html"
    shutil.copytree(src, raw)
    assert (raw / "SOURCES.md").is_file() and (raw / "pages.json").is_file()
    out = tmp_path / "out"
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / ".prefect"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    proc = subprocess.run([sys.executable, "-m", "ingest.cli", "--json", "normalize", str(raw), "--out", str(out)],
                          capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode in (0, 1), proc.stderr  # 1: a few real pages are error pages or JavaScript shells
    manifest = json.loads((out / "manifest.json").read_bytes())
    inputs = {e["input"] for e in manifest["records"]} | {q["input"] for q in manifest["quarantined"]}
    assert not {"cancer-gov-html/SOURCES.md", "cancer-gov-html/pages.json"} & inputs
    assert {s["path"]: s["kind"] for s in manifest["skipped"]} == {
        "cancer-gov-html/SOURCES.md": "documentation", "cancer-gov-html/pages.json": "unsupported"}
    assert len(inputs) == len(list(src.glob("*.html")))
    assert json.loads(proc.stdout)["skipped"][0]["reason"]
