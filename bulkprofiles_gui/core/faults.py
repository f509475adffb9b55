"""Failures of the store, and the log that keeps their details.

The store can fail under a running program: its file turns read-only, the
disk fills up, another program holds the SQLite lock past the timeout, the
PostgreSQL server stops or drops the connection, a role lacks a permission.
The operator gets one readable line for each (:func:`store_fault` turns the
driver's exception into a :class:`StoreFault`), a task that was running is
left ``interrupted`` at its last committed batch (:func:`end_failed_task`),
and the traceback goes to the log file (:func:`log_exception`, in the user
log directory or ``$BULKPROFILES_LOG_DIR``), never to the screen.

A task that fails for a reason a resume would meet again (bad input found
late, a bug) ends ``failed`` and cannot be resumed.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

from .config import OWNER_ONLY, log_dir
from .errors import error_text, is_operator_error
from .store import StoreError

LOG_NAME = "bulkprofiles.log"
#: The log is renamed to ``bulkprofiles.log.1`` when it grows past this.
LOG_MAX_BYTES = 2_000_000

#: What a failure of the store is, by a piece of the driver's first line
#: (lower case), and what the operator can do about it; the first match wins.
_KINDS: tuple[tuple[str, str, str], ...] = (
    ("readonly database", "the store is read-only", "check the permissions of its file and folder"),
    ("read-only file system", "the store is on a read-only file system", ""),
    ("database or disk is full", "the disk of the store is full", "free some space"),
    ("no space left on device", "the disk of the store is full", "free some space"),
    ("could not extend file", "the disk of the store's server is full", ""),
    ("database is locked", "another program kept the store locked too long", "try again later"),
    ("unable to open database file", "the store's file cannot be opened", ""),
    ("disk i/o error", "the store's file cannot be read or written", ""),
    ("permission denied", "the store refused it", "the role lacks a permission"),
    ("terminating connection", "the store's server ended the connection", ""),
    ("server closed the connection", "the connection to the store was lost", ""),
    ("connection refused", "the store's server does not answer", ""),
    ("shutting down", "the store's server is shutting down", ""),
    ("starting up", "the store's server is starting up", "try again in a moment"),
    ("connection", "the connection to the store was lost", ""),
)


class StoreFault(StoreError):
    """The store failed while in use; one line for the operator.

    ``task_id`` names the task left ``interrupted`` by it (resumable), with
    ``done`` = (processed, selected) as its last committed batch left them, and
    ``log`` the file that holds the details (None if it could not be written).
    """

    def __init__(
        self,
        message: str,
        *,
        task_id: int | None = None,
        log: Path | None = None,
        done: tuple[int, int] | None = None,
    ) -> None:
        super().__init__(message)
        self.task_id = task_id
        self.log = log
        self.done = done


def log_path() -> Path:
    return log_dir() / LOG_NAME


_PASSWORD_IN_URL = re.compile(r"(\w[\w+.-]*://[^\s:/@]*:)([^\s@/]+)(@)")


def redact(text: str) -> str:
    """``text`` with the password of any URL in it replaced by ``***``."""
    return _PASSWORD_IN_URL.sub(r"\1***\3", text)


def first_line(exc: BaseException) -> str:
    """The first line of the driver's own message (SQLAlchemy adds the SQL)."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip()
    first = text.splitlines()[0] if text else type(orig).__name__
    return redact(re.sub(r"\s+", " ", first))


def _sqlalchemy_fault(exc: BaseException) -> bool | None:
    """Whether a SQLAlchemy error is a failure of the store (None: not one of
    SQLAlchemy's).  Integrity and data errors are not: they are about the
    values written, and a resume would meet them again."""
    exc_module = sys.modules.get("sqlalchemy.exc")
    if exc_module is None or not isinstance(exc, exc_module.SQLAlchemyError):
        return None
    if isinstance(exc, exc_module.PendingRollbackError | exc_module.DisconnectionError):
        return True
    if not isinstance(exc, exc_module.DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    if isinstance(exc, exc_module.OperationalError | exc_module.InterfaceError):
        return True
    if isinstance(exc, exc_module.ProgrammingError):
        return "permission denied" in first_line(exc).lower()
    return type(exc) is exc_module.DatabaseError  # e.g. a damaged SQLite file


def _driver_fault(exc: BaseException) -> bool:
    """The same for the drivers' own exceptions (raw COPY, the backup API)."""
    if isinstance(exc, sqlite3.OperationalError | sqlite3.InterfaceError):
        return True
    psycopg = sys.modules.get("psycopg")
    if psycopg is not None and isinstance(exc, psycopg.Error):
        if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
            return True
        return "permission denied" in first_line(exc).lower()
    return False


def is_store_fault(exc: BaseException) -> bool:
    """Whether ``exc`` is a failure of the store itself (see the module doc)."""
    if isinstance(exc, StoreFault):
        return True
    found = _sqlalchemy_fault(exc)
    return found if found is not None else _driver_fault(exc)


def describe(exc: BaseException) -> str:
    """One readable line for a failure of the store."""
    if isinstance(exc, StoreFault):
        return str(exc)
    line = first_line(exc)
    lowered = line.lower()
    for piece, what, hint in _KINDS:
        if piece in lowered:
            return f"{what} ({line})" + (f"; {hint}" if hint else "")
    return f"the store failed ({line})"


def store_fault(exc: BaseException, where: str | None = None) -> StoreFault | None:
    """A :class:`StoreFault` for a failure of the store (None for any other
    error); ``where`` (a redacted URL) is said when given."""
    if isinstance(exc, StoreFault):
        return exc
    if not is_store_fault(exc):
        return None
    words = describe(exc)
    if where:
        words = f"{where}: {words}"
    return StoreFault(words)


def log_exception(exc: BaseException, context: str) -> Path | None:
    """Append ``context`` and the traceback of ``exc`` to the log file (made
    readable by its owner only, renamed to ``.1`` past :data:`LOG_MAX_BYTES`).
    The log's path, or None when it cannot be written (the disk may be the
    fault): the failure itself is never made worse by its log."""
    path = log_path()
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    details = "".join(traceback.format_exception(exc))
    entry = f"{stamp} pid {os.getpid()}: {redact(context)}\n{redact(details)}\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and path.stat().st_size > LOG_MAX_BYTES:
            path.replace(path.with_name(LOG_NAME + ".1"))
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, OWNER_ONLY)
        with os.fdopen(fd, "a", encoding="utf-8") as out:
            out.write(entry)
    except OSError:
        return None
    return path


def details_note(log: Path | None) -> str:
    """`` (details in LOG)`` for the end of an operator's line."""
    return f" (details in {log})" if log else " (no log: the log file cannot be written)"


def end_failed_task(
    task_id: int,
    exc: Exception,
    finish: Callable[[str, str | None], None],
    where: str,
    done: tuple[int, int] | None = None,
) -> None:
    """End a task whose run raised ``exc``; ``finish(status, error)`` records it.

    A failure of the store leaves the task ``interrupted`` at its last
    committed batch (when the store still takes that write; otherwise the
    next listing marks it, its process being done with it) and raises a
    :class:`StoreFault` naming the task.  Any other error ends it ``failed``
    with its first line (the traceback follows for an unexpected one, and
    goes to the log), not resumable."""
    fault = store_fault(exc, where)
    if fault is None:
        if not is_operator_error(exc):
            log_exception(exc, f"task {task_id} failed")
        finish("failed", error_text(exc))
        return
    log = log_exception(exc, f"task {task_id} interrupted: {fault}")
    try:
        finish("interrupted", str(fault))
    except Exception as again:  # the store is still failing: the listing marks it later
        log_exception(again, f"task {task_id}: recording the interruption failed too")
    message = f"task {task_id} interrupted: {fault}"
    raise StoreFault(message, task_id=task_id, log=log, done=done) from None
