"""The window's one line for an exception: an operator error as it is, a
failure of the store as what failed, anything else with its class and where
its details were logged.  Qt-free and below the views and the worker, which
both say errors this way."""

from __future__ import annotations

from pathlib import Path

from ..core.errors import OperatorError
from ..core.faults import StoreFault, details_note, store_fault


def operator_message(exc: object) -> str:
    """One readable line for an exception that reached the GUI.  A failure of
    the store says what failed (and how to go on with the task it
    interrupted); one the worker logged says where its details are."""
    fault = store_fault(exc) if isinstance(exc, BaseException) else None
    if fault is not None:
        return fault_message(fault, getattr(exc, "__log__", None))
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    if isinstance(exc, OperatorError) and first:
        return first
    line = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    logged = getattr(exc, "__log__", None)
    return line + details_note(logged) if logged else line


def fault_message(fault: StoreFault, log: Path | None = None) -> str:
    """The line of a failure of the store, as the window says it."""
    line = str(fault).strip().splitlines()[0]
    if fault.task_id is not None:
        line += "; it can be resumed from the Tasks view"
    log = fault.log or log
    return line + details_note(log) if log else line
