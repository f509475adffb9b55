"""What the three views share: a title, a store, and loading off the main thread."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from ...core.outcomes import OutcomeRow
from ...core.store import Store
from ..messages import operator_message
from ..worker import BackgroundCall


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
        self._calls: dict[str, BackgroundCall] = {}
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
        """Run ``fn(store)`` in the background; a newer load of ``key`` drops the older."""
        store = self.store
        if store is None:
            return None
        old = self._calls.pop(key, None)
        if old is not None:
            old.discard()
        call = BackgroundCall(lambda: fn(store), self)
        call.done.connect(on_done)
        call.error.connect(lambda exc: self.message.emit(operator_message(exc)))
        call.finished.connect(lambda: self._forget(key, call))
        self._calls[key] = call
        return call.start()

    def _forget(self, key: str, call: BackgroundCall) -> None:
        if self._calls.get(key) is call:
            del self._calls[key]

    def busy(self) -> bool:
        """True until every load has delivered its result (not just ended its thread)."""
        return bool(self._calls)

    def wait_idle(self, msecs: int = 30_000) -> None:
        """Wait for the background loads (closing the window, tests)."""
        for call in list(self._calls.values()):
            call.discard()
            call.wait(msecs)

    def shutdown(self) -> None:
        """Stop timers and wait for background loads (the window is closing)."""
        self.wait_idle()
