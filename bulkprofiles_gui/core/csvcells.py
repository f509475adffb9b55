"""Spreadsheet-safe text cells: what the export writes and the import reads back.

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return would be run as a formula by a spreadsheet (OWASP "CSV injection"), so
the export writes it with a leading ``'`` (``+4917012345`` -> ``'+4917012345``).
The import takes that ``'`` away again, so an exported file imports as the
values it was made from.
"""

from __future__ import annotations

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _looks_escaped(text: str) -> bool:
    """A formula trigger after any number of ``'``: ``=1``, ``'=1``, ``''=1``."""
    return text.lstrip("'").startswith(FORMULA_TRIGGERS)


def escape_text(text: str) -> str:
    """``text`` with a leading ``'`` when a spreadsheet would run it as a formula,
    and when it already starts with ``'`` before one (``'=1+2`` stored as such):
    else the import would take its ``'`` away and ``'=1+2`` come back as ``=1+2``."""
    return "'" + text if _looks_escaped(text) else text


def unescape_text(cell: str) -> str:
    """The text :func:`escape_text` was given for ``cell``."""
    return cell[1:] if cell[:1] == "'" and _looks_escaped(cell) else cell
