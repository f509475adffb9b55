"""The window's one job-run helper (``job_progress``) and who may start threads.

The Throttle thins a job's reports in the worker thread, the panel again on
the page; a job of two steps (an import reads its file, then merges: the
reports' ``phase``) must show its second step begin.
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


def report(done: int, total: int, phase: str = "") -> Progress:
    return Progress(done, total, 0, 0, 0.0, phase)


def test_the_throttle_passes_the_final_report_and_the_first_of_a_new_step(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = {"t": 100.0}
    monkeypatch.setattr(job_progress.time, "monotonic", lambda: now["t"])
    passed: list[tuple[int, int, str]] = []
    throttle = Throttle(lambda p: passed.append((p.done, p.total, p.phase)), per_second=10)
    throttle(report(1, 50, "staging"))  # the first passes
    throttle(report(2, 50, "staging"))  # too soon
    throttle(report(50, 50, "staging"))  # the file is read: final, passes however soon
    throttle(report(60, 300, "merging"))  # the merge begins: a new step passes however soon
    throttle(report(65, 300, "merging"))  # too soon again
    now["t"] += 0.15
    throttle(report(70, 300, "merging"))  # an interval later
    throttle(report(80, 300, "merging"))  # too soon
    throttle(report(300, 300, "merging"))  # final
    assert passed == [
        (1, 50, "staging"),
        (50, 50, "staging"),
        (60, 300, "merging"),
        (70, 300, "merging"),
        (300, 300, "merging"),
    ]


def test_the_panel_shows_the_first_report_of_a_new_step_however_soon(qtbot: Any) -> None:
    """The page's own thinning follows the same rule: the first "merging"
    report is shown (and the page's running line with it) even when it comes
    right after a "staging" one."""
    panel = ProgressPanel("rows")
    qtbot.addWidget(panel)
    assert panel.show_progress(report(10, 50, "staging"))
    assert not panel.show_progress(report(11, 50, "staging"))
    assert panel.show_progress(report(60, 300, "merging"))
    assert panel.bar.format() == "60 of 300 rows (%p %)"
    assert not panel.show_progress(report(61, 300, "merging"))


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
