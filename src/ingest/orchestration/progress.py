"""Progress of a run: a rich bar on a terminal, plain periodic lines elsewhere, nothing when quiet.

Two halves that meet through one module-level slot:

- A **sink** shows progress to a person. The CLI picks one with :func:`ingest.cli.progress.make_sink`
  (a rich bar when stderr is a terminal, :class:`LogLines` when it is not, :class:`NullSink` for
  ``--quiet`` / ``--json``) and installs it around the flow call with :func:`attached`.
- A flow or task loop reports with :class:`FlowProgress`: ``advance(n)`` after each completed batch.
  It forwards to the attached sink (if any; a Prefect worker has none) and logs a periodic
  "normalize: 100/400 documents (25%), 41.2 docs/s" line through the Prefect run logger, so the same
  progress shows in the Prefect UI and in a worker's log.

The slot is a plain module global (not a context variable) so that it works whichever thread the
flow body runs in; the CLI runs one flow at a time.

    with attached(make_sink(quiet=False, json_mode=False)):
        normalize_flow(...)          # FlowProgress inside reports to the sink
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol, TextIO

#: Seconds between two plain progress lines (the last line is always written).
LOG_INTERVAL = 10.0


class Sink(Protocol):
    def start(self, label: str, total: int, unit: str) -> None: ...
    def advance(self, n: int) -> None: ...
    def finish(self) -> None: ...


def rate_line(label: str, done: int, total: int, unit: str, elapsed: float) -> str:
    """One plain progress line.

    >>> rate_line("normalize", 50, 200, "documents", 2.0)
    'normalize: 50/200 documents (25%), 25.0 documents/s'
    >>> rate_line("fetch", 0, 0, "pages", 0.0)
    'fetch: 0/0 pages (100%), 0.0 pages/s'
    """
    pct = 100 if total <= 0 else int(100 * done / total)
    rate = done / elapsed if elapsed > 0 else 0.0
    return f"{label}: {done}/{total} {unit} ({pct}%), {rate:.1f} {unit}/s"


class NullSink:
    """Shows nothing (``--quiet``, ``--json``)."""

    def start(self, label: str, total: int, unit: str) -> None:
        pass

    def advance(self, n: int) -> None:
        pass

    def finish(self) -> None:
        pass


class LogLines:
    """Plain lines on a stream (CI logs, pipes): at most one per ``interval`` seconds, plus the last.

    ``interval=0`` writes a line for every update (tests use it: no timing involved).
    """

    def __init__(self, stream: TextIO | None = None, interval: float = LOG_INTERVAL,
                 clock: Any = time.monotonic) -> None:
        self.stream = stream
        self.interval = interval
        self.clock = clock
        self.label, self.unit = "", "documents"
        self.total = self.done = 0
        self._t0 = self._last = 0.0
        self._finished = False
        self._lock = threading.Lock()

    def _write(self, line: str) -> None:
        stream = self.stream or sys.stderr
        stream.write(line + "\n")
        stream.flush()

    def start(self, label: str, total: int, unit: str) -> None:
        with self._lock:
            self.label, self.total, self.unit, self.done = label, total, unit, 0
            self._t0 = self._last = self.clock()
            self._finished = False

    def advance(self, n: int) -> None:
        with self._lock:
            self.done += n
            now = self.clock()
            if self.done >= self.total or now - self._last >= self.interval:
                self._last = now
                self._finished = self.done >= self.total
                self._write(rate_line(self.label, self.done, self.total, self.unit, now - self._t0))

    def finish(self) -> None:
        with self._lock:
            if not self._finished and self.label:
                self._finished = True
                now = self.clock()
                self._write(rate_line(self.label, self.done, self.total, self.unit, now - self._t0))


# --------------------------------------------------------------------------- the slot

_sink: Sink | None = None
_slot_lock = threading.Lock()


@contextmanager
def attached(sink: Sink) -> Iterator[Sink]:
    """Install ``sink`` as the receiver of :class:`FlowProgress` updates for the ``with`` block."""
    global _sink
    with _slot_lock:
        previous, _sink = _sink, sink
    try:
        yield sink
    finally:
        try:
            sink.finish()
        finally:
            with _slot_lock:
                _sink = previous


def current_sink() -> Sink | None:
    return _sink


class FlowProgress:
    """Progress of one loop inside a flow: forwards to the attached sink and logs periodic lines.

    ``logger`` is the Prefect run logger (or any :class:`logging.Logger`); its lines are what a
    Prefect worker and the UI show. Never raises: progress must not break a run.
    """

    def __init__(self, label: str, total: int, logger: logging.Logger | logging.LoggerAdapter | None = None,
                 unit: str = "documents", interval: float = LOG_INTERVAL, clock: Any = time.monotonic) -> None:
        self.label, self.total, self.unit = label, total, unit
        self.logger = logger
        self.interval = interval
        self.clock = clock
        self.done = 0
        self._t0 = self._last = clock()
        self._lock = threading.Lock()
        self._sink = current_sink()
        self._call("start", label, total, unit)

    def _call(self, method: str, *args: Any) -> None:
        if self._sink is None:
            return
        try:
            getattr(self._sink, method)(*args)
        except Exception:  # noqa: BLE001 - a broken display must not fail the run
            self._sink = None

    @property
    def elapsed(self) -> float:
        return self.clock() - self._t0

    def advance(self, n: int) -> None:
        """``n`` more items are done (call once per completed batch)."""
        with self._lock:
            self.done += n
            now = self.clock()
            log = self.done >= self.total or now - self._last >= self.interval
            if log:
                self._last = now
        self._call("advance", n)
        if log and self.logger is not None:
            try:
                self.logger.info(rate_line(self.label, self.done, self.total, self.unit, now - self._t0))
            except Exception:  # noqa: BLE001 - logging must not fail the run
                pass

    def finish(self) -> None:
        self._call("finish")
