"""The selection's public data: what to select, and what is wrong with a rule."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ..errors import OperatorError
from ..jobfile import empty_rules as empty_rule_group


@dataclass
class SelectionSpec:
    """One selection over one profile database.

    ``rules`` is a react-querybuilder rule group; ``range_from``/``range_to``
    take a stable, evenly spread portion of the whole database (in %) before
    the rules; ``limit`` keeps the first N matching profiles by id (0 = all).
    ``now`` fixes the clock of relative-date conditions (default: UTC now).
    """

    database_id: int
    rules: dict[str, Any] = field(default_factory=empty_rule_group)
    range_from: float = 0.0
    range_to: float = 100.0
    limit: int = 0  # 0 = none
    now: dt.datetime | None = None


@dataclass(frozen=True)
class RuleProblem:
    """What is wrong with one node of a rule tree; ``path`` like ``rules[1].rules[0]``."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{short_path(self.path) or 'rules'}: {self.message}"


def short_path(path: str, limit: int = 80) -> str:
    """A node's path for a message: a deep one keeps its two ends
    (``rules[0].rules[0]…rules[0].rules[3]``, 99 levels down)."""
    if len(path) <= limit:
        return path
    head, tail = path[: limit // 3], path[-(2 * limit // 3) :]
    return f"{head[: head.rfind('.')]}…{tail[tail.find('.') + 1 :]}"


class RuleError(OperatorError, ValueError):
    """Rules that cannot be used; ``problems`` lists every wrong node."""

    def __init__(self, problems: list[RuleProblem]) -> None:
        self.problems = list(problems)
        super().__init__(self._message())

    def _message(self) -> str:
        if not self.problems:
            return "invalid rules"
        more = len(self.problems) - 1
        tail = f" (and {more} more problem{'s' * (more > 1)})" if more else ""
        return f"invalid selection: {self.problems[0]}{tail}"


@dataclass(frozen=True)
class OperatorChoice:
    """An operator offered for a field: its rule name, its words, its editor."""

    name: str
    label: str
    #: none|text|number|date|datetime|choice|list|pair|days|subscription|event|promo|bool
    value_kind: str
    #: True if the value may be another field (``"valueSource": "field"``).
    takes_field: bool = False


@dataclass(frozen=True)
class FieldChoice:
    """One entry of the rule builder's field list."""

    key: str
    label: str
    group: str
    type: str
    options: tuple[str, ...]
    operators: tuple[OperatorChoice, ...]
    #: Sub-choices of the reserved kinds, e.g. ``{"channels": (...), "statuses": (...)}``.
    details: dict[str, tuple[str, ...]] = field(default_factory=dict)
