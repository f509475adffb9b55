"""Running core functions off the main thread.

The canonical QThread wiring (superqt's ``_qthreading``): a QObject worker is
moved to a new QThread, ``started`` runs it, its signals reach the main
thread queued, ``finished`` quits the thread and both are deleted later.
The function receives no widget: only plain values (a store, a JobState).
Cancel is a flag the function polls (``JobState.cancel``); after a cancel
the result still arrives (the job returns its partial result), but a caller
that has gone away (``discard``) gets no signal at all.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot


def log_unless_told(exc: Exception) -> Path | None:
    """The traceback of a failure of the store or of a bug goes to the log (its
    path is returned); an error written for the operator is only shown, and
    a StoreFault was logged where it was raised."""
    from ..core.config import ConfigError
    from ..core.faults import StoreFault, is_store_fault, log_exception
    from ..core.jobs import is_operator_error

    if isinstance(exc, StoreFault):
        return None
    if is_store_fault(exc) or not (is_operator_error(exc) or isinstance(exc, ConfigError)):
        return log_exception(exc, "in the window's background work")
    return None


class _Worker(QObject):
    succeeded = Signal(object)
    failed = Signal(object)  # the exception
    finished = Signal()

    def __init__(self, fn: Callable[[], Any]) -> None:
        super().__init__()
        self._fn = fn

    @Slot()
    def run(self) -> None:
        try:
            result = self._fn()
        except Exception as exc:  # reported to the main thread, shown as a message
            exc.__traceback_text__ = traceback.format_exc()  # type: ignore[attr-defined]
            exc.__log__ = log_unless_told(exc)  # type: ignore[attr-defined]
            self.failed.emit(exc)
        else:
            self.succeeded.emit(result)
        finally:
            self.finished.emit()


class BackgroundCall(QObject):
    """One call of ``fn`` in its own QThread; ``done``/``error`` arrive on the
    main thread.  Keep a reference until ``finished``."""

    done = Signal(object)
    error = Signal(object)
    finished = Signal()

    def __init__(self, fn: Callable[[], Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._discarded = False
        self._thread_done = False
        self._thread = QThread()
        self._worker = _Worker(fn)
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._worker.succeeded.connect(self._on_success)
        self._worker.failed.connect(self._on_failure)
        # Direct: quit() is thread-safe, and a queued quit would make wait() on
        # the main thread block until its timeout.
        self._worker.finished.connect(self._thread.quit, Qt.ConnectionType.DirectConnection)
        # No ``finished -> worker.deleteLater``: the worker's destructor would run in
        # the worker thread and, inside Qt's signal-slot lock, wait for the GIL while
        # the main thread holds the GIL and waits for that lock (a deadlock seen in
        # the GUI tests).  The worker is released on the main thread once the thread
        # has ended (``_on_thread_finished``).
        self._thread.finished.connect(self._on_thread_finished)

    def start(self) -> BackgroundCall:
        self._thread.start()
        return self

    def discard(self) -> None:
        """The caller no longer wants the result (e.g. a newer count started)."""
        self._discarded = True

    def is_running(self) -> bool:
        # After ``finished`` the QThread is deleted (deleteLater): never touch it then.
        return not self._thread_done and self._thread.isRunning()

    def wait(self, msecs: int = 30_000) -> bool:
        return self._thread_done or self._thread.wait(msecs)

    @Slot(object)
    def _on_success(self, result: object) -> None:
        if not self._discarded:
            self.done.emit(result)

    @Slot(object)
    def _on_failure(self, exc: object) -> None:
        if not self._discarded:
            self.error.emit(exc)

    @Slot()
    def _on_thread_finished(self) -> None:
        self._thread_done = True
        self._worker = None  # type: ignore[assignment]  # deleted here, on the main thread
        self.finished.emit()
        self._thread.deleteLater()
