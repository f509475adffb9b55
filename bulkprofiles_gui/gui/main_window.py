"""The main window: side navigation and Data menu over three views, the store
it is connected to, File -> Connections / Open job..., and the update wizard.

Every store call runs off the main thread, through ``worker.ops`` (the
views' loads, the dialogs); opening a store, and on the first start making
the demo data, too: an op of the window's own key (a newer open wins, the
window's shutdown waits for it), behind a progress dialog.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QProgressDialog,
    QStackedWidget,
    QToolBar,
    QWidget,
)

from .. import __version__
from ..core.config import Settings
from ..core.jobfile import Job, JobFileError
from ..core.store import Store, open_store, redact_url
from .connections import ConnectionsDialog
from .resources import icon, nav_icon
from .ui_settings import ui_settings
from .views.base import StoreView, operator_message
from .views.databases import DatabasesView
from .views.segments import SegmentsView
from .views.tasks import TasksView
from .worker import ops

if TYPE_CHECKING:
    from .import_wizard import ImportWizard
    from .wizard.wizard import UpdateWizard
    from .worker import BackgroundCall


class View(IntEnum):
    DATABASES = 0
    SEGMENTS = 1
    TASKS = 2


VIEW_TITLES = {
    View.DATABASES: "Profile databases",
    View.SEGMENTS: "Segments",
    View.TASKS: "Tasks",
}
VIEW_ICONS = {View.DATABASES: "database", View.SEGMENTS: "segment", View.TASKS: "tasks"}


def open_and_prepare(url: str, *, make_demo: bool, archive_days: int = 30) -> Store:
    """Open (create) the store, mark dead runs interrupted, purge the journals
    older than the settings' ``archive_days``, and on the first start of an
    empty store make the demo data.  Runs in a worker thread."""
    from ..core.journal import purge_expired
    from ..core.tasks import mark_interrupted

    store = open_store(url, create=True)
    try:
        mark_interrupted(store)
        purge_expired(store, archive_days)
        if make_demo:
            from ..core.demo import ensure_demo_store

            ensure_demo_store(store)
    except BaseException:
        store.close()
        raise
    return store


def close_store(store: Store) -> None:
    """Close a store the window no longer uses (worker thread)."""
    store.close()


class MainWindow(QMainWindow):
    """The application window; ``store`` is None until a store is open."""

    store_changed = Signal()

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.store: Store | None = None
        self.connection_name: str | None = None
        self.wizard: UpdateWizard | None = None
        #: Closed wizards (update or import) whose threads have not ended yet.
        self._retiring: list[UpdateWizard | ImportWizard] = []
        self.import_wizard: ImportWizard | None = None
        self._open_call: BackgroundCall | None = None
        #: The status bar's store line before "Connecting to …" (a failed open shows it again).
        self._connected_text = "Not connected"
        self._progress: QProgressDialog | None = None
        self.setWindowTitle("bulkprofiles")
        self._build_views()
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._build_status_bar()
        self.resize(1280, 800)
        self._restore_ui_state()

    # -- building ---------------------------------------------------------------
    def _build_views(self) -> None:
        self.databases_view = DatabasesView()
        self.segments_view = SegmentsView()
        self.tasks_view = TasksView()
        self.tasks_view.settings = self.settings
        self.views: dict[View, StoreView] = {
            View.DATABASES: self.databases_view,
            View.SEGMENTS: self.segments_view,
            View.TASKS: self.tasks_view,
        }
        self.nav = QListWidget()
        self.nav.setObjectName("sideNav")
        self.nav.setFixedWidth(190)
        self.nav.setIconSize(QSize(20, 20))
        self.nav.setSpacing(2)
        self.stack = QStackedWidget()
        for view, widget in self.views.items():
            item = QListWidgetItem(nav_icon(VIEW_ICONS[view]), VIEW_TITLES[view])
            item.setSizeHint(QSize(170, 40))
            self.nav.addItem(item)
            self.stack.addWidget(widget)
            widget.message.connect(self._show_status_message)
        self.nav.currentRowChanged.connect(self._on_nav_changed)
        self.databases_view.update_requested.connect(lambda db: self.open_update_wizard(db))
        self.segments_view.update_requested.connect(
            lambda db, seg: self.open_update_wizard(db, seg)
        )
        self.tasks_view.task_resumed.connect(lambda _task: self.databases_view.refresh())
        self.databases_view.import_requested.connect(lambda db: self.open_import_wizard(db))
        self.databases_view.catalog_changed.connect(self._on_catalog_changed)
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)

    def _action(
        self, text: str, slot: Any, icon_name: str | None = None, shortcut: Any = None
    ) -> QAction:
        action = QAction(text, self)
        if icon_name:
            action.setIcon(icon(icon_name))
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        return action

    def _build_actions(self) -> None:
        self.connections_action = self._action(
            "&Connections…", self.show_connections, "connection", "Ctrl+Shift+C"
        )
        self.open_job_action = self._action(
            "&Open job…", self.open_job_file, "open", QKeySequence.StandardKey.Open
        )
        self.quit_action = self._action("&Quit", self.close, None, QKeySequence.StandardKey.Quit)
        self.update_action = self._action(
            "&Update profiles…", self._on_update_action, "update", "Ctrl+U"
        )
        self.import_action = self._action(
            "&Import profiles…", self._on_import_action, "import", "Ctrl+I"
        )
        self.refresh_action = self._action(
            "&Refresh", self.refresh_views, "refresh", QKeySequence.StandardKey.Refresh
        )
        self.view_actions: dict[View, QAction] = {}
        menu_titles = {
            View.DATABASES: ("Profile &databases", "Ctrl+1"),
            View.SEGMENTS: ("&Segments", "Ctrl+2"),
            View.TASKS: ("&Tasks", "Ctrl+3"),
        }
        for view, (title, key) in menu_titles.items():
            self.view_actions[view] = self._action(
                title, lambda _=False, v=view: self.show_view(v), VIEW_ICONS[view], key
            )
        self.about_action = self._action("&About bulkprofiles", self._show_about)
        self._build_catalog_actions()

    def _build_catalog_actions(self) -> None:
        """Data menu: managing databases, fields, resources and programs (the
        Databases view does the work; the menu shows that view first)."""

        def on_databases(method: Callable[[DatabasesView], Any]) -> Callable[[], None]:
            return lambda: self._on_databases_view(method)

        self.new_database_action = self._action(
            "&New database…", on_databases(DatabasesView.new_database)
        )
        self.rename_database_action = self._action(
            "Rena&me database…", on_databases(DatabasesView.rename_database)
        )
        self.delete_database_action = self._action(
            "De&lete database…", on_databases(DatabasesView.delete_database)
        )
        self.add_field_action = self._action("&Add field…", on_databases(DatabasesView.add_field))
        self.rename_field_action = self._action(
            "Rename field la&bel…", on_databases(DatabasesView.rename_field_label)
        )
        self.remove_field_action = self._action(
            "Remo&ve field…", on_databases(DatabasesView.remove_field)
        )
        self.resources_action = self._action(
            "Res&ources…", on_databases(DatabasesView.show_resources)
        )
        self.programs_action = self._action(
            "Loyalty &programs…", on_databases(DatabasesView.show_programs)
        )

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.connections_action)
        file_menu.addAction(self.open_job_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        data_menu = bar.addMenu("&Data")
        for action in self.view_actions.values():
            data_menu.addAction(action)
        data_menu.addSeparator()
        data_menu.addAction(self.update_action)
        data_menu.addAction(self.import_action)
        data_menu.addAction(self.refresh_action)
        for group in (
            (self.new_database_action, self.rename_database_action, self.delete_database_action),
            (self.add_field_action, self.rename_field_action, self.remove_field_action),
            (self.resources_action, self.programs_action),
        ):
            data_menu.addSeparator()
            for action in group:
                data_menu.addAction(action)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.about_action)

    def _build_toolbar(self) -> None:
        toolbar = QToolBar("Main")
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.addAction(self.update_action)
        toolbar.addAction(self.open_job_action)
        toolbar.addAction(self.refresh_action)
        toolbar.addSeparator()
        toolbar.addAction(self.connections_action)
        self.addToolBar(toolbar)

    def _build_status_bar(self) -> None:
        self.store_label = QLabel("Not connected")
        self.store_label.setObjectName("storeLabel")
        self.store_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.statusBar().addPermanentWidget(self.store_label)

    # -- remembered state ----------------------------------------------------------
    def _restore_ui_state(self) -> None:
        qs = ui_settings()
        geometry = qs.value("main/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        try:
            view = View(int(str(qs.value("main/view", int(View.DATABASES)))))
        except ValueError:
            view = View.DATABASES
        self.show_view(view)

    def save_ui_state(self) -> None:
        qs = ui_settings()
        qs.setValue("main/geometry", self.saveGeometry())
        qs.setValue("main/view", self.stack.currentIndex())
        qs.sync()

    # -- store -------------------------------------------------------------------
    def connect_store(self, url: str, name: str | None = None, *, make_demo: bool = False) -> None:
        """Open the store at ``url`` in the background and switch to it.

        An open wizard works on the current store: it is closed first (and a
        running job keeps the store until the operator has cancelled it)."""
        if self.tasks_view.run_active():
            # A resume or revert works on this store and reports to this window.
            self.tell_store_busy(
                "A task is running in Tasks (a resume or a revert). Cancel it there, or "
                "wait for it to end, then switch stores."
            )
            return
        if self.wizard is not None and self.wizard.isVisible() and not self.wizard.close():
            return
        if not self._close_import_wizard():
            return
        self._close_progress()  # of an open this one replaces
        if self._open_call is None or not self._open_call.is_running():
            self._connected_text = self.store_label.text()  # shown again if this fails
        self.store_label.setText(f"Connecting to {redact_url(url)}…")
        days = self.settings.archive_days
        self._open_call = ops.call(
            lambda: open_and_prepare(url, make_demo=make_demo, archive_days=days),
            lambda store: self._on_opened(store, name),
            lambda exc: self._on_open_failed(url, exc),
            key=self._open_key,
            parent=self,
            release=close_store,  # an older open's store, made for nothing
        )
        self._progress = QProgressDialog(
            "Opening the store (on the first start: making the demo data)…", "", 0, 0, self
        )
        self._progress.setWindowTitle("bulkprofiles")
        self._progress.setCancelButton(None)
        self._progress.setWindowModality(Qt.WindowModality.WindowModal)
        self._progress.setMinimumDuration(0)
        self._progress.hide()
        QTimer.singleShot(400, self._maybe_show_progress)

    @property
    def _open_key(self) -> tuple[object, str]:
        """The key of opening a store in ``worker.ops`` (owned by the window)."""
        return (self, "open store")

    @Slot()
    def _maybe_show_progress(self) -> None:
        if self._progress is not None and ops.pending(self._open_key):
            self._progress.show()

    @Slot()
    def _close_progress(self) -> None:
        if self._progress is not None:
            self._progress.close()
            self._progress.deleteLater()
            self._progress = None

    def wait_for_store(self, msecs: int = 60_000) -> None:
        """Block until a pending open's thread has ended (tests, screenshots);
        its result arrives with the next events."""
        if self._open_call is not None:
            self._open_call.wait(msecs)

    def _on_opened(self, store: Store, name: str | None) -> None:
        self._close_progress()
        self.set_store(store, name)

    def set_store(self, store: Store, name: str | None = None) -> None:
        old = self.store
        for view in self.views.values():
            ops.abandon(owner=view)  # loads of the old store: dropped, never waited for
        self.store = store
        self.connection_name = name
        label = f"{name} — {store.display_url}" if name else store.display_url
        self.store_label.setText(f"Connected to: {label}")
        self.store_label.setToolTip(store.upgrade_notice or "")
        if store.upgrade is not None:  # open_store upgraded the schema: say so
            self.statusBar().showMessage(store.upgrade.brief)
        self.setWindowTitle(f"bulkprofiles — {name or store.display_url}")
        for view in self.views.values():
            view.set_store(store)
        if old is not None and old is not store:
            # Disposing the engine touches the store: not on the main thread.
            ops.call(lambda: close_store(old), lambda _none: None, owner=self)
        self.store_changed.emit()

    def _on_open_failed(self, url: str, exc: object) -> None:
        self._close_progress()
        message = operator_message(exc)
        self.store_label.setText("Not connected" if self.store is None else self._connected_text)
        if self.ask_open_connections(message):
            self.show_connections()

    def tell_store_busy(self, message: str) -> None:
        """Why the store cannot be switched now (tests replace this method)."""
        QMessageBox.information(self, "Switch store", message)

    def ask_open_connections(self, message: str) -> bool:
        """Tell the operator the store cannot be opened; True to open Connections."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Cannot open the store")
        box.setText("The store cannot be opened.")
        box.setInformativeText(message)
        connections = box.addButton("&Connections…", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Close)
        box.exec()
        return box.clickedButton() is connections

    # -- views -------------------------------------------------------------------
    def show_view(self, view: View) -> StoreView:
        self.nav.setCurrentRow(int(view))
        return self.views[view]

    def current_view(self) -> View:
        return View(self.stack.currentIndex())

    @Slot(int)
    def _on_nav_changed(self, row: int) -> None:
        if row < 0:
            return
        self.stack.setCurrentIndex(row)
        for view, action in self.view_actions.items():
            action.setCheckable(True)
            action.setChecked(int(view) == row)

    @Slot()
    def refresh_views(self) -> None:
        for view in self.views.values():
            view.refresh()

    def _on_databases_view(self, method: Callable[[DatabasesView], Any]) -> None:
        self.show_view(View.DATABASES)
        method(self.databases_view)

    @Slot()
    def _on_catalog_changed(self) -> None:
        """Databases, fields, resources or programs changed: the other views reload."""
        for view in self.views.values():
            if view is not self.databases_view:
                view.refresh()

    @Slot(str)
    def _show_status_message(self, message: str) -> None:
        self.statusBar().showMessage(message, 15_000)

    def show_task(self, task_id: int) -> None:
        self.show_view(View.TASKS)
        self.tasks_view.show_task(task_id)

    # -- dialogs -------------------------------------------------------------------
    @Slot()
    def show_connections(self) -> ConnectionsDialog:
        dialog = ConnectionsDialog(self.settings, self.connection_name, self)
        dialog.connect_requested.connect(lambda name, url: self.connect_store(url, name))
        dialog.open()
        return dialog

    @Slot()
    def _show_about(self) -> None:
        QMessageBox.about(
            self,
            "About bulkprofiles",
            f"<b>bulkprofiles {__version__}</b><p>Bulk updates of customer profiles "
            "through a guided wizard.</p>",
        )

    # -- the update wizard -----------------------------------------------------------
    @Slot()
    def _on_update_action(self) -> None:
        view = self.current_view()
        if view is View.SEGMENTS and self.segments_view.selected_segment():
            database, segment = self.segments_view.selected_segment()  # type: ignore[misc]
            self.open_update_wizard(database, segment)
        else:
            self.open_update_wizard(self.databases_view.selected_database())

    def open_update_wizard(
        self,
        database: str | None = None,
        segment: str | None = None,
        job: Job | None = None,
    ) -> UpdateWizard | None:
        """Open "Update profiles" for a database or segment, or prefilled from a job."""
        if self.store is None:
            QMessageBox.information(self, "Update profiles", "Connect to a store first.")
            return None
        from .wizard.context import WizardContext
        from .wizard.wizard import UpdateWizard

        if self.wizard is not None and self.wizard.isVisible():
            self.wizard.raise_()
            self.wizard.activateWindow()
            return self.wizard
        ctx = WizardContext(self.store, self.settings)
        wizard = UpdateWizard(ctx, self)
        if job is not None:
            wizard.load_job(job)
        else:
            wizard.preselect(database, segment)
        wizard.show_task_requested.connect(self.show_task)
        wizard.job_finished.connect(lambda _task: self.refresh_views())
        wizard.finished.connect(self._on_wizard_closed)
        self.wizard = wizard
        wizard.show()
        return wizard

    @Slot()
    def _on_wizard_closed(self) -> None:
        wizard, self.wizard = self.wizard, None
        self._retire(wizard)

    def _retire(self, wizard: UpdateWizard | ImportWizard | None) -> None:
        """A closed wizard: what it still loads is dropped now, the wizard goes
        once its threads have ended."""
        if wizard is not None:
            wizard.abandon()
            self._retiring.append(wizard)
            self._delete_ended_wizards()

    @Slot()
    def _delete_ended_wizards(self) -> None:
        """Delete the closed wizards whose threads have ended (a QThread must
        not be destroyed while it runs); look again shortly for the others.
        The window never waits for them, except when it closes itself."""
        for wizard in list(self._retiring):
            if not wizard.threads_running():
                self._retiring.remove(wizard)
                wizard.shutdown()  # nothing left to wait for
                wizard.deleteLater()
        if self._retiring:
            QTimer.singleShot(100, self._delete_ended_wizards)

    # -- the import wizard -------------------------------------------------------------
    @Slot()
    def _on_import_action(self) -> None:
        self.open_import_wizard(self.databases_view.selected_database())

    def open_import_wizard(self, database: str | None = None) -> ImportWizard | None:
        """Open "Import profiles" with ``database`` preselected."""
        if self.store is None:
            QMessageBox.information(self, "Import profiles", "Connect to a store first.")
            return None
        from .import_wizard import ImportContext, ImportWizard

        if self.import_wizard is not None and self.import_wizard.isVisible():
            self.import_wizard.raise_()
            self.import_wizard.activateWindow()
            return self.import_wizard
        wizard = ImportWizard(ImportContext(self.store, self.settings), self)
        wizard.preselect(database or None)
        wizard.show_task_requested.connect(self.show_task)
        wizard.import_finished.connect(lambda _task: self.refresh_views())
        wizard.finished.connect(self._on_import_wizard_closed)
        self.import_wizard = wizard
        wizard.show()
        return wizard

    @Slot()
    def _on_import_wizard_closed(self) -> None:
        wizard, self.import_wizard = self.import_wizard, None
        self._retire(wizard)

    def _close_import_wizard(self) -> bool:
        """Close the import wizard (it asks about a running import); False if it stays."""
        wizard = self.import_wizard
        return wizard is None or not wizard.isVisible() or wizard.close()

    @Slot()
    def open_job_file(self) -> None:
        start = str(ui_settings().value("jobs/last_dir", str(Path.home())))
        path, _ = QFileDialog.getOpenFileName(
            self, "Open job", start, "Job files (*.json);;All files (*)"
        )
        if path:
            self.open_job_path(path)

    def open_job_path(self, path: str) -> UpdateWizard | None:
        """Open the wizard prefilled from a saved job file (a readable error otherwise)."""
        qs = ui_settings()
        qs.setValue("jobs/last_dir", str(Path(path).parent))
        try:
            job = Job.load(path)
        except JobFileError as exc:
            QMessageBox.warning(self, "Open job", str(exc))
            return None
        if self.wizard is not None and self.wizard.isVisible():
            if not self.ask_replace_wizard(Path(path).name):
                self.wizard.raise_()
                self.wizard.activateWindow()
                return self.wizard
            if not self.wizard.close():  # a running job the operator chose to keep
                return self.wizard
        return self.open_update_wizard(job=job)

    def ask_replace_wizard(self, file_name: str) -> bool:
        """Whether the open wizard gives way to a job file (tests replace this method)."""
        answer = QMessageBox.question(
            self,
            "Open job",
            f"The update wizard is open. Replace what it holds with the job “{file_name}”?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    # -- closing -------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        if self.wizard is not None and self.wizard.isVisible() and not self.wizard.close():
            event.ignore()
            return
        if not self._close_import_wizard():
            event.ignore()
            return
        self.save_ui_state()
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Wait for background work and close the store (no thread outlives the window)."""
        ops.wait(owner=self)  # opening a store: its result is dropped
        for view in self.views.values():
            view.shutdown()
        for wizard in [*self._retiring, self.wizard]:
            if wizard is not None:
                wizard.shutdown()
        self._retiring.clear()
        if self.import_wizard is not None:
            self.import_wizard.shutdown()
        if self.store is not None:
            self.store.close()
