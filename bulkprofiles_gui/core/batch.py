"""One run of a task as the actions, the journal and the runner see it: its
context (:class:`ActionContext`) and the batch of positions it works on now
(:class:`Batch`).  Below the actions (``actions/base.py`` says what an action
is) and the journal that they write, so that both can take them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, select

from . import models as m
from .config import Settings
from .outcomes import CHANGED
from .store import Store


@dataclass
class ActionContext:
    store: Store
    database_id: int
    settings: Settings
    now: dt.datetime
    task_id: int
    dry_run: bool = False
    skip_triggers: bool = False
    #: Write the journal that makes the run revertible (``core/journal.py``).
    journal: bool = True
    #: Free for an action to keep state across the batches of one run
    #: (e.g. promo codes a dry run has already "used").
    scratch: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Batch:
    """Positions ``[lo, hi)`` of a task's frozen selection."""

    task_id: int
    lo: int
    hi: int

    def rows_where(self) -> ColumnElement[bool]:
        tp = m.TaskProfile
        return and_(tp.task_id == self.task_id, tp.position >= self.lo, tp.position < self.hi)

    def profile_ids(self) -> Select[tuple[int]]:
        """All profile ids of the batch."""
        return select(m.TaskProfile.profile_id).where(self.rows_where())

    def pending_ids(self) -> Select[tuple[int]]:
        """Profile ids of the batch with no outcome yet (neither skipped nor changed)."""
        return select(m.TaskProfile.profile_id).where(
            self.rows_where(), m.TaskProfile.outcome.is_(None)
        )

    def changed_ids(self) -> Select[tuple[int]]:
        return select(m.TaskProfile.profile_id).where(
            self.rows_where(), m.TaskProfile.outcome == CHANGED
        )
