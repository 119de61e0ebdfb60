"""Progress: which display the CLI picks, plain lines off a terminal, a rich bar on one, and the flow's
reporter feeding the attached display and the Prefect logger. No timing: intervals are 0 or a fake clock."""

from __future__ import annotations

import io
import logging

import pytest

from ingest.cli.progress import RichBar, make_sink
from ingest.orchestration import progress
from ingest.orchestration.progress import FlowProgress, LogLines, NullSink, attached, rate_line


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


@pytest.mark.parametrize(
    ("quiet", "json_mode", "stream", "expected"),
    [
        (False, False, io.StringIO(), LogLines),
        (False, False, FakeTTY(), RichBar),
        (True, False, FakeTTY(), NullSink),
        (False, True, FakeTTY(), NullSink),
        (True, True, io.StringIO(), NullSink),
    ],
    ids=["a-pipe-gets-plain-lines", "a-terminal-gets-a-bar", "quiet-shows-nothing", "json-shows-nothing",
         "quiet-json-shows-nothing"],
)
def test_the_cli_picks_a_bar_on_a_terminal_plain_lines_elsewhere_and_nothing_when_quiet_or_json(
    quiet, json_mode, stream, expected, monkeypatch
) -> None:
    monkeypatch.delenv("TERM", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert isinstance(make_sink(quiet=quiet, json_mode=json_mode, stream=stream), expected)


@pytest.mark.parametrize(
    ("interval", "steps", "expected_lines"),
    [
        (0, [2, 2, 1], ["n: 2/5 documents (40%)", "n: 4/5 documents (80%)", "n: 5/5 documents (100%)"]),
        (10, [2, 2, 1], ["n: 5/5 documents (100%)"]),
        (10, [2], ["n: 2/5 documents (40%)"]),  # an unfinished run still ends with a line (finish)
    ],
    ids=["every-update-with-interval-0", "only-the-last-within-the-interval", "a-final-line-on-finish"],
)
def test_plain_lines_are_periodic_and_the_last_one_is_always_written(interval, steps, expected_lines) -> None:
    out, clock = io.StringIO(), Clock()
    sink = LogLines(out, interval=interval, clock=clock)
    sink.start("n", 5, "documents")
    for n in steps:
        clock.t += 1
        sink.advance(n)
    sink.finish()
    lines = out.getvalue().splitlines()
    assert [line.split(",")[0] for line in lines] == expected_lines
    assert all(line.endswith("documents/s") for line in lines)


def test_a_plain_line_gives_done_total_percent_and_rate() -> None:
    assert rate_line("normalize", 30, 120, "documents", 3.0) == "normalize: 30/120 documents (25%), 10.0 documents/s"


def test_the_rich_bar_shows_done_over_total_and_the_rate_on_a_terminal() -> None:
    from rich.console import Console

    buf = io.StringIO()
    bar = RichBar(Console(file=buf, force_terminal=True, width=120))
    bar.start("normalize", 4, "documents")
    bar.advance(4)
    bar.finish()
    text = buf.getvalue()
    assert "4/4" in text and "normalize" in text and "documents" in text


def test_the_flows_progress_feeds_the_attached_display_and_logs_through_the_prefect_logger(caplog) -> None:
    out, clock = io.StringIO(), Clock()
    logger = logging.getLogger("test.flow")
    with caplog.at_level(logging.INFO, logger="test.flow"), attached(LogLines(out, interval=0, clock=clock)):
        p = FlowProgress("normalize", 3, logger, interval=0, clock=clock)
        clock.t += 1
        p.advance(2)
        clock.t += 1
        p.advance(1)
    assert out.getvalue().splitlines() == [
        "normalize: 2/3 documents (66%), 2.0 documents/s",
        "normalize: 3/3 documents (100%), 1.5 documents/s",
    ]
    assert [r.getMessage() for r in caplog.records] == out.getvalue().splitlines()
    assert progress.current_sink() is None  # detached after the block


def test_without_an_attached_display_the_flow_only_logs_and_a_broken_display_never_fails_the_run() -> None:
    class Broken(NullSink):
        def advance(self, n: int) -> None:
            raise RuntimeError("display gone")

    FlowProgress("normalize", 2).advance(2)  # no sink, no logger: nothing happens
    with attached(Broken()):
        p = FlowProgress("normalize", 2)
        p.advance(1)
        p.advance(1)
    assert p.done == 2
