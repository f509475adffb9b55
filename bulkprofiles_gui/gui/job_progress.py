"""A background job's progress on the main thread: the relay and the panel.

A job function runs in a :class:`~bulkprofiles_gui.gui.worker.BackgroundCall`
with a :class:`JobState` whose ``on_progress`` is ``JobRelay.progressed.emit``.
The relay lives on the main thread, so the reports (and the id of the task
once it exists) arrive there queued; the worker never touches a widget.
:class:`ProgressPanel` shows them (bar with thousands separators, rate, time
left, elapsed) at most :data:`MAX_UPDATES_PER_SECOND` times a second, the
last report always.  The update wizard and the import wizard both use them.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFormLayout, QLabel, QProgressBar, QVBoxLayout, QWidget

from ..core.progress import Progress
from .views.tasks import format_duration

#: At most this many progress updates per second reach the widgets.
MAX_UPDATES_PER_SECOND = 10
NO_VALUE = "–"


class JobRelay(QObject):
    """Lives on the main thread; emitted from the worker, delivered queued."""

    progressed = Signal(object)  # Progress
    task_created = Signal(int)


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
        self.bar.setRange(0, 0)
        self.bar.setValue(0)
        for label in (self.rate_label, self.left_label, self.elapsed_label):
            label.setText(NO_VALUE)

    def set_counts(self, done: int, total: int) -> None:
        """The bar at ``done`` of ``total`` (an empty job shows as complete)."""
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(max(0, min(done, total)) if total else 1)
        percent = " (%p %)" if total else ""
        self.bar.setFormat(f"{done:,} of {total:,} {self.unit}{percent}")

    def show_progress(self, progress: Progress) -> bool:
        """Show a report; False when it came too soon after the last one shown."""
        now = time.monotonic()
        final = progress.done >= progress.total
        if not final and now - self._last_update < 1 / MAX_UPDATES_PER_SECOND:
            return False
        self._last_update = now
        self.set_counts(progress.done, progress.total)
        rate = f"{progress.rate:,.0f} {self.unit}/s" if progress.done else NO_VALUE
        self.rate_label.setText(rate)
        self.left_label.setText(time_left_text(progress.seconds_left))
        self.elapsed_label.setText(format_duration(progress.elapsed))
        return True
