"""Text from inputs (file names, titles, reasons) made safe to show on one line to a person.

A file may be named ``"a.txt\nQUARANTINED b.txt: fake"``, or carry a terminal escape or a bidi
override (``\u202e``) that flips what a reader sees; a name with bytes that are not UTF-8 arrives as
lone surrogates. Every human-readable output (the summary, report.md, the inspect page's header,
log lines) shows such text through :func:`printable`; the JSON outputs keep the exact string.
"""

from __future__ import annotations

import re

# C0/C1 controls (newline, carriage return, escape...), DEL, bidi overrides and isolates, line and
# paragraph separators, lone surrogates (undecodable bytes of a file name).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def printable(text: object) -> str:
    r"""``text`` on one line with every control, bidi or undecodable character escaped.

    >>> printable("a.txt\nQUARANTINED b.txt")
    'a.txt\\nQUARANTINED b.txt'
    >>> printable("\u202egnp.exe"), printable("caf\u00e9 \u2014 ok")
    ('\\u202egnp.exe', 'café — ok')
    """
    s = str(text)
    if not _UNSAFE.search(s):
        return s
    return _UNSAFE.sub(_escape, s)


def _escape(m: re.Match[str]) -> str:
    c = m.group(0)
    special = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    if c in special:
        return special[c]
    code = ord(c)
    if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's surrogateescape of an undecodable byte
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
