"""What the pages of the import wizard share: the context, background calls,
one-line messages and a few widgets.

Thread rule: every read of the CSV file and every store call runs through
``worker.ops`` (:func:`in_background`, owned by the import wizard, so its
shutdown waits for them); a page keeps only the newest result it asked for
(:class:`LatestCall`).  The import itself and its dry run run as a
``job_progress.JobRun`` with progress and Cancel (``run_page``, ``review_page``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QTreeWidget, QTreeWidgetItem, QWidget

from ...core.config import Settings
from ...core.faults import StoreFault
from ...core.importer import CsvFormat, ImportSpec
from ...core.store import Store, StoreError
from ..views.base import operator_message
from ..worker import ops

if TYPE_CHECKING:
    from ..worker import BackgroundCall

ERROR_COLOR = "#a12622"
HINT_COLOR = "#5b6b7c"
#: Widest a line of explanation grows (as on the update wizard's pages).
READING_WIDTH = 760
#: Columns of the tables of counts (dry run, run).
COUNT_LABEL_WIDTH = 380
COUNT_NUMBER_WIDTH = 110
#: Rows a table of counts shows before it scrolls.
COUNT_ROWS_SHOWN = 12


class SpecWizard(Protocol):
    """What the review and run pages need of their wizard (``ImportWizard``):
    the import it describes."""

    def spec(self) -> ImportSpec: ...


@dataclass(frozen=True)
class FileFacts:
    """What the file page found out about the CSV file (in a worker thread)."""

    path: str
    encoding: str | None  # as chosen: None = detect
    delimiter: str | None
    fmt: CsvFormat
    header: list[str]
    rows: list[list[str]]

    @property
    def key(self) -> tuple[str, str | None, str | None]:
        return self.path, self.encoding, self.delimiter


@dataclass
class ImportContext:
    """The open store, the settings, and the choices of the file page."""

    store: Store
    settings: Settings
    database_name: str | None = None
    file: FileFacts | None = None


# -- background calls -------------------------------------------------------------------
#: The owner of the import wizard's background calls in ``worker.ops``.
IMPORT_CALLS = "import wizard"


def in_background(
    fn: Callable[[], Any], done: Callable[[Any], None], error: Callable[[object], None]
) -> BackgroundCall:
    """Run ``fn`` through ``worker.ops``; ``done``/``error`` arrive on the main thread."""
    return ops.call(fn, done, error, owner=IMPORT_CALLS)


def wait_for_import_calls(msecs: int = 30_000) -> bool:
    """Drop every pending result and wait for the threads (closing, tests)."""
    return ops.wait(msecs, owner=IMPORT_CALLS)


class LatestCall:
    """One kind of background work of a page: a new start drops the result of
    the one before, so only the newest result ever arrives."""

    def __init__(self) -> None:
        self._call: BackgroundCall | None = None
        self.pending = False

    def start(
        self, fn: Callable[[], Any], done: Callable[[Any], None], error: Callable[[object], None]
    ) -> None:
        self.discard()
        self.pending = True

        def delivered(handler: Callable[[Any], None]) -> Callable[[Any], None]:
            def deliver(value: Any) -> None:
                self.pending = False
                handler(value)

            return deliver

        self._call = in_background(fn, delivered(done), delivered(error))

    def discard(self) -> None:
        if self._call is not None:
            self._call.discard()
        self._call = None
        self.pending = False

    def wait(self, msecs: int = 30_000) -> None:
        if self._call is not None:
            self._call.wait(msecs)


# -- messages ------------------------------------------------------------------------------
#: The core's messages name command-line options; the wizard names its own controls.
_WINDOW_WORDS: tuple[tuple[str, str], ...] = (
    ("(e.g. --encoding cp1252 or latin-1)", "(on the File page, e.g. cp1252 or latin-1)"),
    ("(--mode update)", "(mode: update existing profiles only)"),
    ("choose another --match", "choose another “Match by”"),
    (" (--database NAME)", ""),
    (" (--match KEY)", ""),
    ("--match ", "Match by "),
)


def window_words(text: str) -> str:
    for cli, ours in _WINDOW_WORDS:
        text = text.replace(cli, ours)
    return text


def message_of(exc: object) -> str:
    """One readable line for an error of the import (the core's own text)."""
    if isinstance(exc, StoreError) and not isinstance(exc, StoreFault):
        text = str(exc).strip()
        first = text.splitlines()[0] if text else type(exc).__name__
    else:
        first = operator_message(exc)
    return window_words(first)


def short_path(path: str, limit: int = 70) -> str:
    """A long path with its middle left out (the whole path goes in the tooltip)."""
    return path if len(path) <= limit else path[: limit // 2 - 1] + "…" + path[-(limit // 2) :]


# -- widgets -----------------------------------------------------------------------------
def line_label(object_name: str = "", wrap: bool = True) -> QLabel:
    """A selectable label for a status or error line."""
    label = QLabel()
    label.setWordWrap(wrap)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if object_name:
        label.setObjectName(object_name)
    return label


def show_line(label: QLabel, text: str, *, error: bool) -> None:
    """Show ``text`` as an error (red) or a hint (grey); hide the label when empty."""
    label.setText(text)
    label.setToolTip(text if len(text) > 80 else "")
    label.setStyleSheet(f"color: {ERROR_COLOR if error else HINT_COLOR};")
    label.setVisible(bool(text))


def choice_combo(choices: list[tuple[str, Any]], parent: QWidget | None = None) -> QComboBox:
    combo = QComboBox(parent)
    for text, value in choices:
        combo.addItem(text, value)
    return combo


def select_data(combo: QComboBox, value: Any) -> bool:
    """Select the item holding ``value``; False when there is none."""
    index = combo.findData(value)
    if index >= 0:
        combo.setCurrentIndex(index)
    return index >= 0


_SPACES = re.compile(r"\s+")


def one_line(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def counts_table(title: str, unit: str) -> QTreeWidget:
    """A two-column table of counts (label, number right-aligned)."""
    table = QTreeWidget()
    table.setHeaderLabels([title, unit])
    header = table.headerItem()
    if header is not None:
        header.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    table.setRootIsDecorated(False)
    table.setAlternatingRowColors(True)
    table.setSelectionMode(QTreeWidget.SelectionMode.NoSelection)
    table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return table


def fill_counts(table: QTreeWidget, rows: list[tuple[str, int]]) -> None:
    """Show ``rows`` with thousands separators, the table as high as its rows
    (never wider than a reading width: the numbers stay next to their words)."""
    table.clear()
    for label, n in rows:
        item = QTreeWidgetItem([label, f"{n:,}"])
        item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        table.addTopLevelItem(item)
    table.resizeColumnToContents(0)
    label_width = max(table.columnWidth(0) + 24, COUNT_LABEL_WIDTH)
    table.setColumnWidth(0, label_width)
    table.setColumnWidth(1, COUNT_NUMBER_WIDTH)
    frame = 2 * table.frameWidth()
    table.setFixedWidth(label_width + COUNT_NUMBER_WIDTH + frame + 2)
    row_height = table.sizeHintForRow(0) if rows else 0
    shown = min(len(rows), COUNT_ROWS_SHOWN)
    table.setFixedHeight(table.header().sizeHint().height() + row_height * shown + frame + 2)
    table.show()
