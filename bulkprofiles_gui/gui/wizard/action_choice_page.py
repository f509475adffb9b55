"""The wizard's action page: which of the seven updates to run."""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QButtonGroup,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from ...core.actions import ACTIONS
from ..ui_settings import ui_settings
from ..widgets.tone import set_tone
from .actions import PAGES
from .context import WizardContext


def action_text(action_type: str) -> tuple[str, str, bool, bool]:
    """(label, one-line explanation, destructive, needs conditions) of an action type,
    from the core's action."""
    action = ACTIONS[action_type]
    return action.LABEL, action.DESCRIPTION, action.DESTRUCTIVE, action.REQUIRES_CONDITIONS


class ActionChoicePage(QWizardPage):
    """Seven radio buttons, each with its one-line explanation."""

    def __init__(self, ctx: WizardContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setTitle("Choose the update")
        self.setSubTitle("What should happen to the selected profiles?")
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.buttons: dict[str, QRadioButton] = {}
        choices = QVBoxLayout()
        choices.setSpacing(2)
        for row, action_type in enumerate(PAGES):
            label, description, destructive, needs_conditions = action_text(action_type)
            button = QRadioButton(f"&{row + 1}  {label}")
            button.setObjectName(f"action_{action_type}")
            button.setProperty("action_type", action_type)
            self.group.addButton(button, row)
            self.buttons[action_type] = button
            notes = []
            if needs_conditions:
                notes.append("needs at least one condition")
            if destructive:
                notes.append("asks for confirmation")
            text = description + (f" ({'; '.join(notes)}.)" if notes else "")
            explanation = QLabel(text)
            explanation.setObjectName("hint")
            explanation.setWordWrap(True)
            explanation.setIndent(26)
            explanation.setBuddy(button)
            if destructive:
                set_tone(button, "error")  # the colour of style.qss
            choices.addWidget(button)
            choices.addWidget(explanation)
            choices.addSpacing(10)
        self.group.idToggled.connect(self._on_toggled)
        layout = QVBoxLayout(self)
        layout.addLayout(choices)
        layout.addStretch(1)
        last = str(ui_settings().value("wizard/last_action", ""))
        if last in self.buttons:
            self.buttons[last].setChecked(True)

    def action_type(self) -> str | None:
        button = self.group.checkedButton()
        return None if button is None else str(button.property("action_type"))

    def set_action_type(self, action_type: str) -> None:
        button = self.buttons.get(action_type)
        if button is not None:
            button.setChecked(True)

    def isComplete(self) -> bool:
        return self.action_type() is not None

    def initializePage(self) -> None:
        button = self.group.checkedButton()
        (button or self.group.buttons()[0]).setFocus(Qt.FocusReason.TabFocusReason)

    def validatePage(self) -> bool:
        chosen = self.action_type()
        if chosen:
            ui_settings().setValue("wizard/last_action", chosen)
        return chosen is not None

    @Slot(int, bool)
    def _on_toggled(self, _id: int, checked: bool) -> None:
        if checked:
            self.completeChanged.emit()
