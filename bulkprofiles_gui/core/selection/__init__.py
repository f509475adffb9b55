"""Selection: which profiles of a database a job works on.

A selection is a database (or a saved segment), a rule tree (react-querybuilder
rule-group JSON, nested AND/OR groups with ``not``), a range and a total limit,
compiled to one SQLAlchemy statement that runs inside the database.  The
operator table (which operators each field type offers, and their NULL
semantics) is :mod:`.operators`; the reserved condition fields ``$status``,
``$subscription``, ``$event`` and ``$promo`` are documented there too.
"""

from __future__ import annotations

from .api import (
    check,
    count,
    has_conditions,
    prepare_count,
    preview,
    range_key,
    selected_rows,
    selection_ids,
    total,
    validate,
    where_clause,
)
from .catalog import field_catalog
from .jquery import import_jquery_rules
from .model import (
    FieldChoice,
    OperatorChoice,
    RuleError,
    RuleProblem,
    SelectionSpec,
    empty_rule_group,
)
from .operators import OPERATOR_TABLE, RESERVED_FIELDS, operator_choices
from .resolve import resolve_job_selection

__all__ = [
    "OPERATOR_TABLE",
    "RESERVED_FIELDS",
    "FieldChoice",
    "OperatorChoice",
    "RuleError",
    "RuleProblem",
    "SelectionSpec",
    "check",
    "count",
    "empty_rule_group",
    "field_catalog",
    "has_conditions",
    "import_jquery_rules",
    "operator_choices",
    "prepare_count",
    "preview",
    "range_key",
    "resolve_job_selection",
    "selected_rows",
    "selection_ids",
    "total",
    "validate",
    "where_clause",
]
