"""The "Update profiles" wizard: selection, action, the action's page, review, run.

One QWizardPage class per page; ``PageId`` numbers them, and ``nextId``
branches from the action page to the chosen action's page.  Only the first
two pages are built when the wizard opens: an action page, the review and the
run page are built the first time they are asked for
(:meth:`UpdateWizard.action_page`, ``review_page``, ``run_page``; ``nextId``
asks before QWizard goes to one), because building all eleven stalled the
window for more than 100 ms on opening.  The pages share
one :class:`WizardContext` and its job draft (``ctx.draft``, the same JSON the
command line runs), which each page edits as the operator goes:
:meth:`UpdateWizard.job` is a copy of it.
"""

from __future__ import annotations

import copy
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QByteArray, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QWidget, QWizard

from ...core.jobfile import Job
from ..resources import icon
from ..ui_settings import ui_settings
from .action_choice_page import ActionChoicePage
from .actions import PAGES, ActionPage
from .context import WizardContext
from .review_page import ReviewPage
from .run_page import RunPage
from .selection_page import SelectionPage


class PageId(IntEnum):
    """The wizard's own pages; the action pages are numbered from
    ``FIRST_ACTION`` in the core's order (:data:`ACTION_PAGE_IDS`)."""

    SELECTION = 0
    ACTION = 1
    FIRST_ACTION = 10
    REVIEW = 20
    RUN = 21


#: The page id of each action type, in the core's order of the actions.
ACTION_PAGE_IDS: dict[str, int] = {
    action_type: PageId.FIRST_ACTION + i for i, action_type in enumerate(PAGES)
}
if max(ACTION_PAGE_IDS.values()) >= PageId.REVIEW:
    raise RuntimeError("more actions than the wizard numbers: move PageId.REVIEW and RUN up")


class UpdateWizard(QWizard):
    """Update profiles: a guided job from selection to run."""

    show_task_requested = Signal(int)
    job_finished = Signal(int)

    def __init__(self, ctx: WizardContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Update profiles")
        self.setWindowIcon(icon("update"))
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, True)
        self.selection_page = SelectionPage(ctx)
        self.selection_page.counted_now.connect(self._on_selection_counted)
        self.action_choice_page = ActionChoicePage(ctx)
        self._action_pages: dict[str, ActionPage] = {}
        self._review_page: ReviewPage | None = None
        self._run_page: RunPage | None = None
        self.setPage(PageId.SELECTION, self.selection_page)
        self.setPage(PageId.ACTION, self.action_choice_page)
        self.setStartId(PageId.SELECTION)
        self.resize(1100, 760)
        geometry = ui_settings().value("wizard/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)

    # -- navigation -----------------------------------------------------------------
    def nextId(self) -> int:
        current = self.currentId()
        if current == PageId.SELECTION:
            return int(PageId.ACTION)
        if current == PageId.ACTION:
            # Never -1 here: QWizard would show Finish instead of Next on this page.
            chosen = self.action_choice_page.action_type()
            if chosen not in ACTION_PAGE_IDS:
                return int(PageId.FIRST_ACTION)  # Next is off until an action is chosen
            self.action_page(chosen)  # QWizard goes only to pages it holds
            return ACTION_PAGE_IDS[chosen]
        if current in ACTION_PAGE_IDS.values():
            self._build_review_page()  # QWizard goes only to pages it holds
            return int(PageId.REVIEW)
        if current == PageId.REVIEW:
            self._build_run_page()
            return int(PageId.RUN)
        return -1

    def action_type(self) -> str | None:
        return self.action_choice_page.action_type()

    def current_action_page(self) -> ActionPage | None:
        chosen = self.action_type()
        return self.action_page(chosen) if chosen else None

    # -- the action pages, built on first use ----------------------------------------
    def action_page(self, action_type: str) -> ActionPage:
        """The page of ``action_type``, built and added to the wizard the first
        time it is asked for (KeyError for a type without a page)."""
        page = self._action_pages.get(action_type)
        if page is None:
            page = PAGES[action_type](self.ctx)
            if not page.subTitle():  # the same header on every page
                page.setSubTitle("Set the parameters of this update.")
            self.setPage(ACTION_PAGE_IDS[action_type], page)
            page.completeChanged.connect(lambda page=page: self._take_action(page))
            self._action_pages[action_type] = page
        return page

    @Slot(object)
    def _on_selection_counted(self, count: int) -> None:
        for page in self.built_action_pages():
            page.selection_counted(count)

    def built_action_pages(self) -> list[ActionPage]:
        """The action pages built so far (opening the wizard builds none)."""
        return list(self._action_pages.values())

    @property
    def review_page(self) -> ReviewPage:
        """The review page, built and added the first time it is asked for."""
        return self._build_review_page()

    @property
    def run_page(self) -> RunPage:
        """The run page, built and added the first time it is asked for."""
        return self._build_run_page()

    def _build_review_page(self) -> ReviewPage:
        if self._review_page is None:
            self._review_page = ReviewPage(self.ctx)
            self.setPage(PageId.REVIEW, self._review_page)
        return self._review_page

    def _build_run_page(self) -> RunPage:
        if self._run_page is None:
            page = RunPage(self.ctx)
            self.setPage(PageId.RUN, page)
            page.show_task_requested.connect(self._on_show_task)
            page.job_finished.connect(self.job_finished)
            self._run_page = page
        return self._run_page

    # -- the job --------------------------------------------------------------------
    def job(self) -> Job:
        """The job document of the wizard's current choices (a copy of the draft)."""
        return self.ctx.job()

    def _take_action(self, page: ActionPage) -> None:
        """The chosen action's page, once its choices are filled, writes the
        draft's action whenever it changes (its ``completeChanged``)."""
        if self.action_type() == page.ACTION_TYPE and page.is_filled():
            self.ctx.draft.action = page.action()

    def preselect(self, database: str | None, segment: str | None = None) -> None:
        """Start on a database or segment (from a view's context menu)."""
        self.ctx.database_name = database
        self.ctx.segment_name = segment

    def load_job(self, job: Job) -> None:
        """Prefill every page from a job (File -> Open job...)."""
        self.ctx.draft = copy.deepcopy(job)
        self.preselect(job.database, job.segment)
        self.selection_page.load_job(job)
        if self._review_page is not None:  # a review page not built yet reads the draft
            self._review_page.set_skip_triggers(job.skip_triggers)
        action: dict[str, Any] | None = job.action
        if not action:
            return
        action_type = action.get("type")
        if action_type not in PAGES:
            QMessageBox.warning(
                self,
                "Open job",
                f"job.action.type: unknown action {action_type!r}; choose the update again.",
            )
            return
        self.action_choice_page.set_action_type(str(action_type))
        try:
            self.action_page(str(action_type)).load_action(action)
        except (ValueError, KeyError, TypeError) as exc:
            QMessageBox.warning(self, "Open job", str(exc).splitlines()[0])

    # -- run page signals -------------------------------------------------------------
    def _on_show_task(self, task_id: int) -> None:
        self.show_task_requested.emit(task_id)
        if self._run_page is None or not self._run_page.is_running():
            self.accept()

    # -- closing ---------------------------------------------------------------------
    def ask_cancel_running_job(self) -> bool:
        """Ask whether to cancel the running job (tests replace this method)."""
        answer = QMessageBox.question(
            self,
            "Update profiles",
            "The job is still running. Cancel it? The profiles processed so far keep "
            "their changes.",
        )
        return answer == QMessageBox.StandardButton.Yes

    def reject(self) -> None:
        """Cancel, Esc and the window's close button all come here (QDialog)."""
        if self._run_page is not None and self._run_page.is_running():
            if not self.ask_cancel_running_job():
                return
            self._run_page.cancel()
            self._run_page.shutdown()
        self._remember()
        super().reject()

    def accept(self) -> None:
        self._remember()
        super().accept()

    def _remember(self) -> None:
        ui_settings().setValue("wizard/geometry", self.saveGeometry())

    def abandon(self) -> None:
        """Closed: drop what the pages still load or work out and stop their
        statements, without waiting (a locked or slow store would freeze the
        window); :meth:`threads_running` says when they have ended."""
        if self._review_page is not None:
            self._review_page.abandon()
        self.selection_page.abandon()
        for page in self.built_action_pages():
            page.abandon()

    def threads_running(self) -> bool:
        run = self._run_page.run if self._run_page is not None else None
        pages: list[Any] = [self.selection_page, *self.built_action_pages()]
        if self._review_page is not None:
            pages.append(self._review_page)
        running = run is not None and run.thread_running()
        return running or any(page.threads_running() for page in pages)

    def shutdown(self) -> None:
        """Cancel what still runs and wait for every thread of the wizard's
        built pages (a page never built has nothing running)."""
        if self._run_page is not None:
            self._run_page.shutdown()
        if self._review_page is not None:
            self._review_page.shutdown()
        # Only the wizard's own ops: a global wait would drop the results of the
        # views' and dialogs' loads still running (the refresh after a job).
        self.selection_page.shutdown()
        for page in self.built_action_pages():
            page.shutdown()
