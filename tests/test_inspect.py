"""`ingest inspect`: removals located in the text the pipeline saw, the page escaped, and the page as a
real browser (Debian's chromium, headless) renders it: struck spans labelled with their rules.

The browser tests are skipped when chromium is not installed, unless INGEST_REQUIRE_BROWSER is set
(.ci/run sets it, after installing chromium), in which case they fail."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from ingest.cli import main as cli
from ingest.cli.inspect_page import inspect_file
from ingest.cli.inspect_view import SourceView, locate, source_view
from ingest.core.inputs import InputMeta

from .helpers import RAW

SEEDS = sorted(p.name for p in RAW.glob("*.txt"))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
REQUIRE_BROWSER = bool(os.environ.get("INGEST_REQUIRE_BROWSER"))
needs_browser = pytest.mark.skipif(
    CHROMIUM is None and not REQUIRE_BROWSER,
    reason="chromium is not installed (apt-get install -y --no-install-recommends chromium)",
)


def removal(text: str, count: int = 1, rule: str = "r.x") -> dict:
    return {"rule": rule, "kind": "boilerplate", "reason": "because", "text": text, "count": count}


@pytest.mark.parametrize(
    ("source", "removals", "struck", "located"),
    [
        ("Keep this.\nText Size\nKeep that.\n", [removal("Text Size")], ["Text Size"], [1]),
        ("A  line\n  split   over\nlines.\n", [removal("A line split over lines.")],
         ["A  line\n  split   over\nlines."], [1]),
        ("See [the NCI Cancer Bulletin](/x) *now*.\n", [removal("See the NCI Cancer Bulletin now.")],
         ["See [the NCI Cancer Bulletin](/x) *now*."], [1]),
        ("We said Related Questions here.\nRelated Questions\n", [removal("Related Questions")],
         ["Related Questions"], [1]),
        ("Banner\nBody\nBanner\nBanner\n", [removal("Banner", count=2)], ["Banner", "Banner"], [2]),
        ("Title - NCI\nTitle\n", [removal("Title"), removal("Title - NCI")], ["Title - NCI", "Title"], [1, 1]),
        ("Nothing here.\n", [removal("Not in the text")], [], [0]),
    ],
    ids=[
        "an-exact-line",
        "whitespace-folded-across-lines",
        "markdown-link-and-emphasis-between-words",
        "a-whole-line-before-a-mention-in-a-sentence",
        "as-many-occurrences-as-the-count",
        "the-longer-text-first-so-the-shorter-does-not-steal-it",
        "an-unlocatable-removal-is-counted-as-such",
    ],
)
def test_removals_are_located_in_the_text_the_pipeline_saw(source, removals, struck, located) -> None:
    view = SourceView(source, "text")
    spans, found = locate(view, removals, [])
    assert found == located
    removed = sorted((s for s in spans if s.layer == "removed"), key=lambda s: s.start)
    assert [source[s.start : s.end] for s in removed] == struck
    # the whole-line preference: a line that says only "Related Questions" is the one struck
    if "We said" in source:
        assert removed[0].start == source.index("\nRelated Questions") + 1


@pytest.mark.parametrize("seed", SEEDS)
def test_every_removal_of_every_seed_is_located_and_struck(seed: str) -> None:
    page = inspect_file(RAW / seed)
    assert page.quarantined is None
    assert page.removals, "every seed has boilerplate"
    assert page.unlocated == [], f"not located: {[r['text'] for r in page.unlocated]}"
    assert page.html.count('<del class="removed"') >= len(page.removals)


def test_the_page_escapes_document_text_and_allows_no_script(tmp_path: Path) -> None:
    doc = tmp_path / "raw" / "evil.txt"
    doc.parent.mkdir()
    doc.write_text(
        'Evil <b>title</b>\n\nA paragraph with <script>alert(1)</script> and <img src=x onerror="alert(2)"> '
        "and a \"quoted\" & 'single' text that is long enough to be a body paragraph.\n"
    )
    page = inspect_file(doc)
    assert "<script>" not in page.html and "<img" not in page.html and "<b>title" not in page.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.html
    assert "Content-Security-Policy" in page.html and "default-src 'none'" in page.html


@pytest.mark.parametrize(
    ("files", "argv_tail", "code", "stdout_has"),
    [
        ({"raw/a.txt": "A title\n\nFor informational purposes only\n\nSome body text of the document.\n"},
         [], 0, "wrote "),
        ({"raw/empty.txt": ""}, [], 1, "QUARANTINED raw/empty.txt: decode:"),
    ],
    ids=["a-good-input-exits-0", "a-quarantined-input-exits-1-and-says-why"],
)
def test_inspect_writes_the_page_and_exits_by_the_inputs_fate(
    tmp_path: Path, files, argv_tail, code, stdout_has, capsys
) -> None:
    from .conftest import write_files

    write_files(tmp_path, files)
    src = tmp_path / next(iter(files))
    out = tmp_path / "page.html"
    assert cli.main(["inspect", str(src), "--out", str(out), *argv_tail]) == code
    assert stdout_has in capsys.readouterr().out
    html = out.read_text()
    assert html.startswith("<!DOCTYPE html>")
    if code == 1:
        assert "Quarantined" in html


def test_an_html_input_is_shown_as_its_visible_text_without_scripts() -> None:
    meta = InputMeta(input="raw/p.html", filename="p.html")
    raw = (b"<html><head><title>T</title><script>var hidden = 1;</script></head><body><nav>Home | About</nav>"
           b"<main><h1>Heading</h1><p>First <a href='/x'>linked</a> paragraph.</p></main></body></html>")
    view = source_view(raw, meta)
    assert view.fmt == "html"
    assert "var hidden" not in view.text
    assert "Home | About\n" in view.text and "\nHeading\n" in view.text
    assert "First linked paragraph." in view.text


# --------------------------------------------------------------------------- in a real browser


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None, "INGEST_REQUIRE_BROWSER is set but chromium is not installed"
    profile = tmp_path / "chromium-profile"
    cmd = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", f"--user-data-dir={profile}", *args,
    ]
    env = {**os.environ, "HOME": str(tmp_path)}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env, check=False)


def rendered_dom(tmp_path: Path, page: Path):
    from lxml import html as lxml_html

    proc = chromium(tmp_path, "--dump-dom", page.resolve().as_uri())
    assert proc.returncode == 0 and "<html" in proc.stdout, proc.stderr[-2000:]
    return lxml_html.document_fromstring(proc.stdout)


@needs_browser
@pytest.mark.slow
@pytest.mark.parametrize(
    ("seed", "struck_text", "rule", "highlighted"),
    [
        ("000_1cf3df3bac4fc228.txt", "[facility removed]", "redaction.repair_from_document", None),
        ("003_a791fc4135c499f1.txt", "+ -Text Size", "acs.text_size", None),
        ("004_c67a55daeefbee0f.txt",
         "More Chemotherapy May Help after Initial Treatment for Childhood Leukemia Fails - NCI",
         "structure.title_repeat", ("glossary", "acute lymphoblastic leukemia")),
    ],
    ids=["seed-000-redaction-marker", "seed-003-acs-widget", "seed-004-title-repeat-and-glossary"],
)
def test_the_browser_renders_each_removal_struck_through_and_labelled_with_its_rule(
    tmp_path: Path, seed, struck_text, rule, highlighted, capsys
) -> None:
    page = tmp_path / "page.html"
    assert cli.main(["inspect", str(RAW / seed), "--out", str(page)]) == 0
    dom = rendered_dom(tmp_path, page)
    struck = [d for d in dom.xpath('//pre[@class="src"]//del[@class="removed"]') if d.text_content() == struck_text]
    assert struck, f"no struck-through {struck_text!r} in the rendered page"
    assert struck[0].get("data-rule") == rule
    label = struck[0].getprevious()
    assert label is not None and label.get("class") == "rule" and label.text_content() == rule
    assert rule in struck[0].get("title")
    # the resulting sections are beside it
    assert dom.xpath('//div[@id="record"]//section[@class="sec"]')
    if highlighted:
        cls, term = highlighted
        assert any(m.text_content().lower() == term for m in dom.xpath(f'//pre//mark[@class="{cls}"]'))
        assert any(m.text_content().lower() == term for m in dom.xpath(f'//div[@id="record"]//mark[@class="{cls}"]'))


@needs_browser
@pytest.mark.slow
def test_a_screenshot_of_the_inspect_page_is_a_real_1280_pixel_wide_png(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    assert cli.main(["inspect", str(RAW / SEEDS[0]), "--out", str(page)]) == 0
    shot = tmp_path / "page.png"
    proc = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,2000", page.resolve().as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1280, 2000)
    assert len(data) > 50_000, "a blank page compresses to a few KB"


@needs_browser
@pytest.mark.slow
def test_untrusted_markup_in_a_document_stays_text_in_the_browser(tmp_path: Path) -> None:
    doc = tmp_path / "raw" / "evil.txt"
    doc.parent.mkdir()
    doc.write_text(
        "Evil title\n\nA paragraph with <script>document.title='pwned'</script> and "
        "<img src=x onerror=\"document.title='pwned'\"> in it, long enough to be kept as body text.\n"
    )
    page = tmp_path / "page.html"
    cli.main(["inspect", str(doc), "--out", str(page)])
    dom = rendered_dom(tmp_path, page)
    assert dom.xpath("//script") == [] and dom.xpath("//img") == []
    assert dom.findtext(".//title").startswith("inspect: ")
    # the document pane shows the input as text; the record is plain text (issue 6: the markup is gone)
    assert "<img src=x onerror=" in dom.xpath("//body")[0].text_content()
    assert "onerror" not in dom.xpath('//div[@id="record"]')[0].text_content()


def test_html_chrome_that_no_rule_logged_is_shown_as_not_read(tmp_path: Path) -> None:
    from lxml import html as lxml_html

    page_file = tmp_path / "raw" / "page.html"
    page_file.parent.mkdir()
    body = " ".join(["Leukemia is a cancer of the blood-forming tissues that starts in the bone marrow."] * 4)
    page_file.write_text(
        "<html><head><title>About leukemia</title></head><body>"
        "<nav><ul><li>Home</li><li>Donate today</li></ul></nav>"
        f"<main><article><h1>About leukemia</h1><p>{body}</p></article></main>"
        "<footer>Copyright footer text</footer></body></html>"
    )
    page = inspect_file(page_file)
    assert page.quarantined is None
    dom = lxml_html.document_fromstring(page.html)
    grey = " ".join(e.text_content() for e in dom.xpath('//pre[@class="src"]//span[@class="outside"]'))
    assert "Donate today" in grey and "Copyright footer text" in grey
    assert "Leukemia is a cancer" not in grey
