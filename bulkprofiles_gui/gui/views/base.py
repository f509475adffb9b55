"""What the three views share: a title, a store, and loading off the main thread."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from ...core.outcomes import OutcomeRow
from ...core.store import Store
from ..messages import operator_message as operator_message  # the views import it from here
from ..worker import BackgroundCall, ops


def make_table(headers: list[str]) -> QTreeWidget:
    """A flat, sortable, keyboard-friendly table with the given columns."""
    table = QTreeWidget()
    table.setColumnCount(len(headers))
    table.setHeaderLabels(headers)
    table.setRootIsDecorated(False)
    table.setUniformRowHeights(True)
    table.setAlternatingRowColors(True)
    table.setAllColumnsShowFocus(True)
    table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
    return table


def fill_outcome_table(table: QTreeWidget, rows: list[OutcomeRow]) -> None:
    """The core's table of a task's outcomes (:func:`.outcomes.outcome_rows`)
    as (label, number) rows; a skip reason reads ``Skipped: <reason>``."""
    table.clear()
    for row in rows:
        item = QTreeWidgetItem([row.flat_label, f"{row.count:,}"])
        item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight)
        table.addTopLevelItem(item)


def top_items(tree: QTreeWidget) -> list[QTreeWidgetItem]:
    """The top-level rows of a tree/table widget, in order."""
    found = (tree.topLevelItem(i) for i in range(tree.topLevelItemCount()))
    return [item for item in found if item is not None]


class StoreView(QWidget):
    """A view over the open store; ``load`` runs a core call in the background."""

    #: A line for the status bar (a failed load, a finished export).
    message = Signal(str)

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store: Store | None = None
        self.title_label = QLabel(title)
        self.title_label.setObjectName("viewTitle")
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(16, 12, 16, 12)
        self.layout_.addWidget(self.title_label)

    def set_store(self, store: Store | None) -> None:
        self.store = store
        self.refresh()

    def refresh(self) -> None:
        """Reload from the store (subclasses)."""

    def load(
        self,
        key: str,
        fn: Callable[[Store], Any],
        on_done: Callable[[Any], None],
    ) -> BackgroundCall | None:
        """Run ``fn(store)`` through ``worker.ops``; a newer load of ``key`` drops
        the older, a failure is one line on the status bar (``message``)."""
        if self.store is None:
            return None
        return ops.run(self.store, fn, on_done, self.message.emit, key=(self, key), parent=self)

    def busy(self) -> bool:
        """True until every load has delivered its result (not just ended its thread)."""
        return ops.busy(self)

    def wait_idle(self, msecs: int = 30_000) -> None:
        """Wait for the background loads (closing the window, tests)."""
        ops.wait(msecs, owner=self)

    def shutdown(self) -> None:
        """Stop timers and wait for background loads (the window is closing)."""
        self.wait_idle()
