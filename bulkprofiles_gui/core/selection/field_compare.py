"""Conditions that compare a field with another field of the same profile.

react-querybuilder writes them as ``{"field": "last_name", "operator": "=",
"value": "first_name", "valueSource": "field"}`` (``between``: ``"value":
[low_field, high_field]``).  Which operators and type pairs may be compared is
:mod:`.operators` (``FIELD_OPERATORS``, ``FIELD_CLASSES``); this module turns
one such condition into SQL over two columns of ``store.profiles``, the same
on SQLite and PostgreSQL:

* a positive operator holds only when both fields have a value (text: not
  empty), so it never matches an empty value, as with a value;
* its negation is exactly its complement (``NOT`` of the guarded positive),
  so it includes the profiles where either field is empty;
* text ``=`` is exact; ``contains`` / ``beginsWith`` / ``endsWith`` ignore
  case (ASCII letters on SQLite) and the other field's ``%`` and ``_`` are
  plain characters; ordering is by code point on both backends;
* a date-time compared with a date compares its (UTC) calendar day, which is
  what a date value means for a date-time field.

Column names come from the schema (``Store.field_column``), never from the
rule text, which only selects a :class:`FieldInfo`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, Date, and_, cast, func, literal, not_

from ..fields import FieldType
from ..limits import quote
from ..store import FieldInfo, Store
from . import operators as ops

Expr = ColumnElement[bool]
Resolve = Callable[[str], FieldInfo]


class FieldCompareError(ValueError):
    """A field-to-field condition that cannot be compiled; one line for the operator."""


#: Negative operator -> its positive counterpart.
_POSITIVE_OF = {
    "!=": "=",
    "notBetween": "between",
    "doesNotContain": "contains",
    "doesNotBeginWith": "beginsWith",
    "doesNotEndWith": "endsWith",
}
_COMPARE: dict[str, Callable[[Any, Any], Expr]] = {
    "=": lambda a, b: a == b,
    "<": lambda a, b: a < b,
    "before": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    "after": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
#: Operators that sort (text by code point); the text matches ignore case as ILIKE does.
_ORDERING = frozenset({"<", "<=", ">", ">="})
_LIKE_ESCAPE = "/"


class FieldComparer:
    """Compiles field-to-field conditions for one store; ``resolve`` turns a
    name of the rule into a field (raising the compiler's error if it cannot)."""

    def __init__(self, store: Store, resolve: Resolve) -> None:
        self.store = store
        self.resolve = resolve
        self.sqlite = store.dialect == "sqlite"

    def condition(self, info: FieldInfo, op: str, value: Any) -> Expr:
        """``info op <the field(s) named by value>``; ``op`` is canonical."""
        kind = info.type.value
        if not ops.takes_field(kind, op):
            raise FieldCompareError(_not_comparable(info, op))
        positive = _POSITIVE_OF.get(op, op)
        if positive == "between":
            low, high = self._pair(info, value)
            cond = and_(self._compare(">=", info, low), self._compare("<=", info, high))
            others = [low, high]
        else:
            other = self._other(info, value)
            cond = self._compare(positive, info, other)
            others = [other]
        guarded = and_(*(self._present(f) for f in (info, *others)), cond)
        return not_(guarded) if positive != op else guarded

    # -- the other field(s) -------------------------------------------------
    def _other(self, info: FieldInfo, value: Any) -> FieldInfo:
        if not isinstance(value, str) or not value.strip():
            raise FieldCompareError(
                f"comparing {quote(info.key)} with another field needs the other "
                f"field's key as the value, not {quote(value)}"
            )
        other = self.resolve(value.strip())
        if not ops.comparable_types(info.type.value, other.type.value):
            raise FieldCompareError(
                f"{quote(info.key)} ({info.type.value}) cannot be compared with "
                f"{quote(other.key)} ({other.type.value}); {_compatible_words(info)}"
            )
        return other

    def _pair(self, info: FieldInfo, value: Any) -> tuple[FieldInfo, FieldInfo]:
        raw = [p.strip() for p in value.split(",")] if isinstance(value, str) else value
        if not isinstance(raw, list) or len(raw) != 2:
            raise FieldCompareError(
                f"between fields needs two field keys [from, to], not {quote(value)}"
            )
        return self._other(info, raw[0]), self._other(info, raw[1])

    # -- SQL ------------------------------------------------------------------
    def _compare(self, op: str, info: FieldInfo, other: FieldInfo) -> Expr:
        left, right = self._operands(info, other, ordering=op in _ORDERING)
        if op in ("contains", "beginsWith", "endsWith"):
            return self._like(op, left, right)
        return _COMPARE[op](left, right)

    def _operands(self, info: FieldInfo, other: FieldInfo, *, ordering: bool) -> tuple[Any, Any]:
        left, right = self.store.field_column(info), self.store.field_column(other)
        kinds = {info.type, other.type}
        if kinds == {FieldType.DATE, FieldType.DATETIME}:
            return self._day_of(left, info), self._day_of(right, other)
        if ordering and info.type.is_textual and not self.sqlite:
            # PostgreSQL sorts text by the database's locale ("a" < "B");
            # SQLite by code point.  "C" is code-point order on PostgreSQL too.
            return left.collate("C"), right
        return left, right

    def _day_of(self, column: Any, info: FieldInfo) -> Any:
        """A date-time column's calendar day; a date column as it is."""
        if info.type is not FieldType.DATETIME:
            return column
        return func.date(column) if self.sqlite else cast(column, Date)

    def _like(self, op: str, left: Any, right: Any) -> Expr:
        """left contains / begins / ends with right's text, ignoring case,
        right's ``%`` and ``_`` taken literally (escaped in SQL)."""
        escaped = right
        for char in (_LIKE_ESCAPE, "%", "_"):
            escaped = func.replace(escaped, char, _LIKE_ESCAPE + char)
        before = literal("%") if op in ("contains", "endsWith") else None
        after = literal("%") if op in ("contains", "beginsWith") else None
        pattern = escaped
        if before is not None:
            pattern = before.concat(pattern)
        if after is not None:
            pattern = pattern.concat(after)
        if self.sqlite:
            return left.like(pattern, escape=_LIKE_ESCAPE)
        return left.ilike(pattern, escape=_LIKE_ESCAPE)

    def _present(self, info: FieldInfo) -> Expr:
        column = self.store.field_column(info)
        if info.type.is_textual:
            return and_(column.is_not(None), column != "")
        return column.is_not(None)


def _not_comparable(info: FieldInfo, op: str) -> str:
    kind = info.type.value
    offered = ops.field_operators(kind)
    if not offered:
        return f"{quote(info.key)} ({kind}) cannot be compared with another field"
    return (
        f"operator {quote(op)} cannot compare {quote(info.key)} ({kind}) with another "
        f"field; use one of: {', '.join(offered)}"
    )


def _compatible_words(info: FieldInfo) -> str:
    kind = info.type.value
    same = [t for t, c in ops.FIELD_CLASSES.items() if c == ops.FIELD_CLASSES.get(kind)]
    return f"compare it with a field of type {' or '.join(same)}"


__all__ = ["FieldCompareError", "FieldComparer"]
