"""Data -> Resources…: create and rename resources, tick their channels and the
profile databases they are attached to; Save applies it all in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ...core import catalog, manage
from ...core.fields import CHANNELS
from ...core.store import Store
from ...core.words import channel_word
from ..resources import icon
from .base import StoreDialog

NEW_RESOURCE = "(new resource)"


@dataclass(frozen=True)
class ResourceEdit:
    """What Save applies: a new resource (``original`` None) or changes to one."""

    original: str | None
    name: str
    channels: tuple[str, ...]
    attach: tuple[str, ...]
    detach: tuple[str, ...]


def _load(store: Store) -> tuple[list[catalog.ResourceInfo], list[str]]:
    with store.begin() as conn:
        resources = catalog.all_resources(store, conn)
        databases = [d.name for d in catalog.list_databases(store, conn)]
    return resources, databases


def save_resource(edit: ResourceEdit) -> Callable[[Store], str]:
    """The store call of Save; returns a line for the status."""

    def work(store: Store) -> str:
        with store.begin() as conn:
            if edit.original is None:
                manage.create_resource(store, conn, edit.name, edit.channels, edit.attach)
                return f"Created resource {edit.name!r}."
            if edit.name != edit.original:
                manage.rename_resource(store, conn, edit.original, edit.name)
            change = manage.set_resource_channels(store, conn, edit.name, edit.channels)
            for database in edit.attach:
                manage.attach_resource(store, conn, edit.name, database)
            for database in edit.detach:
                manage.detach_resource(store, conn, edit.name, database)
        kept = (
            f" {change.subscriptions_kept:,} subscription(s) on removed channels stay."
            if change.subscriptions_kept
            else ""
        )
        return f"Saved resource {edit.name!r}.{kept}"

    return work


class ResourcesDialog(StoreDialog):
    """The resources on the left; the chosen one's name, channels and databases on the right."""

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(store, "Resources", parent)
        self.resources: dict[str, catalog.ResourceInfo] = {}
        self.databases: list[str] = []
        self._select_after_load: str | None = None
        #: The resource in the editor; None while making a new one.
        self._editing: catalog.ResourceInfo | None = None
        self._saving = False

        self.list = QListWidget()
        self.list.setObjectName("resourcesList")
        self.list.currentItemChanged.connect(self._on_current_changed)
        self.new_button = QPushButton("&New resource")
        self.new_button.clicked.connect(self.start_new)
        left = QVBoxLayout()
        left.addWidget(self.list, 1)
        left.addWidget(self.new_button)

        self.name_edit = QLineEdit()
        self.name_edit.setMaxLength(manage.MAX_NAME)
        self.name_edit.textEdited.connect(self._update_save)
        form = QFormLayout()
        form.addRow("&Name:", self.name_edit)
        self.channel_boxes: dict[str, QCheckBox] = {}
        channels_group = QGroupBox("Channels")
        grid = QGridLayout(channels_group)
        for i, channel in enumerate(CHANNELS):
            box = QCheckBox(channel_word(channel))  # "SMS", "Telegram bot", as elsewhere
            box.toggled.connect(self._update_save)
            self.channel_boxes[channel] = box
            grid.addWidget(box, i // 4, i % 4)
        databases_group = QGroupBox("Attached to profile databases")
        self.databases_list = QListWidget()
        self.databases_list.setObjectName("attachedDatabases")
        self.databases_list.itemChanged.connect(self._update_save)
        QVBoxLayout(databases_group).addWidget(self.databases_list)
        self.save_button = QPushButton(icon("save"), "&Save")
        self.save_button.clicked.connect(self.save)
        save_row = QHBoxLayout()
        save_row.addStretch(1)
        save_row.addWidget(self.save_button)
        right = QVBoxLayout()
        right.addLayout(form)
        right.addWidget(channels_group)
        right.addWidget(databases_group, 1)
        right.addLayout(save_row)

        body = QHBoxLayout()
        body.addLayout(left, 2)
        body.addLayout(right, 3)
        self.status_label = QLabel()
        self.status_label.setObjectName("hint")
        self.status_label.setWordWrap(True)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        hint = QLabel(
            "A resource is a sending identity with its channels; a profile database's jobs "
            "may use only the resources attached to it."
        )
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        layout.addWidget(hint)
        layout.addLayout(body, 1)
        layout.addWidget(self.status_label)
        layout.addWidget(close)
        self.resize(760, 480)
        self.reload()

    # -- loading -----------------------------------------------------------------------
    def reload(self, select: str | None = None) -> None:
        self._select_after_load = select or self.current_name()
        self.run(_load, self._on_loaded, lambda line: self.show_status(line, error=True))

    def _on_loaded(self, result: Any) -> None:
        resources, databases = result
        self.resources = {r.name: r for r in resources}
        self.databases = list(databases)
        self.list.blockSignals(True)
        self.list.clear()
        for name in self.resources:
            self.list.addItem(QListWidgetItem(name))
        self.list.blockSignals(False)
        wanted = self._select_after_load
        matches = self.list.findItems(wanted, Qt.MatchFlag.MatchExactly) if wanted else []
        if matches:
            self.list.setCurrentItem(matches[0])
        elif self.list.count():
            self.list.setCurrentRow(0)
        else:
            self.start_new()

    # -- the editor --------------------------------------------------------------------------
    def current_name(self) -> str | None:
        item = self.list.currentItem()
        return item.text() if item is not None and item.text() in self.resources else None

    @Slot()
    def start_new(self) -> None:
        """Empty editor: Save creates a resource."""
        self.list.blockSignals(True)
        self.list.setCurrentRow(-1)
        self.list.clearSelection()
        self.list.blockSignals(False)
        self._fill(None)
        self.name_edit.setFocus()

    @Slot()
    def _on_current_changed(self) -> None:
        name = self.current_name()
        self._fill(self.resources.get(name) if name else None)

    def _fill(self, resource: catalog.ResourceInfo | None) -> None:
        self._editing = resource
        self.name_edit.setText(resource.name if resource else "")
        self.name_edit.setPlaceholderText(NEW_RESOURCE)
        for channel, box in self.channel_boxes.items():
            box.blockSignals(True)
            box.setChecked(resource is not None and channel in resource.channels)
            box.blockSignals(False)
        self.databases_list.blockSignals(True)
        self.databases_list.clear()
        for database in self.databases:
            item = QListWidgetItem(database)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            attached = resource is not None and database in resource.databases
            item.setCheckState(Qt.CheckState.Checked if attached else Qt.CheckState.Unchecked)
            self.databases_list.addItem(item)
        self.databases_list.blockSignals(False)
        self.save_button.setText("&Create resource" if resource is None else "&Save")
        self._update_save()

    def checked_channels(self) -> tuple[str, ...]:
        return tuple(c for c, box in self.channel_boxes.items() if box.isChecked())

    def checked_databases(self) -> tuple[str, ...]:
        items = (self.databases_list.item(i) for i in range(self.databases_list.count()))
        return tuple(i.text() for i in items if i.checkState() == Qt.CheckState.Checked)

    def set_database_checked(self, database: str, checked: bool) -> None:
        for item in self.databases_list.findItems(database, Qt.MatchFlag.MatchExactly):
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    def edit(self) -> ResourceEdit:
        """The editor's content as the change Save makes."""
        resource = self._editing
        chosen = self.checked_databases()
        before = resource.databases if resource else ()
        return ResourceEdit(
            original=resource.name if resource else None,
            name=self.name_edit.text().strip(),
            channels=self.checked_channels(),
            attach=tuple(d for d in chosen if d not in before),
            detach=tuple(d for d in before if d not in chosen),
        )

    @Slot()
    def _update_save(self) -> None:
        edit = self.edit()
        self.save_button.setEnabled(bool(edit.name and edit.channels) and not self._saving)

    # -- saving ----------------------------------------------------------------------------
    @Slot()
    def save(self) -> None:
        edit = self.edit()
        self._saving = True
        self.save_button.setEnabled(False)
        self.show_status("Saving…")
        self.run(
            save_resource(edit),
            lambda line: self._on_saved(edit.name, line),
            self._on_save_failed,
        )

    def _on_saved(self, name: str, line: str) -> None:
        self._saving = False
        self.show_status(line)
        self.changed.emit()
        self.reload(select=name)

    def _on_save_failed(self, message: str) -> None:
        self._saving = False
        self.show_status(message, error=True)
        self._update_save()

    def show_status(self, message: str, *, error: bool = False) -> None:
        self.status_label.setObjectName("error" if error else "hint")
        self.status_label.style().unpolish(self.status_label)
        self.status_label.style().polish(self.status_label)
        self.status_label.setText(message)
