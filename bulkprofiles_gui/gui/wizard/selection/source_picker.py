"""Which profiles: a database, or one of its saved segments.

A segment's own conditions always apply; the picker shows them read-only
under the combo (a disabled rule builder), so the operator sees what the
conditions built on the page narrow further.  That builder is made when a
segment is first chosen, not with the page (opening the wizard is on the
main thread: README, "GUI responsiveness").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ....core.selection.model import FieldChoice
from ...widgets.rule_builder import RuleBuilder


@dataclass(frozen=True)
class SourceEntry:
    """One entry of the database/segment combo."""

    database_id: int
    database_name: str
    profiles: int
    segment: str | None = None
    #: The segment's own range and limit (the page starts from them).
    range_from: float = 0.0
    range_to: float = 100.0
    limit: int = 0
    #: The segment's own conditions (react-querybuilder JSON), shown read-only.
    rules: dict[str, Any] | None = field(default=None, compare=False)


def entry_text(entry: SourceEntry) -> str:
    if entry.segment is None:
        return f"{entry.database_name}  ({entry.profiles:,} profiles)"
    return f"      Segment: {entry.segment}"


class SourcePicker(QWidget):
    """The combo of databases and segments, and a chosen segment's conditions."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.combo = QComboBox()
        self.combo.setMinimumContentsLength(30)
        self.combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.combo.setPlaceholderText("Loading databases…")
        self.hint = QLabel()
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        self._segment_rules: RuleBuilder | None = None
        self._catalog: list[FieldChoice] = []
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.combo)
        row.addWidget(self.hint, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(row)
        self.setFocusProxy(self.combo)
        self.combo.currentIndexChanged.connect(self._on_index_changed)

    def fill(self, sources: list[SourceEntry]) -> None:
        """Replace the entries; nothing is chosen afterwards (no signal)."""
        model = QStandardItemModel(self.combo)
        for entry in sources:
            item = QStandardItem(entry_text(entry))
            item.setData(entry, Qt.ItemDataRole.UserRole)
            model.appendRow(item)
        self.combo.blockSignals(True)
        self.combo.setModel(model)
        self.combo.setCurrentIndex(-1)
        self.combo.blockSignals(False)
        if not sources:
            self.combo.setPlaceholderText("No profile database in this store")

    def current(self) -> SourceEntry | None:
        data = self.combo.currentData()
        return data if isinstance(data, SourceEntry) else None

    def select(self, database: str | None, segment: str | None) -> bool:
        """Choose an entry (``changed`` fires even when it is already chosen)."""
        for index in range(self.combo.count()):
            entry = self.combo.itemData(index)
            if not isinstance(entry, SourceEntry) or entry.segment != segment:
                continue
            if database is None or entry.database_name == database:
                if index == self.combo.currentIndex():
                    self._on_index_changed()
                else:
                    self.combo.setCurrentIndex(index)
                return True
        return False

    @property
    def segment_rules(self) -> RuleBuilder:
        """The segment's own conditions (read-only), made the first time asked for."""
        if self._segment_rules is None:
            rules = RuleBuilder(self._catalog)
            rules.set_read_only(True)
            rules.setAccessibleName("Conditions of the segment (read-only)")
            rules.hide()
            layout = self.layout()
            assert layout is not None
            layout.addWidget(rules)
            self._segment_rules = rules
        return self._segment_rules

    def set_catalog(self, builder: RuleBuilder) -> None:
        """The fields of the chosen database (for the segment's conditions)."""
        self._catalog = builder.catalog()
        if self._segment_rules is not None:
            self._segment_rules.set_catalog(self._catalog, None)
        self._show_segment(self.current())

    def _on_index_changed(self) -> None:
        self._show_segment(self.current())
        self.changed.emit()

    def _show_segment(self, entry: SourceEntry | None) -> None:
        segment = entry.segment if entry is not None else None
        self.hint.setText(
            f"The conditions of segment “{segment}” (shown below) apply; "
            "the conditions you add narrow it further."
            if segment
            else ""
        )
        shown = bool(segment) and entry is not None and entry.rules is not None
        if shown and entry is not None:
            try:
                self.segment_rules.set_rules(entry.rules)
            except Exception:  # a segment the builder cannot show: its name says enough
                shown = False
        if self._segment_rules is not None:
            self._segment_rules.setVisible(shown)
