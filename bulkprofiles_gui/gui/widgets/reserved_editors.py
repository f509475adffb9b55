"""Editors of the reserved condition kinds of the rule builder.

``$subscription`` (resource, channel, status), ``$event`` (type, channel,
resource, period, how many) and ``$promo`` (program) values are JSON objects;
each editor here is a row of labelled combos whose value is one such object.
:func:`value_editor_for` picks the editor of any condition (the plain kinds
come from ``value_editors``).  Statuses, event types and channels are shown as
words (``core.words``); the JSON keeps the keys.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...core.fields import CHANNELS, EVENT_TYPES, STATUSES
from ...core.selection.model import FieldChoice, OperatorChoice
from ...core.words import channel_word, event_word, status_word
from .value_editors import ChoiceEditor, ValueEditor, editor_for

ANY = "(any)"


def _detail(choice: FieldChoice, *names: str, default: Sequence[str] = ()) -> tuple[str, ...]:
    """A sub-choice list of a reserved field (first key present wins)."""
    for name in names:
        if name in choice.details:
            return tuple(choice.details[name])
    return tuple(default)


def _worded(values: Sequence[str], word: Callable[[str], str]) -> list[tuple[str, Any]]:
    """(words, key) pairs: the combo shows the words, the JSON keeps the key."""
    return [(word(v), v) for v in values]


def _optional_options(
    values: Sequence[str], word: Callable[[str], str] = str
) -> list[tuple[str, Any]]:
    return [(ANY, None), *_worded(values, word)]


def tool_button(parent: QWidget, icon: QStyle.StandardPixmap, tip: str) -> QToolButton:
    button = QToolButton(parent)
    button.setIcon(parent.style().standardIcon(icon))
    button.setToolTip(tip)
    button.setAccessibleName(tip)
    button.setAutoRaise(True)
    button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
    return button


def hbox(widget: QWidget | None = None, margins: int = 0) -> QHBoxLayout:
    layout = QHBoxLayout(widget) if widget is not None else QHBoxLayout()
    layout.setContentsMargins(margins, margins, margins, margins)
    layout.setSpacing(6)
    return layout


class _CompositeEditor(ValueEditor):
    """A row of labelled combos/spins whose value is one JSON object."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._lines = QVBoxLayout(self)
        self._lines.setContentsMargins(0, 0, 0, 0)
        self._lines.setSpacing(4)
        self._layout = hbox()
        self._lines.addLayout(self._layout)
        self._focus: list[QWidget] = []

    def _new_line(self) -> None:
        """Continue on a second line (keeps wide editors within the page)."""
        self._layout.addStretch(1)
        self._layout = hbox()
        self._lines.addLayout(self._layout)

    def _add(self, label: str, widget: QWidget) -> None:
        if label:
            caption = QLabel(label)
            caption.setBuddy(widget)
            self._layout.addWidget(caption)
        self._layout.addWidget(widget)
        self._focus.append(widget)
        if len(self._focus) == 1:
            self.setFocusProxy(widget)

    def _choice(self, label: str, options: Sequence[Any]) -> ChoiceEditor:
        editor = ChoiceEditor(options)
        editor.changed.connect(self._edited)
        self._add(label, editor)
        return editor

    def focus_widgets(self) -> list[QWidget]:
        found: list[QWidget] = []
        for widget in self._focus:
            found.extend(widget.focus_widgets() if isinstance(widget, ValueEditor) else [widget])
        return found

    def _finish(self) -> None:
        self._layout.addStretch(1)

    def _refuse_unless_object(self, value: Any) -> bool:
        """A value that is not a JSON object is kept and reported (True)."""
        if isinstance(value, dict):
            return False
        self._refuse(value, f"“{value}” is not a condition of this kind")
        return True


def _set_optional(editor: ChoiceEditor, value: Any) -> None:
    editor.set_value(value if value not in ("", []) else None)


class SubscriptionEditor(_CompositeEditor):
    """``{"resource", "channel"?, "status"?}``: resource required, the rest optional.

    The channel list follows the resource: only channels configured in it.
    """

    def __init__(self, choice: FieldChoice, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._choice_info = choice
        self.resource = self._choice("", choice.options or _detail(choice, "resources"))
        self.channel = self._choice("on", _optional_options(self._channels(), channel_word))
        statuses = _detail(choice, "statuses", default=STATUSES)
        self.status = self._choice("with status", _optional_options(statuses, status_word))
        self.resource.changed.connect(self._refill_channels)
        self._finish()

    def _channels(self) -> tuple[str, ...]:
        general = _detail(self._choice_info, "channels", default=CHANNELS)
        return _detail(self._choice_info, f"channels:{self.resource.value()}", default=general)

    def _refill_channels(self) -> None:
        self.channel.set_options(_optional_options(self._channels(), channel_word))

    def _shown_value(self) -> Any:
        value: dict[str, Any] = {"resource": self.resource.value()}
        if self.channel.value():
            value["channel"] = self.channel.value()
        if self.status.value():
            value["status"] = self.status.value()
        return value

    def set_value(self, value: Any) -> None:
        if self._refuse_unless_object(value):
            return
        self.resource.set_value(value.get("resource"))
        _set_optional(self.channel, value.get("channel"))
        status = value.get("status")
        if isinstance(status, list) and len(status) == 1:
            status = status[0]
        _set_optional(self.status, status)

    def _shown_problem(self) -> str | None:
        if self.resource.combo.count() == 0:
            return "No resource is attached to this database"
        for editor in (self.resource, self.channel, self.status):
            reason = editor.problem()
            if reason:
                return reason
        return None


class EventEditor(_CompositeEditor):
    """``{"type", "channel"?, "resource"?, "lastDays" | "from"/"to"?, "atLeast"}``."""

    PERIODS = (("at any time", "any"), ("in the last", "days"), ("between", "dates"))

    def __init__(self, choice: FieldChoice, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.type = self._choice("", _worded(choice.options or EVENT_TYPES, event_word))
        channels = _detail(choice, "channels", default=CHANNELS)
        self.channel = self._choice("on", _optional_options(channels, channel_word))
        self.resource = self._choice("from", _optional_options(_detail(choice, "resources")))
        self._new_line()
        self.period = self._choice("", self.PERIODS)
        self.period.set_value("any")  # the common question: ever had it
        self.days = editor_for("days")
        self.dates = editor_for("pair", item="date")
        self.at_least = QSpinBox()
        self.at_least.setRange(1, 9_999)
        self.at_least.setPrefix("at least ")
        self.at_least.setSuffix("×")
        self.at_least.setToolTip("How many such events at least")
        for widget in (self.days, self.dates, self.at_least):
            self._add("", widget)
        self.days.changed.connect(self._edited)
        self.dates.changed.connect(self._edited)
        self.at_least.valueChanged.connect(self._edited)
        self.period.changed.connect(self._show_period)
        self._finish()
        self._show_period()

    def _show_period(self) -> None:
        self.days.setVisible(self.period.value() == "days")
        self.dates.setVisible(self.period.value() == "dates")

    def focus_widgets(self) -> list[QWidget]:
        hidden = {id(w) for w in (self.days, self.dates) if w.isHidden()}
        kept: list[QWidget] = []
        for widget in self._focus:
            if id(widget) in hidden:
                continue
            kept += widget.focus_widgets() if isinstance(widget, ValueEditor) else [widget]
        return kept

    def _shown_value(self) -> Any:
        value: dict[str, Any] = {"type": self.type.value()}
        if self.channel.value():
            value["channel"] = self.channel.value()
        if self.resource.value():
            value["resource"] = self.resource.value()
        if self.period.value() == "days":
            value["lastDays"] = self.days.value()
        elif self.period.value() == "dates":
            value["from"], value["to"] = self.dates.value()
        value["atLeast"] = self.at_least.value()
        return value

    def set_value(self, value: Any) -> None:
        if self._refuse_unless_object(value):
            return
        self.type.set_value(value.get("type"))
        _set_optional(self.channel, value.get("channel"))
        _set_optional(self.resource, value.get("resource"))
        if value.get("lastDays") is not None:
            self.period.set_value("days")
            self.days.set_value(value["lastDays"])
        elif value.get("from") is not None or value.get("to") is not None:
            self.period.set_value("dates")
            self.dates.set_value([value.get("from"), value.get("to")])
        else:
            self.period.set_value("any")
        at_least = value.get("atLeast", 1)
        lo, hi = self.at_least.minimum(), self.at_least.maximum()
        if isinstance(at_least, bool) or not isinstance(at_least, int) or not lo <= at_least <= hi:
            self._refuse(value, f"“at least {at_least}” is not a count from {lo} to {hi:,}")
            return
        self.at_least.setValue(at_least)
        self._refused = None

    def _shown_problem(self) -> str | None:
        for editor in (self.type, self.channel, self.resource):
            reason = editor.problem()
            if reason:
                return reason
        period = {"dates": self.dates, "days": self.days}.get(self.period.value())
        return period.problem() if period is not None else None


class PromoEditor(_CompositeEditor):
    """``{"program"}``: a loyalty program usable with the database."""

    def __init__(self, choice: FieldChoice, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.program = self._choice("", choice.options or _detail(choice, "programs"))
        self._finish()

    def _shown_value(self) -> Any:
        return {"program": self.program.value()}

    def set_value(self, value: Any) -> None:
        if not self._refuse_unless_object(value):
            self.program.set_value(value.get("program"))

    def _shown_problem(self) -> str | None:
        if self.program.combo.count() == 0:
            return "No loyalty program is available for this database"
        return self.program.problem()


def value_editor_for(choice: FieldChoice, operator: OperatorChoice) -> ValueEditor | None:
    """The editor for a condition's value; None for operators without a value."""
    kind = operator.value_kind
    ftype = choice.type
    if kind == "none":
        return None
    if kind == "subscription":
        return SubscriptionEditor(choice)
    if kind == "event":
        return EventEditor(choice)
    if kind == "promo":
        return PromoEditor(choice)
    options: Sequence[str] = choice.options or _detail(choice, "statuses")
    if choice.type == "status" and kind == "choice":
        return ChoiceEditor(_worded(options, status_word))
    if kind == "number":
        return editor_for(ftype if ftype in ("integer", "float") else "float")
    if kind == "bool":
        return editor_for("boolean")
    if kind == "choice":
        return editor_for("choice", options)
    if kind == "list":
        item = ftype if ftype in ("integer", "float", "date", "datetime", "email", "ip") else "text"
        return editor_for("list", options, item=item)
    if kind == "pair":
        item = ftype if ftype in ("integer", "float", "date", "datetime") else "text"
        return editor_for("pair", item=item)
    return editor_for(kind)  # text, date, datetime, days
