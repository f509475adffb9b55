"""The one operator table: which operators each kind of field offers.

The rule compiler, the validator and the GUI's rule builder all read this
table, so a field is only ever offered the operators that mean something for
its type.  Operator names are react-querybuilder's standard ones, plus ours.

Reserved condition fields (``field`` of a rule)::

    "$status"        global status;       =, !=, in, notIn   value: a status / list of statuses
    "$subscription"  has / hasNo          value: {"resource": name,
                                                  "channel": optional channel,
                                                  "status": optional status or list of statuses}
    "$event"         had / neverHad       value: {"type": event type,
                                                  "channel": optional, "resource": optional name,
                                                  "lastDays": N  or  "from"/"to": ISO dates,
                                                  "atLeast": K (default 1)}
    "$promo"         holds / holdsNo      value: {"program": loyalty program name}
    "$task"          outcomeIn            value: {"task": task id, "outcomes": [outcome, ...]}
                     (the profiles of an earlier task with one of the outcomes "changed",
                     "skipped", "not_processed" or a skip reason; made by "retry", not
                     offered in the rule builder; a task that no longer exists selects none)

NULL (empty value) semantics, the same on SQLite and PostgreSQL:

* Positive operators (=, <, contains, in, between, before, inLastDays, hasTag,
  ...) never match a profile whose value is empty.
* Negative operators (!=, notIn, notBetween, doesNotContain,
  doesNotBeginWith, doesNotEndWith, hasNoTag) DO match a profile whose value
  is empty: "city is not Berlin" includes the profiles with no city.  Their
  labels say "(or empty)".
* ``null`` ("is empty") matches NULL and, for text, the empty string;
  ``notNull`` is its exact complement.  For list fields, empty = no items.
* Every condition is two-valued, so a group with ``"not": true`` selects
  exactly the profiles (of the range) its rules do not select.

Text: ``=``/``!=``/``in``/``notIn`` compare exactly (case matters);
contains/beginsWith/endsWith and their negations ignore case (ASCII letters on
SQLite; ``%`` and ``_`` in the value are plain characters).  Dates and
date-times: a date-only value on a date-time field means the whole day
(``= 2026-05-01`` is any time that day, ``<= 2026-05-01`` includes that day).
``inLastDays N``: from N days before now up to now; ``moreThanDaysAgo N``:
before that point (for date fields: compared by calendar day).  Ordering text
(``<``, ``<=``, ``>``, ``>=`` on ``string`` fields) compares by code point,
case first (``"B" < "a"``), on both backends.

Comparing a field with another field (react-querybuilder's ``"valueSource":
"field"``, ``value`` naming the other field, or two fields for ``between``):
the operators of :data:`FIELD_OPERATORS`, between fields of one comparison
class (:data:`FIELD_CLASSES`): numbers (integer, float), text (string, email,
ip, enum), dates (date, datetime: a date-time against a date compares its UTC
calendar day, as a date value does) and booleans (``=`` only).  A positive
operator holds only when both fields have a value (text: not empty); its
negation (``!=``, ``notBetween``, ``doesNotContain``, ...) holds exactly when
it does not, so it includes the profiles where either field is empty.
"""

from __future__ import annotations

from ..fields import FieldType
from .model import OperatorChoice

STATUS_FIELD = "$status"
SUBSCRIPTION_FIELD = "$subscription"
EVENT_FIELD = "$event"
PROMO_FIELD = "$promo"
TASK_FIELD = "$task"
#: The reserved fields the rule builder offers.  ``$task`` is understood too
#: (see RESERVED_KINDS) but is not listed: it is made by "retry", not by hand.
RESERVED_FIELDS: tuple[str, ...] = (STATUS_FIELD, SUBSCRIPTION_FIELD, EVENT_FIELD, PROMO_FIELD)

#: Value kind placeholder: the field type's own scalar editor.
SCALAR = "scalar"

#: Comparison class of each field type that may be compared with another field:
#: a field is compared only with fields of its own class.
FIELD_CLASSES: dict[str, str] = {
    FieldType.INTEGER.value: "number",
    FieldType.FLOAT.value: "number",
    FieldType.STRING.value: "text",
    FieldType.EMAIL.value: "text",
    FieldType.IP.value: "text",
    FieldType.ENUM.value: "text",
    FieldType.DATE.value: "date",
    FieldType.DATETIME.value: "date",
    FieldType.BOOLEAN.value: "boolean",
}
_ORDER = frozenset({"=", "!=", "<", "<=", ">", ">=", "between", "notBetween"})
_MATCH = frozenset(
    {"contains", "doesNotContain", "beginsWith", "doesNotBeginWith", "endsWith", "doesNotEndWith"}
)
#: The operators that may take another field as their value, per comparison
#: class (and only where the field's own type offers them, see :func:`field_operators`).
FIELD_OPERATORS: dict[str, frozenset[str]] = {
    "number": _ORDER,
    "text": _ORDER | _MATCH,
    "date": _ORDER | {"before", "after"},
    "boolean": frozenset({"="}),
}
#: Field-value operators whose value is two fields ``[low, high]``.
FIELD_PAIR_OPERATORS = frozenset({"between", "notBetween"})

#: The words the operator sees, per operator name.
LABELS: dict[str, str] = {
    "=": "is",
    "!=": "is not (or empty)",
    "<": "less than",
    "<=": "at most",
    ">": "greater than",
    ">=": "at least",
    "contains": "contains",
    "beginsWith": "begins with",
    "endsWith": "ends with",
    "doesNotContain": "does not contain (or empty)",
    "doesNotBeginWith": "does not begin with (or empty)",
    "doesNotEndWith": "does not end with (or empty)",
    "null": "is empty",
    "notNull": "is not empty",
    "in": "is one of",
    "notIn": "is none of (or empty)",
    "between": "between (inclusive)",
    "notBetween": "not between (or empty)",
    "before": "before",
    "after": "after",
    "inLastDays": "in the last N days",
    "moreThanDaysAgo": "more than N days ago",
    "hasTag": "has tag",
    "hasNoTag": "has no tag (or no tags)",
    "has": "has a subscription",
    "hasNo": "has no subscription",
    "had": "had the event",
    "neverHad": "never had the event",
    "holds": "holds a code of",
    "holdsNo": "holds no code of",
    "outcomeIn": "had one of the outcomes in task",
}

#: Labels that read better for a given field kind.
LABEL_OVERRIDES: dict[tuple[str, str], str] = {
    ("date", "<="): "on or before",
    ("date", ">="): "on or after",
    ("datetime", "<="): "on or before",
    ("datetime", ">="): "on or after",
    ("string", "<"): "sorts before",
    ("string", "<="): "sorts before or is",
    ("string", ">"): "sorts after",
    ("string", ">="): "sorts after or is",
    ("tags", "in"): "has any of the tags",
    ("tags", "notIn"): "has none of the tags (or no tags)",
    ("tags", "contains"): "has a tag containing",
    ("tags", "doesNotContain"): "has no tag containing (or no tags)",
    ("tags", "null"): "has no tags",
    ("tags", "notNull"): "has tags",
    ("phones", "="): "has the phone",
    ("phones", "contains"): "has a phone containing",
    ("phones", "doesNotContain"): "has no phone containing (or no phones)",
    ("phones", "beginsWith"): "has a phone beginning with",
    ("phones", "null"): "has no phones",
    ("phones", "notNull"): "has phones",
}

_TEXT_OPS: tuple[tuple[str, str], ...] = (
    ("=", SCALAR),
    ("!=", SCALAR),
    ("contains", "text"),
    ("doesNotContain", "text"),
    ("beginsWith", "text"),
    ("doesNotBeginWith", "text"),
    ("endsWith", "text"),
    ("doesNotEndWith", "text"),
    ("in", "list"),
    ("notIn", "list"),
    ("null", "none"),
    ("notNull", "none"),
)
#: Plain text also sorts (and so has between): by code point on both backends.
_STRING_OPS: tuple[tuple[str, str], ...] = (
    *_TEXT_OPS[:2],
    ("<", SCALAR),
    ("<=", SCALAR),
    (">", SCALAR),
    (">=", SCALAR),
    ("between", "pair"),
    ("notBetween", "pair"),
    *_TEXT_OPS[2:],
)
_NUMBER_OPS: tuple[tuple[str, str], ...] = (
    ("=", SCALAR),
    ("!=", SCALAR),
    ("<", SCALAR),
    ("<=", SCALAR),
    (">", SCALAR),
    (">=", SCALAR),
    ("between", "pair"),
    ("notBetween", "pair"),
    ("in", "list"),
    ("notIn", "list"),
    ("null", "none"),
    ("notNull", "none"),
)
_TEMPORAL_OPS: tuple[tuple[str, str], ...] = (
    ("=", SCALAR),
    ("!=", SCALAR),
    ("before", SCALAR),
    ("after", SCALAR),
    ("<=", SCALAR),
    (">=", SCALAR),
    ("between", "pair"),
    ("notBetween", "pair"),
    ("inLastDays", "days"),
    ("moreThanDaysAgo", "days"),
    ("null", "none"),
    ("notNull", "none"),
)

#: kind -> ((operator, value kind), ...) in the order the rule builder offers them.
#: Kinds are the field types plus "status", "subscription", "event", "promo".
OPERATOR_TABLE: dict[str, tuple[tuple[str, str], ...]] = {
    FieldType.INTEGER.value: _NUMBER_OPS,
    FieldType.FLOAT.value: _NUMBER_OPS,
    FieldType.STRING.value: _STRING_OPS,
    FieldType.EMAIL.value: _TEXT_OPS,
    FieldType.IP.value: _TEXT_OPS,
    FieldType.ENUM.value: (
        ("=", SCALAR),
        ("!=", SCALAR),
        ("in", "list"),
        ("notIn", "list"),
        ("null", "none"),
        ("notNull", "none"),
    ),
    FieldType.BOOLEAN.value: (("=", SCALAR), ("null", "none"), ("notNull", "none")),
    FieldType.DATE.value: _TEMPORAL_OPS,
    FieldType.DATETIME.value: _TEMPORAL_OPS,
    FieldType.TAGS.value: (
        ("hasTag", "text"),
        ("hasNoTag", "text"),
        ("in", "list"),
        ("notIn", "list"),
        ("contains", "text"),
        ("doesNotContain", "text"),
        ("null", "none"),
        ("notNull", "none"),
    ),
    FieldType.PHONES.value: (
        ("=", "text"),
        ("contains", "text"),
        ("doesNotContain", "text"),
        ("beginsWith", "text"),
        ("null", "none"),
        ("notNull", "none"),
    ),
    "status": (("=", "choice"), ("!=", "choice"), ("in", "list"), ("notIn", "list")),
    "subscription": (("has", "subscription"), ("hasNo", "subscription")),
    "event": (("had", "event"), ("neverHad", "event")),
    "promo": (("holds", "promo"), ("holdsNo", "promo")),
    "task": (("outcomeIn", "task"),),
}

#: Accepted spellings that the rule builder does not offer separately.
ALIASES: dict[str, dict[str, str]] = {
    FieldType.DATE.value: {"<": "before", ">": "after"},
    FieldType.DATETIME.value: {"<": "before", ">": "after"},
}

#: The kind (table key) of each reserved field.
RESERVED_KINDS: dict[str, str] = {
    STATUS_FIELD: "status",
    SUBSCRIPTION_FIELD: "subscription",
    EVENT_FIELD: "event",
    PROMO_FIELD: "promo",
    TASK_FIELD: "task",
}

#: The scalar editor of each field type.
SCALAR_KINDS: dict[str, str] = {
    FieldType.INTEGER.value: "number",
    FieldType.FLOAT.value: "number",
    FieldType.STRING.value: "text",
    FieldType.EMAIL.value: "text",
    FieldType.IP.value: "text",
    FieldType.ENUM.value: "choice",
    FieldType.BOOLEAN.value: "bool",
    FieldType.DATE.value: "date",
    FieldType.DATETIME.value: "datetime",
}


def canonical_operator(kind: str, operator: str) -> str:
    """The table's name for ``operator`` (resolving aliases such as ``<`` for dates)."""
    return ALIASES.get(kind, {}).get(operator, operator)


def operator_value_kind(kind: str, operator: str) -> str | None:
    """The value kind of ``operator`` for ``kind``, or None if it is not offered."""
    for name, value_kind in OPERATOR_TABLE.get(kind, ()):
        if name == canonical_operator(kind, operator):
            return SCALAR_KINDS.get(kind, value_kind) if value_kind == SCALAR else value_kind
    return None


def operator_names(kind: str) -> tuple[str, ...]:
    return tuple(name for name, _ in OPERATOR_TABLE.get(kind, ()))


def operator_choices(kind: str) -> tuple[OperatorChoice, ...]:
    """The operators of ``kind`` as the rule builder shows them."""
    return tuple(
        OperatorChoice(
            name=name,
            label=LABEL_OVERRIDES.get((kind, name), LABELS[name]),
            value_kind=operator_value_kind(kind, name) or "none",
            takes_field=name in field_operators(kind),
        )
        for name, _ in OPERATOR_TABLE.get(kind, ())
    )


def field_operators(kind: str) -> tuple[str, ...]:
    """The operators of ``kind`` that may compare with another field, in table order."""
    allowed = FIELD_OPERATORS.get(FIELD_CLASSES.get(kind, ""), frozenset())
    return tuple(name for name in operator_names(kind) if name in allowed)


def takes_field(kind: str, operator: str) -> bool:
    """True if ``operator`` on a field of ``kind`` may compare with another field."""
    return canonical_operator(kind, operator) in field_operators(kind)


def comparable_types(left: str, right: str) -> bool:
    """True if fields of types ``left`` and ``right`` may be compared."""
    return left in FIELD_CLASSES and FIELD_CLASSES[left] == FIELD_CLASSES.get(right)
