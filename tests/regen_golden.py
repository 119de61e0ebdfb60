"""Regenerate tests/golden/*.json from raw/ seeds. Run only when an output change is intended:

    make golden
"""

from __future__ import annotations

from ingest.core.serialize import canonical_json

from .helpers import RAW, ROOT, norm_seed


def main() -> None:
    out = ROOT / "tests" / "golden"
    out.mkdir(exist_ok=True)
    for p in sorted(RAW.glob("*.txt")):
        target = out / p.name.replace(".txt", ".json")
        data = canonical_json(norm_seed(p.name))
        changed = not target.exists() or target.read_bytes() != data
        target.write_bytes(data)
        print(("updated " if changed else "same    ") + str(target.relative_to(ROOT)))


if __name__ == "__main__":
    main()
