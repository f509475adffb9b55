"""The window's one job-run helper (``job_progress``) and who may start threads.

The Throttle thins a job's reports in the worker thread; a job of two phases
(an import reads its file, then merges) must show its second phase begin.
Every background thread of the window starts through ``worker.ops`` or a
``JobRun``: no other module constructs a ``BackgroundCall``.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from bulkprofiles_gui.core.progress import Progress
from bulkprofiles_gui.gui import job_progress
from bulkprofiles_gui.gui.job_progress import ProgressPanel, Throttle

GUI = Path(job_progress.__file__).parent
#: The two modules that start QThreads: the ops registry and the job-run helper.
THREAD_STARTERS = {GUI / "worker.py", GUI / "job_progress.py"}


def report(done: int, total: int) -> Progress:
    return Progress(done, total, 0, 0, 0.0)


def test_the_throttle_passes_the_final_report_and_the_one_after_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = {"t": 100.0}
    monkeypatch.setattr(job_progress.time, "monotonic", lambda: now["t"])
    passed: list[tuple[int, int]] = []
    throttle = Throttle(lambda p: passed.append((p.done, p.total)), per_second=10)
    throttle(report(1, 50))  # the first passes
    throttle(report(2, 50))  # too soon
    throttle(report(50, 50))  # the file is read: final, passes however soon
    throttle(report(0, 40))  # the merge begins: the one after a final one passes
    throttle(report(5, 40))  # too soon again
    now["t"] += 0.15
    throttle(report(10, 40))  # an interval later
    throttle(report(40, 40))  # final
    assert passed == [(1, 50), (50, 50), (0, 40), (10, 40), (40, 40)]


def test_the_end_of_a_run_leaves_no_time_left_on_the_panel(qtbot: Any) -> None:
    """An interrupted run kept the "2 s" of its last report; a finished one read
    "less than a second"."""
    panel = ProgressPanel("profiles")
    qtbot.addWidget(panel)
    assert panel.show_progress(Progress(100, 1006, 100, 0, 0.25))
    assert panel.left_label.text() == "2 s"
    assert panel.rate_label.text() == "400 profiles/s"
    panel.set_counts(100, 1006)  # the run page: interrupted after the first batch
    assert panel.left_label.text() == "–"
    assert panel.bar.format() == "100 of 1,006 profiles (%p %)"
    panel.reset()
    panel._last_update = 0.0
    assert panel.show_progress(Progress(1006, 1006, 1006, 0, 2.0))
    assert panel.left_label.text() == "–"


def constructs_background_call(path: Path) -> list[int]:
    """Lines of ``path`` that call ``BackgroundCall(...)``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Name) and node.func.id == "BackgroundCall")
            or (isinstance(node.func, ast.Attribute) and node.func.attr == "BackgroundCall")
        )
    ]


def test_only_the_ops_registry_and_the_job_run_helper_construct_background_calls() -> None:
    """Issue 11: one helper for store operations, one for job runs, no hand-written
    wrappers in the pages, views, dialogs or the window."""
    found = {
        str(path.relative_to(GUI)): lines
        for path in sorted(GUI.rglob("*.py"))
        if path not in THREAD_STARTERS and (lines := constructs_background_call(path))
    }
    assert found == {}
    assert all(constructs_background_call(path) for path in THREAD_STARTERS)
