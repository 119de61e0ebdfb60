"""What the pure pipeline is told about one raw input (besides its bytes)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class InputMeta:
    """Metadata about one raw input.

    ``input`` is the stable name of the input: its path relative to the raw folder (POSIX
    separators), or its URL. It keys the record id when no canonical URL is known, so it must not
    depend on the machine (never an absolute path).
    """

    input: str
    filename: str
    url: str | None = None
    fetched_at: str | None = None
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @staticmethod
    def from_sidecar(input: str, filename: str, sidecar: bytes | None) -> InputMeta:
        """Build metadata from an optional ``<file>.meta.json`` sidecar written by the fetcher.

        A sidecar that is not a JSON object is ignored field by field (never fatal): unknown keys
        are dropped, non-string values are ignored.
        """
        data: dict[str, Any] = {}
        if sidecar:
            try:
                loaded = json.loads(sidecar.decode("utf-8", errors="replace"))
                if isinstance(loaded, dict):
                    data = loaded
            except ValueError:
                data = {}

        def s(key: str) -> str | None:
            v = data.get(key)
            return v if isinstance(v, str) and v.strip() else None

        headers = data.get("headers") if isinstance(data.get("headers"), dict) else {}
        headers = {str(k).lower(): str(v) for k, v in headers.items() if isinstance(v, str | int)}
        return InputMeta(
            input=input,
            filename=filename,
            url=s("final_url") or s("url"),
            fetched_at=s("fetched_at"),
            content_type=s("content_type") or headers.get("content-type"),
            headers=headers,
        )
