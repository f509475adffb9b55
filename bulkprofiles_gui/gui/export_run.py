"""A CSV export running in the background, for the widgets that offer one.

The export is a core function (:mod:`bulkprofiles_gui.core.export`) given a
``JobState``; it runs as a :class:`~.job_progress.JobRun`, the one job-run
helper of the window (progress thinned to ten reports a second, cancel by
the run's flag).  Its progress reaches the main thread as ``progressed``
lines, its end as one ``finished`` line: the row count and the file, or the
one-line error (nothing written), or the cancel.  Also here: where to save
(a file dialog that remembers its folder) and how a field list becomes
column choices.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QFileDialog, QWidget

from ..core.export import ExportCancelled
from ..core.progress import JobState, Progress
from .job_progress import JobRun
from .ui_settings import ui_settings
from .views.base import operator_message
from .widgets.export_columns import ColumnChoice

EXPORT_DIR_KEY = "export/dir"


def column_choices(fields: Sequence[Any]) -> list[ColumnChoice]:
    """Column choices of ``FieldInfo`` (or anything with key, label and type)."""
    return [ColumnChoice(f.key, f.label, str(getattr(f.type, "value", f.type))) for f in fields]


def ask_csv_target(parent: QWidget | None, title: str, name: str) -> str | None:
    """Where to save the CSV (``name`` suggested in the last folder used); None = cancel."""
    folder = Path(str(ui_settings().value(EXPORT_DIR_KEY, str(Path.home()))))
    safe = re.sub(r"[^\w.-]+", "-", name).strip("-") or "export"
    path, _ = QFileDialog.getSaveFileName(
        parent, title, str(folder / f"{safe}.csv"), "CSV files (*.csv);;All files (*)"
    )
    if not path:
        return None
    target = Path(path)
    if not target.suffix:
        target = target.with_suffix(".csv")
    ui_settings().setValue(EXPORT_DIR_KEY, str(target.parent))
    return str(target)


class ExportRun(QObject):
    """One export in a background thread, reporting lines for a status label."""

    progressed = Signal(str)
    #: (line for the operator, rows written or None when it failed / was cancelled)
    finished = Signal(str, object)

    def __init__(
        self,
        export: Callable[[JobState], int],
        target: str,
        parent: QObject | None = None,
        *,
        what: str = "profiles",
        shown_as: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.target = target
        #: How the lines name the file (e.g. only its name where room is short).
        self.shown_as = shown_as or target
        self.what = what
        self.rows: int | None = None
        self.ended = False
        self._run = JobRun(lambda state, _announce: export(state), self)
        self._run.progressed.connect(self._on_progress)
        self._run.done.connect(self._on_done)
        self._run.failed.connect(self._on_error)

    @property
    def state(self) -> JobState:
        """The export's cancel flag and progress callback."""
        return self._run.state

    def start(self) -> ExportRun:
        self.progressed.emit(f"Exporting {self.what} to {self.shown_as}…")
        self._run.start()
        return self

    def cancel(self) -> None:
        self._run.cancel()

    def is_running(self) -> bool:
        """True until the ``finished`` line has been sent."""
        return not self.ended

    def wait(self, msecs: int = 30_000) -> bool:
        return self._run.wait(msecs)

    @Slot(object)
    def _on_progress(self, progress: Progress) -> None:
        if not self.ended:
            self.progressed.emit(f"Exporting… {progress.done:,} of {progress.total:,} {self.what}")

    @Slot(object)
    def _on_done(self, rows: int) -> None:
        self.ended = True
        self.rows = rows
        self.finished.emit(f"Exported {rows:,} {self.what} to {self.shown_as}", rows)

    @Slot(object)
    def _on_error(self, exc: object) -> None:
        self.ended = True
        if isinstance(exc, ExportCancelled):
            self.finished.emit("Export cancelled; nothing was written.", None)
        else:
            self.finished.emit(f"Export failed: {operator_message(exc)}", None)
