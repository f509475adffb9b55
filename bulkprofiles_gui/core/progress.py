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


@dataclass
class JobState:
    """Cancel flag plus a progress callback; safe to share between threads."""

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
        if self.on_progress is not None:
            elapsed = time.monotonic() - self.started
            self.on_progress(Progress(done, total, changed, skipped, elapsed, self.phase))


@contextmanager
def keep_reporting(
    report: Callable[[], None],
    every: float,
    on_error: Callable[[Exception], None] | None = None,
) -> Iterator[list[int]]:
    """While one long step runs without reports of its own (a statement
    freezing a selection, a commit, an index build), call ``report`` every
    ``every`` seconds from a helper thread, so the operator sees the elapsed
    time move and the window its heartbeat.  Yields a one-item list that ends
    up holding how many times it reported.  If ``report`` raises, the ticks
    stop and, once the step is done, the error goes to ``on_error`` or, by
    default, is raised here in the caller's thread, as if its own report had
    raised (a helper thread's error would only print a traceback)."""
    stop = threading.Event()
    ticks = [0]
    failed: list[Exception] = []

    def tick() -> None:
        while not stop.wait(every):
            try:
                report()
            except Exception as exc:
                failed.append(exc)
                return
            ticks[0] += 1

    thread = threading.Thread(target=tick, name="bulkprofiles-progress", daemon=True)
    thread.start()
    try:
        yield ticks
    finally:
        stop.set()
        thread.join()
    if failed and on_error is not None:
        on_error(failed[0])
    elif failed:
        raise failed[0]
