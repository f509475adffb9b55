"""The ``bulkprofiles`` command line.

No subcommand opens the GUI.  Each subcommand is a function
``cmd_<name>(args) -> int`` in its own module of ``bulkprofiles_gui.commands``;
its arguments and help are declared apart, in the light
:mod:`.commands._arguments`, so building the parser (``--help``, and every
start) imports neither SQLAlchemy nor the models, the actions or Qt: only the
chosen subcommand's module is imported, when it runs.

Errors that the operator can fix (:class:`.core.errors.OperatorError`: the
light module defining it is all the parser imports of the core) are printed
as one line on stderr with exit code 2, never as a traceback.  So is a
failure of the store (read-only, disk full, locked, server gone:
:mod:`.core.faults`), with the traceback in the log file.  Anything else is a
bug: one line naming the log that holds its traceback, exit code 1
(:func:`last_resort`).  The store, the GUI and the log are imported only on
the paths that use them, so that ``--help`` and every start stay light
(``tests/test_cli_startup.py``).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence

from .commands._arguments import SUBCOMMANDS, add_db_argument
from .core.errors import OperatorError

Command = Callable[[argparse.Namespace], int]

#: Where the subcommands' modules live (``Subcommand.target`` is relative to it).
COMMANDS_PACKAGE = "bulkprofiles_gui.commands"


def build_parser() -> argparse.ArgumentParser:
    """The whole parser, from the declarations alone (no subcommand module is imported)."""
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
    except OperatorError as exc:
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
    fault = store_fault(exc, _opened_store())
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


def _opened_store() -> str | None:
    """The store a command opened (``commands._common``; none when no command
    module was loaded)."""
    common = sys.modules.get(f"{COMMANDS_PACKAGE}._common")
    return common.opened_store() if common is not None else None


def open_gui(args: argparse.Namespace) -> int:
    from .gui.app import run_app

    return run_app(db_url=args.db)


def self_check() -> int:
    from .gui.app import run_self_check

    return run_self_check()
