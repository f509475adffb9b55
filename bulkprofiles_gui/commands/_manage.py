"""What the catalogue commands (``db``, ``fields``, ``resources``, ``programs``) share:
nested actions (``bulkprofiles db create NAME``), the store they open, the
question before an irreversible change, and plain tables."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ..cli import add_db_argument, store_from_args
from ..core.manage import CatalogError
from ..core.store import Store

Run = Callable[[argparse.Namespace], int]


def actions(parser: argparse.ArgumentParser) -> Any:
    """The nested actions of a command (``db list``, ``db create`` ...)."""
    return parser.add_subparsers(dest="action", metavar="ACTION", required=True)


def action(subparsers: Any, name: str, help_text: str, run: Run) -> argparse.ArgumentParser:
    """One nested action; ``--db URL`` given before it is kept (inherited)."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name, help=help_text, description=help_text
    )
    add_db_argument(parser, inherit=True)
    parser.set_defaults(run=run)
    return parser


def dispatch(args: argparse.Namespace) -> int:
    run: Run = args.run
    return run(args)


@contextmanager
def opened_store(args: argparse.Namespace, *, create: bool = False) -> Iterator[Store]:
    """The store of ``--db`` (made first with ``create``), closed afterwards."""
    store = store_from_args(args, create=create)
    try:
        yield store
    finally:
        store.close()


def ask(prompt: str, refusal: str) -> bool:
    """Ask on the terminal; without one, refuse with ``refusal``.  Tests replace it."""
    if not sys.stdin.isatty():
        raise CatalogError(refusal)
    answer = input(prompt)
    return answer.strip().lower() in ("y", "yes")


def confirmed(args: argparse.Namespace, prompt: str, refusal: str) -> bool:
    """``--yes``, or the operator's answer (printing that nothing changed on a no)."""
    if args.yes or ask(prompt, refusal):
        return True
    print("Nothing was changed.", file=sys.stderr)
    return False


def add_yes(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--yes", action="store_true", help=f"do not ask before {what}")


def add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")


def split_list(text: str) -> list[str]:
    """``a,b, c`` -> ["a", "b", "c"] (empty items dropped)."""
    return [item.strip() for item in text.split(",") if item.strip()]


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Columns padded to their widest cell; numbers right-aligned with thousands separators."""
    cells = [[f"{v:,}" if isinstance(v, int) else str(v) for v in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    numeric = [bool(rows) and all(isinstance(r[i], int) for r in rows) for i in range(len(headers))]

    def line(values: Sequence[str]) -> str:
        padded = [
            v.rjust(w) if right else v.ljust(w)
            for v, w, right in zip(values, widths, numeric, strict=True)
        ]
        return "  ".join(padded).rstrip()

    print(line(list(headers)))
    for row in cells:
        print(line(row))
