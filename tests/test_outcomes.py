"""The one table of a task's outcomes (core/outcomes.py): its rows, their
order and their words, which the window and the command line both show."""

from __future__ import annotations

from bulkprofiles_gui.core.outcomes import OutcomeRow, TaskSummary, outcome_rows


def _summary(**counts: object) -> TaskSummary:
    base: dict[str, object] = {"task_id": 1, "status": "completed", "selected": 10}
    return TaskSummary(**{**base, **counts})  # type: ignore[arg-type]


def test_rows_in_order_with_reasons_most_first_and_not_processed_when_some_are() -> None:
    summary = _summary(
        processed=8, changed=3, skipped={"no_contact": 1, "unchanged": 4}, trigger_events=2
    )
    assert outcome_rows(summary) == [
        OutcomeRow("Selected", 10),
        OutcomeRow("Processed", 8),
        OutcomeRow("Changed", 3),
        OutcomeRow("Skipped", 5),
        OutcomeRow("already had the new value", 4, "Skipped"),
        OutcomeRow("no contact in the source field", 1, "Skipped"),
        OutcomeRow("Not processed", 2),
        OutcomeRow("Trigger events", 2),
    ]


def test_a_finished_task_has_no_not_processed_row() -> None:
    labels = [r.label for r in outcome_rows(_summary(processed=10, changed=10))]
    assert labels == ["Selected", "Processed", "Changed", "Skipped", "Trigger events"]


def test_dry_runs_and_reverts_name_the_changed_and_skipped_rows() -> None:
    dry = outcome_rows(_summary(processed=10, skipped={"conflict": 1}, dry_run=True))
    assert [r.flat_label for r in dry][2:5] == [
        "Would change",
        "Would skip",
        "Would skip: changed since the task: left as it is",
    ]
    assert outcome_rows(_summary(processed=10), revert=True)[2].label == "Restored"
    revert_dry = outcome_rows(_summary(processed=10, dry_run=True), revert=True)
    assert revert_dry[2].label == "Would restore"


def test_parts_of_the_changed_row_follow_it() -> None:
    rows = outcome_rows(_summary(processed=10, changed=7), changed_parts={"added": 5, "updated": 2})
    assert [(r.label, r.count, r.of) for r in rows[2:5]] == [
        ("Changed", 7, None),
        ("added", 5, "Changed"),
        ("updated", 2, "Changed"),
    ]


def test_a_dry_run_shows_no_trigger_events_row() -> None:
    """A dry run records no trigger events; its 0 read as what Run would record
    (audit: 0 in the dry run, 271 in the run)."""
    dry = outcome_rows(_summary(processed=10, changed=10, dry_run=True))
    assert "Trigger events" not in [r.label for r in dry]
