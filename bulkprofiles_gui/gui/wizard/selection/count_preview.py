"""The live count ("N of M profiles") and the preview of the first profiles."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

#: Widest a preview column starts (the operator can widen it).
COLUMN_WIDTH_MAX = 260


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


class PreviewBox(QWidget):
    """A caption and a read-only table of the first profiles; it grows with the page."""

    def __init__(self, rows: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(0, 0)
        table = self.table
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
        self.table.setRowCount(0)

    def fill(self, header: list[str], rows: list[tuple[Any, ...]], labels: dict[str, str]) -> None:
        table = self.table
        table.setUpdatesEnabled(False)
        table.clear()
        table.setColumnCount(len(header))
        table.setHorizontalHeaderLabels([labels.get(key, key) for key in header])
        table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                table.setItem(r, c, QTableWidgetItem(cell_text(value, header[c])))
        table.resizeColumnsToContents()
        for c in range(table.columnCount()):
            table.setColumnWidth(c, min(table.columnWidth(c), COLUMN_WIDTH_MAX))
        table.setUpdatesEnabled(True)
