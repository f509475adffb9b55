"""Type-aware value editors: one small widget per kind of value.

Every editor is a :class:`ValueEditor`: ``value()`` returns the JSON value
(what a rule or a job file holds: ISO 8601 text for dates, lists for list
kinds), ``set_value()`` takes the same, ``problem()`` says in the operator's
words why the current value cannot be used (``None`` when it can), and
``changed`` fires on every edit.  :func:`editor_for` picks the editor for a
kind name or a :class:`~bulkprofiles_gui.core.fields.FieldType`:

==========  ==============================================================
kind        editor
==========  ==============================================================
text        line edit (``string``, ``email``, ``ip`` field types validate)
integer     line edit accepting a whole number
float       line edit accepting a number
date        QDateEdit with a calendar pop-up (``YYYY-MM-DD``)
datetime    QDateTimeEdit with a calendar pop-up (``YYYY-MM-DDTHH:MM:SS``)
boolean     combo Yes / No
choice      combo of ``options`` (``enum`` fields)
list        line edit of comma-separated values (in / not in); ``item``
            names the kind of each value (integer, float, phones, ...)
pair        two editors of kind ``item`` (between)
days        spin box "N days" (in the last N days, more than N days ago)
tags        comma-separated tags with completion from ``options``
==========  ==============================================================

A condition whose operator may compare with another field wraps its editor
in a :class:`FieldSourceEditor` (:func:`with_field_source`): a switch "a
value" / "another field" in front, and for "another field" a combo of the
comparable fields (two for between).  :func:`load_rule_value` and
:func:`rule_value` read and write the rule's ``value`` and ``valueSource``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QDate, QDateTime, Qt, QTime, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDateEdit,
    QDateTimeEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from ...core.fields import FieldType, FieldValueError, coerce_value
from ...core.selection.catalog import catalog_key, field_name_problem
from ...core.selection.model import FieldChoice, OperatorChoice

#: Kind names :func:`editor_for` accepts besides the field types.
KINDS: tuple[str, ...] = (
    "text",
    "integer",
    "float",
    "date",
    "datetime",
    "boolean",
    "choice",
    "list",
    "pair",
    "days",
    "tags",
)

#: Which editor kind serves each field type.
KIND_OF_FIELD_TYPE: dict[str, str] = {
    FieldType.INTEGER: "integer",
    FieldType.FLOAT: "float",
    FieldType.STRING: "text",
    FieldType.EMAIL: "text",
    FieldType.IP: "text",
    FieldType.DATE: "date",
    FieldType.DATETIME: "datetime",
    FieldType.BOOLEAN: "boolean",
    FieldType.ENUM: "choice",
    FieldType.TAGS: "tags",
    FieldType.PHONES: "list",
}

Options = Sequence[str] | Sequence[tuple[str, Any]]

#: Widths (px) that keep editors readable without stretching across a whole row.
TEXT_WIDTH = 260
NUMBER_WIDTH = 120


def _margins_zero(layout: QHBoxLayout) -> QHBoxLayout:
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(6)
    return layout


class ValueEditor(QWidget):
    """Base of every editor: a widget holding one JSON value."""

    changed = Signal()
    #: A value given to :meth:`set_value` that the editor cannot show (a date
    #: that does not exist, "maybe" for yes or no), with why: kept as written
    #: and reported (never replaced by the widget's default) until the operator
    #: changes the editor.
    _refused: tuple[Any, str] | None = None

    def value(self) -> Any:
        """The JSON value: a refused one as it was given, else what the editor shows."""
        return self._shown_value() if self._refused is None else self._refused[0]

    def set_value(self, value: Any) -> None:
        raise NotImplementedError

    def problem(self) -> str | None:
        """Why the value cannot be used, in the operator's words; None if it can."""
        return self._shown_problem() if self._refused is None else self._refused[1]

    def _shown_value(self) -> Any:
        raise NotImplementedError

    def _shown_problem(self) -> str | None:
        return None

    def focus_widgets(self) -> list[QWidget]:
        """The widgets Tab visits inside this editor, in order (for tab chains)."""
        return [self.focusProxy() or self]

    def _refuse(self, value: Any, reason: str) -> None:
        self._refused = (value, reason)
        self.changed.emit()

    def _edited(self) -> None:
        """The operator changed the editor: what it shows is its value now."""
        self._refused = None
        self.changed.emit()

    def _single(self, inner: QWidget) -> None:
        """Lay out one inner widget that takes the focus for the editor."""
        layout = _margins_zero(QHBoxLayout(self))
        layout.addWidget(inner)
        self.setFocusProxy(inner)


class TextEditor(ValueEditor):
    """Free text; ``field_type`` email / ip / string decides the validation."""

    def __init__(self, field_type: str = FieldType.STRING, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._type = FieldType(field_type)
        self.line = QLineEdit()
        self.line.setPlaceholderText(
            {FieldType.EMAIL: "name@example.com", FieldType.IP: "192.0.2.1"}.get(
                self._type, "value"
            )
        )
        self.line.setMinimumWidth(TEXT_WIDTH)
        self.line.textChanged.connect(self.changed)
        self._single(self.line)

    def _shown_value(self) -> Any:
        return self.line.text().strip()

    def set_value(self, value: Any) -> None:
        self.line.setText("" if value is None else str(value))

    def _shown_problem(self) -> str | None:
        text = self.value()
        if not text:
            return "Enter a value"
        if self._type in (FieldType.EMAIL, FieldType.IP):
            try:
                coerce_value(self._type, text)
            except FieldValueError:
                what = "an email address" if self._type is FieldType.EMAIL else "an IP address"
                return f"“{text}” is not {what}"
        return None


class NumberEditor(ValueEditor):
    """A whole number (``integer``) or any number (``float``) typed as text.

    A line edit rather than a spin box: no artificial range, and an empty or
    mistyped value is reported instead of silently becoming 0.
    """

    def __init__(self, integer: bool = True, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._integer = integer
        self.line = QLineEdit()
        self.line.setPlaceholderText("e.g. 30" if integer else "e.g. 9.99")
        self.line.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.line.setFixedWidth(NUMBER_WIDTH)
        self.line.textChanged.connect(self.changed)
        self._single(self.line)

    def _parse(self) -> int | float | None:
        text = self.line.text().strip()
        if not self._integer:
            text = text.replace(",", ".")  # a decimal comma is what many operators type
        try:
            return coerce_value(FieldType.INTEGER if self._integer else FieldType.FLOAT, text)
        except FieldValueError:
            return None

    def _shown_value(self) -> Any:
        return self._parse()

    def set_value(self, value: Any) -> None:
        self.line.setText("" if value is None else str(value))

    def _shown_problem(self) -> str | None:
        text = self.line.text().strip()
        if not text:
            return "Enter a number"
        if self._parse() is None:
            kind = "a whole number" if self._integer else "a number"
            return f"“{text}” is not {kind}"
        return None


class DateEditor(ValueEditor):
    """A calendar date, ISO ``YYYY-MM-DD``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QDateEdit()
        self.edit.setCalendarPopup(True)
        self.edit.setDisplayFormat("yyyy-MM-dd")
        self.edit.setDate(QDate.currentDate())
        self.edit.dateChanged.connect(self._edited)
        self._single(self.edit)

    def _shown_value(self) -> Any:
        d = self.edit.date()
        return dt.date(d.year(), d.month(), d.day()).isoformat()

    def set_value(self, value: Any) -> None:
        if value in (None, ""):
            return
        try:
            parsed = coerce_value(FieldType.DATE, value)
        except FieldValueError as exc:
            self._refuse(value, _reason(str(value), exc, FieldType.DATE))
            return
        self._refused = None
        self.edit.setDate(QDate(parsed.year, parsed.month, parsed.day))


class DateTimeEditor(ValueEditor):
    """A date and time to the minute, ISO ``YYYY-MM-DDTHH:MM:SS``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QDateTimeEdit()
        self.edit.setCalendarPopup(True)
        self.edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        now = QDateTime.currentDateTime()
        self.edit.setDateTime(QDateTime(now.date(), QTime(now.time().hour(), 0)))
        self.edit.dateTimeChanged.connect(self._edited)
        self._single(self.edit)

    def _shown_value(self) -> Any:
        qdt = self.edit.dateTime()
        d, t = qdt.date(), qdt.time()
        # The seconds are not shown but kept: a job file's 10:30:45 stays 10:30:45.
        moment = dt.datetime(d.year(), d.month(), d.day(), t.hour(), t.minute(), t.second())
        return moment.isoformat()

    def set_value(self, value: Any) -> None:
        if value in (None, ""):
            return
        try:
            parsed = coerce_value(FieldType.DATETIME, value)
        except FieldValueError as exc:
            self._refuse(value, _reason(str(value), exc, FieldType.DATETIME))
            return
        self._refused = None
        self.edit.setDateTime(
            QDateTime(
                QDate(parsed.year, parsed.month, parsed.day),
                QTime(parsed.hour, parsed.minute, parsed.second),
            )
        )


class ChoiceEditor(ValueEditor):
    """One of a fixed list: ``options`` are values, or (label, value) pairs."""

    def __init__(self, options: Options = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.combo = QComboBox()
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.combo.currentIndexChanged.connect(self._edited)
        self._single(self.combo)
        self.set_options(options)

    def set_options(self, options: Options) -> None:
        """Replace the choices, keeping the current value when it is still offered."""
        current = self.value()
        self.combo.blockSignals(True)
        self.combo.clear()
        for option in options:
            label, data = option if isinstance(option, tuple) else (str(option), option)
            self.combo.addItem(label, data)
        self.combo.blockSignals(False)
        if current is not None:
            self.set_value(current)
        self.changed.emit()

    def _shown_value(self) -> Any:
        return self.combo.currentData() if self.combo.currentIndex() >= 0 else None

    def set_value(self, value: Any) -> None:
        index = self.combo.findData(value)
        if index < 0 and value not in (None, ""):
            # A value the store no longer offers stays visible, and is reported.
            self.combo.addItem(f"{value} (not available)", value)
            index = self.combo.count() - 1
        self.combo.setCurrentIndex(index)

    def _shown_problem(self) -> str | None:
        if self.combo.count() == 0:
            return "Nothing to choose from"
        if self.combo.currentIndex() < 0:
            return "Choose a value"
        if self.combo.currentText().endswith("(not available)"):
            return f"“{self.value()}” is not available here"
        return None


class BooleanEditor(ChoiceEditor):
    """Yes / No."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__((("Yes", True), ("No", False)), parent)

    def set_value(self, value: Any) -> None:
        try:
            value = coerce_value(FieldType.BOOLEAN, value)
        except FieldValueError as exc:
            self.combo.blockSignals(True)
            self.combo.setCurrentIndex(-1)  # neither Yes nor No is what was given
            self.combo.blockSignals(False)
            self._refuse(value, _reason(str(value), exc, FieldType.BOOLEAN))
            return
        self._refused = None
        self.combo.setCurrentIndex(0 if value else 1)


class ListEditor(ValueEditor):
    """Several values separated by commas (for "in list" / "not in list").

    ``item`` is the kind or field type of each value: numbers come back as
    numbers, phones are checked.  ``options`` feed a completer.
    """

    def __init__(
        self,
        item: str = "text",
        options: Options = (),
        parent: QWidget | None = None,
        placeholder: str = "value 1, value 2, ...",
    ) -> None:
        super().__init__(parent)
        self._item_type = _field_type_of_item(item)
        self.line = QLineEdit()
        self.line.setPlaceholderText(placeholder)
        self.line.setMinimumWidth(TEXT_WIDTH)
        words = [o[1] if isinstance(o, tuple) else o for o in options]
        if words:
            completer = QCompleter([str(w) for w in words], self.line)
            completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
            self.line.setCompleter(completer)
        self.line.textChanged.connect(self.changed)
        self._single(self.line)

    def _items(self) -> list[str]:
        return [part.strip() for part in self.line.text().split(",") if part.strip()]

    def _coerced(self) -> tuple[list[Any], str | None]:
        values: list[Any] = []
        for text in self._items():
            try:
                if self._item_type.is_list:
                    values.extend(coerce_value(self._item_type, [text]))
                elif self._item_type in (FieldType.STRING, FieldType.ENUM):
                    values.append(text)
                else:
                    values.append(_json(coerce_value(self._item_type, text)))
            except FieldValueError as exc:
                return values, _reason(text, exc, self._item_type)
        return values, None

    def _shown_value(self) -> Any:
        values, _ = self._coerced()
        return values

    def set_value(self, value: Any) -> None:
        if value is None:
            items: list[Any] = []
        elif isinstance(value, list | tuple):
            items = list(value)
        else:
            items = [value]
        self.line.setText(", ".join(str(v) for v in items))

    def _shown_problem(self) -> str | None:
        if not self._items():
            return "Enter at least one value"
        return self._coerced()[1]


class TagsEditor(ListEditor):
    """Tags, comma-separated, completed from the tags ``options``."""

    def __init__(self, options: Options = (), parent: QWidget | None = None) -> None:
        super().__init__("tags", options, parent, placeholder="tag 1, tag 2, ...")

    def _shown_problem(self) -> str | None:
        return "Enter at least one tag" if not self._items() else None


class PairEditor(ValueEditor):
    """Two values of the same kind for "between": ``[low, high]``."""

    def __init__(
        self, item: str = "integer", options: Options = (), parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._item = item
        self.low = editor_for(item, options)
        self.high = editor_for(item, options)
        layout = _margins_zero(QHBoxLayout(self))
        layout.addWidget(self.low)
        layout.addWidget(QLabel("and"))
        layout.addWidget(self.high)
        layout.addStretch(1)
        self.setFocusProxy(self.low)
        self.low.changed.connect(self._edited)
        self.high.changed.connect(self._edited)

    def focus_widgets(self) -> list[QWidget]:
        return self.low.focus_widgets() + self.high.focus_widgets()

    def _shown_value(self) -> Any:
        return [self.low.value(), self.high.value()]

    def set_value(self, value: Any) -> None:
        pair = pair_of(value)
        if pair is None:
            self._refuse(value, f"“{value}” is not two values (from, to)")
            return
        self.low.set_value(pair[0])
        self.high.set_value(pair[1])
        self._refused = None

    def _shown_problem(self) -> str | None:
        for side, editor in (("From", self.low), ("To", self.high)):
            reason = editor.problem()
            if reason:
                return f"{side}: {reason}"
        low, high = self.value()
        try:
            if low > high:
                if self._item in ("date", "datetime"):
                    return "The first date must not be after the second"
                return "The first value must not be greater than the second"
        except TypeError:
            return None
        return None


class DaysEditor(ValueEditor):
    """A number of days, at least 1."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spin = QSpinBox()
        self.spin.setRange(1, 36_500)
        self.spin.setValue(30)
        self.spin.setSuffix(" days")
        self.spin.setAccelerated(True)
        self.spin.valueChanged.connect(self._edited)
        self._single(self.spin)

    def _shown_value(self) -> Any:
        return self.spin.value()

    def set_value(self, value: Any) -> None:
        days = value
        if isinstance(days, str) and days.strip().isdecimal() and len(days.strip()) <= 6:
            days = int(days.strip())
        lo, hi = self.spin.minimum(), self.spin.maximum()
        if not isinstance(days, int) or isinstance(days, bool) or not lo <= days <= hi:
            self._refuse(value, f"“{value}” is not a number of days from {lo} to {hi:,}")
            return
        self._refused = None
        self.spin.setValue(days)


def pair_of(value: Any) -> list[Any] | None:
    """A between's two values as a list: ``[from, to]``, or react-querybuilder's
    text ``"from,to"`` (which the compiler reads too); None for anything else."""
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    return list(value) if isinstance(value, list | tuple) and len(value) == 2 else None


class FieldPairEditor(PairEditor):
    """Two fields for "between fields": no order between them to check."""

    def __init__(self, fields: Options, parent: QWidget | None = None) -> None:
        super().__init__("choice", fields, parent)

    def set_value(self, value: Any) -> None:
        """Two fields; a value that is not two names chooses none (never the
        first fields offered), so the condition asks for them."""
        pair = pair_of(value) or [None, None]
        self.low.set_value(pair[0])
        self.high.set_value(pair[1])

    def _shown_problem(self) -> str | None:
        for side, editor in (("From", self.low), ("To", self.high)):
            reason = editor.problem()
            if reason:
                return f"{side}: {reason}"
        return None


#: The switch's entries: (label, rule ``valueSource``).
SOURCES: tuple[tuple[str, str], ...] = (("a value", "value"), ("another field", "field"))


class FieldSourceEditor(ValueEditor):
    """A condition's value, or another field of the profile to compare with
    (react-querybuilder's ``"valueSource": "field"``).

    ``value_editor`` is the operator's own editor; ``fields`` the comparable
    fields as (label, key); ``pair``: two fields (between).  The switch after
    them shows one of the two; :meth:`value` is the shown one's value.  The
    switch comes last, in the row and in the Tab chain, so the value editor
    stays where it is without one (``focus_widgets()[0]``).
    """

    def __init__(
        self,
        value_editor: ValueEditor,
        fields: Options,
        pair: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._keys = [f[1] if isinstance(f, tuple) else f for f in fields]
        self.source = QComboBox()
        self.source.setAccessibleName("Compare with")
        self.source.setToolTip("Compare with a value, or with another field of the profile")
        for label, name in SOURCES:
            self.source.addItem(label, name)
        self.value_editor = value_editor
        self.field_editor: ValueEditor = FieldPairEditor(fields) if pair else ChoiceEditor(fields)
        self.field_editor.setAccessibleName("Other field")
        layout = _margins_zero(QHBoxLayout(self))
        layout.addWidget(self.value_editor)
        layout.addWidget(self.field_editor)
        layout.addWidget(self.source)
        layout.addStretch(1)
        self.source.currentIndexChanged.connect(self._show_source)
        self.source.currentIndexChanged.connect(self.changed)
        self.value_editor.changed.connect(self.changed)
        self.field_editor.changed.connect(self.changed)
        self._show_source()

    def value_source(self) -> str:
        return str(self.source.currentData())

    def set_value_source(self, source: str) -> None:
        index = self.source.findData(source)
        self.source.setCurrentIndex(max(index, 0))

    def _active(self) -> ValueEditor:
        return self.field_editor if self.value_source() == "field" else self.value_editor

    def _show_source(self) -> None:
        by_field = self.value_source() == "field"
        self.value_editor.setVisible(not by_field)
        self.field_editor.setVisible(by_field)
        self.setFocusProxy(self._active().focusProxy() or self._active())

    def _shown_value(self) -> Any:
        return self._active().value()

    def set_value(self, value: Any) -> None:
        if self.value_source() == "field":
            value = self._field_keys(value)
        self._active().set_value(value)

    def _field_keys(self, value: Any) -> Any:
        """Field names as the compiler reads them (``targetPoints`` -> ``target_points``;
        between: ``[from, to]`` or ``"from,to"``)."""
        if isinstance(self.field_editor, FieldPairEditor):
            pair = pair_of(value)
            return None if pair is None else [catalog_key(self._keys, v) for v in pair]
        return catalog_key(self._keys, value)

    def _shown_problem(self) -> str | None:
        if self.value_source() == "field" and not self._keys:
            return "No other field of a comparable type"
        if self.value_source() == "field":
            names = self.value() if isinstance(self.value(), list) else [self.value()]
            for name in names:
                ambiguous = field_name_problem(self._keys, name)
                if ambiguous:
                    return ambiguous[0].upper() + ambiguous[1:]
        return self._active().problem()

    def focus_widgets(self) -> list[QWidget]:
        """Both editors, then the switch: Tab skips the hidden editor."""
        return [*self.value_editor.focus_widgets(), *self.field_editor.focus_widgets(), self.source]


def with_field_source(
    editor: ValueEditor, operator: OperatorChoice, fields: Sequence[FieldChoice]
) -> ValueEditor:
    """``editor`` behind a "a value" / "another field" switch when ``operator``
    may compare with a field; ``fields`` are the comparable ones."""
    if not operator.takes_field:
        return editor
    choices = [(f.label, f.key) for f in fields]
    return FieldSourceEditor(editor, choices, pair=operator.value_kind == "pair")


def load_rule_value(editor: ValueEditor, rule: dict[str, Any]) -> None:
    """Show a rule's ``value`` (and ``valueSource``) in ``editor``.

    A field comparison the editor cannot show (its operator cannot take a
    field) is not turned into a comparison with the field's name as text:
    the value stays empty, so the condition asks for one."""
    by_field = rule.get("valueSource") == "field"
    if isinstance(editor, FieldSourceEditor):
        editor.set_value_source("field" if by_field else "value")
    elif by_field:
        return
    editor.set_value(rule.get("value"))


def rule_value(editor: ValueEditor | None) -> dict[str, Any]:
    """The rule keys of ``editor``'s value: ``value``, and ``valueSource`` for a field."""
    if editor is None:
        return {"value": None}
    if isinstance(editor, FieldSourceEditor) and editor.value_source() == "field":
        return {"value": editor.value(), "valueSource": "field"}
    return {"value": editor.value()}


def kept_rule_value(rule: dict[str, Any]) -> dict[str, Any]:
    """The value keys of a rule the builder cannot edit (its field is not in
    this database), kept as they are so the rule means the same when saved."""
    kept = {"value": rule.get("value")}
    if "valueSource" in rule:
        kept["valueSource"] = rule["valueSource"]
    return kept


def carry_value(old: ValueEditor, new: ValueEditor) -> None:
    """Keep the value (and whether it is a field) when the operator changes."""
    if isinstance(old, FieldSourceEditor) and isinstance(new, FieldSourceEditor):
        new.set_value_source(old.value_source())
        new.set_value(old.value())
    elif not (isinstance(old, FieldSourceEditor) and old.value_source() == "field"):
        new.set_value(old.value())


def _field_type_of_item(item: str) -> FieldType:
    kind_to_type = {
        "text": FieldType.STRING,
        "choice": FieldType.ENUM,
        "integer": FieldType.INTEGER,
        "float": FieldType.FLOAT,
        "date": FieldType.DATE,
        "datetime": FieldType.DATETIME,
        "boolean": FieldType.BOOLEAN,
        "tags": FieldType.TAGS,
        "list": FieldType.STRING,
    }
    if item in kind_to_type:
        return kind_to_type[item]
    return FieldType(item)


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _reason(text: str, exc: FieldValueError, ftype: FieldType) -> str:
    words = {
        FieldType.INTEGER: "a whole number",
        FieldType.FLOAT: "a number",
        FieldType.DATE: "a date (YYYY-MM-DD)",
        FieldType.DATETIME: "a date-time (YYYY-MM-DD HH:MM)",
        FieldType.BOOLEAN: "yes or no",
        FieldType.EMAIL: "an email address",
        FieldType.IP: "an IP address",
        FieldType.PHONES: "a phone number (+ and digits)",
    }
    what = words.get(ftype)
    return f"“{text}” is not {what}" if what else str(exc)


def editor_for(
    kind_or_field_type: str,
    options: Options = (),
    *,
    item: str | None = None,
    parent: QWidget | None = None,
) -> ValueEditor:
    """The editor for a kind (see the module docstring) or a field type.

    ``options`` are the choices of ``choice`` (and completions of ``list`` /
    ``tags``); ``item`` is the kind of each value of ``list`` and ``pair``
    (default text for list, integer for pair).
    """
    kind = str(kind_or_field_type)
    field_type = kind if kind in set(FieldType) else None
    if field_type is not None:
        if field_type == FieldType.PHONES:
            return ListEditor("phones", options, parent, placeholder="+491701234567, ...")
        kind = KIND_OF_FIELD_TYPE[field_type]
    if kind == "text":
        return TextEditor(field_type or FieldType.STRING, parent)
    if kind in ("integer", "float"):
        return NumberEditor(kind == "integer", parent)
    if kind == "date":
        return DateEditor(parent)
    if kind == "datetime":
        return DateTimeEditor(parent)
    if kind == "boolean":
        return BooleanEditor(parent)
    if kind == "choice":
        return ChoiceEditor(options, parent)
    if kind == "list":
        return ListEditor(item or "text", options, parent)
    if kind == "pair":
        return PairEditor(item or "integer", options, parent)
    if kind == "days":
        return DaysEditor(parent)
    if kind == "tags":
        return TagsEditor(options, parent)
    raise ValueError(f"no value editor for {kind_or_field_type!r}")
