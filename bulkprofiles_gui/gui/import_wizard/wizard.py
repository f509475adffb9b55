"""The "Import profiles" wizard: file, mapping, options, review, run.

One QWizardPage class per page, numbered by ``PageId``; the pages share one
:class:`ImportContext`.  The import document (``core.importer.ImportSpec``,
what ``bulkprofiles import`` builds from its options) is put together from
the pages by :meth:`ImportWizard.spec`.
"""

from __future__ import annotations

from enum import IntEnum

from PySide6.QtCore import QByteArray, Signal
from PySide6.QtWidgets import QMessageBox, QWidget, QWizard

from ...core.importer import ImportSpec
from ..resources import icon
from ..ui_settings import ui_settings
from ..worker import ops
from .common import IMPORT_CALLS, ImportContext, wait_for_import_calls
from .file_page import FilePage
from .mapping_page import MappingPage
from .options_page import OptionsPage
from .review_page import ReviewPage
from .run_page import RunPage

GEOMETRY_KEY = "import_wizard/geometry"


class PageId(IntEnum):
    FILE = 0
    MAPPING = 1
    OPTIONS = 2
    REVIEW = 3
    RUN = 4


class ImportWizard(QWizard):
    """Import profiles from a CSV file into a profile database."""

    show_task_requested = Signal(int)
    import_finished = Signal(int)

    def __init__(self, ctx: ImportContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Import profiles")
        self.setWindowIcon(icon("import"))
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, True)
        self.file_page = FilePage(ctx)
        self.mapping_page = MappingPage(ctx)
        self.options_page = OptionsPage(ctx)
        self.review_page = ReviewPage(ctx)
        self.run_page = RunPage(ctx)
        self.setPage(PageId.FILE, self.file_page)
        self.setPage(PageId.MAPPING, self.mapping_page)
        self.setPage(PageId.OPTIONS, self.options_page)
        self.setPage(PageId.REVIEW, self.review_page)
        self.setPage(PageId.RUN, self.run_page)
        self.setStartId(PageId.FILE)
        self.run_page.show_task_requested.connect(self._on_show_task)
        self.run_page.import_finished.connect(self.import_finished)
        self.resize(1100, 760)
        geometry = ui_settings().value(GEOMETRY_KEY)
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)

    def spec(self) -> ImportSpec:
        """The import document of the wizard's current choices."""
        return self.options_page.apply_to(self.mapping_page.spec())

    def preselect(self, database: str | None, path: str | None = None) -> None:
        """Start on a database (the Databases view's selection) and maybe a file."""
        self.ctx.database_name = database
        if path:
            self.file_page.set_path(path)

    # -- run page signals ---------------------------------------------------------------
    def _on_show_task(self, task_id: int) -> None:
        self.show_task_requested.emit(task_id)
        if not self.run_page.is_running():
            self.accept()

    # -- closing ----------------------------------------------------------------------------
    def ask_cancel_running_import(self) -> bool:
        """Ask whether to cancel the running import (tests replace this method)."""
        answer = QMessageBox.question(
            self,
            "Import profiles",
            "The import is still running. Cancel it? The rows imported so far stay, and "
            "the task can be resumed from the Tasks view.",
        )
        return answer == QMessageBox.StandardButton.Yes

    def reject(self) -> None:
        """Cancel, Esc and the window's close button all come here (QDialog)."""
        if self.run_page.is_running():
            if not self.ask_cancel_running_import():
                return
            self.run_page.cancel()
            self.run_page.shutdown()
        self._remember()
        super().reject()

    def accept(self) -> None:
        self._remember()
        super().accept()

    def _remember(self) -> None:
        ui_settings().setValue(GEOMETRY_KEY, self.saveGeometry())

    def abandon(self) -> None:
        """Closed: a dry run still going is cancelled, the pages' reads and
        checks are dropped; nothing waits (see the update wizard's)."""
        self.review_page.abandon()
        for page in (self.file_page, self.mapping_page, self.options_page):
            page.abandon()
        ops.abandon(owner=IMPORT_CALLS)

    def threads_running(self) -> bool:
        run = self.run_page.run
        running = run is not None and run.thread_running()
        return running or self.review_page.threads_running() or ops.busy(IMPORT_CALLS)

    def shutdown(self) -> None:
        """Cancel what still runs and wait for every thread of the wizard."""
        self.run_page.shutdown()
        self.review_page.shutdown()
        for page in (self.file_page, self.mapping_page, self.options_page):
            page.shutdown()
        wait_for_import_calls()
