"""The progress/cancel state a job function receives.

Jobs are plain functions over a store and a :class:`JobState`; the command
line passes a terminal printer, the GUI a QThread worker that forwards the
reports to the main thread by a queued signal, the tests a recorder.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from .faults import log_exception


@dataclass
class Progress:
    done: int
    total: int
    changed: int
    skipped: int
    elapsed: float
    #: The step of a job that has several (an import: ``importer.STAGING``, then
    #: ``importer.MERGING``), as the job last set it; "" for a job of one step.
    phase: str = ""

    @property
    def rate(self) -> float:
        """Profiles per second so far."""
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def seconds_left(self) -> float | None:
        if self.done <= 0 or self.rate <= 0:
            return None
        return (self.total - self.done) / self.rate


def passes(progress: Progress, last: Progress | None, since_last: float, interval: float) -> bool:
    """Whether a report is shown when ``last`` was, ``since_last`` seconds ago
    (the window's throttle and panel, the command line's plain lines): an
    interval later, and always the final one (done == total > 0) and the first of
    a new step (``Progress.phase``: an import reads and checks its file, then
    merges the rows), so the second step is seen to begin even when it
    follows the first within the interval."""
    final = progress.done >= progress.total > 0  # 0 of 0: nothing counted yet
    if last is None or final or progress.phase != last.phase:
        return True
    return since_last >= interval


@dataclass
class JobState:
    """Cancel flag plus a progress callback; safe to share between threads.

    A report is for the operator's eyes and never decides a job's fate: if
    ``on_progress`` raises (a closed terminal pipe, a window gone), the error
    goes to the log, reporting stops and the job goes on."""

    on_progress: Callable[[Progress], None] | None = None
    _cancel: threading.Event = field(default_factory=threading.Event)
    started: float = field(default_factory=time.monotonic)
    #: Set by the job as it moves from step to step; every report carries it.
    phase: str = ""

    def cancel(self) -> None:
        self._cancel.set()

    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    def report(self, done: int, total: int, changed: int = 0, skipped: int = 0) -> None:
        on_progress = self.on_progress
        if on_progress is None:
            return
        elapsed = time.monotonic() - self.started
        try:
            on_progress(Progress(done, total, changed, skipped, elapsed, self.phase))
        except Exception as exc:
            self.on_progress = None
            log_exception(exc, "a progress report failed; the job went on without reports")


@contextmanager
def keep_reporting(report: Callable[[], None], every: float) -> Iterator[list[int]]:
    """While one long step runs without reports of its own (a statement
    freezing a selection, a commit, an index build), call ``report`` every
    ``every`` seconds from a helper thread, so the operator sees the elapsed
    time move and the window its heartbeat.  Yields a one-item list that ends
    up holding how many times it reported.  ``report`` is a
    :meth:`JobState.report`, which does not raise."""
    stop = threading.Event()
    ticks = [0]

    def tick() -> None:
        while not stop.wait(every):
            report()
            ticks[0] += 1

    thread = threading.Thread(target=tick, name="bulkprofiles-progress", daemon=True)
    thread.start()
    try:
        yield ticks
    finally:
        stop.set()
        thread.join()
