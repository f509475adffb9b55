"""Running a task by its id, whatever kind it is: an update job, a CSV import
or a revert.

The Tasks view's Resume and ``bulkprofiles tasks resume`` call
:func:`run_any_task`; each kind keeps its own runner
(:func:`bulkprofiles_gui.core.jobs.run_task`,
:func:`bulkprofiles_gui.core.importer.run_import_task`,
:func:`bulkprofiles_gui.core.revert.run_revert_task`).
"""

from __future__ import annotations

from sqlalchemy import select

from . import models as m
from .config import Settings
from .errors import TaskError
from .importer import IMPORT_TYPE, run_import_task
from .jobs import TaskSummary, run_task
from .progress import JobState
from .revert import run_revert_task
from .store import Store
from .tasks import REVERT_TYPE


def task_kind(store: Store, task_id: int) -> str:
    """The task's ``action_type``; TaskError if there is no such task."""
    with store.begin() as conn:
        kind = conn.execute(
            select(m.Task.action_type).where(m.Task.id == task_id)
        ).scalar_one_or_none()
    if kind is None:
        raise TaskError(f"no task with id {task_id}")
    return str(kind)


def run_any_task(
    store: Store, task_id: int, state: JobState, *, settings: Settings | None = None
) -> TaskSummary:
    """Run or resume the task with the runner of its kind."""
    kind = task_kind(store, task_id)
    if kind == IMPORT_TYPE:
        return run_import_task(store, task_id, state, settings=settings)
    if kind == REVERT_TYPE:
        return run_revert_task(store, task_id, state, settings=settings)
    return run_task(store, task_id, state, settings=settings)
