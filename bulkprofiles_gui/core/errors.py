"""Errors the operator can fix, and how any error is said in one line.

Every exception whose message is written for the operator derives from
:class:`OperatorError`: a wrong store URL (``StoreError`` and its catalogue,
import and export errors), settings (``ConfigError``), a job file
(``JobFileError``), rules (``RuleError``), an action's parameters
(``ActionError``), a task that cannot start (``TaskError``), input beyond a
limit (``LimitError``).  The command line prints such an error as one line
with exit code 2, the window as a message; anything else is a bug, whose
traceback goes to the log.  Recognising them is one ``isinstance``, so this
module imports nothing of the package (and nothing heavy): the command line
imports it before it knows which subcommand runs.
"""

from __future__ import annotations

import traceback


class OperatorError(Exception):
    """An error the operator can fix; its first line says what and where."""


class TaskError(OperatorError):
    """A task that cannot be found or (re)started; one line for the operator."""


def is_operator_error(exc: BaseException) -> bool:
    """Whether the message of ``exc`` is written for the operator (no traceback kept)."""
    return isinstance(exc, OperatorError)


def first_line(exc: BaseException) -> str:
    """The first line of the exception's message, else its class name."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def error_text(exc: BaseException) -> str:
    """One line for the operator; for an unexpected error the traceback follows it."""
    if is_operator_error(exc):
        return first_line(exc)
    detail = "".join(traceback.format_exception(exc))
    return f"{type(exc).__name__}: {first_line(exc)}\n\n{detail}"
