"""The live count ("N of M profiles") and the preview of the first profiles.

The preview is a table view over :class:`PreviewModel`, not a QTableWidget:
filling 50 rows of some 20 columns item by item, and sizing the columns from
every item, took 13-17 ms of the main thread on each count (README, "GUI
responsiveness"); the model keeps the cells' texts in lists and the columns
are sized from the longest text of each.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

#: Widest a preview column starts (the operator can widen it).
COLUMN_WIDTH_MAX = 260
#: Room beside a column's longest cell text (the cell's margins).
CELL_PADDING = 12


def count_text(selected: int, total: int) -> str:
    return f"{selected:,} of {total:,} profiles"


#: Columns whose numbers are names, not amounts: shown without separators.
IDENTIFIERS = frozenset({"id"})


def cell_text(value: Any, key: str = "") -> str:
    """A preview cell: amounts with thousands separators, ids as they are."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, int | float) and not isinstance(value, bool) and key not in IDENTIFIERS:
        return f"{value:,}"
    return str(value)


AnyIndex = QModelIndex | QPersistentModelIndex


class PreviewModel(QAbstractTableModel):
    """The preview's rows as read-only text: the headers are the fields' labels."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._labels: list[str] = []
        self._cells: list[list[str]] = []

    def set_rows(
        self, header: list[str], rows: list[tuple[Any, ...]], labels: dict[str, str]
    ) -> None:
        self.beginResetModel()
        self._labels = [labels.get(key, key) for key in header]
        self._cells = [
            [cell_text(v, key) for v, key in zip(row, header, strict=True)] for row in rows
        ]
        self.endResetModel()

    def clear_rows(self) -> None:
        self.beginResetModel()
        self._cells = []
        self.endResetModel()

    def labels(self) -> list[str]:
        return list(self._labels)

    def longest_cells(self) -> list[str]:
        """Per column its longest cell text (to size the column)."""
        longest = [""] * len(self._labels)
        for row in self._cells:
            for column, text in enumerate(row):
                if len(text) > len(longest[column]):
                    longest[column] = text
        return longest

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._cells)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._labels)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole or not index.isValid():
            return None
        return self._cells[index.row()][index.column()]

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole or orientation != Qt.Orientation.Horizontal:
            return None
        return self._labels[section] if 0 <= section < len(self._labels) else None


class PreviewBox(QWidget):
    """A caption and a read-only table of the first profiles; it grows with the page."""

    def __init__(self, rows: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = PreviewModel(self)
        self.table = QTableView()
        table = self.table
        table.setModel(self.model)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
        table.setWordWrap(False)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        table.horizontalHeader().setStretchLastSection(True)
        table.setAccessibleName(f"Preview of the first {rows} profiles")
        table.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        table.setMinimumHeight(table.verticalHeader().defaultSectionSize() * 4)
        caption = QLabel(f"Pre&view (first {rows} profiles):")
        caption.setBuddy(table)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(caption)
        layout.addWidget(table, 1)

    def clear_rows(self) -> None:
        self.model.clear_rows()

    def row_count(self) -> int:
        return self.model.rowCount()

    def header_labels(self) -> list[str]:
        return self.model.labels()

    def fill(self, header: list[str], rows: list[tuple[Any, ...]], labels: dict[str, str]) -> None:
        self.model.set_rows(header, rows, labels)
        self._size_columns()

    def _size_columns(self) -> None:
        """Each column as wide as its header (as the style draws it) and its
        longest cell text, at most ``COLUMN_WIDTH_MAX``: one measurement a
        column instead of one a cell."""
        cells = QFontMetrics(self.table.font())
        header = self.table.horizontalHeader()
        header.ensurePolished()  # the style sheet's header font and padding
        for column, text in enumerate(self.model.longest_cells()):
            wide = max(
                header.sectionSizeFromContents(column).width(),
                cells.horizontalAdvance(text) + CELL_PADDING,
            )
            self.table.setColumnWidth(column, min(wide, COLUMN_WIDTH_MAX))
