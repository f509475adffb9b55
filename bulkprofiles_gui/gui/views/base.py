"""What the three views share: a title, a store, and loading off the main thread."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from ...core.actions.base import ActionError
from ...core.config import ConfigError
from ...core.faults import StoreFault, details_note, store_fault
from ...core.jobfile import JobFileError
from ...core.jobs import TaskError
from ...core.segments import SegmentError
from ...core.selection import RuleError
from ...core.store import Store, StoreError
from ..worker import BackgroundCall

#: Exceptions whose message is written for the operator (every catalogue,
#: import and export error derives from StoreError).
OPERATOR_ERRORS: tuple[type[BaseException], ...] = (
    StoreError,
    ActionError,
    RuleError,
    JobFileError,
    TaskError,
    ConfigError,
    SegmentError,
)


def operator_message(exc: object) -> str:
    """One readable line for an exception that reached the GUI.  A failure of
    the store says what failed (and how to go on with the task it
    interrupted); one the worker logged says where its details are."""
    fault = store_fault(exc) if isinstance(exc, BaseException) else None
    if fault is not None:
        return fault_message(fault, getattr(exc, "__log__", None))
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    if isinstance(exc, OPERATOR_ERRORS) and first:
        return first
    line = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    logged = getattr(exc, "__log__", None)
    return line + details_note(logged) if logged else line


def fault_message(fault: StoreFault, log: Path | None = None) -> str:
    """The line of a failure of the store, as the window says it."""
    line = str(fault).strip().splitlines()[0]
    if fault.task_id is not None:
        line += "; it can be resumed from the Tasks view"
    log = fault.log or log
    return line + details_note(log) if log else line


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
