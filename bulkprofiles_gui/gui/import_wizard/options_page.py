"""The import wizard's options page: subscribe the imported profiles, triggers,
and the file of the rows that were not imported.

The subscription offers the resources attached to the database (read in a
worker thread) and, of their channels, those whose contact an import holds:
email (the Email field) and SMS, WhatsApp, Viber (the Phones field).  The
"Include unsafe statuses" option and its one-line rule are the subscription
action pages' own widget.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from ...core import catalog
from ...core.catalog import ResourceInfo
from ...core.fields import PHONE_CHANNELS, Channel, Status
from ...core.importer import ImportSpec, Subscribe
from ...core.store import Store
from ..resources import icon
from ..wizard.actions.base import (
    ChoiceCombo,
    UnsafeStatusesOption,
    channel_label,
    ordered_channels,
    paragraph,
    status_combo,
)
from .common import ImportContext, LatestCall, line_label, message_of, show_line

#: Channels whose contact an imported profile holds (the subscribe_from_fields defaults).
IMPORT_CHANNELS = frozenset({str(Channel.EMAIL), *(str(c) for c in PHONE_CHANNELS)})
CONTACT_HINT = (
    "Email subscriptions take the address from the Email field; SMS, WhatsApp and Viber\n"
    "the number from Phones. Profiles without a usable contact are counted, not subscribed."
)


def rejects_path_for(csv_path: str) -> str:
    """``people.csv`` -> ``people.rejects.csv`` beside it."""
    path = Path(csv_path)
    return str(path.with_name(f"{path.stem}.rejects.csv"))


def read_resources(store: Store, database: str) -> list[ResourceInfo]:
    with store.begin() as conn:
        return catalog.attached_resources(store, conn, store.database_id(conn, database))


class OptionsPage(QWizardPage):
    """Subscription, triggers, rejects file."""

    def __init__(self, ctx: ImportContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.resources: dict[str, ResourceInfo] = {}
        self.problem: str | None = None
        self._resources_for: str | None = None
        self._rejects_for: str | None = None
        self._load = LatestCall()
        self.setTitle("Import profiles: options")
        self.setSubTitle("Subscribe the imported profiles, and keep the rows that fail.")
        self._build()

    # -- layout -------------------------------------------------------------------------
    def _build(self) -> None:
        self.subscribe_check = QCheckBox("&Subscribe the imported profiles")
        self.subscribe_check.toggled.connect(self.refresh_state)
        self.resource_combo = ChoiceCombo()
        self.channel_combo = ChoiceCombo()
        self.status_combo = status_combo(Status.SUBSCRIBED.value)
        self.unsafe_option = UnsafeStatusesOption()
        # Its wrapped explanation at its own width: no empty lines reserved below it.
        explanation = self.unsafe_option.explanation
        explanation.setMinimumWidth(explanation.maximumWidth())
        self.resource_combo.currentIndexChanged.connect(self._on_resource_changed)
        self.channel_combo.currentIndexChanged.connect(self.refresh_state)
        self.status_combo.currentIndexChanged.connect(self._on_status_changed)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        form.setFormAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(8)
        for text, widget, tip in (
            ("&Resource:", self.resource_combo, "Only resources attached to the database"),
            ("C&hannel:", self.channel_combo, "Channels of the resource whose contact is imported"),
            ("S&tatus:", self.status_combo, ""),
        ):
            label = QLabel(text)
            label.setBuddy(widget)
            widget.setToolTip(tip)
            form.addRow(label, widget)
        form.addRow("", self.unsafe_option)
        contact_hint = QLabel(CONTACT_HINT)
        contact_hint.setObjectName("hint")
        fields_layout = QVBoxLayout()
        fields_layout.setContentsMargins(24, 0, 0, 0)
        fields_layout.addLayout(form)
        fields_layout.addSpacing(6)
        fields_layout.addWidget(contact_hint)
        self.subscribe_fields = QWidget()
        self.subscribe_fields.setLayout(fields_layout)

        self.skip_triggers_check = QCheckBox("&Don't start triggers related to this import")
        self.skip_triggers_check.setToolTip(
            "When on, no trigger campaign or scenario starts because of this import."
        )
        self.rejects_check = QCheckBox("&Write the rows that are not imported to:")
        self.rejects_check.setChecked(True)
        self.rejects_check.toggled.connect(self.refresh_state)
        self.rejects_edit = QLineEdit()
        self.rejects_edit.textEdited.connect(self._on_rejects_edited)
        self.rejects_edit.textChanged.connect(self.refresh_state)
        self.rejects_browse = QPushButton(icon("save"), "Br&owse…")
        self.rejects_browse.clicked.connect(self._on_rejects_browse)
        rejects_row = QHBoxLayout()
        rejects_row.addWidget(self.rejects_check)
        rejects_row.addWidget(self.rejects_edit, 1)
        rejects_row.addWidget(self.rejects_browse)
        rejects_hint = paragraph(
            "A CSV file with the line, column, value and reason of every row that was not "
            "imported (an invalid value, a duplicate, no matching profile…).",
            "hint",
        )
        self.problem_label = line_label("error")
        self.problem_label.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(self.subscribe_check)
        layout.addWidget(self.subscribe_fields)
        layout.addSpacing(8)
        layout.addWidget(self.skip_triggers_check)
        layout.addSpacing(8)
        layout.addLayout(rejects_row)
        layout.addWidget(rejects_hint)
        layout.addStretch(1)
        layout.addWidget(self.problem_label)

    # -- opening --------------------------------------------------------------------------
    def initializePage(self) -> None:
        file, database = self.ctx.file, self.ctx.database_name
        if file is not None and (self._rejects_for is not None or not self.rejects_edit.text()):
            self._rejects_for = file.path  # follows the file until the operator edits it
            self.rejects_edit.setText(rejects_path_for(file.path))
        if database is not None and database != self._resources_for:
            self._resources_for = database
            self.resources = {}
            self.resource_combo.set_choices([], "Reading the resources…")
            store = self.ctx.store
            self._load.start(
                lambda: read_resources(store, database), self._on_resources, self._on_failed
            )
        self.refresh_state()

    @Slot(object)
    def _on_resources(self, resources: Any) -> None:
        usable = [r for r in resources if IMPORT_CHANNELS & set(r.channels)]
        self.resources = {r.name: r for r in usable}
        self.resource_combo.set_choices(
            [(r.name, r.name) for r in usable],
            "No attached resource has an email, SMS, WhatsApp or Viber channel",
        )
        self.refresh_state()

    @Slot(object)
    def _on_failed(self, exc: object) -> None:
        self._resources_for = None
        self.resource_combo.set_choices([], "The resources cannot be read")
        self.problem = f"The resources cannot be read: {message_of(exc)}"
        self.refresh_state()

    @Slot()
    def _on_resource_changed(self) -> None:
        info = self.resources.get(self.resource_combo.current_value() or "")
        channels = ordered_channels(
            c for c in (info.channels if info else ()) if c in IMPORT_CHANNELS
        )
        self.channel_combo.set_choices(
            [(channel_label(c), c) for c in channels], "No channel an import can subscribe"
        )
        self.refresh_state()

    @Slot()
    def _on_status_changed(self) -> None:
        self.unsafe_option.follow_status(self.status_combo.current_value())
        self.refresh_state()

    # -- rejects --------------------------------------------------------------------------
    @Slot()
    def _on_rejects_edited(self) -> None:
        self._rejects_for = None

    def ask_rejects_path(self, suggested: str) -> str | None:
        """Where to write the rejects (a dialog; tests replace this method)."""
        path, _ = QFileDialog.getSaveFileName(
            self, "Rows not imported", suggested, "CSV files (*.csv);;All files (*)"
        )
        return path or None

    @Slot()
    def _on_rejects_browse(self) -> None:
        path = self.ask_rejects_path(self.rejects_edit.text())
        if path:
            self._rejects_for = None
            self.rejects_edit.setText(path)

    # -- state ------------------------------------------------------------------------------
    def subscribe(self) -> Subscribe | None:
        if not self.subscribe_check.isChecked():
            return None
        resource = self.resource_combo.current_value()
        channel = self.channel_combo.current_value()
        status = self.status_combo.current_value()
        if not (resource and channel and status):
            return None
        return Subscribe(str(resource), str(channel), str(status), self.unsafe_option.value())

    def rejects(self) -> str | None:
        path = self.rejects_edit.text().strip()
        return path if self.rejects_check.isChecked() and path else None

    def apply_to(self, spec: ImportSpec) -> ImportSpec:
        """``spec`` with this page's options."""
        spec.subscribe = self.subscribe()
        spec.skip_triggers = self.skip_triggers_check.isChecked()
        spec.rejects = self.rejects()
        return spec

    def problems(self) -> list[str]:
        found = [self.problem] if self.problem else []
        if self.subscribe_check.isChecked():
            if self._load.pending:
                found.append("Reading the resources of the database…")
            elif self.subscribe() is None:
                found.append("Choose the resource and channel to subscribe to, or untick it.")
        if self.rejects_check.isChecked() and not self.rejects_edit.text().strip():
            found.append("Name the file for the rows that are not imported, or untick it.")
        return found

    @Slot()
    def refresh_state(self) -> None:
        self.subscribe_fields.setEnabled(self.subscribe_check.isChecked())
        self.rejects_edit.setEnabled(self.rejects_check.isChecked())
        self.rejects_browse.setEnabled(self.rejects_check.isChecked())
        found = self.problems()
        waiting = self._load.pending and not self.problem
        show_line(self.problem_label, found[0] if found else "", error=not waiting)
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return not self.problems()

    def abandon(self) -> None:
        self._load.discard()

    def shutdown(self) -> None:
        self._load.wait()
        self._load.discard()
