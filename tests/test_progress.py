"""The progress/cancel state a job receives (``core.progress``): a report is
for the operator's eyes and never decides a job's fate."""

from __future__ import annotations

import pytest

from bulkprofiles_gui.core.faults import log_path
from bulkprofiles_gui.core.progress import JobState, Progress, keep_reporting


def test_a_failing_report_is_logged_once_and_reporting_stops() -> None:
    calls: list[Progress] = []

    def on_progress(progress: Progress) -> None:
        calls.append(progress)
        raise BrokenPipeError("stderr is closed")

    state = JobState(on_progress=on_progress)
    state.report(1, 10)  # raises inside: logged, not raised
    state.report(2, 10)  # no one is told any more
    assert [p.done for p in calls] == [1]
    assert state.on_progress is None
    logged = log_path().read_text(encoding="utf-8")
    assert logged.count("a progress report failed; the job went on without reports") == 1
    assert "BrokenPipeError: stderr is closed" in logged


def test_an_interrupt_from_a_report_is_not_swallowed() -> None:
    """Ctrl-C is the operator's, not a display error."""

    def on_progress(_progress: Progress) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        JobState(on_progress=on_progress).report(1, 10)


def test_reports_carry_the_step_the_job_set() -> None:
    seen: list[str] = []
    state = JobState(on_progress=lambda p: seen.append(p.phase))
    state.report(0, 0)
    state.phase = "merging"
    state.report(1, 2)
    assert seen == ["", "merging"]


def test_keep_reporting_ticks_while_the_step_runs_and_stops_after_it() -> None:
    import time

    dones: list[int] = []
    state = JobState(on_progress=lambda p: dones.append(p.done))
    with keep_reporting(lambda: state.report(7, 9), 0.02) as ticks:
        time.sleep(0.15)
    counted = ticks[0]
    time.sleep(0.06)
    assert counted >= 2 and dones == [7] * counted


def test_what_is_shown_an_interval_later_the_end_and_a_new_step_at_once() -> None:
    """One rule for the window's throttle and panel and the command line:
    ``passes``.  0 of 0 (a selection being frozen) is no end: it waits its
    interval like any other report."""
    from bulkprofiles_gui.core.progress import passes

    def at(done: int, total: int, phase: str = "") -> Progress:
        return Progress(done, total, 0, 0, 1.0, phase)

    shown = at(1, 10)
    assert passes(at(2, 10), None, 0.0, 1.0)  # the first report
    assert not passes(at(2, 10), shown, 0.5, 1.0)
    assert passes(at(2, 10), shown, 1.0, 1.0)
    assert passes(at(10, 10), shown, 0.0, 1.0)  # the end
    assert passes(at(0, 5, "merging"), shown, 0.0, 1.0)  # a new step
    assert not passes(at(0, 0), at(0, 0), 0.5, 1.0)  # freezing: no end yet
