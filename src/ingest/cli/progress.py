"""The progress display the CLI attaches to a run (:func:`ingest.orchestration.progress.attached`):
a rich bar on a terminal, plain lines elsewhere, nothing when quiet."""

from __future__ import annotations

import sys
from typing import Any, TextIO

from ingest.orchestration.progress import LOG_INTERVAL, LogLines, NullSink, Sink


class RichBar:
    """A rich progress bar (description, bar, done/total, rate, elapsed) on a terminal."""

    def __init__(self, console: Any = None) -> None:
        from rich.console import Console

        self.console = console or Console(stderr=True)
        self._progress: Any = None
        self._task: Any = None

    def start(self, label: str, total: int, unit: str) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self.finish()
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(unit),
            TaskProgressColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            console=self.console,
            transient=False,
        )
        self._unit = unit
        self._task = self._progress.add_task(label, total=max(total, 0), rate="")
        self._progress.start()

    def advance(self, n: int) -> None:
        if self._progress is None:
            return
        self._progress.advance(self._task, n)
        task = self._progress.tasks[0]
        elapsed = task.elapsed or 0.0
        rate = f"{task.completed / elapsed:.1f} {self._unit}/s" if elapsed > 0 else ""
        self._progress.update(self._task, rate=rate)

    def finish(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def make_sink(*, quiet: bool = False, json_mode: bool = False, stream: TextIO | None = None,
              interval: float = LOG_INTERVAL) -> Sink:
    """The sink the CLI uses: nothing when quiet or JSON, a rich bar when ``stream`` (default stderr)
    is a terminal, plain lines otherwise."""
    if quiet or json_mode:
        return NullSink()
    stream = stream or sys.stderr
    isatty = getattr(stream, "isatty", None)
    if isatty is not None and isatty():
        from rich.console import Console

        console = Console(file=stream)
        if console.is_terminal:  # TERM=dumb and friends get plain lines
            return RichBar(console)
    return LogLines(stream, interval=interval)
