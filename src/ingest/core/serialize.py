"""Canonical serialization: the same record always gives the same bytes."""

from __future__ import annotations

import functools
import hashlib
import json
import re
from typing import Any

import orjson
from pydantic import BaseModel


def canonical_json(obj: BaseModel | dict[str, Any] | list[Any], may_hold_floats: bool = True) -> bytes:
    """Serialize with sorted keys, 2-space indent, UTF-8 (no escaping), trailing newline.

    ``may_hold_floats=False``: the caller knows there is no float in ``obj`` (see below).

    >>> canonical_json({"b": 1, "a": "é"})
    b'{\\n  "a": "\\xc3\\xa9",\\n  "b": 1\\n}\\n'
    """
    data = obj.model_dump(mode="json") if isinstance(obj, BaseModel) else obj
    # orjson writes exactly these bytes ~9x faster (json.dumps with indent is pure Python), except for
    # floats ("0.00001" vs "1e-05"), which records and manifests do not have: output with a number
    # that has a fraction or an exponent, and anything orjson refuses, take the json.dumps path
    # (issue 5). NaN and infinities (not JSON: json.dumps writes NaN, orjson null) are the one
    # difference left; no record, manifest or schema holds them.
    try:
        out = orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE)
    except (TypeError, orjson.JSONEncodeError):
        out = None
    if out is not None and (not may_hold_floats or not model_may_hold_floats(type(obj)) or not _FLOAT.search(out)):
        return out
    return (json.dumps(data, sort_keys=True, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


#: A JSON number with a fraction or an exponent: in indented output a number ends its line (a string
#: ends with its quote and holds no raw newline; true/false/null end with a letter).
_FLOAT = re.compile(rb"[.eE][-+]?\d+,?\n")


@functools.lru_cache(maxsize=64)
def model_may_hold_floats(cls: type) -> bool:
    """False for a pydantic model whose JSON Schema has no ``number``: no float can be in its output,
    so the scan for one (4% of normalizing a page, issue 5) is skipped. Dicts and lists: True.

    >>> from ingest.core.models import Record
    >>> model_may_hold_floats(Record), model_may_hold_floats(dict)
    (False, True)
    """
    if not (isinstance(cls, type) and issubclass(cls, BaseModel)):
        return True
    return '"number"' in json.dumps(cls.model_json_schema())


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
