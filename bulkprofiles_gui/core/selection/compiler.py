"""Rule tree -> one SQLAlchemy boolean expression over ``store.profiles``.

Validation and compilation are one walk: every node is checked (field known,
operator offered for its type, value of the right type, names that exist) and
every problem is collected with the node's path; the expression is only used
when there is none.  Values are always bound parameters; columns come from the
store's schema (``Store.field_column``), never from rule text.  Invalid rules
are refused, never replaced by "true".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Table,
    and_,
    exists,
    func,
    not_,
    or_,
    select,
)
from sqlalchemy.sql.expression import Grouping

from .. import models as m
from ..errors import TaskError
from ..fields import CHANNELS, EVENT_TYPES, STATUSES, FieldType, FieldValueError, coerce_value
from ..limits import (
    MAX_LIST_ITEM_CHARS,
    is_int64,
    list_problem,
    nul_problem,
    quote,
    rules_problem,
    short,
    text_problem,
)
from ..outcomes import outcome_filter
from ..store import FieldInfo, Store
from . import operators as ops
from .context import AmbiguousFieldName, ResourceInfo, SchemaContext, field_named
from .field_compare import FieldCompareError, FieldComparer
from .model import RuleProblem

GROUP_KEYS = frozenset({"id", "path", "combinator", "not", "rules", "disabled"})
RULE_KEYS = frozenset({"id", "path", "field", "operator", "value", "valueSource", "disabled"})
MAX_DAYS = 36500
DAY = dt.timedelta(days=1)
MICROSECOND = dt.timedelta(microseconds=1)

Expr = ColumnElement[bool]


class BadValue(ValueError):
    """One node's problem; caught by the walker and recorded with the node's path."""


@dataclass(frozen=True)
class Instant:
    """A date or date-time value as the half-open interval it stands for.

    A date (or a date-only value on a date-time field) is the whole day
    ``[day, day + 1)``; an exact date-time is ``[t, t + 1 µs)``.
    """

    lo: dt.date | dt.datetime
    hi: dt.date | dt.datetime


def child_path(parent: str, index: int) -> str:
    return f"{parent}.rules[{index}]" if parent else f"rules[{index}]"


class RuleCompiler:
    """Walks one rule tree; ``problems`` holds what was wrong with it."""

    def __init__(self, store: Store, ctx: SchemaContext) -> None:
        self.store = store
        self.ctx = ctx
        self.p: Table = store.profiles
        self.problems: list[RuleProblem] = []
        self.sqlite = store.dialect == "sqlite"
        #: How many negated groups enclose the node being compiled.  Outside
        #: any ``not``, SQL's NULL works like false, so the IS NOT NULL guards
        #: that make a condition two-valued are only needed under a ``not``.
        self._negations = 0
        self._fields = FieldComparer(store, self._field)

    # -- tree -------------------------------------------------------------
    def compile_root(self, rules: Any) -> Expr | None:
        """The expression of the whole tree; None when it has no condition (= all)."""
        if not isinstance(rules, dict):
            self.problems.append(RuleProblem("", "rules must be a rule group object"))
            return None
        too_big = rules_problem(rules)
        if too_big:  # before any recursive walk: see core/limits.py
            self.problems.append(RuleProblem("", too_big))
            return None
        return self._group(rules, "", root=True)

    def _group(self, node: dict[str, Any], path: str, *, root: bool = False) -> Expr | None:
        unknown = sorted(set(node) - GROUP_KEYS)
        if unknown:
            self._problem(path, f"unknown key {quote(unknown[0])} in a group")
            return None
        combinator = node.get("combinator", "and")
        if not isinstance(combinator, str) or combinator.lower() not in ("and", "or"):
            self._problem(path, f"combinator must be 'and' or 'or', not {quote(combinator)}")
            return None
        negate = node.get("not", False)
        if not isinstance(negate, bool):
            self._problem(path, "'not' must be true or false")
            return None
        children = node.get("rules", [])
        if not isinstance(children, list):
            self._problem(path, "'rules' must be a list")
            return None
        exprs: list[Expr] = []
        before = len(self.problems)
        self._negations += negate
        try:
            for index, child in enumerate(children):
                expr = self._node(child, child_path(path, index))
                if expr is not None:
                    exprs.append(expr)
        finally:
            self._negations -= negate
        if len(self.problems) > before:
            return None
        if not exprs:
            if not root:
                self._problem(path, "empty group: add a condition or remove the group")
            elif negate:
                self._problem(path, "a negated group needs at least one condition")
            return None
        combined = exprs[0] if len(exprs) == 1 else _combine(combinator.lower(), exprs)
        return not_(combined) if negate else combined

    def _node(self, node: Any, path: str) -> Expr | None:
        if isinstance(node, str):
            self._problem(path, "independent combinators are not supported; use a group")
            return None
        if not isinstance(node, dict):
            self._problem(path, "expected a rule or a group object")
            return None
        if node.get("disabled") is True:  # other values: limits.rules_problem refuses them
            return None
        if "rules" in node or "combinator" in node:
            return self._group(node, path)
        try:
            return self._rule(node)
        except BadValue as exc:
            self._problem(path, str(exc))
            return None

    def _problem(self, path: str, message: str) -> None:
        self.problems.append(RuleProblem(path, message))

    # -- one rule ---------------------------------------------------------
    def _rule(self, node: dict[str, Any]) -> Expr:
        unknown = sorted(set(node) - RULE_KEYS)
        if unknown:
            raise BadValue(f"unknown key {quote(unknown[0])} in a rule")
        source = node.get("valueSource", "value")
        if source not in ("value", "field"):
            raise BadValue(f"valueSource must be 'value' or 'field', not {quote(source)}")
        field = node.get("field")
        operator = node.get("operator")
        if not isinstance(field, str) or not field:
            raise BadValue("the rule names no field")
        if not isinstance(operator, str) or not operator:
            raise BadValue(f"the rule on {quote(field)} names no operator")
        value = node.get("value")
        if field in ops.RESERVED_KINDS:
            if source == "field":
                raise BadValue(f"{quote(field)} cannot be compared with a field")
            kind = ops.RESERVED_KINDS[field]
            op = self._operator(kind, operator, field)
            return self._reserved(field, op, value)
        info = self._field(field)
        op = self._operator(info.type.value, operator, info.key)
        if source == "field" and op not in ("null", "notNull"):
            # "is empty" has no value to take from a field: react-querybuilder
            # keeps valueSource "field" on such a rule and ignores it too.
            try:
                return self._fields.condition(info, op, value)
            except FieldCompareError as exc:
                raise BadValue(str(exc)) from None
        if info.type.is_list:
            return self._list_rule(info, op, value)
        return self._scalar_rule(info, op, value)

    def _field(self, name: str) -> FieldInfo:
        """The profile field a rule names: by key, else ignoring case and
        separators (see :func:`.context.field_named`)."""
        try:
            info = field_named(self.ctx.fields, name)
        except AmbiguousFieldName as exc:
            raise BadValue(str(exc)) from None
        if info is None:
            known = ", ".join(sorted(self.ctx.fields)) + ", " + ", ".join(ops.RESERVED_FIELDS)
            raise BadValue(f"unknown field {quote(name)} (fields: {short(known, 120)})")
        return info

    def _operator(self, kind: str, operator: str, field: str) -> str:
        if ops.operator_value_kind(kind, operator) is None:
            offered = ", ".join(ops.operator_names(kind))
            raise BadValue(
                f"operator {quote(operator)} is not valid for {quote(field)} ({kind}); "
                f"use one of: {offered}"
            )
        return ops.canonical_operator(kind, operator)

    # -- scalar profile fields -------------------------------------------
    def _scalar_rule(self, info: FieldInfo, op: str, value: Any) -> Expr:
        col = self.store.field_column(info)
        if op == "null":
            return _is_empty(col, info.type)
        if op == "notNull":
            return not_(_is_empty(col, info.type))
        positive, negated = _POSITIVE_OF.get(op, (op, False))
        cond = self._scalar_condition(info, col, positive, value)
        if negated:
            return or_(col.is_(None), not_(cond))
        return and_(col.is_not(None), cond) if self._negations else cond

    def _scalar_condition(self, info: FieldInfo, col: Any, op: str, value: Any) -> Expr:
        ftype = info.type
        if op in ("contains", "beginsWith", "endsWith"):
            text = _fits(_text(value), col, info.key)
            return self._text_match(op, col, text)
        if op == "in":
            return col.in_(self._list_of(value, lambda v: self._scalar(info, v)))
        if ftype.is_temporal:
            return self._temporal_condition(info, col, op, value)
        if op != "=" and ftype.is_textual:
            # Text order: "" is an empty value (no positive operator matches it),
            # and code points decide on both backends (see operators.py).
            ordered = col.collate("C") if not self.sqlite else col
            return and_(col != "", self._compared(info, ordered, op, value))
        return self._compared(info, col, op, value)

    def _compared(self, info: FieldInfo, col: Any, op: str, value: Any) -> Expr:
        """``col`` against a number or a text value: =, <, <=, >, >=, between."""
        if op == "between":
            low, high = self._pair(value, lambda v: self._scalar(info, v))
            return and_(col >= low, col <= high)
        scalar = self._scalar(info, value)
        compare: dict[str, Callable[[Any], Expr]] = {
            "=": col.__eq__,
            "<": col.__lt__,
            "<=": col.__le__,
            ">": col.__gt__,
            ">=": col.__ge__,
        }
        return compare[op](scalar)

    def _temporal_condition(self, info: FieldInfo, col: Any, op: str, value: Any) -> Expr:
        if op in ("inLastDays", "moreThanDaysAgo"):
            days = _days(value)
            if info.type is FieldType.DATE:
                today = self.ctx.now.date()
                cutoff_day = today - dt.timedelta(days=days)
                if op == "inLastDays":
                    return and_(col > cutoff_day, col <= today)
                return col < cutoff_day
            cutoff = self.ctx.now - dt.timedelta(days=days)
            if op == "inLastDays":
                return and_(col >= cutoff, col <= self.ctx.now)
            return col < cutoff
        if op == "between":
            low, high = self._pair(value, lambda v: self._instant(info, v), by=lambda i: i.lo)
            return and_(col >= low.lo, col < high.hi)
        instant = self._instant(info, value)
        if op == "=":
            return and_(col >= instant.lo, col < instant.hi)
        if op == "before":
            return col < instant.lo
        if op == "after":
            return col >= instant.hi
        if op == "<=":
            return col < instant.hi
        return col >= instant.lo  # ">="

    def _scalar(self, info: FieldInfo, value: Any) -> Any:
        ftype = info.type
        if ftype is FieldType.STRING:
            return _fits(_text(value), self.store.field_column(info), info.key)
        if ftype is FieldType.ENUM:
            text = _text(value)
            if text not in info.options:
                raise BadValue(f"{quote(text)} is not one of: {', '.join(info.options)}")
            return text
        try:
            coerced = coerce_value(ftype, value, info.options)
        except FieldValueError as exc:
            raise BadValue(f"{info.key}: {exc}") from None
        if isinstance(coerced, str):
            return _fits(coerced, self.store.field_column(info), info.key)
        return coerced

    def _instant(self, info: FieldInfo, value: Any) -> Instant:
        try:
            return instant_of(info.type, value)
        except FieldValueError as exc:
            raise BadValue(f"{info.key}: {exc}") from None

    # -- list fields (tags, phones) --------------------------------------
    def _list_rule(self, info: FieldInfo, op: str, value: Any) -> Expr:
        plv = m.ProfileListValue.__table__
        item = plv.c.value
        if op in ("null", "notNull"):
            has_any = self._list_exists(info, None)
            return not_(has_any) if op == "null" else has_any
        positive, negated = _POSITIVE_OF.get(op, (op, False))
        if positive in ("contains", "beginsWith", "endsWith"):
            cond = self._text_match(positive, item, _list_item(value, info.key))
        elif positive == "in":
            cond = item.in_(self._list_of(value, lambda v: _list_item(v, info.key)))
        else:  # "=" / hasTag
            cond = item == _list_item(value, info.key)
        found = self._list_exists(info, cond)
        return not_(found) if negated else found

    def _list_exists(self, info: FieldInfo, cond: Expr | None) -> Expr:
        plv = m.ProfileListValue.__table__
        conds = [plv.c.field_id == info.id]
        if cond is not None:
            conds.append(cond)
        return self._profile_in(plv.c.profile_id, conds)

    def _profile_in(self, profile_id: Any, conds: list[Expr]) -> Expr:
        """The profile has a row in ``profile_id``'s table meeting ``conds``.

        SQLite: ``id IN (SELECT profile_id ...)``, which it runs once, through
        the related table's index, instead of once per profile; PostgreSQL:
        ``EXISTS`` (a semi-join, and ``NOT EXISTS`` an anti-join).  The
        subquery never yields NULL, so ``NOT IN`` is safe.
        """
        if self.sqlite:
            return self.p.c.id.in_(select(profile_id).where(profile_id.is_not(None), *conds))
        return exists(select(profile_id).where(profile_id == self.p.c.id, *conds))

    def _text_match(self, op: str, col: Any, text: str) -> Expr:
        """contains / beginsWith / endsWith, ignoring case; % and _ are plain characters.

        SQLite's LIKE already ignores (ASCII) case, and calling lower() on
        every row would only cost time; PostgreSQL has ILIKE.
        """
        escaped = text.replace("/", "//").replace("%", "/%").replace("_", "/_")
        pattern = {
            "contains": f"%{escaped}%",
            "beginsWith": f"{escaped}%",
            "endsWith": f"%{escaped}",
        }[op]
        if self.sqlite:
            return col.like(pattern, escape="/")
        return col.ilike(pattern, escape="/")

    # -- reserved fields ---------------------------------------------------
    def _reserved(self, field: str, op: str, value: Any) -> Expr:
        if field == ops.STATUS_FIELD:
            return self._status(op, value)
        if field == ops.SUBSCRIPTION_FIELD:
            found = self._subscription(value)
            return found if op == "has" else not_(found)
        if field == ops.EVENT_FIELD:
            found = self._event(value)
            return found if op == "had" else not_(found)
        if field == ops.TASK_FIELD:
            return self._task(value)
        found = self._promo(value)
        return found if op == "holds" else not_(found)

    def _status(self, op: str, value: Any) -> Expr:
        col = self.p.c.global_status
        if op in ("in", "notIn"):
            statuses = self._list_of(value, _status)
            return col.in_(statuses) if op == "in" else col.not_in(statuses)
        status = _status(value)
        return col == status if op == "=" else col != status

    def _subscription(self, value: Any) -> Expr:
        spec = _object(value, "subscription", {"resource", "channel", "status"}, {"resource"})
        resource = self._resource(spec["resource"])
        s = m.Subscription.__table__
        conds: list[Expr] = [s.c.resource_id == resource.id]
        if spec.get("channel") is not None:
            channel = _channel(spec["channel"])
            if channel not in resource.channels:
                configured = ", ".join(sorted(resource.channels)) or "none"
                raise BadValue(
                    f"resource {quote(resource.name)} has no channel {quote(channel)} "
                    f"(configured: {configured})"
                )
            conds.append(s.c.channel == channel)
        if spec.get("status") is not None:
            raw = spec["status"]
            statuses = self._list_of(raw, _status) if isinstance(raw, list) else [_status(raw)]
            conds.append(s.c.status.in_(statuses))
        return self._profile_in(s.c.profile_id, conds)

    def _event(self, value: Any) -> Expr:
        keys = {"type", "channel", "resource", "lastDays", "from", "to", "atLeast"}
        spec = _object(value, "event", keys, {"type"})
        event_type = spec["type"]
        if event_type not in EVENT_TYPES:
            types = ", ".join(EVENT_TYPES)
            raise BadValue(f"unknown event type {quote(event_type)} (types: {types})")
        e = m.Event.__table__
        conds: list[Expr] = [e.c.type == event_type]
        if spec.get("channel") is not None:
            conds.append(e.c.channel == _channel(spec["channel"]))
        if spec.get("resource") is not None:
            conds.append(e.c.resource_id == self._resource(spec["resource"]).id)
        conds.extend(self._event_period(spec))
        at_least = spec.get("atLeast", 1)
        if at_least is None:
            at_least = 1
        if not is_int64(at_least) or at_least < 1:
            raise BadValue(f"atLeast must be a whole number >= 1, not {quote(at_least)}")
        if at_least == 1:
            return self._profile_in(e.c.profile_id, conds)
        often = (
            select(e.c.profile_id)
            .where(*conds)
            .group_by(e.c.profile_id)
            .having(func.count() >= at_least)
        )
        if self.sqlite:
            return self.p.c.id.in_(often)
        # EXISTS over the grouped rows: PostgreSQL hashes them once (a semi-join,
        # or an anti-join under NOT) instead of counting per profile.
        grouped = often.subquery()
        return exists(select(grouped.c.profile_id).where(grouped.c.profile_id == self.p.c.id))

    def _event_period(self, spec: dict[str, Any]) -> list[Expr]:
        e = m.Event.__table__
        has_days = spec.get("lastDays") is not None
        has_range = spec.get("from") is not None or spec.get("to") is not None
        if has_days and has_range:
            raise BadValue("give either lastDays or from/to for the event period, not both")
        if has_days:
            cutoff = self.ctx.now - dt.timedelta(days=_days(spec["lastDays"]))
            return [e.c.occurred_at >= cutoff, e.c.occurred_at <= self.ctx.now]
        conds: list[Expr] = []
        low = _period_bound(spec, "from")
        high = _period_bound(spec, "to")
        if low is not None and high is not None and low.lo > high.lo:
            raise BadValue("the event period's 'from' is after its 'to'")
        if low is not None:
            conds.append(e.c.occurred_at >= low.lo)
        if high is not None:
            conds.append(e.c.occurred_at < high.hi)
        return conds

    def _promo(self, value: Any) -> Expr:
        spec = _object(value, "promo", {"program"}, {"program"})
        name = spec["program"]
        program_id = self.ctx.programs.get(name) if isinstance(name, str) else None
        if program_id is None:
            known = ", ".join(repr(n) for n in sorted(self.ctx.programs)) or "none"
            raise BadValue(
                f"no loyalty program {quote(name)} for this database (programs: {known})"
            )
        pc = m.PromoCode.__table__
        return self._profile_in(pc.c.profile_id, [pc.c.program_id == program_id])

    def _task(self, value: Any) -> Expr:
        spec = _object(value, "task", {"task", "outcomes"}, {"task", "outcomes"})
        task_id, outcomes = spec["task"], spec["outcomes"]
        if not is_int64(task_id):
            raise BadValue(
                f"the task condition needs a task id (a whole number), not {quote(task_id)}"
            )
        if not isinstance(outcomes, list) or not all(isinstance(o, str) for o in outcomes):
            raise BadValue("the task condition needs 'outcomes': a list of outcome names")
        try:
            condition = outcome_filter(task_id, outcomes)
        except TaskError as exc:
            raise BadValue(str(exc)) from None
        tp = m.TaskProfile.__table__
        return self._profile_in(tp.c.profile_id, [condition])

    def _resource(self, name: Any) -> ResourceInfo:
        resource = self.ctx.resources.get(name) if isinstance(name, str) else None
        if resource is None:
            known = ", ".join(repr(n) for n in sorted(self.ctx.resources)) or "none"
            raise BadValue(
                f"no resource {quote(name)} attached to this database (attached: {known})"
            )
        return resource

    # -- value shapes ------------------------------------------------------
    def _list_of(self, value: Any, item: Callable[[Any], Any]) -> list[Any]:
        raw = _split(value) if isinstance(value, str) else value
        if not isinstance(raw, list):
            raise BadValue(f"expected a list of values, not {quote(value)}")
        if not raw:
            raise BadValue("the list of values is empty")
        too_long = list_problem(raw)
        if too_long:
            raise BadValue(f"the list of values has {too_long}")
        return [item(v) for v in raw]

    def _pair(
        self,
        value: Any,
        item: Callable[[Any], Any],
        by: Callable[[Any], Any] = lambda v: v,
    ) -> tuple[Any, Any]:
        raw = _split(value) if isinstance(value, str) else value
        if not isinstance(raw, list) or len(raw) != 2:
            raise BadValue(f"between needs two values [from, to], not {quote(value)}")
        low, high = item(raw[0]), item(raw[1])
        if by(low) > by(high):
            raise BadValue(f"between: from {quote(raw[0])} is greater than to {quote(raw[1])}")
        return low, high


#: Negative operator -> (its positive counterpart, negated).
_POSITIVE_OF: dict[str, tuple[str, bool]] = {
    "!=": ("=", True),
    "notIn": ("in", True),
    "notBetween": ("between", True),
    "doesNotContain": ("contains", True),
    "doesNotBeginWith": ("beginsWith", True),
    "doesNotEndWith": ("endsWith", True),
    "hasTag": ("=", False),
    "hasNoTag": ("=", True),
}


def instant_of(ftype: FieldType, value: Any) -> Instant:
    """The interval a date / date-time value stands for (FieldValueError if bad)."""
    if ftype is FieldType.DATE:
        day = coerce_value(FieldType.DATE, value)
        return Instant(day, day + DAY)
    is_day = (isinstance(value, str) and len(value.strip()) == 10) or (
        isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    )
    moment = coerce_value(FieldType.DATETIME, value)
    if is_day:
        start = dt.datetime(moment.year, moment.month, moment.day)
        return Instant(start, start + DAY)
    return Instant(moment, moment + MICROSECOND)


def _period_bound(spec: dict[str, Any], key: str) -> Instant | None:
    if spec.get(key) is None:
        return None
    try:
        return instant_of(FieldType.DATETIME, spec[key])
    except FieldValueError as exc:
        raise BadValue(f"event period {quote(key)}: {exc}") from None


class _Parenthesized(Grouping[bool]):
    """Parentheses SQLAlchemy keeps: it flattens ``or_(or_(a, b), or_(c, d))``
    (and a plain Grouping of one) into ``a OR b OR c OR d``."""

    inherit_cache = True
    operator = None  # not the inner list's operator: nothing to flatten into


#: Conditions joined flat at one level of :func:`_combine`.
COMBINE_FANOUT = 8


def _combine(combinator: str, exprs: list[Expr]) -> Expr:
    """AND / OR of the group's conditions as a balanced tree of parenthesized
    runs of :data:`COMBINE_FANOUT`: SQLite parses ``a OR b OR c ...`` into a
    tree as deep as the list is long and refuses more than 1,000 levels
    ("Expression tree is too large"); balanced, 10,000 conditions are 5 levels."""
    join = and_ if combinator == "and" else or_
    while len(exprs) > COMBINE_FANOUT:
        runs = [exprs[i : i + COMBINE_FANOUT] for i in range(0, len(exprs), COMBINE_FANOUT)]
        exprs = [_Parenthesized(join(*run)) if len(run) > 1 else run[0] for run in runs]
    return join(*exprs)


def _fits(text: str, column: Any, key: str) -> str:
    """``text`` if the field's column can hold it; a longer value could never
    match, and is refused as the limit it is (see core/limits.py)."""
    too_long = text_problem(text, getattr(column.type, "length", None), f"field {key!r}")
    if too_long:
        raise BadValue(too_long)
    return text


def _list_item(value: Any, key: str) -> str:
    text = _text(value)
    too_long = text_problem(text, MAX_LIST_ITEM_CHARS, f"an item of {key!r}")
    if too_long:
        raise BadValue(too_long)
    return text


def _is_empty(col: Any, ftype: FieldType) -> Expr:
    if ftype.is_textual:
        return or_(col.is_(None), col == "")
    return col.is_(None)


def _text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise BadValue(f"expected text, not {quote(value)}")
    text = str(value).strip()
    if not text:
        raise BadValue("the value is empty (use 'is empty' to find empty values)")
    unusable = nul_problem(text)
    if unusable:
        raise BadValue(unusable)
    return text


def _days(value: Any) -> int:
    if isinstance(value, str) and value.strip().isdecimal() and len(value.strip()) <= 6:
        value = int(value.strip())
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_DAYS:
        raise BadValue(
            f"number of days must be a whole number from 1 to {MAX_DAYS}, not {quote(value)}"
        )
    return value


def _status(value: Any) -> str:
    if value not in STATUSES:
        raise BadValue(f"unknown status {quote(value)} (statuses: {', '.join(STATUSES)})")
    return str(value)


def _channel(value: Any) -> str:
    if value not in CHANNELS:
        raise BadValue(f"unknown channel {quote(value)} (channels: {', '.join(CHANNELS)})")
    return str(value)


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _object(value: Any, what: str, allowed: set[str], required: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadValue(f"the {what} condition needs an object value, not {quote(value)}")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise BadValue(
            f"unknown key {quote(unknown[0])} in the {what} condition "
            f"(allowed: {', '.join(sorted(allowed))})"
        )
    missing = sorted(k for k in required if value.get(k) is None)
    if missing:
        raise BadValue(f"the {what} condition needs {quote(missing[0])}")
    return value
