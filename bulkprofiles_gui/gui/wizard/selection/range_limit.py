"""The range (from % to %, a two-handle slider with typed boxes) and the total limit.

Both take what the operator types: the range's boxes and slider follow each
other, and a limit above the database's size is kept as typed and read as
"the whole selection" (a limit only keeps the first N matching profiles, so
it takes them all), never silently lowered.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QSpinBox, QWidget
from superqt import QRangeSlider

#: The largest limit that can be typed (a spin box holds a 32-bit int).
LIMIT_MAX = 2_000_000_000


class KeyboardRangeSlider(QRangeSlider):
    """A two-handle slider that also moves from the keyboard.

    Arrows move the active handle by one, PageUp/PageDown by ten, Home/End to
    the ends; Space switches the active handle (the "from" handle first; a
    click on a handle makes it the active one).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setPageStep(10)
        self.active_handle = 0

    def keyPressEvent(self, event: QKeyEvent) -> None:
        step = self._key_step(event.key())
        if event.key() == Qt.Key.Key_Space:
            self.active_handle = 1 - self.active_handle
            return
        if step is None:
            super().keyPressEvent(event)
            return
        values: tuple[float, ...] = tuple(self.value())
        low, high = int(values[0]), int(values[1])
        if self.active_handle == 0:
            low = max(int(self.minimum()), min(high, low + step))
        else:
            high = min(int(self.maximum()), max(low, high + step))
        self.setValue((low, high))

    def _key_step(self, key: int) -> int | None:
        span = int(self.maximum() - self.minimum())
        steps = {
            Qt.Key.Key_Left: -1,
            Qt.Key.Key_Down: -1,
            Qt.Key.Key_Right: 1,
            Qt.Key.Key_Up: 1,
            Qt.Key.Key_PageDown: -int(self.pageStep()),
            Qt.Key.Key_PageUp: int(self.pageStep()),
            Qt.Key.Key_Home: -span,
            Qt.Key.Key_End: span,
        }
        return steps.get(Qt.Key(key))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        super().mousePressEvent(event)
        if self._pressedIndex in (0, 1):
            self.active_handle = int(self._pressedIndex)


def percent_box(tip: str) -> QSpinBox:
    box = QSpinBox()
    box.setRange(0, 100)
    box.setSuffix(" %")
    box.setToolTip(tip)
    box.setAccessibleName(tip)
    return box


class RangeBox(QWidget):
    """From [box] to [box] and the slider between; ``changed`` after every edit."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.from_box = percent_box("Range from (%)")
        self.to_box = percent_box("Range to (%)")
        self.to_box.setValue(100)
        self.slider = KeyboardRangeSlider()
        self.slider.setRange(0, 100)
        self.slider.setValue((0, 100))
        self.slider.setMinimumWidth(100)
        self.slider.setToolTip(
            "A stable, evenly spread portion of the whole database, taken before the rules "
            "(arrows, PageUp/PageDown move a handle; Space switches handles)"
        )
        self.slider.setAccessibleName("Range")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.from_box)
        layout.addWidget(QLabel("to"))
        layout.addWidget(self.to_box)
        layout.addWidget(self.slider, 1)
        self.setFocusProxy(self.from_box)
        self.slider.valueChanged.connect(self._slider_moved)
        self.from_box.valueChanged.connect(self._box_typed)
        self.to_box.valueChanged.connect(self._box_typed)

    def value(self) -> tuple[int, int]:
        return self.from_box.value(), self.to_box.value()

    def set_value(self, low: float, high: float) -> None:
        self._show(round(low), round(high))
        self.changed.emit()

    def _show(self, low: int, high: int) -> None:
        for widget in (self.from_box, self.to_box, self.slider):
            widget.blockSignals(True)
        self.from_box.setValue(low)
        self.to_box.setValue(high)
        self.slider.setValue((min(low, high), max(low, high)))
        for widget in (self.from_box, self.to_box, self.slider):
            widget.blockSignals(False)
        self.slider.update()

    def _slider_moved(self, value: tuple[float, float]) -> None:
        self._show(int(value[0]), int(value[1]))
        self.changed.emit()

    def _box_typed(self) -> None:
        """The boxes keep what is typed (from > to is reported by the page as empty)."""
        low, high = self.value()
        self.slider.blockSignals(True)
        self.slider.setValue((min(low, high), max(low, high)))
        self.slider.blockSignals(False)
        self.slider.update()
        self.changed.emit()


class LimitBox(QWidget):
    """Total limit: a spin box that keeps what is typed, and a slider up to the database size.

    0 is "no limit"; a value at or above the number of profiles of the
    database says "the whole selection" beside it.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._total = 0
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 0)
        self.slider.setMinimumWidth(60)
        self.slider.setAccessibleName("Total limit slider")
        self.spin = QSpinBox()
        self.spin.setRange(0, LIMIT_MAX)
        self.spin.setSpecialValueText("no limit")
        self.spin.setGroupSeparatorShown(True)
        self.spin.setMinimumWidth(120)
        self.spin.setAccelerated(True)
        self.spin.setAccessibleName("Total limit")
        self.note = QLabel()
        self.note.setObjectName("hint")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.spin)
        layout.addWidget(self.note)
        layout.addWidget(self.slider, 1)
        self.setFocusProxy(self.spin)
        self.slider.valueChanged.connect(self._slider_moved)
        self.spin.valueChanged.connect(self._typed)

    def set_total(self, total: int) -> None:
        """The database's number of profiles: the slider's end."""
        self._total = total
        self.slider.blockSignals(True)
        self.slider.setMaximum(total)
        self.slider.setPageStep(max(1, total // 20))
        self.slider.setValue(min(self.spin.value(), total))
        self.slider.blockSignals(False)
        self._show_note()

    def value(self) -> int:
        return int(self.spin.value())

    def set_value(self, limit: int) -> None:
        self.spin.setValue(max(0, min(int(limit), LIMIT_MAX)))

    def takes_all(self) -> bool:
        """True when the limit keeps every profile the rules select."""
        return self.value() == 0 or (self._total > 0 and self.value() >= self._total)

    def _slider_moved(self, value: int) -> None:
        if value != min(self.spin.value(), self._total):
            self.spin.setValue(value)

    def _typed(self, value: int) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(min(value, self._total))
        self.slider.blockSignals(False)
        self._show_note()
        self.changed.emit()

    def _show_note(self) -> None:
        over = self._total > 0 and self.value() >= self._total
        self.note.setText("= the whole selection" if over else "")
        self.note.setToolTip(
            f"At least the {self._total:,} profiles of the database: the limit keeps every "
            "profile the conditions select"
            if over
            else ""
        )
        self.note.setVisible(over)
