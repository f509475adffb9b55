"""The outcome of each profile of a task: the words, and how to select by them.

A task's frozen selection (``task_profiles``) gives every profile one outcome
once its batch ran: :data:`CHANGED` (a revert: :data:`RESTORED`; an import:
``added`` / ``updated``) or a skip reason of :data:`SKIP_REASONS`; a profile
its task never reached has none (:data:`NOT_PROCESSED`).  Counts, the
per-profile export, "retry the skipped ones" and the ``$task`` selection rule
all speak these words; this module is low in the core (the models and the
errors only) so that the actions, the selection engine and the task history
can all use it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, or_

from . import models as m
from .errors import TaskError
from .limits import quote

CHANGED = "changed"
#: The outcome of a profile a revert gave back its values before the task.
RESTORED = "restored"
#: Any skip reason (a word of outcome filters and of the export, never stored).
SKIPPED = "skipped"
#: A profile the task did not reach (stored as no outcome).
NOT_PROCESSED = "not_processed"

#: Skip reasons, with the words the operator sees.
SKIP_REASONS: dict[str, str] = {
    "unchanged": "already had the new value",
    "out_of_range": "the increment would take the value out of the field's range",
    "no_contact": "no contact in the source field",
    "invalid_contact": "contact is not valid for the channel",
    "unsafe_status": "existing subscription has an unsafe status",
    "unsafe_source": "source subscription has an unsafe status",
    "no_source_subscription": "no subscription in the source resource",
    "no_subscription": "no subscription to update",
    "pool_empty": "the promo code pool ran dry",
    "already_holds_code": "already holds a code of the program",
    "no_code": "holds no code of the program",
    "code_activated": "holds only activated codes of the program (they stay)",
    "recently_active": "had an interaction after the cut-off",
    "already_unsubscribed": "already globally unsubscribed",
    "profile_gone": "the profile no longer exists",
    # revert (core/revert.py): a profile left as it is
    "conflict": "changed since the task: left as it is",
    # CSV import (core/importer): rows that were not imported
    "rejected": "a value of the row is not valid",
    "duplicate_in_file": "the same match key appears on another line of the file",
    "not_found": "no profile matches (mode: update existing only)",
    "already_exists": "a profile already matches (mode: add new only)",
    "ambiguous_match": "matches more than one profile",
    "no_match_key": "the match key is empty (mode: update existing only)",
}


def reason_text(reason: str) -> str:
    """The operator's words for a skip reason (the reason itself when unknown)."""
    return SKIP_REASONS.get(reason, reason)


def outcome_words(outcome: str | None) -> tuple[str, str, str]:
    """(outcome, reason, reason_text) of a task profile's stored outcome.

    A skip reason is "skipped" with that reason; any other outcome ("changed",
    an import's "added" / "updated") is written as it is."""
    if outcome is None:
        return NOT_PROCESSED, "", "the task stopped before this profile"
    if outcome not in SKIP_REASONS:
        return outcome, "", ""
    return SKIPPED, outcome, SKIP_REASONS[outcome]


def outcome_filter(task_id: int, outcomes: tuple[str, ...] | list[str]) -> Any:
    """SQL condition on task_profiles for outcome words: "changed", "skipped"
    (any reason), "not_processed", or a skip reason such as "pool_empty"."""
    tp = m.TaskProfile
    known = {CHANGED, SKIPPED, NOT_PROCESSED, *SKIP_REASONS}
    unknown = [o for o in outcomes if o not in known]
    if unknown or not outcomes:
        raise TaskError(
            f"unknown outcome {quote(unknown[0] if unknown else '(none)')} "
            f"(known: changed, skipped, not_processed, {', '.join(SKIP_REASONS)})"
        )
    parts: list[ColumnElement[bool]] = []
    reasons = [o for o in outcomes if o in SKIP_REASONS]
    if reasons:
        parts.append(tp.outcome.in_(reasons))
    if SKIPPED in outcomes:
        parts.append(and_(tp.outcome.is_not(None), tp.outcome != CHANGED))
    if CHANGED in outcomes:
        parts.append(tp.outcome == CHANGED)
    if NOT_PROCESSED in outcomes:
        parts.append(tp.outcome.is_(None))
    return and_(tp.task_id == task_id, or_(*parts))


@dataclass
class TaskSummary:
    """A task's counters as a run leaves them: what the run page, ``run`` and
    ``tasks show`` report (the task history's rows, :class:`.tasks.TaskRow`,
    are these and more)."""

    task_id: int
    status: str
    selected: int = 0
    processed: int = 0
    changed: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    trigger_events: int = 0
    error: str | None = None  # one line
    dry_run: bool = False

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "status": self.status,
            "dry_run": self.dry_run,
            "selected": self.selected,
            "processed": self.processed,
            "changed": self.changed,
            "skipped": dict(self.skipped),
            "trigger_events": self.trigger_events,
            "error": self.error,
        }


@dataclass(frozen=True)
class OutcomeRow:
    """One row of a task's table of outcomes; ``of`` names the row it details
    (a skip reason's row details "Skipped")."""

    label: str
    count: int
    of: str | None = None

    @property
    def flat_label(self) -> str:
        """The label for a table without indentation: ``Skipped: <reason>``."""
        return f"{self.of}: {self.label}" if self.of else self.label


def changed_label(*, dry_run: bool, revert: bool = False) -> str:
    """What the changed profiles are called: a revert restores them, a dry run would."""
    if revert:
        return "Would restore" if dry_run else "Restored"
    return "Would change" if dry_run else "Changed"


def outcome_rows(
    summary: TaskSummary,
    *,
    revert: bool = False,
    changed_parts: dict[str, int] | None = None,
) -> list[OutcomeRow]:
    """The table of a task's outcomes, the same rows in the same order and words
    wherever it is shown (the window's run page, review page and Tasks view,
    ``run`` and ``tasks show``): selected, processed, changed (``changed_parts``
    detail it, e.g. an import's added and updated), skipped with each reason
    (most first), not processed (when some are), trigger events (not for a
    dry run: it records none, and 0 would read as what Run will record)."""
    changed = changed_label(dry_run=summary.dry_run, revert=revert)
    skipped = "Would skip" if summary.dry_run else "Skipped"
    rows = [
        OutcomeRow("Selected", summary.selected),
        OutcomeRow("Processed", summary.processed),
        OutcomeRow(changed, summary.changed),
    ]
    rows += [OutcomeRow(part, n, changed) for part, n in (changed_parts or {}).items()]
    rows.append(OutcomeRow(skipped, summary.skipped_total))
    by_count = sorted(summary.skipped.items(), key=lambda kv: -kv[1])
    rows += [OutcomeRow(reason_text(reason), n, skipped) for reason, n in by_count]
    if summary.processed < summary.selected:
        rows.append(OutcomeRow("Not processed", summary.selected - summary.processed))
    if not summary.dry_run:
        rows.append(OutcomeRow("Trigger events", summary.trigger_events))
    return rows
