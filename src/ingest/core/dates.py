"""Date parsing to ISO 8601. A date the text does not give stays None: never guess, never today."""

from __future__ import annotations

import datetime as dt
import re

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
         ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
         ("dec", "december")]
    )
    for m in names
}

_WORDS = re.compile(r"^(?P<mon>[A-Za-z]+)\.?\s+(?P<d>\d{1,2}),?\s*(?P<y>\d{4})$")
_DAY_FIRST_WORDS = re.compile(r"^(?P<d>\d{1,2})\s+(?P<mon>[A-Za-z]+)\.?,?\s+(?P<y>\d{4})$")
_MONTH_YEAR_WORDS = re.compile(r"^(?P<mon>[A-Za-z]+)\.?\s+(?P<y>\d{4})$")
_US = re.compile(r"^(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{2}|\d{4})$")
_MY = re.compile(r"^(?P<m>\d{1,2})/(?P<y>\d{2}|\d{4})$")
_ISO = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{2})(?:-(?P<d>\d{2}))?(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$")
_YEAR = re.compile(r"^(?P<y>\d{4})$")


def parse_date(text: str) -> str | None:
    """Parse one date as written and return ISO 8601 at the precision given, or None.

    US numeric dates are month first (cancer.org: "Last Revised: 12/03/2014"). Two-digit years are
    20xx. Returns None for anything it cannot read exactly, or for an impossible date.

    >>> [parse_date(s) for s in ["May 15, 2026", "12/02/2014", "6/25", "2025-12-30", "2024-03-01T10:00:00Z", "soon"]]
    ['2026-05-15', '2014-12-02', '2025-06', '2025-12-30', '2024-03-01', None]
    """
    s = " ".join(str(text).split()).strip().rstrip(".")
    if not s:
        return None
    if m := _ISO.match(s):
        return _build(int(m["y"]), int(m["m"]), int(m["d"]) if m["d"] else None)
    if m := _WORDS.match(s):
        mon = _MONTHS.get(m["mon"].lower())
        return _build(int(m["y"]), mon, int(m["d"])) if mon else None
    if m := _DAY_FIRST_WORDS.match(s):
        mon = _MONTHS.get(m["mon"].lower())
        return _build(int(m["y"]), mon, int(m["d"])) if mon else None
    if m := _MONTH_YEAR_WORDS.match(s):
        mon = _MONTHS.get(m["mon"].lower())
        return _build(int(m["y"]), mon, None) if mon else None
    if m := _US.match(s):
        return _build(_year(m["y"]), int(m["m"]), int(m["d"]))
    if m := _MY.match(s):
        return _build(_year(m["y"]), int(m["m"]), None)
    if m := _YEAR.match(s):
        return _build(int(m["y"]), None, None)
    return None


def _year(y: str) -> int:
    return 2000 + int(y) if len(y) == 2 else int(y)


def _build(y: int, m: int | None, d: int | None) -> str | None:
    if not 1900 <= y <= 2100:
        return None
    if m is None:
        return f"{y:04d}"
    if not 1 <= m <= 12:
        return None
    if d is None:
        return f"{y:04d}-{m:02d}"
    try:
        return dt.date(y, m, d).isoformat()
    except ValueError:
        return None
