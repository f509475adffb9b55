"""The ``bulkprofiles`` command line.

No subcommand opens the GUI.  Each subcommand is a function
``cmd_<name>(args) -> int`` in its own module of ``bulkprofiles_gui.commands``;
its arguments and help are declared apart, in the light
:mod:`.commands._arguments`, so building the parser (``--help``, and every
start) imports neither SQLAlchemy nor the models, the actions or Qt: only the
chosen subcommand's module is imported, when it runs.

Errors that the operator can fix are printed as one line on stderr with exit
code 2, never as a traceback: the core's exceptions named in
:data:`_OPERATOR_ERROR_NAMES`, and any registered with
:func:`register_operator_error`.  So is a failure of the store (read-only,
disk full, locked, server gone: :mod:`.core.faults`), with the traceback in
the log file.  Anything else is a bug: one line naming the log that holds its
traceback, exit code 1 (:func:`last_resort`).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .core.config import Settings
    from .core.store import Store

Command = Callable[[argparse.Namespace], int]

#: Where the subcommands' modules live (``Subcommand.target`` is relative to it).
COMMANDS_PACKAGE = "bulkprofiles_gui.commands"

#: The core's exceptions whose message is meant for the operator as it is, by
#: ``module:class``: naming them keeps their (heavy) modules out of start-up.
#: Subclasses count too (``CatalogError``, ``ImportSpecError``... are StoreErrors).
_OPERATOR_ERROR_NAMES: tuple[str, ...] = (
    "bulkprofiles_gui.core.store:StoreError",
    "bulkprofiles_gui.core.config:ConfigError",
    "bulkprofiles_gui.core.jobfile:JobFileError",
    "bulkprofiles_gui.core.selection.model:RuleError",
    "bulkprofiles_gui.core.actions.base:ActionError",
    "bulkprofiles_gui.core.jobs:TaskError",
)
_registered_errors: tuple[type[BaseException], ...] = ()
#: The store this command opened (its URL without password), for messages.
_opened_store: str | None = None


def register_operator_error(*errors: type[BaseException]) -> None:
    """Let another module declare its operator-facing exception types."""
    global _registered_errors
    _registered_errors = tuple(dict.fromkeys((*_registered_errors, *errors)))


def loaded_operator_errors() -> tuple[type[BaseException], ...]:
    """The operator errors whose modules are loaded, without importing any.

    An exception can only be an instance of a class whose module has been
    imported, so matching against these catches every operator error that can
    have been raised, whichever subcommand (imported late) raised it.
    """
    found: list[type[BaseException]] = []
    for name in _OPERATOR_ERROR_NAMES:
        module_name, _, class_name = name.partition(":")
        error = getattr(sys.modules.get(module_name), class_name, None)
        if isinstance(error, type) and issubclass(error, BaseException):
            found.append(error)
    return tuple(dict.fromkeys((*found, *_registered_errors)))


def operator_errors() -> tuple[type[BaseException], ...]:
    """Every operator error class, importing the modules that define them."""
    for name in _OPERATOR_ERROR_NAMES:
        importlib.import_module(name.partition(":")[0])
    return loaded_operator_errors()


def __getattr__(name: str) -> Any:
    """``cli.OPERATOR_ERRORS``: every operator error class (see :func:`operator_errors`)."""
    if name == "OPERATOR_ERRORS":
        return operator_errors()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def settings() -> Settings:
    from .core.config import Settings

    return Settings.load()


def store_from_args(args: argparse.Namespace, *, create: bool = False) -> Store:
    """Open the store of ``--db``; an upgrade of its schema is said on stderr.
    Journals of tasks older than the settings' ``archive_days`` are purged."""
    from .core.journal import purge_expired
    from .core.store import open_store

    global _opened_store
    config = settings()
    store = open_store(config.resolve_url(getattr(args, "db", None)), create=create)
    _opened_store = store.display_url
    if store.upgrade_notice:
        print(f"bulkprofiles: {store.upgrade_notice}", file=sys.stderr)
    purge_expired(store, config.archive_days)
    return store


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


def add_db_argument(parser: argparse.ArgumentParser, *, inherit: bool = False) -> None:
    """``--db URL``; with ``inherit`` (subcommands) an absent option keeps the
    value given before the subcommand (``bulkprofiles --db URL info``)."""
    parser.add_argument(
        "--db",
        metavar="URL",
        default=argparse.SUPPRESS if inherit else None,
        help="store URL (SQLAlchemy form) or the name of a saved connection; default: "
        "$BULKPROFILES_DB_URL, then the default connection of the settings, then the "
        "embedded SQLite store",
    )


def build_parser() -> argparse.ArgumentParser:
    """The whole parser, from the declarations alone (no subcommand module is imported)."""
    from .commands._arguments import SUBCOMMANDS

    parser = argparse.ArgumentParser(
        prog="bulkprofiles",
        description="Bulk updates of customer profiles. Without a command, opens the window.",
    )
    add_db_argument(parser)
    parser.add_argument(
        "--self-check",
        action="store_true",
        help="check this installation: open the window offscreen on a temporary demo store, "
        "run a small job in the background, close; exit 0 when all of it worked",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for declared in SUBCOMMANDS:
        p = sub.add_parser(declared.name, help=declared.help, description=declared.help)
        add_db_argument(p, inherit=True)
        declared.configure(p)
        p.set_defaults(target=declared.target)
    return parser


def command_function(target: str) -> Command:
    """The function a subcommand's ``target`` (``"module:function"``) names,
    importing its module now."""
    module_name, _, function_name = target.partition(":")
    module = importlib.import_module(f"{COMMANDS_PACKAGE}.{module_name}")
    func: Command = getattr(module, function_name)
    return func


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.self_check and args.command is not None:
        parser.error("--self-check takes no command")
    try:
        if args.self_check:
            return self_check()
        if args.command is None:
            return open_gui(args)
        return command_function(args.target)(args)
    # Evaluated when an exception arrives: covers the modules imported by then.
    except loaded_operator_errors() as exc:
        print(error_line(exc), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("bulkprofiles: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of our output went away (``bulkprofiles info | head``): stop
        # quietly, and keep Python from failing again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:
        return last_resort(exc)


def error_line(exc: BaseException) -> str:
    """The line of an operator error; a task interrupted by a failure of the
    store says how to resume it, and where the details are."""
    line = f"bulkprofiles: error: {exc}"
    faults = sys.modules.get("bulkprofiles_gui.core.faults")
    if faults is not None and isinstance(exc, faults.StoreFault):
        if exc.task_id is not None:
            line += f"; resume with: bulkprofiles tasks resume {exc.task_id}"
        line += faults.details_note(exc.log)
    return line


def last_resort(exc: Exception) -> int:
    """An exception no command handled: its traceback goes to the log, one line
    to stderr.  A failure of the store (or of a file) is the operator's to fix
    (exit code 2); anything else is a bug (exit code 1)."""
    from .core.faults import details_note, log_exception, redact, store_fault

    command = " ".join(sys.argv[1:])
    fault = store_fault(exc, _opened_store)
    if fault is not None:
        log = log_exception(exc, f"bulkprofiles {command}: {fault}")
        print(f"bulkprofiles: error: {fault}{details_note(log)}", file=sys.stderr)
        return 2
    if isinstance(exc, OSError) and exc.strerror:
        where = f"{exc.filename}: " if exc.filename else ""
        log = log_exception(exc, f"bulkprofiles {command}: {where}{exc.strerror}")
        print(f"bulkprofiles: error: {where}{exc.strerror}{details_note(log)}", file=sys.stderr)
        return 2
    log = log_exception(exc, f"bulkprofiles {command}: unexpected error")
    text = str(exc).strip().splitlines()
    what = f"{type(exc).__name__}: {redact(text[0])}" if text else type(exc).__name__
    print(f"bulkprofiles: error: unexpected error: {what}{details_note(log)}", file=sys.stderr)
    return 1


def open_gui(args: argparse.Namespace) -> int:
    from .gui.app import run_app

    return run_app(db_url=args.db)


def self_check() -> int:
    from .gui.app import run_self_check

    return run_self_check()
