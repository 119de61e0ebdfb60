"""Stub: replaced by the real normalizer."""
from __future__ import annotations

from .inputs import InputMeta
from .models import Record


def normalize(raw: bytes, meta: InputMeta) -> Record:  # pragma: no cover - stub
    raise NotImplementedError
