"""The plain words of a selection (core/selection/describe.py), and ``tasks
show`` saying them on both backends."""

from __future__ import annotations

from typing import Any

import pytest

from bulkprofiles_gui.cli import main
from bulkprofiles_gui.core.jobfile import Job
from bulkprofiles_gui.core.jobs import run_job
from bulkprofiles_gui.core.progress import JobState
from bulkprofiles_gui.core.selection.describe import (
    NO_CONDITIONS,
    database_labels,
    describe_conditions,
    describe_rules,
)
from bulkprofiles_gui.core.store import Store

LABELS = {"city": "City", "age": "Age", "registered_at": "Registration date", "phone": "Phone"}


def group(*rules: dict[str, Any], combinator: str = "and", negated: bool = False) -> Any:
    return {"combinator": combinator, "not": negated, "rules": list(rules)}


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ({"field": "city", "operator": "in", "value": ["Berlin", "Paris"]},
         "City is one of Berlin and Paris"),
        ({"field": "city", "operator": "in", "value": ["Berlin", "Paris", "Rome"]},
         "City is one of Berlin, Paris and Rome"),
        ({"field": "age", "operator": ">=", "value": 30}, "Age at least 30"),
        ({"field": "age", "operator": "between", "value": [20, 30]}, "Age between 20 and 30"),
        ({"field": "registered_at", "operator": "inLastDays", "value": 90},
         "Registration date in the last 90 days"),
        ({"field": "city", "operator": "null"}, "City is empty"),
        ({"field": "$status", "operator": "=", "value": "hardbounced"},
         "Global status is Hard bounced"),
        ({"field": "$subscription", "operator": "has",
          "value": {"resource": "Newsletter", "channel": "sms", "status": ["subscribed"]}},
         "has a subscription to Newsletter on SMS with status Subscribed"),
        ({"field": "$event", "operator": "had",
          "value": {"type": "form_submitted", "channel": "email", "atLeast": 2}},
         "had a “Form submitted” event on Email at least 2 times"),
        ({"field": "$promo", "operator": "holdsNo", "value": {"program": "Winter sale"}},
         "holds no code of Winter sale"),
        ({"field": "city", "operator": "=", "value": "phone", "valueSource": "field"},
         "City is the field Phone"),
        ({"field": "age", "operator": "between", "value": ["age_min", "age_max"],
          "valueSource": "field"},
         "Age between the fields age_min and age_max"),
        ({"field": "age", "operator": "notBetween", "value": "ageMin, age_max",
          "valueSource": "field"},
         "Age not between (or empty) the fields ageMin and age_max"),
        ({"field": "city", "operator": "null", "value": "", "valueSource": "field"},
         "City is empty"),
        # names as other tools write them find the label, as the compiler finds the field
        ({"field": "registeredAt", "operator": "<", "value": "City", "valueSource": "field"},
         "Registration date less than the field City"),
        ({"field": "Registered at", "operator": "=", "value": "2026-05-01"},
         "Registration date is 2026-05-01"),
    ],
)  # fmt: skip
def test_each_kind_of_condition_in_words(rule: dict[str, Any], words: str) -> None:
    assert describe_rules(group(rule), LABELS) == words


def test_a_field_and_a_text_value_read_differently() -> None:
    """A field comparison says it is one: "City is Phone" could be the text Phone."""
    value = {"field": "city", "operator": "=", "value": "Phone"}
    field = {**value, "value": "phone", "valueSource": "field"}
    assert describe_rules(group(value), LABELS) != describe_rules(group(field), LABELS)


def test_groups_negation_and_unknown_labels() -> None:
    rules = group(
        {"field": "city", "operator": "=", "value": "Berlin"},
        group(
            {"field": "age", "operator": ">", "value": 60},
            {"field": "bonus", "operator": "<", "value": 5},
            combinator="or",
        ),
        negated=True,
    )
    assert (
        describe_rules(rules, LABELS)
        == "not (City is Berlin and (Age greater than 60 or bonus less than 5))"
    )


def test_the_conditions_line_names_the_segment_or_says_none() -> None:
    berlin = group({"field": "city", "operator": "=", "value": "Berlin"})
    assert describe_conditions(group(), None) == NO_CONDITIONS
    assert describe_conditions(group(), "VIPs") == "those of segment “VIPs”"
    assert (
        describe_conditions(berlin, "VIPs", LABELS) == "those of segment “VIPs”, and City is Berlin"
    )


def test_tasks_show_says_the_conditions_in_words(
    demo_store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = group(
        {"field": "city", "operator": "in", "value": ["Berlin", "Paris"]},
        {"field": "$status", "operator": "=", "value": "subscribed"},
    )
    job = Job(database="Demo customers", rules=rules, action={"type": "global_unsubscribe"})
    summary = run_job(demo_store, job, JobState(), dry_run=True)
    assert main(["tasks", "--db", demo_store.url, "show", str(summary.task_id)]) == 0
    out = capsys.readouterr().out
    line = next(row for row in out.splitlines() if row.startswith("Conditions:"))
    with demo_store.begin() as conn:
        db_id = demo_store.database_id(conn, "Demo customers")
    expected = describe_conditions(rules, None, database_labels(demo_store, db_id))
    assert expected == "City is one of Berlin and Paris and Global status is Subscribed"
    assert line.split(":", 1)[1].strip() == expected
