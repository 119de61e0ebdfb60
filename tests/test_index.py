"""Issue 15: `ingest index` (SQLite FTS5, incremental from the chunk feed) equals a from-scratch
rebuild after any sequence of runs, also after a SIGKILL mid-update; `ingest search` ranks passages."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ingest.core.pipeline import Published
from ingest.store.index import index_contents, index_path, rebuild_index, search, update_index
from ingest.store.publish import publish

from .reliability import cli_env, kill, run_cli, start_paused
from .test_chunk_feed import pub
from .test_chunks import DOC, _long_record

EDITED = DOC.replace("There are different types", "There are several different types")
RELAPSE = DOC.replace("may include targeted therapy.", "may include targeted therapy, such as a BTK inhibitor.")


def rebuilt(out: Path, tmp: Path) -> list:
    target = tmp / "rebuilt.sqlite"
    rebuild_index(out, target)
    return index_contents(target)


def test_incremental_updates_equal_a_rebuild_after_every_run(tmp_path: Path) -> None:
    out = tmp_path / "out"
    long = Published("raw/long.md", _long_record())
    runs = [
        ([pub("a"), pub("b"), long], None),
        ([pub("a"), pub("b"), long], None),  # unchanged
        ([pub("a", EDITED), pub("b"), long], None),  # one passage of a changed
        ([pub("a", EDITED), pub("b", RELAPSE)], None),  # long withdrawn, b edited
        ([pub("a", EDITED), pub("b", RELAPSE), long], 64),  # long back, new token budget
        ([pub("a"), pub("b", RELAPSE), long], None),
    ]
    summaries = []
    for outcomes, budget in runs:
        publish(out, outcomes, chunk_tokens=budget)
        summaries.append(update_index(out))
        assert index_contents(index_path(out)) == rebuilt(out, tmp_path)
        assert len(index_contents(index_path(out))) == len((out / "chunks.jsonl").read_text().splitlines())
    assert [s.mode for s in summaries] == ["rebuilt", "unchanged", "incremental", "incremental", "incremental",
                                           "incremental"]
    assert (summaries[2].inserted, summaries[2].deleted, summaries[2].records) == (1, 1, 1)
    n_long = summaries[0].chunks - summaries[3].chunks  # long's chunks went, b's edited one was replaced
    assert n_long > 1 and (summaries[3].deleted, summaries[3].inserted) == (n_long + 1, 1)


def test_an_unchanged_run_does_not_write_the_index(tmp_path: Path) -> None:
    out = tmp_path / "out"
    publish(out, [pub("a")])
    update_index(out)
    before = (index_path(out).read_bytes(), index_path(out).stat().st_mtime_ns)
    publish(out, [pub("a")])
    assert update_index(out).mode == "unchanged"
    assert (index_path(out).read_bytes(), index_path(out).stat().st_mtime_ns) == before


def test_a_replaced_feed_rebuilds_the_index(tmp_path: Path) -> None:
    out = tmp_path / "out"
    publish(out, [pub("a"), pub("b")])
    update_index(out)
    (out / "chunk-changes.jsonl").write_bytes(b"")
    publish(out, [pub("a")])  # b withdrawn; the feed now holds only that
    s = update_index(out)
    assert s.mode == "rebuilt" and index_contents(index_path(out)) == rebuilt(out, tmp_path)


def test_an_update_killed_mid_transaction_leaves_the_old_index_and_the_next_update_finishes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    publish(out, [pub("a"), pub("b")])
    update_index(out)
    old = index_contents(index_path(out))
    publish(out, [pub("a", EDITED)])
    cmd = [sys.executable, "-m", "ingest.cli.main", "index", str(out)]
    proc, point = start_paused(cmd, cli_env(None), 1)
    assert point == "index update"
    kill(proc)
    assert proc.returncode == -9
    assert index_contents(index_path(out)) == old  # the transaction was rolled back
    done = run_cli([*cmd, "--json"], cli_env(None))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["mode"] == "incremental"
    assert index_contents(index_path(out)) == rebuilt(out, tmp_path)


def test_search_returns_ranked_passages_with_title_url_dates_and_citations(tmp_path: Path) -> None:
    out = tmp_path / "out"
    publish(out, [pub("a", RELAPSE), Published("raw/long.md", _long_record())])
    update_index(out)
    hits = search(out, "relapsed CLL treatment")
    assert hits and hits[0]["heading_path"][-1] == "Relapsed CLL"
    top = hits[0]
    assert top["title"] == "Chronic Lymphocytic Leukemia Treatment" and top["url"] == "https://www.cancer.gov/a"
    assert top["dates"]["last_reviewed"]["value"] == "2024-11" and "citations" in top
    assert search(out, "inhibitors")[0]["heading_path"][-1] == "Relapsed CLL"  # stemmed
    assert search(out, 'a "quoted" (query) AND -NOT*') is not None  # no FTS5 syntax error
    r = run_cli([sys.executable, "-m", "ingest.cli.main", "--json", "search", "BTK inhibitor", "--out", str(out)],
                cli_env(None))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)[0]["chunk_id"] == search(out, "BTK inhibitor")[0]["chunk_id"]
    missing = run_cli([sys.executable, "-m", "ingest.cli.main", "search", "x", "--out", str(tmp_path)], cli_env(None))
    assert missing.returncode == 2 and "ingest index" in missing.stderr
