"""The column chooser of a CSV export (wizard selection page, Tasks view).

A checkable list of the database's fields, all ticked at first, with Select
all / Select none.  Columns an export always writes (a task's outcome
columns) are listed first, ticked and locked.  ``ask`` is the one entry
point, so tests can drive the real dialog through ``exec``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)


@dataclass(frozen=True)
class ColumnChoice:
    """One column the operator can tick: a field key, its label and type."""

    key: str
    label: str
    type: str = ""


class ExportColumnsDialog(QDialog):
    """Which columns a CSV export writes; ``chosen()`` are the ticked field keys."""

    def __init__(
        self,
        columns: Sequence[ColumnChoice],
        *,
        fixed: Sequence[ColumnChoice] = (),
        what: str = "profiles",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export to CSV — columns")
        self.setObjectName("exportColumnsDialog")
        self._fixed = list(fixed)
        intro = QLabel(
            f"Tick the columns to write for the {what}. Lists (phones, tags) are joined "
            "with “;”. Text starting with =, +, - or @ gets a leading ' so that a "
            "spreadsheet does not run it as a formula."
        )
        intro.setWordWrap(True)
        self.table = QTreeWidget()
        self.table.setObjectName("exportColumns")
        self.table.setHeaderLabels(["Column", "Key", "Type"])
        self.table.setRootIsDecorated(False)
        self.table.setUniformRowHeights(True)
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.header().setStretchLastSection(False)
        for choice in self._fixed:
            self.table.addTopLevelItem(self._item(choice, locked=True))
        for choice in columns:
            self.table.addTopLevelItem(self._item(choice, locked=False))
        for column in (1, 2):
            self.table.resizeColumnToContents(column)
        self.table.itemChanged.connect(self._update)

        self.all_button = QPushButton("Select &all")
        self.all_button.clicked.connect(self.select_all)
        self.none_button = QPushButton("Select &none")
        self.none_button.clicked.connect(self.select_none)
        self.summary = QLabel()
        self.summary.setObjectName("hint")
        tools = QHBoxLayout()
        tools.addWidget(self.all_button)
        tools.addWidget(self.none_button)
        tools.addStretch(1)
        tools.addWidget(self.summary)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("&Export…")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addLayout(tools)
        layout.addWidget(self.buttons)
        self.resize(560, 520)
        self._update()
        self.ok_button.setDefault(True)
        self.ok_button.setFocus()  # the list then shows no focus frame until tabbed to

    @classmethod
    def ask(
        cls,
        parent: QWidget | None,
        columns: Sequence[ColumnChoice],
        *,
        fixed: Sequence[ColumnChoice] = (),
        what: str = "profiles",
    ) -> list[str] | None:
        """The ticked keys, or None when the operator cancels."""
        dialog = cls(columns, fixed=fixed, what=what, parent=parent)
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return None
            return dialog.chosen()
        finally:
            dialog.deleteLater()

    # -- the ticks ------------------------------------------------------------------------
    def _item(self, choice: ColumnChoice, *, locked: bool) -> QTreeWidgetItem:
        item = QTreeWidgetItem([choice.label, choice.key, choice.type])
        item.setData(0, Qt.ItemDataRole.UserRole, choice.key)
        item.setCheckState(0, Qt.CheckState.Checked)
        if locked:
            item.setFlags(Qt.ItemFlag.NoItemFlags)  # shown ticked and greyed
            item.setToolTip(0, "Always written")
        else:
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
        return item

    def _choosable(self) -> list[QTreeWidgetItem]:
        items = (self.table.topLevelItem(i) for i in range(self.table.topLevelItemCount()))
        return [item for item in items if item is not None][len(self._fixed) :]

    def chosen(self) -> list[str]:
        """The ticked field keys in display order (the locked columns not included)."""
        return [
            str(item.data(0, Qt.ItemDataRole.UserRole))
            for item in self._choosable()
            if item.checkState(0) == Qt.CheckState.Checked
        ]

    def set_chosen(self, keys: Sequence[str]) -> None:
        """Tick exactly ``keys`` (used by tests and to restore a previous choice)."""
        wanted = set(keys)
        for item in self._choosable():
            key = item.data(0, Qt.ItemDataRole.UserRole)
            item.setCheckState(
                0, Qt.CheckState.Checked if key in wanted else Qt.CheckState.Unchecked
            )

    @Slot()
    def select_all(self) -> None:
        self._tick_all(Qt.CheckState.Checked)

    @Slot()
    def select_none(self) -> None:
        self._tick_all(Qt.CheckState.Unchecked)

    def _tick_all(self, state: Qt.CheckState) -> None:
        self.table.blockSignals(True)
        for item in self._choosable():
            item.setCheckState(0, state)
        self.table.blockSignals(False)
        self._update()

    @Slot()
    def _update(self) -> None:
        """The count of ticked columns; Export needs at least one column."""
        ticked, choosable = len(self.chosen()), len(self._choosable())
        always = f"{len(self._fixed)} always written, " if self._fixed else ""
        self.summary.setText(f"{always}{ticked} of {choosable} fields ticked")
        self.ok_button.setEnabled(ticked + len(self._fixed) > 0)
