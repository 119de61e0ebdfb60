"""Canonical serialization: the same record always gives the same bytes."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel


def canonical_json(obj: BaseModel | dict[str, Any] | list[Any]) -> bytes:
    """Serialize with sorted keys, 2-space indent, UTF-8 (no escaping), trailing newline.

    >>> canonical_json({"b": 1, "a": "é"})
    b'{\\n  "a": "\\xc3\\xa9",\\n  "b": 1\\n}\\n'
    """
    data = obj.model_dump(mode="json") if isinstance(obj, BaseModel) else obj
    return (json.dumps(data, sort_keys=True, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
