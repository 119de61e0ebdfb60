"""Property-based tests of the normalizer (issue 6): arbitrary bytes and generated HTML/Markdown go
through ``ingest.core.pipeline.process`` without raising; the outcome is Published or Quarantined with
one of the pipeline's own error kinds (never stage "internal": that would be a bug), and every
published record validates against schemas/record.schema.json and carries no markup or script."""

from __future__ import annotations

import json

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.core import errors
from ingest.core.inputs import InputMeta
from ingest.core.pipeline import Published, Quarantined, process

from .helpers import ROOT, live_markup

SCHEMA = json.loads((ROOT / "schemas" / "record.schema.json").read_bytes())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
#: The kinds the pipeline raises on purpose (QuarantineError subclasses).
KINDS = {c.__name__ for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.QuarantineError)}
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                    database=None)
FORBIDDEN = ("<script", "javascript:", "<iframe", "<style", "data:text/html")

TAGS = ["div", "p", "span", "a", "h1", "h2", "h3", "ul", "ol", "li", "table", "tr", "td", "th", "main", "article",
        "section", "nav", "header", "footer", "aside", "b", "i", "em", "strong", "blockquote", "pre", "code", "img",
        "script", "style", "iframe", "svg", "template", "noscript", "object", "time", "meta", "br", "form"]
ATTRS = ["href", "src", "class", "id", "onclick", "onerror", "onload", "onmouseover", "style", "datetime", "name",
         "content", "role", "aria-hidden", "hidden", "lang", "rel"]
VALUES = st.one_of(
    st.sampled_from(["javascript:alert(1)", " JaVaScRiPt:alert(2)", "data:text/html;base64,PHNjcmlwdD4=", "vbscript:x",
                     "https://www.cancer.gov/types/leukemia", "/relative/path", "#top", "alert(document.cookie)",
                     "display:none", "2024-01-17", "article-body", "main", "true", "popDefinition.aspx?id=CDR0000045586"]),
    st.text(max_size=20),
)
WORDS = st.one_of(
    st.sampled_from(["Leukemia", "treatment", "Last Medical Review: January 17, 2024", "<script>alert(1)</script>",
                     "&lt;script&gt;alert(1)&lt;/script&gt;", "&amp;", "[facility removed]", "Updated:", "References",
                     "PMID: 22494120", "javascript:alert(3)", "\u202e", "\x00", "\ufeff", "<!--", "]]>", "&lol;"]),
    st.text(max_size=40),
)


def _element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    def build(tag: str, attrs: list[tuple[str, str]], kids: list[str]) -> str:
        a = "".join(f' {k}="{v.replace(chr(34), "&quot;")}"' for k, v in attrs)
        return f"<{tag}{a}>{''.join(kids)}</{tag}>"

    return st.builds(build, st.sampled_from(TAGS), st.lists(st.tuples(st.sampled_from(ATTRS), VALUES), max_size=3),
                     st.lists(children, max_size=4))


HTML_NODES = st.recursive(WORDS, _element, max_leaves=30)
HTML_DOCS = st.builds(
    lambda head, body, doctype: f"{doctype}<html><head><title>{head}</title></head><body>{body}</body></html>",
    WORDS, st.lists(HTML_NODES, min_size=1, max_size=6).map("".join),
    st.sampled_from(["", "<!DOCTYPE html>", '<!DOCTYPE html [<!ENTITY lol "lol">]>']),
)
MARKDOWN_DOCS = st.builds(
    lambda fm, lines: fm + "\n".join(lines),
    st.sampled_from(["", "---\ntitle: A title\n---\n\n", "---\ntitle: [a, b]\nlastReviewed: 20240101\n---\n\n",
                     "---\ntitle: : [\n---\n\n", "---\n- a\n---\n"]),
    st.lists(st.one_of(WORDS, st.sampled_from(["# Heading", "## Sub", "- item", "1. item", "> quote", "| a | b |",
                                                "|---|---|", "[link](javascript:alert(1))", "<div onclick='x()'>",
                                                "```", "    code"])), max_size=25),
)


def check(outcome, substrings: bool = True) -> None:
    assert isinstance(outcome, Published | Quarantined)
    if isinstance(outcome, Quarantined):
        assert outcome.stage != "internal", outcome
        assert outcome.kind in KINDS, outcome
        assert outcome.reason
        return
    data = json.loads(outcome.record.model_dump_json())
    errs = [e.message for e in VALIDATOR.iter_errors(data)]
    assert errs == [], errs
    content = json.dumps({k: v for k, v in data.items() if k != "provenance"}, ensure_ascii=False).lower()
    if substrings:  # off where a valid http(s) URL may spell "javascript:" in its path: text, not a script URL
        assert [w for w in FORBIDDEN if w in content] == [], content[:2000]
    assert live_markup(data) == []


@pytest.mark.parametrize("suffix", [".txt", ".html", ".md", ".xml"])
@SETTINGS
@given(raw=st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise_and_give_a_pipeline_outcome(suffix: str, raw: bytes) -> None:
    check(process(raw, InputMeta(input=f"raw/x{suffix}", filename=f"x{suffix}")))


@SETTINGS
@given(doc=HTML_DOCS, url=st.sampled_from([None, "https://www.cancer.gov/types/leukemia", "https://www.cancer.org/x",
                                            "javascript:alert(1)", "https://example.com/page"]))
def test_generated_html_never_raises_and_every_record_is_valid_plain_text(doc: str, url: str | None) -> None:
    check(process(doc.encode("utf-8", "surrogatepass"), InputMeta(input="raw/x.html", filename="x.html", url=url)))


@SETTINGS
@given(doc=MARKDOWN_DOCS)
def test_generated_markdown_never_raises_and_every_record_is_valid_plain_text(doc: str) -> None:
    check(process(doc.encode("utf-8", "surrogatepass"), InputMeta(input="raw/x.md", filename="x.md")))


# issue 17: markup that hides from a one-pass sanitizer: tags split by inner tags (removing the inner one
# joins the outer one back together), "/" or tabs instead of spaces before attributes, tags written as
# entities (they decode into tags in HTML), unterminated tag starts.
HOSTILE_TAGS = ["img", "svg", "script", "details", "iframe", "a", "body", "video", "math", "style", "x-y"]
HANDLERS = ["onerror=alert(1)", "onload=alert(2)", "ontoggle=alert(3)", "src=x", 'alt="<"', "open", "href=javascript:x"]


def _split(word: str, inner: str) -> st.SearchStrategy[str]:
    return st.integers(1, max(1, len(word) - 1)).map(lambda i: word[:i] + inner + word[i:])


TAG_SHAPES = st.builds(
    lambda name, sep, attrs, close, end: f"<{name}{''.join(sep + a for a in attrs)}{end}" + (f"</{name}>" if close else ""),
    st.sampled_from(HOSTILE_TAGS), st.sampled_from([" ", "/", "\t", "\n", " /"]),
    st.lists(st.sampled_from(HANDLERS), max_size=3), st.booleans(), st.sampled_from([">", "/>", ""]),
)
HOSTILE = st.one_of(
    TAG_SHAPES,
    st.tuples(TAG_SHAPES, st.sampled_from(["<b></b>", "<i>", "</b>", "<!---->", "<script></script>"])).flatmap(
        lambda t: _split(t[0], t[1])),
    TAG_SHAPES.map(lambda t: t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")),
    TAG_SHAPES.map(lambda t: t.replace("<", "&#60;").replace(">", "&#x3e;")),
    st.lists(TAG_SHAPES, min_size=2, max_size=4).map(lambda ts: ts[0][:-1] + "".join(ts[1:]) + ">"),  # nested
)
HOSTILE_TEXT = st.lists(st.one_of(HOSTILE, WORDS), min_size=1, max_size=8).map(" ".join)


@pytest.mark.parametrize("fmt", ["txt", "md", "html-body", "html-title"])
@SETTINGS
@given(hostile=HOSTILE_TEXT)
def test_split_nested_slashed_and_encoded_tags_never_reach_a_record_as_markup(fmt: str, hostile: str) -> None:
    filler = "Leukemia is a cancer of the blood cells found in the marrow, and treatment depends on its type."
    if fmt == "txt":
        name, doc = "x.txt", f"Leukemia facts\n\n{filler} {hostile} {filler}\n"
    elif fmt == "md":
        name, doc = "x.md", f"# Leukemia {hostile}\n\n{filler} {hostile}\n\n- {hostile}\n"
    else:
        body, title = (hostile, "Leukemia") if fmt == "html-body" else ("", f"Leukemia {hostile}")
        name, doc = "x.html", f"<html><head><title>{title}</title></head><body><p>{filler} {body}</p><p>{filler}</p></body></html>"
    check(process(doc.encode("utf-8", "surrogatepass"), InputMeta(input=f"raw/{name}", filename=name)))


@SETTINGS
@given(url=st.one_of(HOSTILE_TEXT, st.sampled_from(["https://www.cancer.gov/a", "http://x.org/b?c=d"]).flatmap(
           lambda u: st.one_of(st.just(u), HOSTILE.map(lambda h: u + h)))),
       fetched_at=st.one_of(st.none(), HOSTILE_TEXT, st.sampled_from(["2024-03-24T20:32:55Z", "~", "9999", ""])))
def test_a_sidecar_is_validated_or_quarantines_its_input_never_trusted_as_it_is(url: str, fetched_at: str | None) -> None:
    from ingest.core.inputs import is_http_url, parse_timestamp

    sidecar = json.dumps({"url": url, "fetched_at": fetched_at}).encode()
    try:
        meta = InputMeta.from_sidecar("raw/x.txt", "x.txt", sidecar)
    except errors.MalformedSidecar as e:
        assert "<" not in e.reason and "\n" not in e.reason
        return
    assert meta.url is None or (is_http_url(meta.url) and "<" not in meta.url)
    assert meta.fetched_at is None or parse_timestamp(meta.fetched_at) is not None
    outcome = process(b"Leukemia facts\n\nLeukemia is a cancer of the blood cells found in marrow.\n", meta)
    check(outcome, substrings=False)
    assert outcome.record.source.url is None or is_http_url(outcome.record.source.url)
