"""Data -> Segments: the saved segments of each database."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QTreeWidgetItem,
    QWidget,
)

from ...core.catalog import DatabaseRow, list_databases
from ...core.limits import rule_nodes
from ...core.store import Store
from ..resources import icon
from .base import StoreView, make_table, operator_message, top_items
from .databases import DEMO_BADGE

ALL_DATABASES = "All databases"


def count_conditions(rules: Any) -> int:
    """Conditions (not groups) in a react-querybuilder rule group (walked
    without recursion, so a stored tree of any depth is safe)."""
    if not isinstance(rules, dict):
        return 0
    return sum(
        1
        for node, _depth in rule_nodes(rules.get("rules") or [])
        if not (isinstance(node, dict) and "rules" in node)
    )


def _list(store: Store) -> tuple[list[Any], list[DatabaseRow]]:
    from ...core import segments

    with store.begin() as conn:
        databases = list_databases(store, conn)
    return list(segments.list_segments(store)), databases


def _fmt_range(lo: float, hi: float) -> str:
    return f"{lo:g}–{hi:g} %"


class SegmentsView(StoreView):
    """Saved segments per database; "Update profiles..." from the context menu."""

    update_requested = Signal(str, str)  # database name, segment name

    COLUMNS = ("Segment", "Database", "Conditions", "Range", "Limit", "Updated")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Segments", parent)
        self.segments: list[Any] = []
        self.demo_databases: set[str] = set()
        self.database_filter = QComboBox()
        self.database_filter.setMinimumContentsLength(20)
        self.database_filter.addItem(ALL_DATABASES)
        self.database_filter.currentIndexChanged.connect(self._fill_table)
        filter_label = QLabel("&Database:")
        filter_label.setBuddy(self.database_filter)
        self.update_button = QPushButton(icon("update"), "&Update profiles…")
        self.update_button.clicked.connect(self._on_update_clicked)
        self.refresh_button = QPushButton(icon("refresh"), "Re&fresh")
        self.refresh_button.clicked.connect(self.refresh)
        bar = QHBoxLayout()
        bar.addWidget(filter_label)
        bar.addWidget(self.database_filter)
        bar.addStretch(1)
        bar.addWidget(self.refresh_button)
        bar.addWidget(self.update_button)
        self.table = make_table(list(self.COLUMNS))
        self.table.setObjectName("segmentsTable")
        self.table.customContextMenuRequested.connect(self._on_context_menu)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.itemActivated.connect(lambda *_: self._on_update_clicked())
        self.empty_label = QLabel(
            "No saved segments yet. Build rules in Update profiles… and choose Save as segment…"
        )
        self.empty_label.setObjectName("hint")
        self.empty_label.hide()
        self.layout_.addLayout(bar)
        self.layout_.addWidget(self.table, 1)
        self.layout_.addWidget(self.empty_label)
        self._update_buttons()

    # -- loading -------------------------------------------------------------------
    def refresh(self) -> None:
        self.load("list", _list, self._on_loaded)

    @Slot(object)
    def _on_loaded(self, result: Any) -> None:
        segments, databases = result
        self.segments = list(segments)
        self.demo_databases = {d.name for d in databases if d.is_demo}
        current = self.database_filter.currentText()
        self.database_filter.blockSignals(True)
        self.database_filter.clear()
        self.database_filter.addItem(ALL_DATABASES)
        self.database_filter.addItems([d.name for d in databases])
        index = self.database_filter.findText(current)
        self.database_filter.setCurrentIndex(max(index, 0))
        self.database_filter.blockSignals(False)
        self._fill_table()

    @Slot()
    def _fill_table(self) -> None:
        selected = self.selected_segment()
        wanted = self.database_filter.currentText()
        self.table.clear()
        for seg in self.segments:
            if wanted not in ("", ALL_DATABASES) and seg.database_name != wanted:
                continue
            updated = getattr(seg, "updated_at", None)
            item = QTreeWidgetItem(
                [
                    seg.name,
                    seg.database_name
                    + (f"  [{DEMO_BADGE}]" if seg.database_name in self.demo_databases else ""),
                    str(count_conditions(seg.rules)),
                    _fmt_range(seg.range_from, seg.range_to),
                    f"{seg.limit:,}" if seg.limit else "none",
                    updated.strftime("%Y-%m-%d %H:%M") if updated else "",
                ]
            )
            item.setIcon(0, icon("segment"))
            item.setData(0, Qt.ItemDataRole.UserRole, (seg.database_name, seg.name))
            for column in (2, 4):
                item.setTextAlignment(column, Qt.AlignmentFlag.AlignRight)
            self.table.addTopLevelItem(item)
        for column in range(len(self.COLUMNS)):
            self.table.resizeColumnToContents(column)
        self.table.setColumnWidth(0, max(self.table.columnWidth(0) + 24, 220))
        self.empty_label.setVisible(self.table.topLevelItemCount() == 0)
        if selected:
            self.select_segment(*selected)
        elif top_items(self.table):
            self.table.setCurrentItem(top_items(self.table)[0])
        self._update_buttons()

    # -- selection -------------------------------------------------------------------
    def selected_segment(self) -> tuple[str, str] | None:
        items = self.table.selectedItems()
        if not items:
            return None
        database, name = items[0].data(0, Qt.ItemDataRole.UserRole)
        return str(database), str(name)

    def select_segment(self, database: str, name: str) -> None:
        for item in top_items(self.table):
            if tuple(item.data(0, Qt.ItemDataRole.UserRole)) == (database, name):
                self.table.setCurrentItem(item)
                return

    @Slot()
    def _update_buttons(self) -> None:
        self.update_button.setEnabled(self.selected_segment() is not None)

    # -- actions -------------------------------------------------------------------
    @Slot()
    def _on_update_clicked(self) -> None:
        chosen = self.selected_segment()
        if chosen:
            self.update_requested.emit(*chosen)

    @Slot(QPoint)
    def _on_context_menu(self, pos: QPoint) -> None:
        item = self.table.itemAt(pos)
        if item is None:
            return
        self.table.setCurrentItem(item)
        self.context_menu().exec(self.table.viewport().mapToGlobal(pos))

    def context_menu(self) -> QMenu:
        menu = QMenu(self)
        menu.addAction(icon("update"), "&Update profiles…").triggered.connect(
            self._on_update_clicked
        )
        menu.addSeparator()
        menu.addAction("Re&name…").triggered.connect(self._on_rename)
        menu.addAction("&Delete…").triggered.connect(self._on_delete)
        return menu

    def _segment_row(self) -> Any:
        chosen = self.selected_segment()
        if not chosen:
            return None
        return next(
            (s for s in self.segments if (s.database_name, s.name) == chosen),
            None,
        )

    @Slot()
    def _on_rename(self) -> None:
        seg = self._segment_row()
        if seg is None or self.store is None:
            return
        new, ok = QInputDialog.getText(self, "Rename segment", "New name:", text=seg.name)
        if not ok or not new.strip() or new.strip() == seg.name:
            return
        self._change(lambda store: _rename(store, seg, new.strip()))

    @Slot()
    def _on_delete(self) -> None:
        seg = self._segment_row()
        if seg is None:
            return
        answer = QMessageBox.question(
            self,
            "Delete segment",
            f"Delete the segment {seg.name!r} of {seg.database_name!r}? "
            "Its profiles are not touched.",
        )
        if answer == QMessageBox.StandardButton.Yes:
            self._change(lambda store: _delete(store, seg))

    def _change(self, fn: Any) -> None:
        call = self.load("change", fn, lambda _result: self.refresh())
        if call is not None:
            call.error.connect(
                lambda exc: QMessageBox.warning(self, "Segments", operator_message(exc))
            )


def _rename(store: Store, seg: Any, new_name: str) -> None:
    from ...core import segments

    segments.rename_segment(store, seg.id, new_name)


def _delete(store: Store, seg: Any) -> None:
    from ...core import segments

    segments.delete_segment(store, seg.id)
