"""Running core functions off the main thread.

The canonical QThread wiring (superqt's ``_qthreading``): a QObject worker is
moved to a new QThread, ``started`` runs it, its signals reach the main
thread queued, ``finished`` quits the thread and both are deleted later.
The function receives no widget: only plain values (a store, a JobState).
Cancel is a flag the function polls (``JobState.cancel``); after a cancel
the result still arrives (the job returns its partial result), but a caller
that has gone away (``discard``) gets no signal at all.

Widgets do not start calls themselves: ``ops.run`` (:class:`StoreOps`) is the
one way to run a function of the store in the background, the latest op of
a key wins, and a stale count is stopped in the database (:class:`QueryCancel`).
A dropped result that owns something (a store opened for nothing) is handed
to the call's ``release`` in a worker thread instead of being left to leak.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from ..core.errors import is_operator_error
from ..core.faults import StoreFault, is_store_fault, log_exception
from .messages import operator_message

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from ..core.store import Store

T = TypeVar("T")


def log_unless_told(exc: Exception) -> Path | None:
    """The traceback of a failure of the store or of a bug goes to the log (its
    path is returned); an error written for the operator is only shown, and
    a StoreFault was logged where it was raised."""
    if isinstance(exc, StoreFault | CancelledOp):
        return None
    if is_store_fault(exc) or not is_operator_error(exc):
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


def release_quietly(release: Callable[[Any], None], result: object) -> None:
    """``release(result)``; a failure is logged, never shown (nobody asked for it)."""
    try:
        release(result)
    except Exception as exc:
        log_exception(exc, "releasing a result nobody wanted")


class BackgroundCall(QObject):
    """One call of ``fn`` in its own QThread; ``done``/``error`` arrive on the
    main thread.  Keep a reference until ``finished``.

    ``release``: the result owns a resource (a Store).  A result that is
    discarded instead of delivered is released, never on the main thread: in
    the call's thread when the discard came first, else (the result made, its
    delivery queued) by a second call whose end ``finished`` waits for.
    """

    done = Signal(object)
    error = Signal(object)
    finished = Signal()

    def __init__(
        self,
        fn: Callable[[], Any],
        parent: QObject | None = None,
        release: Callable[[Any], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self._discarded = False
        self._thread_done = False
        self._release = release
        self._lock = threading.Lock()
        #: A result made but not yet delivered (only with ``release``).
        self._unclaimed: list[Any] = []
        self._releasing: BackgroundCall | None = None
        self._finished_sent = False
        self._thread = QThread()
        self._worker = _Worker(fn if release is None else self._owning(fn, release))
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
        with self._lock:
            self._discarded = True
            unclaimed, self._unclaimed = self._unclaimed, []
        if unclaimed and self._release is not None:
            release, result = self._release, unclaimed[0]
            self._releasing = BackgroundCall(lambda: release_quietly(release, result), self)
            self._releasing.finished.connect(self._finish)
            self._releasing.start()

    def _owning(self, fn: Callable[[], Any], release: Callable[[Any], None]) -> Callable[[], Any]:
        """``fn`` whose result, when the call was discarded meanwhile, is released
        at once in this worker thread, and otherwise kept as unclaimed."""

        def produce() -> Any:
            result = fn()
            with self._lock:
                stale = self._discarded
                if not stale:
                    self._unclaimed = [result]
            if stale:
                release_quietly(release, result)
            return result

        return produce

    def is_running(self) -> bool:
        # After ``finished`` the QThread is deleted (deleteLater): never touch it then.
        releasing = self._releasing is not None and self._releasing.is_running()
        return releasing or (not self._thread_done and self._thread.isRunning())

    def wait(self, msecs: int = 30_000) -> bool:
        ended = self._thread_done or self._thread.wait(msecs)
        if self._releasing is not None:
            ended = self._releasing.wait(msecs) and ended
        return ended

    @Slot(object)
    def _on_success(self, result: object) -> None:
        if not self._discarded:
            with self._lock:
                self._unclaimed = []  # delivered: the receiver owns it now
            self.done.emit(result)

    @Slot(object)
    def _on_failure(self, exc: object) -> None:
        if not self._discarded:
            self.error.emit(exc)

    @Slot()
    def _on_thread_finished(self) -> None:
        self._thread_done = True
        self._worker = None  # type: ignore[assignment]  # deleted here, on the main thread
        self._thread.deleteLater()
        self._finish()

    @Slot()
    def _finish(self) -> None:
        """``finished`` once the thread has ended and a release started by
        ``discard`` too."""
        releasing = self._releasing is not None and self._releasing.is_running()
        if self._thread_done and not releasing and not self._finished_sent:
            self._finished_sent = True
            self.finished.emit()


# -- cancelling a statement in the database -------------------------------------------------

#: The cancellation handle of the op running in this thread (``op_connection`` reads it).
_current = threading.local()


class CancelledOp(Exception):
    """Raised in place of the database's error when an op was cancelled on purpose."""


def interrupt_statement(dbapi_connection: Any) -> None:
    """Stop the statement ``dbapi_connection`` runs now, from another thread.

    SQLite: ``sqlite3.Connection.interrupt()`` (thread-safe; a no-op when no
    statement runs).  PostgreSQL (psycopg 3): ``cancel_safe()`` where it
    exists, else ``cancel()``; the server stops the backend's query and the
    worker's statement raises ``QueryCanceled``.
    """
    interrupt = getattr(dbapi_connection, "interrupt", None)
    if callable(interrupt):
        interrupt()
        return
    cancel = getattr(dbapi_connection, "cancel_safe", None) or getattr(
        dbapi_connection, "cancel", None
    )
    if callable(cancel):
        cancel()


class QueryCancel:
    """Lets the main thread cancel, in the database, the statement an op runs.

    The worker attaches its connection (``op_connection``) for as long as it
    uses it; ``cancel`` interrupts the statement running then and marks the
    op cancelled, so whatever the database raises is not shown as an error.
    The lock keeps ``cancel`` from reaching a connection already handed back
    to the pool (where it could stop someone else's statement).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._dbapi: Any = None
        self.cancelled = False

    def attach(self, conn: Connection) -> None:
        with self._lock:
            self._dbapi = conn.connection.dbapi_connection
            cancelled = self.cancelled
        if cancelled:
            raise CancelledOp("cancelled before it started")

    def detach(self) -> None:
        with self._lock:
            self._dbapi = None

    def cancel(self) -> None:
        with self._lock:
            self.cancelled = True
            if self._dbapi is not None:
                interrupt_statement(self._dbapi)


@contextmanager
def op_connection(store: Store) -> Iterator[Connection]:
    """``store.begin()`` whose statements the op's ``QueryCancel`` can stop.

    Outside a cancellable op (the command line, a test calling the function
    directly) it is plain ``store.begin()``.
    """
    cancel: QueryCancel | None = getattr(_current, "cancel", None)
    with store.begin() as conn:
        if cancel is None:
            yield conn
            return
        cancel.attach(conn)
        try:
            yield conn
        except Exception as exc:
            if cancel.cancelled:
                raise CancelledOp("cancelled") from exc
            raise
        finally:
            cancel.detach()


# -- background store operations ------------------------------------------------------------


def one_line(exc: object) -> str:
    """The operator's line for a failure (``messages.operator_message``)."""
    return operator_message(exc)


class StoreOps:
    """Every background store operation of the window, one registry.

    The way Anki's ``QueryOp`` works: ``run`` takes a function of the store
    (run in a QThread, touching no widget), a success callback and a failure
    callback that gets one readable line, both called on the main thread.
    Ops share a ``key`` when a newer one makes the older pointless (the count
    after an edit, a view's reload): the latest wins, the older's result is
    dropped and, for a ``cancellable`` op, its statement is stopped in the
    database.  ``wait`` (closing the window, the end of a test) drops every
    pending result and waits for the threads.
    """

    def __init__(self) -> None:
        #: Each running call and its key.
        self._running: dict[BackgroundCall, Hashable | None] = {}
        self._latest: dict[Hashable, tuple[BackgroundCall, QueryCancel | None]] = {}

    def run(
        self,
        store: Store,
        fn: Callable[[Store], T],
        on_done: Callable[[T], None],
        on_failed: Callable[[str], None] | None = None,
        *,
        key: Hashable | None = None,
        owner: object | None = None,
        cancellable: bool = False,
        parent: QObject | None = None,
    ) -> BackgroundCall:
        """Start ``fn(store)`` in the background; see the class docstring.
        ``owner`` (without a key): an op that ``busy``/``wait`` of the owner count."""
        cancel = QueryCancel() if cancellable else None

        def work() -> T:
            _current.cancel = cancel
            try:
                return fn(store)
            finally:
                _current.cancel = None

        on_error = (lambda exc: on_failed(one_line(exc))) if on_failed is not None else None
        return self.call(
            work, on_done, on_error, key=key, owner=owner, parent=parent, cancel=cancel
        )

    def call(
        self,
        fn: Callable[[], T],
        on_done: Callable[[T], None],
        on_error: Callable[[object], None] | None = None,
        *,
        key: Hashable | None = None,
        owner: object | None = None,
        parent: QObject | None = None,
        cancel: QueryCancel | None = None,
        release: Callable[[T], None] | None = None,
    ) -> BackgroundCall:
        """``run`` for a function that opens what it needs itself (a file, a
        store URL); ``on_error`` gets the exception.  ``release``: the result
        owns a resource (a Store: ``Store.close``); a result that is dropped
        (a newer op of the key, ``drop``, ``wait``) is released off the main
        thread, one that is delivered belongs to ``on_done``."""
        if key is not None:
            self.drop(key)
        call = BackgroundCall(fn, parent, release)
        call.done.connect(on_done)
        if on_error is not None:
            call.error.connect(on_error)
        tracked = key if key is not None or owner is None else (owner, "call", id(call))
        self._running[call] = tracked
        if key is not None:
            self._latest[key] = (call, cancel)
        call.finished.connect(lambda: self._forget(call, key))
        return call.start()

    def drop(self, key: Hashable) -> None:
        """No result of the op of ``key`` arrives; a cancellable one is stopped."""
        entry = self._latest.pop(key, None)
        if entry is None:
            return
        call, cancel = entry
        call.discard()
        if cancel is not None:
            cancel.cancel()

    def _forget(self, call: BackgroundCall, key: Hashable | None) -> None:
        self._running.pop(call, None)
        if key is not None and self._latest.get(key, (None, None))[0] is call:
            del self._latest[key]

    def pending(self, key: Hashable) -> bool:
        """True until the latest op of ``key`` has delivered its result."""
        return key in self._latest

    def running(self) -> int:
        """How many op threads have not ended yet."""
        return sum(1 for call in self._running if call.is_running())

    def abandon(self, owner: object | None = None) -> None:
        """Drop pending results and stop the statements of cancellable ops,
        without waiting: every op, or those of ``owner``.  The threads end on
        their own (``busy`` says when); the main thread never waits for a
        store that is slow or locked."""
        for call, key in list(self._running.items()):
            if owner is not None and not _owned_by(key, owner):
                continue
            if key is not None:
                self.drop(key)
            call.discard()

    def wait(self, msecs: int = 30_000, owner: object | None = None) -> bool:
        """Drop pending results and wait for the threads: every op, or those of
        ``owner`` (keys are tuples whose first item is the owner)."""
        self.abandon(owner)
        for call, key in list(self._running.items()):
            if owner is not None and not _owned_by(key, owner):
                continue
            if not call.wait(msecs):
                return False
        return True

    def busy(self, owner: object) -> bool:
        """True while an op of ``owner`` has not delivered its result."""
        return any(_owned_by(key, owner) for key in self._latest) or any(
            _owned_by(key, owner) for key in self._running.values()
        )


def _owned_by(key: Hashable | None, owner: object) -> bool:
    return isinstance(key, tuple) and bool(key) and key[0] is owner


#: The window's one registry of background store operations.
ops = StoreOps()
