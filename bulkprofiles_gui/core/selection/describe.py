"""A selection's conditions in plain words, for the operator.

One describer, so the wizard's review page, the Tasks view and ``tasks
show`` on the command line say the same thing: ``City is one of Berlin and
Paris and (Age at least 30 or Registration date in the last 90 days)``.
Field names are the database's labels when they are known (``field_labels``),
statuses, event types and channels are words (``core.words``).  Qt-free and
store-free apart from ``field_labels``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection

from ..limits import rules_problem
from ..store import Store
from ..words import channel_word, event_word, status_word
from .context import keys_named
from .operators import LABELS

#: What the describer says for a selection without conditions.
NO_CONDITIONS = "none: every profile of the range"


def field_labels(store: Store, conn: Connection, database_id: int) -> dict[str, str]:
    """The labels of a database's fields by key (``city`` -> ``City``)."""
    return {f.key: f.label for f in store.fields(conn, database_id)}


def database_labels(store: Store, database_id: int | None) -> dict[str, str]:
    """``field_labels`` in a transaction of its own; none for a database that is gone."""
    if database_id is None:
        return {}
    with store.begin() as conn:
        return field_labels(store, conn, database_id)


def value_words(value: Any, word: Any = str) -> str:
    """A value as the operator reads it: lists as ``a, b and c``, booleans as yes/no."""
    if isinstance(value, list):
        items = [value_words(v, word) for v in value]
        return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
    if isinstance(value, dict):
        return ", ".join(f"{k} {value_words(v)}" for k, v in value.items() if v not in (None, ""))
    if isinstance(value, bool):
        return "yes" if value else "no"
    return word(value) if isinstance(value, str) else str(value)


def _subscription_words(operator: str, spec: Mapping[str, Any]) -> str:
    text = "has a subscription" if operator == "has" else "has no subscription"
    text += f" to {spec.get('resource', '?')}"
    if spec.get("channel"):
        text += f" on {channel_word(str(spec['channel']))}"
    if spec.get("status"):
        text += f" with status {value_words(spec['status'], status_word)}"
    return text


def _event_words(operator: str, spec: Mapping[str, Any]) -> str:
    had = "had" if operator == "had" else "never had"
    text = f"{had} a “{event_word(str(spec.get('type', '?')))}” event"
    if spec.get("channel"):
        text += f" on {channel_word(str(spec['channel']))}"
    if spec.get("resource"):
        text += f" of {spec['resource']}"
    if spec.get("lastDays"):
        text += f" in the last {spec['lastDays']} days"
    if spec.get("from") or spec.get("to"):
        text += f" between {spec.get('from') or '…'} and {spec.get('to') or '…'}"
    if int(spec.get("atLeast") or 1) > 1:
        text += f" at least {spec['atLeast']} times"
    return text


def reserved_words(field: str, operator: str, value: Any) -> str | None:
    """Words for the reserved condition fields ($status, $subscription, $event,
    $promo, $task); None for a field of the database."""
    spec: Mapping[str, Any] = value if isinstance(value, dict) else {}
    if field == "$status":
        return f"Global status {LABELS.get(operator, operator)} {value_words(value, status_word)}"
    if field == "$subscription":
        return _subscription_words(operator, spec)
    if field == "$event":
        return _event_words(operator, spec)
    if field == "$promo":
        holds = "holds a code" if operator == "holds" else "holds no code"
        return f"{holds} of {spec.get('program', '?')}"
    if field == "$task":
        outcomes = value_words(list(spec.get("outcomes") or ["?"]))
        return f"had the outcome {outcomes} in task {spec.get('task', '?')}"
    return None


#: between's words before its two values (its label's "(inclusive)" left out).
_BETWEEN_WORDS = {"between": "between", "notBetween": "not between (or empty)"}


def label_of(labels: Mapping[str, str], name: str) -> str:
    """A field's label by the name a rule gives it, matched as the compiler
    matches it (``firstName`` is ``first_name``); the name when unknown."""
    found = keys_named(labels, name)
    return labels[found[0]] if len(found) == 1 else name


def _other_field_words(operator: str, value: Any, labels: Mapping[str, str]) -> str:
    """The other field(s) of a field comparison, said to be fields: "City is
    the field Country" (not the text "Country")."""
    if operator in ("between", "notBetween"):
        pair = [p.strip() for p in value.split(",")] if isinstance(value, str) else value
        if isinstance(pair, list) and len(pair) == 2:
            low, high = (label_of(labels, str(v)) for v in pair)
            return f"the fields {low} and {high}"
    return f"the field {label_of(labels, str(value))}"


def condition_words(rule: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    """One condition: ``City is one of Berlin and Paris``."""
    field = str(rule.get("field", ""))
    operator = str(rule.get("operator"))
    value = rule.get("value")
    reserved = reserved_words(field, operator, value)
    if reserved is not None:
        return reserved
    name = label_of(labels, field) if field else "?"
    words = LABELS.get(operator, operator)
    if rule.get("valueSource") == "field" and operator not in ("null", "notNull"):
        words = _BETWEEN_WORDS.get(operator, words)
        return f"{name} {words} {_other_field_words(operator, value, labels)}"
    if operator in ("inLastDays", "moreThanDaysAgo"):
        return f"{name} {words.replace('N', str(value))}"
    if operator in _BETWEEN_WORDS and isinstance(value, list) and len(value) == 2:
        words = _BETWEEN_WORDS[operator]
        return f"{name} {words} {value_words(value[0])} and {value_words(value[1])}"
    tail = "" if value in (None, "", []) else f" {value_words(value)}"
    return f"{name} {words}{tail}"


def describe_rules(rules: Mapping[str, Any], labels: Mapping[str, str] | None = None) -> str:
    """The rule tree in words; a nested group in brackets.  A tree beyond the
    limits of core/limits.py is not walked (it is recursive), only named."""
    if rules_problem(dict(rules)):
        return "rules beyond the limits (see docs/limits.md)"
    labels = labels or {}
    combinator = str(rules.get("combinator", "and")).lower()
    parts = []
    for rule in rules.get("rules", []) or []:
        if isinstance(rule, dict) and "rules" in rule:
            inner = describe_rules(rule, labels)
            if inner:
                parts.append(f"({inner})")
        elif isinstance(rule, dict):
            parts.append(condition_words(rule, labels))
    text = f" {combinator} ".join(parts)
    if rules.get("not") and text:
        text = f"not ({text})"
    return text


def describe_conditions(
    rules: Mapping[str, Any] | None, segment: str | None, labels: Mapping[str, str] | None = None
) -> str:
    """The "Conditions" line of a job: the segment's, then the rules' own."""
    text = describe_rules(rules or {}, labels)
    if segment:
        return f"those of segment “{segment}”" + (f", and {text}" if text else "")
    return text or NO_CONDITIONS


def describe_job_conditions(job: Mapping[str, Any], labels: Mapping[str, str] | None = None) -> str:
    """``describe_conditions`` of a job document (a task's ``job`` JSON)."""
    rules = job.get("rules")
    segment = job.get("segment")
    return describe_conditions(
        rules if isinstance(rules, dict) else None,
        segment if isinstance(segment, str) else None,
        labels,
    )
