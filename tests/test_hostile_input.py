"""Hostile and broken input (issue 6): every input is published or quarantined with a reason (never at
stage "internal"), in bounded time; nothing from scripts, styles, frames, event handlers or
javascript:/data: URLs reaches a record; ids and paths never escape OUT_DIR; XML entities are
neither expanded nor fetched."""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

import pytest

from ingest.core.inputs import InputMeta
from ingest.core.pipeline import Published, Quarantined, process
from ingest.core.record import record_id
from ingest.orchestration.workers import normalize_and_stage
from ingest.store.discovery import RawRef, discover
from ingest.store.files import ensure_out_dir, record_path
from ingest.store.publish import publish

from .conftest import make_record
from .helpers import live_markup

P = (
    "<p>Leukemia is a cancer of the blood cells. Treatment depends on the type of leukemia and other "
    "factors, and your care team will explain the options.</p>"
)


def page(body: str, head: str = "<title>Leukemia treatment</title>") -> bytes:
    return f"<html><head>{head}</head><body><main><h1>Leukemia treatment</h1>{P}{body}{P}</main></body></html>".encode()


def _laughs() -> bytes:
    ents = ['<!ENTITY lol0 "lol">']
    for i in range(1, 10):
        ents.append(f'<!ENTITY lol{i} "' + f"&lol{i - 1};" * 10 + '">')
    return (
        '<?xml version="1.0"?><!DOCTYPE Summary [' + "".join(ents) + "]>"
        '<Summary id="CDR1"><SummaryTitle>Laughs &lol9;</SummaryTitle><SummarySection><Title>S</Title>'
        "<Para>Text &lol9; of the summary, long enough to be content.</Para></SummarySection></Summary>"
    ).encode()


LAUGHS = _laughs()
YAML_BOMB = (
    "---\ntitle: Bomb\na: &a [x, x, x, x, x, x, x, x, x]\n"
    + "".join(f"{n}: &{n} [{', '.join(['*' + p] * 9)}]\n" for p, n in zip("abcdef", "bcdefg", strict=True))
    + "tags: *g\n---\n\nBody text of the page.\n"
).encode()
FORBIDDEN = ("<script", "alert(", "javascript", "vbscript", "onclick", "onerror", "onload", "onmouseover", "<iframe",
             "<style", "data:text", "<svg", "<object", "<embed", "frame text", "template text", "noscript text",
             "lollollol", "pwned")

#: (what, file name, bytes, expected: "published" or (stage, kind))
CASES = [
    ("a NUL byte makes a text file binary", "nul.txt", b"Title\n\nhello\x00world\n", ("decode", "BinaryInput")),
    ("a BOM alone is an empty file", "bom.txt", b"\xef\xbb\xbf", ("decode", "EmptyInput")),
    ("a BOM before front matter is read through", "bom.md", b"\xef\xbb\xbf---\ntitle: Hi\n---\n\nBody text here.\n",
     "published"),
    ("UTF-16 with its BOM decodes", "u16.txt", "Title\n\nBody text in UTF-16.\n".encode("utf-16"), "published"),
    ("mixed line endings are normalized", "endings.txt", b"Title\r\n\r\nLine one.\rLine two.\nLine three.\r\n",
     "published"),
    ("invalid UTF-8 mixed with valid keeps the valid accents", "mixed.html",
     page("<p>Valid caf\u00e9 and invalid bytes here.</p>").replace(b"invalid bytes", b"invalid \xff\xfe bytes"),
     "published"),
    ("a huge single line is bounded", "line.txt", b"Title\n\n" + b"word " * 200_000 + b"\n", "published"),
    ("100k nested divs are cut at a bounded depth", "deep.html", b"<html><body>" + b"<div>" * 100_000 + b"x"
     + b"</div>" * 100_000 + b"</body></html>", "any"),
    ("3000 nested tables are cut at a bounded depth", "tables.html",
     page("<table><tr><td>" * 3000 + "x" + "</td></tr></table>" * 3000), "published"),
    ("100k nested Markdown brackets are refused", "brackets.md", b"# T\n\n" + b"[" * 100_000 + b"x" + b"]" * 100_000,
     ("load", "PathologicalInput")),
    ("deeply nested Markdown quotes are bounded", "quotes.md", b"# T\n\n" + b">" * 20_000 + b" hi\n",
     ("extract", "NoContent")),
    ("malformed front matter carries the YAML error", "bad.md", b"---\ntitle: : : [\n---\n\nBody.\n",
     ("parse", "MalformedFrontMatter")),
    ("front matter that is a list is malformed", "list.md", b"---\n- a\n- b\n---\n\nBody text.\n",
     ("parse", "MalformedFrontMatter")),
    ("a Python tag in front matter is refused, never run", "py.md",
     b"---\ntitle: !!python/object/apply:os.system ['echo pwned']\n---\n\nBody.\n", ("parse", "MalformedFrontMatter")),
    ("a YAML alias bomb is refused", "bomb.md", YAML_BOMB, ("parse", "MalformedFrontMatter")),
    ("deeply nested front matter is malformed", "nested.md", b"---\ntitle: T\nx: " + b"{a: " * 5000 + b"\n---\n\nB.\n",
     ("parse", "MalformedFrontMatter")),
    ("dates as numbers and lists where strings belong are ignored, not fatal", "types.md",
     b"---\ntitle: T\nlastReviewed: 20240101\ndatePublished: 2024\nupdated: 1.5\nlanguage: [en, fr]\n"
     b"tags: {a: 1}\ncancerTypes: 5\nlicense: [x]\nurl: [http://x]\n---\n\nBody text.\n", "published"),
    ("a title that is a mapping leaves no title", "title.md", b"---\ntitle: {a: 1}\n---\n\nBody text.\n",
     ("extract", "NoContent")),
    ("scripts, styles, frames, handlers and script URLs in HTML are dropped", "inject.html", page(
        "<p onmouseover='alert(1)'>Hi <svg onload=alert(1)><script>alert(2)</script></svg> "
        "<a href='  JaVaScRiPt:alert(3)'>x</a> <a href='vbscript:x'>v</a> <a href='data:text/html;base64,PHM+'>d</a>"
        "<object data='x.swf'>obj</object><embed src=x> <iframe src='https://evil.example/'>frame text</iframe> "
        "safe words in a paragraph.</p><noscript>noscript text</noscript><template><p>template text</p></template>",
        head="<title>Leukemia treatment</title><script>alert(0)</script><style>p{}</style>"), "published"),
    ("entities that decode into tags are dropped", "entity.html",
     page("<p>&lt;script&gt;alert(1)&lt;/script&gt; and &lt;img src=x onerror=alert(2)&gt; as text in a paragraph.</p>"),
     "published"),
    ("raw HTML and script links in Markdown are dropped", "inject.md",
     b"# Title <script>alert(1)</script>\n\nHello <b onclick='x()'>bold</b> <script>alert(2)</script> "
     b"[x](javascript:alert(3)) [d](data:text/html;base64,PHM+) <iframe src=x>frame text</iframe>\n\n"
     b"<script>\nalert(4)\n</script>\n\n<style>p{}</style>\n\nText &lt;script&gt;alert(5)&lt;/script&gt; end.\n",
     "published"),
    ("markup typed into a text file is dropped", "inject.txt",
     b"Title\n\nHello <script>alert(1)</script> <img src=x onerror=alert(1)> and javascript:alert(1) text.\n",
     "published"),
    ("a billion-laughs XML file is not expanded", "laughs.xml", LAUGHS, "any"),
    # issue 17: removing an inner tag must not join the outer one back together (sanitized to a fixed point)
    ("a tag split by an inner tag in a text file is not joined back into markup", "split.txt",
     b"Leukemia facts\n\nLeukemia is a cancer of the blood. <img<b></b> src=x onerror=alert(1)> "
     b"<scr<b></b>ipt>alert(2)<</b>/script> more words here.\n", "published"),
    ("a slash instead of a space before an attribute in Markdown is still a tag", "slash.md",
     b"# Leukemia facts\n\nLeukemia is a cancer of the blood. <img/src=x onerror=alert(3)> <svg/onload=alert(4)> "
     b"more words here.\n", "published"),
    ("an entity-encoded tag in the HTML title is dropped", "title.html",
     b'<html><head><title>Leukemia &lt;img alt="&lt;" src=x onerror=alert(5)&gt;</title></head><body>'
     + P.encode() + P.encode() + b"</body></html>", "published"),
    ("an entity-encoded tag with slash separators in a paragraph is dropped", "details.html",
     page("<p>Before &lt;details/open/ontoggle=alert(6)&gt; after, in a paragraph of words.</p>"), "published"),
    ("a meta-refresh stub titled Moved is an error page, not a record", "moved.html",
     b'<html><head><title>Moved</title><meta http-equiv="refresh" content="0; url=https://www.cancer.gov/x"></head>'
     b'<body><p>This page has moved <a href="https://www.cancer.gov/x">here</a>.</p></body></html>', ("extract", "ErrorPage")),
    ("a CDN error page titled Error is an error page", "cdn.html",
     b"<html><head><title>Error</title></head><body><h2>An error occurred while processing your request.</h2>"
     b"<p>Reference #97.c3e9c21.1711</p></body></html>", ("extract", "ErrorPage")),
    ("a tag start left unterminated at the end of a text loses its bracket", "open.txt",
     b"Leukemia facts\n\nLeukemia is a cancer of the blood cells in the marrow. <svg/onload=alert(7)\n", "published"),
    # issue 17: the script-link pattern rescanned the rest of the text from every unmatched "[" (1 MB: > 240 s)
    ("1 MB of Markdown with an unmatched [ on every line is linear", "unmatched.md",
     b"# Leukemia facts\n\n" + b"[ a word or two\n" * 65_536, "published"),
]

#: CPU seconds an input of CASES may take (10 unless listed): markdown-it alone parses this 1 MB paragraph in ~10 s.
TIME_BOUNDS = {"unmatched.md": 40}


@pytest.mark.parametrize(("name", "data", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_every_hostile_input_is_published_clean_or_quarantined_with_a_reason_in_bounded_time(
    name: str, data: bytes, expected
) -> None:
    started = time.process_time()  # CPU time: the work done, whatever else shares the machine
    outcome = process(data, InputMeta(input=f"raw/{name}", filename=name))
    assert time.process_time() - started < TIME_BOUNDS.get(name, 10)
    if isinstance(outcome, Quarantined):
        assert outcome.stage != "internal" and outcome.reason
        assert expected in ("any", (outcome.stage, outcome.kind)), outcome
        return
    assert expected in ("published", "any"), outcome
    assert live_markup(json.loads(outcome.record.model_dump_json())) == []
    dumped = outcome.record.model_dump_json().lower()
    if name not in ("split.txt", "slash.md", "title.html", "details.html", "open.txt"):
        # a split tag leaves its attributes behind as plain words ("src=x onerror=alert(1)>"): text, not markup
        assert [w for w in FORBIDDEN if w in dumped] == []
    if name == "mixed.html":
        assert "café" in dumped and "ã©" not in dumped


def test_an_input_over_the_size_cap_is_quarantined_without_being_read(tmp_path: Path, monkeypatch) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    with open(raw / "big.txt", "wb") as f:  # sparse: 25 MB on paper, nothing on disk
        f.truncate(25 * 1024 * 1024)
    (raw / "small.txt").write_text("Title\n\nA small page with enough text.\n")
    (raw / "capped.txt").write_text("Title\n\n" + "x" * 200 + "\n")
    out = tmp_path / "out"
    ensure_out_dir(out)
    items = normalize_and_stage(discover([raw]), str(out))
    kinds = {o.input: (o.stage, o.kind) if isinstance(o, Quarantined) else "published" for o, _ in items}
    assert kinds["raw/big.txt"] == ("read", "OversizeInput")
    assert kinds["raw/small.txt"] == "published"
    monkeypatch.setenv("INGEST_MAX_INPUT_BYTES", "100")
    items = normalize_and_stage([RawRef(raw / "capped.txt", "raw/capped.txt")], str(out))
    assert isinstance(items[0][0], Quarantined) and items[0][0].kind == "OversizeInput"
    assert "over the 100-byte cap" in items[0][0].reason


@pytest.mark.parametrize(
    "url_or_name",
    ["../../etc/passwd", "/etc/passwd", "..\\..\\windows", "file:///etc/passwd", "javascript:alert(1)",
     "https://www.cancer.gov/../../x", "raw/\u202egnp.exe", "raw/\u0000nul", "raw/" + "a" * 5000, "https://ex.ample/\u2025/"],
)
def test_record_ids_and_paths_never_escape_out_dir_whatever_the_url_or_file_name(tmp_path: Path, url_or_name: str) -> None:
    for rid in (record_id(url_or_name, "raw/x.txt"), record_id(None, url_or_name)):
        path = record_path(tmp_path, rid)
        assert path.resolve().parent == (tmp_path / "records").resolve()


@pytest.mark.parametrize("forged", ["doc-../../../../tmp", "../evil", "/abs/path", "doc-0123456789abcdef/../../x",
                                    "doc-０１２３４５６７８９ａｂｃｄｅｆ"])
def test_a_forged_record_id_is_quarantined_and_nothing_is_written_outside_out_dir(tmp_path: Path, forged: str) -> None:
    rec = make_record(provenance={"input": "raw/evil.txt"}).model_construct(
        **{**make_record(provenance={"input": "raw/evil.txt"}).__dict__, "id": forged}
    )
    out = tmp_path / "out"
    summary = publish(out, [Published("raw/evil.txt", rec)])
    assert summary.quarantined == 1 and summary.quarantined_outcomes[0].kind == "UnsafeId"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert list((out / "records").iterdir()) == []


def test_odd_file_names_become_safe_ids_inside_out_dir(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in ("x..%2f..%2fetc.txt", "\u202eevil.txt", "spaces and ü.txt", "-rf.md"):
        (raw / name).write_text("# Title\n\nA page with an odd file name and enough text to publish.\n")
    out = tmp_path / "out"
    ensure_out_dir(out)
    items = normalize_and_stage(discover([raw]), str(out))
    summary = publish(out, [o for o, _ in items], staged={o.input: s for o, s in items if s is not None})
    assert summary.published == 4
    assert all(p.resolve().is_relative_to(out.resolve()) for p in out.rglob("*"))


def test_xml_entities_are_neither_expanded_nor_fetched_from_files_or_the_network(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-MARKER")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(0.2)
    port = server.getsockname()[1]
    xxe = (
        f'<?xml version="1.0"?><!DOCTYPE Summary [<!ENTITY file SYSTEM "file://{secret}">'
        f'<!ENTITY net SYSTEM "http://127.0.0.1:{port}/x"><!ENTITY % pe SYSTEM "http://127.0.0.1:{port}/pe"> %pe;]>'
        '<Summary id="CDR1"><SummaryTitle>Entities &file;</SummaryTitle><SummarySection><Title>S</Title>'
        "<Para>Text &file; &net; of the summary, long enough to be content.</Para></SummarySection></Summary>"
    ).encode()
    try:
        for name, data in (("xxe.xml", xxe), ("xxe.html", xxe.replace(b"Summary", b"html"))):
            outcome = process(data, InputMeta(input=f"raw/{name}", filename=name))
            assert not (isinstance(outcome, Quarantined) and outcome.stage == "internal"), outcome
            if isinstance(outcome, Published):
                assert "SECRET-MARKER" not in outcome.record.model_dump_json()
        with pytest.raises(socket.timeout):
            server.accept()  # nobody connected
    finally:
        server.close()
    assert os.path.exists(secret)


def test_guidance_text_in_angle_brackets_and_comparisons_stay_as_text() -> None:
    outcome = process(b"Citation guidance\n\nUpdated <MM/DD/YYYY>. Accessed <MM/DD/YYYY>. PSA < 4 ng/mL and 3<4.\n",
                      InputMeta(input="raw/guide.txt", filename="guide.txt"))
    assert isinstance(outcome, Published)
    text = outcome.record.sections[0].text
    assert "Updated <MM/DD/YYYY>. Accessed <MM/DD/YYYY>." in text and "PSA < 4 ng/mL and 3<4" in text


SIDECARS = [
    ("a script in the sidecar url", {"url": "https://www.cancer.gov/x<script>alert(1)</script>"}, "'url'"),
    ("a script URL as the sidecar url", {"url": "javascript:alert(1)"}, "'url'"),
    ("a script in the sidecar final_url", {"url": "https://www.cancer.gov/x", "final_url": "https://x/\"><svg onload=1>"},
     "'final_url'"),
    ("a script as the sidecar fetched_at", {"url": "https://www.cancer.gov/x", "fetched_at": "<script>alert(2)</script>"},
     "'fetched_at'"),
    ("a tilde as fetched_at (sorts after every date)", {"url": "https://www.cancer.gov/x", "fetched_at": "~"},
     "'fetched_at'"),
]


@pytest.mark.parametrize(("fields", "field"), [c[1:] for c in SIDECARS], ids=[c[0] for c in SIDECARS])
def test_a_sidecar_with_an_invalid_url_or_fetched_at_quarantines_its_input_and_nothing_of_it_is_published(
    tmp_path: Path, fields: dict, field: str
) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "p.txt").write_text("Leukemia facts\n\nLeukemia is a cancer of the blood cells found in marrow.\n")
    (raw / "p.txt.meta.json").write_text(json.dumps(fields))
    out = tmp_path / "out"
    ensure_out_dir(out)
    [(outcome, staged)] = normalize_and_stage(discover([raw]), str(out))
    assert isinstance(outcome, Quarantined) and staged is None
    assert (outcome.stage, outcome.kind) == ("read", "MalformedSidecar")
    assert field in outcome.reason and "<" not in outcome.reason and "\n" not in outcome.reason


def test_a_planted_copy_never_takes_over_the_record_id_of_the_genuine_page(tmp_path: Path) -> None:
    """Two inputs claim one URL: a planted one with fetched_at "~" is quarantined; a planted one with a
    valid but older time loses; either way the genuine record stays, and the conflict is reported."""
    raw = tmp_path / "raw"
    raw.mkdir()
    url = "https://www.cancer.gov/types/leukemia"
    (raw / "genuine.txt").write_text("Leukemia\n\nLeukemia is a cancer of the blood cells found in the marrow.\n")
    (raw / "genuine.txt.meta.json").write_text(json.dumps({"url": url, "fetched_at": "2026-11-20T08:00:00Z"}))
    (raw / "planted.txt").write_text("Leukemia\n\nPlanted text that must never reach a patient as this page.\n")
    (raw / "planted.txt.meta.json").write_text(json.dumps({"url": url, "fetched_at": "~"}))
    (raw / "older.txt").write_text("Leukemia\n\nAn older text of the page, fetched before the genuine one.\n")
    (raw / "older.txt.meta.json").write_text(json.dumps({"url": url, "fetched_at": "2026-11-20T09:00:00+05:00"}))
    out = tmp_path / "out"
    ensure_out_dir(out)
    items = normalize_and_stage(discover([raw]), str(out))
    summary = publish(out, [o for o, _ in items], staged={o.input: s for o, s in items if s is not None})
    manifest = json.loads((out / "manifest.json").read_bytes())
    [entry] = manifest["records"]
    assert entry["input"] == "raw/genuine.txt"
    assert [(q["input"], q["kind"]) for q in manifest["quarantined"]] == [("raw/planted.txt", "MalformedSidecar")]
    [dup] = manifest["duplicates"]  # 09:00+05:00 is 04:00Z: older than the genuine copy, as a time (not as a string)
    assert dup["input"] == "raw/older.txt" and dup["duplicate_of"] == "raw/genuine.txt"
    assert "different content" in dup["conflict"] and "fetched later" in dup["conflict"]
    assert summary.published == 1
