from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.store.discovery import InputDirError, RawRef, discover, is_supported, read, scan

from .conftest import write_files


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    return write_files(
        tmp_path / "raw",
        {
            "b.txt": "b",
            "a.md": "a",
            "sub/z.HTML": "<p>z</p>",
            "sub/deeper/c.xml": "<x/>",
            "a.md.meta.json": json.dumps({"url": "https://example.org/a"}),
            ".hidden.txt": "hidden",
            ".git/config.txt": "hidden dir",
            "notes.pdf": b"%PDF-1.4",
            "README": "no suffix",
        },
    )


def test_discovery_returns_inputs_sorted_by_relative_path(raw: Path) -> None:
    inputs = [r.input for r in discover([raw])]
    assert inputs == ["raw/a.md", "raw/b.txt", "raw/sub/deeper/c.xml", "raw/sub/z.HTML"]


def test_files_without_a_loader_and_documentation_files_are_skipped_with_a_reason(raw: Path) -> None:
    found = scan([raw])
    assert {s.path: s.kind for s in found.skipped} == {"raw/README": "documentation", "raw/notes.pdf": "unsupported"}
    assert found.skipped_counts() == {"documentation": 1, "unsupported": 1}
    assert all(s.reason for s in found.skipped)


def test_inputs_are_the_dir_name_plus_a_relative_posix_path_never_absolute(raw: Path) -> None:
    for ref in discover([raw]):
        assert not Path(ref.input).is_absolute()
        assert ref.input.startswith("raw/")
        assert "\\" not in ref.input
        assert ref.path == raw / ref.input.removeprefix("raw/")


def test_a_relative_or_dotted_raw_dir_still_gives_its_real_name(
    raw: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(raw)
    assert discover([Path(".")])[0].input == "raw/a.md"


def test_sidecars_and_hidden_files_are_not_inputs(raw: Path) -> None:
    inputs = {r.input for r in discover([raw])}
    assert not any(i.endswith(".meta.json") for i in inputs)
    assert not any("/." in i for i in inputs)


def test_files_of_unsupported_types_are_inputs_when_included_so_they_get_quarantined(raw: Path) -> None:
    refs = {r.input: r for r in discover([raw], include=["*.pdf", "*.HTML"])}
    assert sorted(refs) == ["raw/notes.pdf", "raw/sub/z.HTML"]
    assert not is_supported(refs["raw/notes.pdf"].path)
    assert is_supported(refs["raw/sub/z.HTML"].path)  # suffix match is case-insensitive


@pytest.mark.parametrize(
    ("include", "exclude", "inputs"),
    [
        (None, None, ["raw/a.md", "raw/b.txt", "raw/sub/deeper/c.xml", "raw/sub/z.HTML"]),
        (None, ["sub/*"], ["raw/a.md", "raw/b.txt", "raw/sub/deeper/c.xml"]),
        (None, ["*.md", "*.xml"], ["raw/b.txt", "raw/sub/z.HTML"]),
        (["README"], None, ["raw/README"]),
        (["*.md", "README"], ["a.*"], ["raw/README"]),
        (["deeper/*"], None, ["raw/sub/deeper/c.xml"]),
    ],
    ids=["defaults", "exclude-a-folder", "exclude-suffixes", "include-a-documentation-file",
         "exclude-wins-over-include", "include-a-folder"],
)
def test_include_and_exclude_globs_choose_the_inputs(raw: Path, include, exclude, inputs) -> None:
    found = scan([raw], include, exclude)
    assert [r.input for r in found.refs] == inputs
    # every other file is skipped with a reason; hidden files and sidecars are never listed
    assert {r.input for r in found.refs} | {s.path for s in found.skipped} == {
        "raw/README", "raw/a.md", "raw/b.txt", "raw/notes.pdf", "raw/sub/deeper/c.xml", "raw/sub/z.HTML"}


def test_several_raw_dirs_are_walked_in_the_order_given_and_a_repeated_dir_once(tmp_path: Path) -> None:
    one = write_files(tmp_path / "one", {"x.txt": "1"})
    two = write_files(tmp_path / "two", {"a.txt": "2"})
    assert [r.input for r in discover([two, one, two])] == ["two/a.txt", "one/x.txt"]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tmp: tmp / "missing", "raw dir not found"),
        (lambda tmp: write_files(tmp, {"file.txt": "x"}) / "file.txt", "not a directory"),
    ],
    ids=["missing", "a-file"],
)
def test_a_bad_raw_dir_raises_a_clear_error(tmp_path: Path, make, message: str) -> None:
    with pytest.raises(InputDirError, match=message):
        discover([make(tmp_path)])


def test_two_raw_dirs_with_the_same_name_are_refused_as_ambiguous(tmp_path: Path) -> None:
    a = write_files(tmp_path / "a" / "raw", {"x.txt": "1"})
    b = write_files(tmp_path / "b" / "raw", {"x.txt": "2"})
    with pytest.raises(InputDirError, match="same name"):
        discover([a, b])


def test_read_returns_the_bytes_and_metadata_from_the_sidecar(raw: Path) -> None:
    data, meta = read(RawRef(raw / "a.md", "raw/a.md"))
    assert data == b"a"
    assert (meta.input, meta.filename, meta.url) == ("raw/a.md", "a.md", "https://example.org/a")


def test_read_without_a_sidecar_gives_bare_metadata(raw: Path) -> None:
    data, meta = read(RawRef(raw / "b.txt", "raw/b.txt"))
    assert data == b"b"
    assert (meta.input, meta.filename, meta.url, meta.headers) == ("raw/b.txt", "b.txt", None, {})
