"""What the catalogue commands (``db``, ``fields``, ``resources``, ``programs``) share:
running their nested actions (``bulkprofiles db create NAME``; the actions'
arguments are declared in ``_arguments``), the store they open, the question
before an irreversible change, and plain tables."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from ..core.manage import CatalogError
from ..core.store import Store
from ._common import store_from_args

Run = Callable[[argparse.Namespace], int]


def dispatch(args: argparse.Namespace, runs: Mapping[str, Run]) -> int:
    """Run the nested action the operator chose (``args.action``, see
    ``_arguments.actions``) with the function ``runs`` names for it."""
    return runs[args.action](args)


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
