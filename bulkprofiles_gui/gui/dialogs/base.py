"""What the catalogue dialogs share: store calls in the background, a form
dialog that stays open with a one-line error until the store accepts it, and
the confirmation before something that cannot be undone."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ...core.store import Store
from ..worker import ops

if TYPE_CHECKING:
    from ..worker import BackgroundCall


class StoreDialog(QDialog):
    """A dialog over the store; :meth:`run` calls the core off the main thread."""

    #: Something in the store changed (the views reload).
    changed = Signal()

    def __init__(self, store: Store, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.setWindowTitle(title)

    def run(
        self,
        fn: Callable[[Store], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[str], None],
    ) -> BackgroundCall:
        """``fn(store)`` through ``worker.ops``; ``on_done(result)`` or ``on_error(line)``."""
        return ops.run(self.store, fn, on_done, on_error, owner=self, parent=self)

    def busy(self) -> bool:
        """True until every call of this dialog and of the dialogs it opened has delivered."""
        return ops.busy(self) or any(d.busy() for d in self._opened())

    def wait_idle(self, msecs: int = 30_000) -> None:
        """Wait for the calls, the opened dialogs' too (the window is closing, tests)."""
        for dialog in self._opened():
            dialog.wait_idle(msecs)
        ops.wait(msecs, owner=self)

    def _opened(self) -> list[StoreDialog]:
        return self.findChildren(StoreDialog, options=Qt.FindChildOption.FindDirectChildrenOnly)


class FormDialog(StoreDialog):
    """A form with OK/Cancel: OK runs :meth:`submit`'s store call; on success the
    dialog closes, on a refusal the line shows in the dialog and it stays open."""

    def __init__(
        self, store: Store, title: str, ok_text: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(store, title, parent)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.error_label = QLabel()
        self.error_label.setObjectName("error")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button: QPushButton = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(ok_text)
        self.buttons.accepted.connect(self._on_ok)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.error_label)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        #: What the store call returned (after success).
        self.result_value: Any = None

    def work(self) -> Callable[[Store], Any]:
        """The store call of the filled-in form (subclasses); raise to refuse early."""
        raise NotImplementedError

    @Slot()
    def _on_ok(self) -> None:
        try:
            fn = self.work()
        except ValueError as exc:
            self.show_error(str(exc))
            return
        self.ok_button.setEnabled(False)
        self.error_label.hide()
        self.run(fn, self._on_done, self._on_failed)

    def _on_done(self, result: Any) -> None:
        self.result_value = result
        self.ok_button.setEnabled(True)
        self.changed.emit()
        self.accept()

    def _on_failed(self, message: str) -> None:
        self.ok_button.setEnabled(True)
        self.show_error(message)

    def show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.show()


class ConfirmDialog(QMessageBox):
    """ "Really?" before something that cannot be undone; the confirming button
    names the action and is styled as dangerous."""

    def __init__(
        self,
        parent: QWidget | None,
        title: str,
        text: str,
        details: str,
        action: str,
    ) -> None:
        super().__init__(parent)
        self.setIcon(QMessageBox.Icon.Warning)
        self.setWindowTitle(title)
        self.setText(text)
        self.setInformativeText(details)
        self.confirm_button = self.addButton(action, QMessageBox.ButtonRole.DestructiveRole)
        self.confirm_button.setObjectName("dangerButton")
        self.confirm_button.style().unpolish(self.confirm_button)  # the name came after polish
        self.confirm_button.style().polish(self.confirm_button)
        cancel = self.addButton(QMessageBox.StandardButton.Cancel)
        self.setDefaultButton(cancel)
        self.setEscapeButton(cancel)

    def confirmed(self) -> bool:
        """Show the question (modal); True if the operator chose the action."""
        self.exec()
        return self.clickedButton() is self.confirm_button
