"""File -> Connections: named store connections (add, test, make default, connect).

URLs go to ``settings.json`` without their password; the password of a
PostgreSQL URL goes to the system keyring (service ``bulkprofiles``, user =
connection name) and is put back into the URL only when connecting
(:mod:`bulkprofiles_gui.core.credentials`, shared with the command line).  On
a machine without a keyring the password is kept for this session only and
the operator is told so.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from ..core.config import DEFAULT_CONNECTION, ConfigError, Settings
from ..core.credentials import (
    KEYRING_SERVICE,
    connection_url,
    delete_password,
    forget_connection,
    load_password,
    remember_connection,
    resolve_store_url,
    save_password,
    split_password,
    with_password,
)
from ..core.store import open_store, redact_url
from .messages import operator_message
from .worker import ops

#: The password functions live in the core (the command line uses them too);
#: named here for the callers of this module.
__all__ = [
    "KEYRING_SERVICE",
    "ConnectionsDialog",
    "connection_url",
    "delete_password",
    "load_password",
    "resolve_store_url",
    "save_password",
    "split_password",
    "test_connection",
    "with_password",
]


def test_connection(url: str) -> str:
    """Open the store without creating anything; a one-line description of it."""
    store = open_store(url)
    try:
        with store.begin() as conn:
            from ..core.catalog import list_databases

            databases = list_databases(store, conn)
    finally:
        store.close()
    names = ", ".join(d.name for d in databases) or "no profile databases yet"
    return f"Connected: {len(databases)} profile database(s) ({names})."


class ConnectionsDialog(QDialog):
    """Manage named connections; ``connect_requested(name, url)`` switches the store."""

    connect_requested = Signal(str, str)

    def __init__(
        self, settings: Settings, current: str | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Connections")
        self.settings = settings
        self._current = current
        self._build()
        self._fill_list(select=current or settings.default_connection)
        self.resize(820, 380)

    # -- layout ---------------------------------------------------------------
    def _build(self) -> None:
        self.list = QListWidget()
        self.list.setObjectName("connectionList")
        self.list.setWordWrap(True)
        self.list.setMinimumWidth(230)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.currentItemChanged.connect(self._on_selected)
        self.name_edit = QLineEdit()
        self.url_edit = QLineEdit()
        self.url_edit.setPlaceholderText("postgresql+psycopg://user@host:5432/dbname")
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setPlaceholderText("kept in the system keyring")
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow("&Name:", self.name_edit)
        form.addRow("&URL:", self.url_edit)
        form.addRow("&Password:", self.password_edit)
        # One URL a line: wrapped, a URL broke in the middle ("postgresql+psycopg://" / "user@…").
        hint = QLabel(
            "SQLite: sqlite:///path/to/store.sqlite3\n"
            "PostgreSQL: postgresql+psycopg://user@host:5432/db\n"
            "Passwords go to the system keyring, never into the settings file."
        )
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.new_button = QPushButton("Ne&w")
        self.save_button = QPushButton("&Save")
        self.remove_button = QPushButton("&Remove")
        self.test_button = QPushButton("&Test")
        self.default_button = QPushButton("Make &default")
        self.connect_button = QPushButton("&Connect")
        self.connect_button.setDefault(True)
        self.new_button.clicked.connect(self._on_new)
        self.save_button.clicked.connect(self._on_save)
        self.remove_button.clicked.connect(self._on_remove)
        self.test_button.clicked.connect(self._on_test)
        self.default_button.clicked.connect(self._on_make_default)
        self.connect_button.clicked.connect(self._on_connect)
        actions = QHBoxLayout()
        for button in (self.new_button, self.save_button, self.remove_button):
            actions.addWidget(button)
        actions.addStretch(1)
        for button in (self.test_button, self.default_button, self.connect_button):
            actions.addWidget(button)

        right = QVBoxLayout()
        right.addLayout(form)
        right.addWidget(hint)
        right.addLayout(actions)
        right.addWidget(self.status_label)
        right.addStretch(1)
        top = QHBoxLayout()
        top.addWidget(self.list, 2)
        top.addLayout(right, 5)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(close)
        self.setTabOrder(self.list, self.name_edit)
        self.setTabOrder(self.name_edit, self.url_edit)
        self.setTabOrder(self.url_edit, self.password_edit)

    def _fill_list(self, select: str | None = None) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for name in self.settings.connections:
            marks = []
            if name == self.settings.default_connection:
                marks.append("default")
            if name == self._current:
                marks.append("connected")
            text = f"{name}\n({', '.join(marks)})" if marks else name
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, name)
            self.list.addItem(item)
            if name == select:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)
        self._on_selected(self.list.currentItem())

    # -- helpers ----------------------------------------------------------------
    def selected_name(self) -> str | None:
        item = self.list.currentItem()
        return None if item is None else str(item.data(Qt.ItemDataRole.UserRole))

    def entered_url(self) -> str:
        url, embedded = split_password(self.url_edit.text().strip())
        return with_password(url, self.password_edit.text() or embedded)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status_label.setStyleSheet(f"color: {'#a12622' if error else '#2b3a4a'};")
        self.status_label.setText(text)

    @Slot(object)
    def _on_selected(self, item: QListWidgetItem | None) -> None:
        if item is None:
            return
        name = str(item.data(Qt.ItemDataRole.UserRole))
        self.name_edit.setText(name)
        self.url_edit.setText(self.settings.connections.get(name, ""))
        self.password_edit.setText(load_password(name) or "")
        self.remove_button.setEnabled(name != DEFAULT_CONNECTION)

    # -- actions ------------------------------------------------------------------
    @Slot()
    def _on_new(self) -> None:
        self.list.clearSelection()
        self.name_edit.setText("")
        self.url_edit.setText("")
        self.password_edit.setText("")
        self.name_edit.setFocus()

    def save_entered(self) -> str | None:
        """Save the form as a named connection; its name, or None (and a message)."""
        name = self.name_edit.text().strip()
        raw = self.url_edit.text().strip()
        if not name or not raw:
            self._say("A connection needs a name and a URL.", error=True)
            return None
        try:
            make_url(raw)
        except ArgumentError:
            self._say(f"{raw!r} is not a database URL.", error=True)
            return None
        url, embedded = split_password(raw)
        password = self.password_edit.text() or embedded
        note = remember_connection(self.settings, name, with_password(url, password))
        try:
            self.settings.save()
        except (OSError, ConfigError) as exc:
            self._say(f"Could not save the settings: {exc}", error=True)
            return None
        self._fill_list(select=name)
        self._say(note or f"Saved connection {name!r}.", error=bool(note))
        return name

    @Slot()
    def _on_save(self) -> None:
        self.save_entered()

    @Slot()
    def _on_remove(self) -> None:
        name = self.selected_name()
        if name is None or name == DEFAULT_CONNECTION:
            return
        forget_connection(self.settings, name)
        self.settings.save()
        self._fill_list(select=DEFAULT_CONNECTION)
        self._say(f"Removed connection {name!r}.")

    @Slot()
    def _on_make_default(self) -> None:
        name = self.save_entered()
        if name is None:
            return
        self.settings.default_connection = name
        self.settings.save()
        self._fill_list(select=name)
        self._say(f"{name!r} is now the default connection.")

    @Slot()
    def _on_test(self) -> None:
        url = self.entered_url()
        if not url:
            self._say("Enter a URL to test.", error=True)
            return
        self._say(f"Testing {redact_url(url)}…")
        self.test_button.setEnabled(False)
        ops.call(
            lambda: test_connection(url),
            self._on_tested,
            self._on_test_failed,
            key=self._test_key,
            parent=self,
        )

    @property
    def _test_key(self) -> tuple[object, str]:
        """The key of the connection test in ``worker.ops`` (owned by the dialog).
        An op without a store: ``test_connection`` opens the URL itself."""
        return (self, "test connection")

    def is_testing(self) -> bool:
        """True until the connection test has said its line."""
        return ops.pending(self._test_key)

    @Slot(object)
    def _on_tested(self, text: object) -> None:
        self._say(str(text))
        self.test_button.setEnabled(True)

    @Slot(object)
    def _on_test_failed(self, exc: object) -> None:
        """One line (``operator_message``): the store's own words, or for an
        unexpected failure its class and where the details were logged."""
        self._say(f"Cannot connect: {operator_message(exc)}", error=True)
        self.test_button.setEnabled(True)

    @Slot()
    def _on_connect(self) -> None:
        name = self.save_entered()
        if name is None:
            return
        self.connect_requested.emit(name, connection_url(self.settings, name))
        self.accept()

    def done(self, result: int) -> None:
        ops.wait(owner=self)  # a connection test still running: its line is dropped
        super().done(result)

    @classmethod
    def warn(cls, parent: QWidget | None, title: str, text: str) -> None:
        QMessageBox.warning(parent, title, text)
