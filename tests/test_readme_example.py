"""The README's record example is what `make run` publishes (issue 16): every field of the published
record is shown, with the published value; lists may be shortened (the README says which), each item
shown being an item of the published list, in order. Regenerate with `python -m tests.test_readme_example`."""

from __future__ import annotations

import json
import re
import sys
from typing import Any

from .helpers import ROOT

README = ROOT / "README.md"
RECORD_ID = "doc-fd58ed91a3bc3890"
_BLOCK = re.compile(r"(becomes `normalized/records/" + RECORD_ID + r"\.json`.*?\n```json\n)(.*?)(\n```\n)", re.S)
#: list fields the example shortens, and to how many items; longer strings end in " …"
SHORTEN = {"sections": 1, "blocks": 2, "glossary": 2, "removals": 1}
MAX_TEXT = 240
ELLIPSIS = " …"


def published() -> dict[str, Any]:
    return json.loads((ROOT / "normalized" / "records" / f"{RECORD_ID}.json").read_bytes())


def example() -> dict[str, Any]:
    m = _BLOCK.search(README.read_text(encoding="utf-8"))
    assert m, "README no longer has the record example block"
    return json.loads(m.group(2))


def shortened(value: Any, key: str | None = None) -> Any:
    if isinstance(value, dict):
        return {k: shortened(v, k) for k, v in value.items()}
    if isinstance(value, list):
        items = value[: SHORTEN[key]] if key in SHORTEN else value
        return [shortened(v) for v in items]
    if isinstance(value, str) and len(value) > MAX_TEXT:
        return value[:200].rstrip() + ELLIPSIS
    return value


def mismatches(shown: Any, real: Any, path: str = "$") -> list[str]:
    if isinstance(shown, dict) and isinstance(real, dict):
        out = [f"{path}.{k}: missing from the README" for k in real if k not in shown]
        out += [f"{path}.{k}: not in the published record" for k in shown if k not in real]
        for k in shown.keys() & real.keys():
            out += mismatches(shown[k], real[k], f"{path}.{k}")
        return out
    if isinstance(shown, list) and isinstance(real, list):
        if len(shown) > len(real):
            return [f"{path}: {len(shown)} items shown, {len(real)} published"]
        out = []
        for i, item in enumerate(shown):
            out += mismatches(item, real[i], f"{path}[{i}]")
        return out
    if isinstance(shown, str) and isinstance(real, str) and shown.endswith(ELLIPSIS):
        ok = real.startswith(shown[: -len(ELLIPSIS)])
    else:
        ok = shown == real
    return [] if ok else [f"{path}: README has {shown!r:.80}, published {real!r:.80}"]


def test_the_readme_record_example_is_the_published_record_shortened() -> None:
    problems = mismatches(example(), published())
    assert problems == [], "README record example is stale (python -m tests.test_readme_example): " + "; ".join(problems[:8])


def write() -> None:
    text = README.read_text(encoding="utf-8")
    body = json.dumps(shortened(published()), indent=2, ensure_ascii=False, sort_keys=True)
    README.write_text(_BLOCK.sub(lambda m: m.group(1) + body + m.group(3), text, count=1), encoding="utf-8")


if __name__ == "__main__":
    write()
    sys.exit(0)
