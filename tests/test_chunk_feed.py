"""Issue 15: chunks.jsonl and the chunk change feed, published with the records."""

from __future__ import annotations

import json
from pathlib import Path

from ingest.core.chunking import chunk_record
from ingest.core.models import Record
from ingest.core.pipeline import Published
from ingest.store.chunks import CHUNK_CHANGES_NAME, CHUNKS_JSONL
from ingest.store.manifest import load_manifest
from ingest.store.publish import publish

from .helpers import norm
from .test_chunks import DOC, _long_record


def pub(name: str, doc: str = DOC) -> Published:
    # the page's own URL (front matter) names it: one page per name here
    doc = doc.replace("url: https://www.cancer.gov/types/leukemia/patient/cll-treatment-pdq",
                      f"url: https://www.cancer.gov/{name}")
    rec = norm(doc, f"{name}.md", url=f"https://www.cancer.gov/{name}")
    return Published(rec.provenance.input, rec)


def feed(out: Path) -> list[tuple[str, str, str]]:
    lines = (out / CHUNK_CHANGES_NAME).read_text().splitlines()
    return [(e["event"], e["record_id"], e["chunk_id"]) for e in map(json.loads, lines)]


def current(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / CHUNKS_JSONL).read_text().splitlines()]


def snapshot(out: Path) -> dict[str, tuple[bytes, int]]:
    return {p.relative_to(out).as_posix(): (p.read_bytes() if p.is_file() else b"", p.stat().st_mtime_ns)
            for p in sorted([out, *out.rglob("*")])}


def expected(out: Path) -> list[dict]:
    """What chunks.jsonl must hold: every current record's chunks, in manifest order."""
    out_chunks = []
    for e in load_manifest(out)["records"]:
        rec = Record.model_validate_json((out / "records" / f"{e['id']}.json").read_bytes())
        out_chunks += [c.model_dump(mode="json") for c in chunk_record(rec)]
    return out_chunks


def test_runs_publish_chunks_and_a_feed_of_the_chunks_added_and_removed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    s1 = publish(out, [pub("a"), pub("b")])
    first = current(out)
    assert first == expected(out) and s1.chunks == len(first) == s1.chunks_added
    assert {e[0] for e in feed(out)} == {"added"} and len(feed(out)) == len(first)
    assert load_manifest(out)["chunking"]["max_tokens"] == 512

    before = snapshot(out)
    publish(out, [pub("a"), pub("b")])  # unchanged: touches nothing
    assert snapshot(out) == before

    edited = DOC.replace("There are different types", "There are several different types")
    n = len(feed(out))
    s3 = publish(out, [pub("a", edited), pub("b")])
    new = feed(out)[n:]
    assert [e[0] for e in new] == ["removed", "added"]  # only the edited passage
    assert (s3.chunks_added, s3.chunks_removed) == (1, 1)
    assert current(out) == expected(out)
    a_chunks = [c for c in current(out) if c["record_id"] == new[0][1]]
    assert {c["record_version"] for c in a_chunks} == {2}

    n = len(feed(out))
    b_id = next(c["record_id"] for c in current(out) if c["url"].endswith("/b"))
    b_chunks = {c["id"] for c in current(out) if c["record_id"] == b_id}
    publish(out, [pub("a", edited)])  # b withdrawn: its chunks go
    assert feed(out)[n:] == [("removed", b_id, cid) for cid in sorted(b_chunks)]
    assert current(out) == expected(out) and all(c["record_id"] != b_id for c in current(out))


def test_a_new_token_budget_rechunks_and_is_kept_by_later_runs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    long = Published("raw/long.md", _long_record())
    publish(out, [long])
    n512 = len(current(out))
    publish(out, [long], chunk_tokens=64)
    assert len(current(out)) > n512 and all(c["tokens"] <= 64 for c in current(out))
    assert load_manifest(out)["chunking"]["max_tokens"] == 64
    before = snapshot(out)
    publish(out, [long])  # None keeps the previous budget: nothing to do
    assert snapshot(out) == before


def test_records_of_an_unchanged_version_are_not_chunked_again(tmp_path: Path, monkeypatch) -> None:
    import ingest.store.chunks as chunks_mod

    out = tmp_path / "out"
    publish(out, [pub("a"), pub("b")])
    seen: list[str] = []
    real = chunks_mod.chunk_dicts
    monkeypatch.setattr(chunks_mod, "chunk_dicts", lambda r, *a: seen.append(r.id) or real(r, *a))
    edited = DOC.replace("There are different types", "There are several different types")
    publish(out, [pub("a", edited), pub("b")])
    assert seen == [pub("a").record.id]  # b's lines were copied
    assert current(out) == expected(out)
    publish(out, [pub("a", edited), pub("b")], chunk_tokens=100)  # new settings: everything again
    assert len(seen) == 3 and current(out) == [
        c.model_dump(mode="json") for e in load_manifest(out)["records"]
        for c in chunk_record(Record.model_validate_json((out / "records" / f"{e['id']}.json").read_bytes()), 100)
    ]


def _raw(tmp_path: Path, docs: dict[str, str]) -> list:
    from ingest.store.discovery import scan

    raw = tmp_path / "raw"
    raw.mkdir(exist_ok=True)
    for name, doc in docs.items():
        (raw / f"{name}.md").write_text(doc.replace(
            "url: https://www.cancer.gov/types/leukemia/patient/cll-treatment-pdq", f"url: https://www.cancer.gov/{name}"))
    return scan([raw]).refs


def _stage_and_publish(out: Path, refs: list, chunk_tokens: int | None = None):
    from ingest.orchestration.workers import normalize_and_stage
    from ingest.store.chunks import ChunkSettings
    from ingest.store.files import ensure_out_dir

    ensure_out_dir(out)
    settings = ChunkSettings.from_manifest(load_manifest(out) or {}, chunk_tokens)
    items = normalize_and_stage(refs, str(out), chunking=settings)
    return publish(out, [o for o, _s in items], staged={o.input: s for o, s in items if s is not None},
                   chunk_tokens=chunk_tokens), items


def test_chunk_lines_staged_by_the_batches_are_published_without_chunking_again(tmp_path: Path, monkeypatch) -> None:
    import ingest.store.chunks as chunks_mod

    out = tmp_path / "out"
    refs = _raw(tmp_path, {"a": DOC, "b": DOC})
    real = chunks_mod.chunk_dicts
    calls: list[str] = []
    monkeypatch.setattr(chunks_mod, "chunk_dicts", lambda r, *a: calls.append(r.id) or real(r, *a))
    s, items = _stage_and_publish(out, refs)
    assert all(st.chunks_tmp for _o, st in items) and len(calls) == 2  # chunked once each, while staging
    assert current(out) == expected(out) and s.chunks_added == len(current(out))
    assert not [p.name for p in (out / "records").iterdir() if p.name.startswith(".tmp-")]  # staged files removed


def test_staged_chunk_lines_carry_the_version_publishing_gives_the_record(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _stage_and_publish(out, _raw(tmp_path, {"a": DOC}))
    edited = DOC.replace("There are different types", "There are several different types")
    _s, items = _stage_and_publish(out, _raw(tmp_path, {"a": edited}))
    assert items[0][1].record.version == 1  # staged as the core made it ...
    chunks = current(out)
    assert {c["record_version"] for c in chunks} == {2} and chunks == expected(out)  # ... published as v2


def test_staged_chunk_lines_made_with_other_settings_are_not_used(tmp_path: Path) -> None:
    from ingest.orchestration.workers import normalize_and_stage
    from ingest.store.chunks import ChunkSettings
    from ingest.store.files import ensure_out_dir

    out = tmp_path / "out"
    ensure_out_dir(out)
    items = normalize_and_stage(_raw(tmp_path, {"a": _long_record_doc()}), str(out), chunking=ChunkSettings(64))
    publish(out, [o for o, _s in items], staged={o.input: s for o, s in items if s is not None})  # 512 tokens
    assert current(out) == expected(out) and {c["tokens"] > 64 for c in current(out)} == {True, False}


def _long_record_doc() -> str:
    para = " ".join(f"Sentence {i} about the treatment of leukemia in adults." for i in range(120))
    return DOC.replace("Treatment of relapsed CLL may include targeted therapy.", para)
