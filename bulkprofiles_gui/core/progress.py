"""The progress/cancel state a job function receives.

Jobs are plain functions over a store and a :class:`JobState`; the command
line passes a terminal printer, the GUI a QThread worker that forwards the
reports to the main thread by a queued signal, the tests a recorder.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Progress:
    done: int
    total: int
    changed: int
    skipped: int
    elapsed: float

    @property
    def rate(self) -> float:
        """Profiles per second so far."""
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def seconds_left(self) -> float | None:
        if self.done <= 0 or self.rate <= 0:
            return None
        return (self.total - self.done) / self.rate


@dataclass
class JobState:
    """Cancel flag plus a progress callback; safe to share between threads."""

    on_progress: Callable[[Progress], None] | None = None
    _cancel: threading.Event = field(default_factory=threading.Event)
    started: float = field(default_factory=time.monotonic)

    def cancel(self) -> None:
        self._cancel.set()

    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    def report(self, done: int, total: int, changed: int = 0, skipped: int = 0) -> None:
        if self.on_progress is not None:
            self.on_progress(
                Progress(done, total, changed, skipped, time.monotonic() - self.started)
            )
