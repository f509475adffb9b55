"""What every action page of the update wizard shares.

An action page shows the parameters of one update action (domain.md,
"Update actions") as a form, fills its choices from the core catalog for the
database picked on the selection page, and turns them into the job's
``action`` JSON (``action()``) and back (``load_action()``).

Choices live in the widgets: a name from a job file that the database does
not offer (a resource that is not attached, a field that does not exist)
stays visible in its combo box marked as unavailable, and the page explains
what is wrong instead of silently picking something else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from ....core.actions import ACTIONS
from ....core.actions.base import Action
from ....core.catalog import ResourceInfo
from ....core.fields import CHANNELS, STATUSES, UNSAFE_STATUSES, Status
from ....core.selection import has_conditions
from ....core.store import Store
from ....core.words import CHANNEL_WORDS, channel_word, status_word
from ...widgets.tone import set_tone
from ...worker import ops
from ..context import WizardContext

#: How channels are shown to the operator (the JSON keeps the key): ``core.words``.
CHANNEL_LABELS: dict[str, str] = CHANNEL_WORDS

#: Width of the form fields (combo boxes, lists): one column, aligned.
FORM_FIELD_WIDTH = 360
#: Widest a paragraph of explanation grows: lines stay readable on a wide window.
READING_WIDTH = 760


def paragraph(text: str, object_name: str = "") -> QLabel:
    """A word-wrapped label of explanation, no wider than ``READING_WIDTH``."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setMaximumWidth(READING_WIDTH)
    label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
    if object_name:
        label.setObjectName(object_name)
    return label


def ordered_channels(channels: Iterable[str]) -> list[str]:
    """Channels in the usual order (email first), whatever order the store gives."""
    rank = {c: i for i, c in enumerate(CHANNELS)}
    return sorted(channels, key=lambda c: (rank.get(c, len(rank)), c))


def channel_label(channel: str) -> str:
    return channel_word(channel)


def status_label(status: str) -> str:
    """A status as the rule builder says it ("Hard bounced"; ``core.words``)."""
    return status_word(status)


def unsafe_statuses_text() -> str:
    ordered = [status_word(s) for s in STATUSES if s in UNSAFE_STATUSES]
    return ", ".join(ordered[:-1]) + " or " + ordered[-1]


def core_action(action_type: str) -> Action:
    """The core action of a page's ``ACTION_TYPE`` (its label, description, rules)."""
    return ACTIONS[action_type]


class ChoiceCombo(QComboBox):
    """A combo box of (text, value) choices whose value is a name or key.

    ``select_value`` of a value that is not among the choices adds it as an
    unavailable item (value None, shown as ``missing_text``), so a job file's
    wrong name stays visible and the page can say why it cannot go on.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setFixedWidth(FORM_FIELD_WIDTH)
        self._missing: str | None = None

    def set_choices(self, choices: Iterable[tuple[str, Any]], empty_text: str = "") -> None:
        """Replace the choices, keeping the current value when it is still offered."""
        previous = self.current_value()
        self.blockSignals(True)
        try:
            self.clear()
            self._missing = None
            for text, value in choices:
                self.addItem(text, value)
            if self.count() == 0 and empty_text:
                self.addItem(empty_text, None)
            self.setEnabled(self.count() > 0 and self.itemData(0) is not None)
            index = self.findData(previous) if previous is not None else -1
            self.setCurrentIndex(index if index >= 0 else 0)
        finally:
            self.blockSignals(False)
        self.currentIndexChanged.emit(self.currentIndex())

    def _drop_missing_item(self) -> None:
        """Remove the unavailable item an earlier ``select_value`` added."""
        if self._missing is None:
            return
        last = self.count() - 1
        if last >= 0 and self.itemData(last) is None:
            self.blockSignals(True)
            self.removeItem(last)
            self.blockSignals(False)
        self._missing = None

    def values(self) -> list[Any]:
        return [self.itemData(i) for i in range(self.count()) if self.itemData(i) is not None]

    def current_value(self) -> Any:
        """The chosen value; None when nothing usable is chosen."""
        return self.currentData() if self.currentIndex() >= 0 else None

    def job_value(self) -> Any:
        """What the job holds: the chosen value, or the unavailable name shown.

        ``action()`` uses this, so a page restored from a job file gives back
        the same names (and nothing is silently swapped for a default).
        """
        return self.missing_value() or self.current_value()

    def missing_value(self) -> str | None:
        """The value a job asked for that is not offered, while it is selected."""
        if self.current_value() is None and self._missing is not None:
            return self._missing
        return None

    def select_value(self, value: Any, missing_text: Callable[[str], str]) -> None:
        """Select ``value``; show it as unavailable when it is not offered."""
        index = self.findData(value) if value is not None else -1
        if index < 0 and value is not None:
            self._drop_missing_item()
            self.addItem(missing_text(str(value)), None)
            index = self.count() - 1
            self._missing = str(value)
            self.setEnabled(True)
        if index >= 0:
            self.setCurrentIndex(index)


class UnsafeStatusesOption(QWidget):
    """The "Include unsafe statuses" option with its explanation.

    Only meaningful when the target status is "subscribed": otherwise the box
    is disabled and the option is reported as off.
    """

    toggled = Signal(bool)

    def __init__(self, about_source: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.checkbox = QCheckBox("&Include unsafe statuses")
        explanation = (
            f"When the new status is “Subscribed”, profiles whose existing subscription is "
            f"{unsafe_statuses_text()} are skipped"
        )
        if about_source:
            explanation += ", and so are those whose source subscription has such a status"
        explanation += ". Turn this on to update them as well."
        self.explanation = paragraph(explanation, "hint")
        self.explanation.setMaximumWidth(READING_WIDTH - 200)
        self._enabled_tip = explanation
        self._disabled_tip = (
            "Only applies when the new status is “Subscribed”: every other status is set "
            "whatever the existing subscription's status."
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.checkbox)
        layout.addWidget(self.explanation)
        self.checkbox.toggled.connect(self.toggled)
        self.follow_status(Status.SUBSCRIBED.value)

    def follow_status(self, status: str | None) -> None:
        """Enable the option only for the target status "subscribed"."""
        applies = status == Status.SUBSCRIBED.value
        self.checkbox.setEnabled(applies)
        self.checkbox.setToolTip(self._enabled_tip if applies else self._disabled_tip)
        self.explanation.setText(self._enabled_tip if applies else self._disabled_tip)

    def value(self) -> bool:
        return self.checkbox.isEnabled() and self.checkbox.isChecked()

    def set_value(self, on: bool) -> None:
        self.checkbox.setChecked(bool(on))


def status_combo(default: str) -> ChoiceCombo:
    combo = ChoiceCombo()
    combo.set_choices((status_label(s), s) for s in STATUSES)
    combo.select_value(default, str)
    return combo


def resource_choices(resources: Iterable[ResourceInfo]) -> list[tuple[str, str]]:
    return [(r.name, r.name) for r in resources]


def missing_resource(name: str) -> str:
    return f"{name} (not attached to this database)"


def missing_channel(channel: str) -> str:
    return f"{channel_label(channel)} (not configured in the resource)"


def unknown_status(status: str) -> str:
    return f"{status} (unknown status)"


class ActionPage(QWizardPage):
    """Base of the seven action pages.

    Subclasses set ``ACTION_TYPE`` (the core action TYPE, whose ``LABEL`` and
    ``DESCRIPTION`` are the page's title and explanation), add their
    rows to ``self.form`` (and other widgets to ``self.body``) and implement
    ``fetch_choices`` (read in a worker thread), ``fill_choices``, ``problems``,
    ``action`` and ``apply_action``.  The page never reads the store on the
    main thread: its choices arrive through ``worker.ops``.
    """

    ACTION_TYPE: ClassVar[str]
    #: The body (a list of rows) grows with the page instead of a blank below it.
    BODY_GROWS: ClassVar[bool] = False
    #: False for pages without choices from the store (nothing to read).
    READS_CHOICES: ClassVar[bool] = True

    def __init__(self, ctx: WizardContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._filled_for: int | None = None
        self._pending: dict[str, Any] | None = None
        self._loading = False
        self._load_error: str | None = None
        action = core_action(self.ACTION_TYPE)
        self.setTitle(action.LABEL)
        self.description_label = QLabel(action.DESCRIPTION)
        self.description_label.setObjectName("pageDescription")
        self.description_label.setWordWrap(True)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.form.setFormAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.form.setHorizontalSpacing(12)
        self.form.setVerticalSpacing(10)
        self.body = QVBoxLayout()
        self.body.setSpacing(10)
        self.problem_label = paragraph("", "problemLine")
        self.problem_label.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(self.description_label)
        layout.addSpacing(6)
        layout.addLayout(self.form)
        # A page whose body holds a list lets it take the page's height; the
        # others keep their form at the top.
        layout.addLayout(self.body, 1 if self.BODY_GROWS else 0)
        if not self.BODY_GROWS:
            layout.addStretch(1)
        layout.addWidget(self.problem_label)

    # -- the interface the wizard uses -----------------------------------
    def action(self) -> dict[str, Any]:
        """The job's ``action`` JSON for the current state of the page."""
        raise NotImplementedError

    def load_action(self, action: dict[str, Any]) -> None:
        """Restore the page from a job's ``action`` JSON (File -> Open job)."""
        if action.get("type") != self.ACTION_TYPE:
            raise ValueError(
                f"job.action.type: {action.get('type')!r} does not belong on the "
                f"{self.ACTION_TYPE} page"
            )
        if self._filled_for is not None and self._filled_for == self.ctx.database_id:
            self.apply_action(action)
            self.refresh_state()
        else:
            self._pending = dict(action)

    def initializePage(self) -> None:
        """Refill the choices for ``ctx.database_id``, keeping what was chosen."""
        keep = self._pending
        if keep is None and self._filled_for is not None:
            keep = self.action()
        self._pending = None
        if self.ctx.database_id is None:
            self.refresh_state()
        elif self.READS_CHOICES:
            self._load_in_background(keep)
        else:
            self._on_choices(self.ctx.database_id, None, keep)

    def isComplete(self) -> bool:
        return not self.problems()

    def is_loading(self) -> bool:
        """True while the choices are being read in the background."""
        return self._loading

    def abandon(self) -> None:
        """Drop a background read without waiting (the wizard closed)."""
        self._loading = False
        ops.abandon(owner=self)

    def threads_running(self) -> bool:
        return ops.busy(self)

    def shutdown(self) -> None:
        """Drop and wait for a background read (the wizard closes, a test ends)."""
        self._loading = False
        ops.wait(owner=self)

    # -- choices read in the background ---------------------------------------
    @staticmethod
    def fetch_choices(store: Store, database_id: int) -> Any:
        """Read the choices; runs in a QThread, so it touches no widget."""
        return None

    def fill_choices(self, data: Any) -> None:
        """Put what ``fetch_choices`` read into the widgets (main thread)."""

    def _load_in_background(self, keep: dict[str, Any] | None) -> None:
        database_id = self.ctx.database_id
        assert database_id is not None
        self._filled_for = None
        self._load_error = None
        self._loading = True
        fetch = type(self).fetch_choices
        ops.run(
            self.ctx.store,
            lambda store: fetch(store, database_id),
            lambda data: self._on_choices(database_id, data, keep),
            self._on_choices_failed,
            key=(self, "choices"),
        )
        self.refresh_state()

    def _on_choices(self, database_id: int, data: Any, keep: dict[str, Any] | None) -> None:
        if database_id != self.ctx.database_id:
            return  # another database was chosen meanwhile; its read is on its way
        self._loading = False
        self.fill_choices(data)
        self._filled_for = database_id
        apply, self._pending = (self._pending or keep), None
        if apply is not None:
            self.apply_action(apply)
        self.refresh_state()

    def _on_choices_failed(self, line: str) -> None:
        self._loading = False
        self._load_error = line
        self.refresh_state()

    # -- for subclasses ---------------------------------------------------
    def apply_action(self, action: dict[str, Any]) -> None:
        """Set the widgets from an ``action`` JSON (choices already filled)."""
        raise NotImplementedError

    def problems(self) -> list[str]:
        """Why the page cannot go on, one line each; empty when it is valid."""
        if self.ctx.database_id is None:
            return ["Choose a profile database on the Selection page first."]
        if self._loading:
            return ["Reading the choices of this database…"]
        if self._load_error is not None:
            return [f"Cannot read the choices of this database: {self._load_error}"]
        return []

    def refresh_state(self) -> None:
        """Show the first problem (if any) and let the wizard re-check Next."""
        found = self.problems()
        more = len(found) - 1
        tail = f" (and {more} more problem{'s' * (more > 1)})" if more > 0 else ""
        self.problem_label.setText(found[0] + tail if found else "")
        set_tone(self.problem_label, "hint" if self._loading else "error")  # waiting is no error
        self.problem_label.setToolTip("\n".join(found))
        self.problem_label.setVisible(bool(found))
        self.completeChanged.emit()

    def add_row(self, label: str, widget: QWidget, tip: str = "") -> QWidget:
        if tip:
            widget.setToolTip(tip)
        self.form.addRow(label, widget)
        buddy = self.form.labelForField(widget)
        if isinstance(buddy, QLabel):
            buddy.setBuddy(widget)
        return widget

    def is_filled(self) -> bool:
        """True once the choices of the chosen database are in the widgets."""
        database_id = self.ctx.database_id
        return not self._loading and database_id is not None and self._filled_for == database_id

    def wizard_selection(self) -> dict[str, Any]:
        """The selection part of the wizard's job draft (``ctx.draft``)."""
        draft = self.ctx.draft
        return {"database": draft.database, "segment": draft.segment, "rules": draft.rules}

    def selection_counted(self, count: int) -> None:
        """The selection's count landed while the wizard is past the selection
        page; a page that says something about it brings it up to date."""

    def wizard_selected_count(self) -> int | None:
        """How many profiles the draft's selection holds, once counted."""
        return self.ctx.selected_count


def subscription_in_rules(rules: Any) -> tuple[str | None, str | None]:
    """(resource, channel) of the first ``$subscription`` condition of ``rules``."""
    stack = [rules]
    while stack:
        node = stack.pop(0)
        if not isinstance(node, dict):
            continue
        if isinstance(node.get("rules"), list):
            stack = [*node["rules"], *stack]
        elif node.get("field") == "$subscription" and isinstance(node.get("value"), dict):
            value = node["value"]
            resource, channel = value.get("resource"), value.get("channel")
            return (
                resource if isinstance(resource, str) else None,
                channel if isinstance(channel, str) else None,
            )
    return None, None


class ResourceChannelFields:
    """The "Resource" and "Channel" rows of the subscription pages: only
    resources attached to the database, only channels configured in the
    chosen resource."""

    def __init__(self, page: ActionPage) -> None:
        self.resources: dict[str, ResourceInfo] = {}
        self.resource_combo = ChoiceCombo()
        self.channel_combo = ChoiceCombo()
        page.add_row("&Resource:", self.resource_combo, "Only resources attached to the database")
        page.add_row("&Channel:", self.channel_combo, "Channels configured in the resource")
        self.resource_combo.currentIndexChanged.connect(self._resource_changed)

    def fill(self, resources: Iterable[ResourceInfo], rules: Any = None) -> None:
        """The attached resources; the first time, the resource and channel a
        ``$subscription`` condition of ``rules`` names are chosen (the usual
        update: "unsubscribe those whose Newsletter email hard-bounced")."""
        first_time = self.resource_combo.current_value() is None
        self.resources = {r.name: r for r in resources}
        self.resource_combo.set_choices(
            resource_choices(self.resources.values()), "No resource is attached to this database"
        )
        resource, channel = subscription_in_rules(rules)
        if first_time and resource in self.resources:
            self.resource_combo.select_value(resource, missing_resource)
            if channel in self.channel_combo.values():
                self.channel_combo.select_value(channel, missing_channel)

    def _resource_changed(self) -> None:
        info = self.resources.get(self.resource_combo.current_value() or "")
        channels = ordered_channels(info.channels if info else ())
        self.channel_combo.set_choices(
            ((channel_label(c), c) for c in channels), "No channel is configured"
        )

    @property
    def resource(self) -> str | None:
        return self.resource_combo.current_value()

    @property
    def channel(self) -> str | None:
        return self.channel_combo.current_value()

    def job_values(self) -> tuple[Any, Any]:
        """Resource and channel as the job holds them (see ``ChoiceCombo.job_value``)."""
        return self.resource_combo.job_value(), self.channel_combo.job_value()

    def apply(self, resource: Any, channel: Any) -> None:
        self.resource_combo.select_value(resource, missing_resource)
        self.channel_combo.select_value(channel, missing_channel)

    def problems(self) -> list[str]:
        missing = self.resource_combo.missing_value()
        if missing:
            return [f"Resource “{missing}” is not attached to this database: choose another."]
        if self.resource is None:
            return ["Attach a resource to this database first: none is attached."]
        missing = self.channel_combo.missing_value()
        if missing:
            return [
                f"Channel “{channel_label(missing)}” is not configured in {self.resource}: "
                "choose another."
            ]
        if self.channel is None:
            return [f"{self.resource} has no channel configured."]
        return []


class ConditionsRequiredPage(ActionPage):
    """Base of the actions that never apply to "all profiles" (delete, global
    unsubscribe): they take no parameters, and refuse to go on while the
    wizard's selection has no condition."""

    READS_CHOICES = False

    def action(self) -> dict[str, Any]:
        return {"type": self.ACTION_TYPE}

    def apply_action(self, action: dict[str, Any]) -> None:
        return None

    def problems(self) -> list[str]:
        found = super().problems()
        selection = self.wizard_selection()
        rules_required = bool(selection["database"]) and not selection["segment"]
        if not found and rules_required and not has_conditions(selection.get("rules")):
            found.append(
                "Add at least one condition on the Selection page: this update never "
                "applies to all profiles of a database."
            )
        return found
