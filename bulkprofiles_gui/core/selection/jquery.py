"""Import of jQuery QueryBuilder's rule JSON into react-querybuilder's shape.

jQuery QueryBuilder: ``{"condition": "AND", "not": false, "rules": [{"id",
"field", "type", "input", "operator": "equal", "value"}], "valid": true}``.
Its operator names map to react-querybuilder's; names it does not know (our
own, e.g. ``inLastDays``) pass through for the validator to judge.
"""

from __future__ import annotations

from typing import Any

from ..limits import quote, rules_problem
from .compiler import child_path
from .model import RuleError, RuleProblem

JQUERY_OPERATORS: dict[str, str] = {
    "equal": "=",
    "not_equal": "!=",
    "in": "in",
    "not_in": "notIn",
    "less": "<",
    "less_or_equal": "<=",
    "greater": ">",
    "greater_or_equal": ">=",
    "between": "between",
    "not_between": "notBetween",
    "begins_with": "beginsWith",
    "not_begins_with": "doesNotBeginWith",
    "contains": "contains",
    "not_contains": "doesNotContain",
    "ends_with": "endsWith",
    "not_ends_with": "doesNotEndWith",
    "is_empty": "null",
    "is_not_empty": "notNull",
    "is_null": "null",
    "is_not_null": "notNull",
}


def import_jquery_rules(raw: dict[str, Any]) -> dict[str, Any]:
    """The react-querybuilder rule group of a jQuery QueryBuilder group.

    Raises :class:`RuleError` naming the node whose shape is not jQuery's.
    """
    too_big = rules_problem(raw)
    if too_big:
        raise RuleError([RuleProblem("", too_big)])
    problems: list[RuleProblem] = []
    group = _group(raw, "", problems)
    if problems:
        raise RuleError(problems)
    return group


def _group(raw: Any, path: str, problems: list[RuleProblem]) -> dict[str, Any]:
    if not isinstance(raw, dict) or not isinstance(raw.get("rules", []), list):
        problems.append(RuleProblem(path, "expected a group with a 'rules' list"))
        return {}
    condition = raw.get("condition", "AND")
    if not isinstance(condition, str) or condition.upper() not in ("AND", "OR"):
        problems.append(RuleProblem(path, f"condition must be AND or OR, not {quote(condition)}"))
    rules = []
    for index, child in enumerate(raw.get("rules", [])):
        child_at = child_path(path, index)
        if isinstance(child, dict) and "rules" in child:
            rules.append(_group(child, child_at, problems))
        else:
            rules.append(_rule(child, child_at, problems))
    return {
        "combinator": str(condition).lower(),
        "not": bool(raw.get("not", False)),
        "rules": rules,
    }


def _rule(raw: Any, path: str, problems: list[RuleProblem]) -> dict[str, Any]:
    if not isinstance(raw, dict):
        problems.append(RuleProblem(path, "expected a rule object"))
        return {}
    field = raw.get("field", raw.get("id"))
    operator = raw.get("operator")
    if not isinstance(field, str) or not isinstance(operator, str):
        problems.append(RuleProblem(path, "a rule needs 'field' (or 'id') and 'operator'"))
        return {}
    return {
        "field": field,
        "operator": JQUERY_OPERATORS.get(operator, operator),
        "value": raw.get("value"),
    }
