"""A background job's progress on the main thread: the run, the relay and the panel.

:class:`JobRun` is the one way the window runs a job (the wizard's run page,
its dry run, a resume or revert from the Tasks view, the import wizard's run,
a CSV export through :mod:`.export_run`): the job function runs
in a :class:`~bulkprofiles_gui.gui.worker.BackgroundCall` with a
:class:`JobState` whose reports are thinned out in the worker thread to at
most :data:`MAX_UPDATES_PER_SECOND` a second (the last one always), so the
main thread never gets a flood of them; they and the task id, once it
exists, reach the main thread queued through a :class:`JobRelay`.  The
worker never touches a widget.  :class:`ProgressPanel` shows them (bar with
thousands separators, rate, time left, elapsed).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFormLayout, QLabel, QProgressBar, QVBoxLayout, QWidget

from ..core.progress import JobState, Progress, passes
from .worker import BackgroundCall

#: At most this many progress updates per second reach the widgets.
MAX_UPDATES_PER_SECOND = 10
NO_VALUE = "–"


def format_duration(seconds: float | None) -> str:
    """A duration as the window shows it: 4 s, 1 min 05 s, 3 h 02 min."""
    if seconds is None:
        return ""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, sec = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {sec:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class JobRelay(QObject):
    """Lives on the main thread; emitted from the worker, delivered queued."""

    progressed = Signal(object)  # Progress
    task_created = Signal(int)


class Throttle:
    """Passes a progress report on at most ``per_second`` times a second
    (besides those :func:`passes` always lets through).  Called from the
    worker thread."""

    def __init__(self, emit: Callable[[Progress], None], per_second: int) -> None:
        self._emit = emit
        self._interval = 1 / per_second
        self._last_time = float("-inf")
        self._last: Progress | None = None
        self._lock = threading.Lock()

    def __call__(self, progress: Progress) -> None:
        now = time.monotonic()
        with self._lock:
            if not passes(progress, self._last, now - self._last_time, self._interval):
                return
            self._last_time, self._last = now, progress
        self._emit(progress)


#: A job function: runs in the worker thread with the run's JobState and a
#: callback announcing the id of the task it made (before the long work).
JobFunction = Callable[[JobState, Callable[[int], None]], Any]


class JobRun(QObject):
    """One job running in the background, with its progress on the main thread.

    ``progressed`` (throttled), ``task_created``, then ``done`` (the summary)
    or ``failed`` (the exception: callers tell a resumable interruption from
    a refusal), then ``finished``.  ``cancel`` sets the JobState flag the
    runner polls between batches.
    """

    progressed = Signal(object)  # Progress
    task_created = Signal(int)
    done = Signal(object)
    failed = Signal(object)
    finished = Signal()

    def __init__(self, fn: JobFunction, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.relay = JobRelay(self)
        self.relay.progressed.connect(self.progressed)
        self.relay.task_created.connect(self.task_created)
        self.state = JobState(
            on_progress=Throttle(self.relay.progressed.emit, MAX_UPDATES_PER_SECOND)
        )
        state, announce = self.state, self.relay.task_created.emit
        self._call = BackgroundCall(lambda: fn(state, announce), self)
        self._call.done.connect(self.done)
        self._call.error.connect(self.failed)
        self._call.finished.connect(self._on_finished)
        self._ended = False

    def start(self) -> JobRun:
        self._call.start()
        return self

    def cancel(self) -> None:
        self.state.cancel()

    def is_cancelled(self) -> bool:
        return self.state.is_cancelled()

    def is_running(self) -> bool:
        """True from the start until the result has been delivered."""
        return not self._ended

    def thread_running(self) -> bool:
        return self._call.is_running()

    def wait(self, msecs: int = 60_000) -> bool:
        return self._call.wait(msecs)

    def abandon(self) -> None:
        """Cancel and drop the result without waiting: what it was for is gone
        (the operator went back and changed the job)."""
        self.cancel()
        self._call.discard()

    def stop(self, msecs: int = 60_000) -> bool:
        """Cancel, drop the result and wait for the thread (the window is closing)."""
        self.abandon()
        return self._call.wait(msecs)

    def _on_finished(self) -> None:
        self._ended = True
        self.finished.emit()


def time_left_text(seconds: float | None) -> str:
    if seconds is None:
        return NO_VALUE
    return "less than a second" if seconds < 1 else format_duration(seconds)


class ProgressPanel(QWidget):
    """Progress bar ("12,000 of 50,000 rows (24 %)"), rate, time left, elapsed."""

    def __init__(self, unit: str = "profiles", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.unit = unit
        self._last_update = 0.0
        self._last_shown: Progress | None = None
        self.bar = QProgressBar()
        self.rate_label = QLabel(NO_VALUE)
        self.left_label = QLabel(NO_VALUE)
        self.elapsed_label = QLabel(NO_VALUE)
        facts = QFormLayout()
        facts.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        facts.addRow("Rate:", self.rate_label)
        facts.addRow("Time left:", self.left_label)
        facts.addRow("Elapsed:", self.elapsed_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.bar)
        layout.addLayout(facts)
        self.reset()

    def reset(self) -> None:
        """Back to "working, nothing counted yet" (a busy bar)."""
        self._last_update = 0.0
        self._last_shown = None
        self.bar.setRange(0, 0)
        self.bar.setValue(0)
        for label in (self.rate_label, self.left_label, self.elapsed_label):
            label.setText(NO_VALUE)

    def set_counts(self, done: int, total: int) -> None:
        """The end of a run (done, cancelled, interrupted): the bar at ``done`` of
        ``total`` (an empty job shows as complete) and no time left to wait
        (an interrupted run kept the "2 s" of its last report)."""
        self._show_counts(done, total)
        self.left_label.setText(NO_VALUE)

    def _show_counts(self, done: int, total: int) -> None:
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(max(0, min(done, total)) if total else 1)
        percent = " (%p %)" if total else ""
        self.bar.setFormat(f"{done:,} of {total:,} {self.unit}{percent}")

    def show_progress(self, progress: Progress) -> bool:
        """Show a report; False when it came too soon after the last one shown
        (the same rule as the :class:`Throttle`'s)."""
        now = time.monotonic()
        final = progress.done >= progress.total
        interval = 1 / MAX_UPDATES_PER_SECOND
        if not passes(progress, self._last_shown, now - self._last_update, interval):
            return False
        self._last_update, self._last_shown = now, progress
        self._show_counts(progress.done, progress.total)
        rate = f"{progress.rate:,.0f} {self.unit}/s" if progress.done else NO_VALUE
        self.rate_label.setText(rate)
        # Nothing is left once every row is done ("less than a second" read as
        # if the finished job were still running).
        self.left_label.setText(NO_VALUE if final else time_left_text(progress.seconds_left))
        self.elapsed_label.setText(format_duration(progress.elapsed))
        return True
