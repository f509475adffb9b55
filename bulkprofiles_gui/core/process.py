"""This process as the runner of tasks: who runs them, which run here, and
which running tasks lost their process.

A task being run is ``running`` with ``runner`` = ``host:pid`` of its process
(:func:`runner_id`) and a heartbeat.  A task left ``running`` by a process that
is gone (killed, crashed, machine rebooted) is shown as ``interrupted`` by
:func:`mark_interrupted`, which listings and every start call first; it can then
be resumed.  Kept apart from the runner (``core/jobs.py``) and the history
(``core/tasks.py``) so that both, and the importer and the catalogue, can ask
without importing each other.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select, update

from . import models as m
from .store import Store

#: A running task whose heartbeat is older than this is interrupted, even when
#: its process cannot be checked (it runs on another machine).
STALE_AFTER = dt.timedelta(minutes=5)


def runner_id() -> str:
    """``host:pid`` of this process, stored on the tasks it runs."""
    return f"{socket.gethostname()}:{os.getpid()}"


def current_operator() -> str:
    """The operating-system user, recorded as the task's operator."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in a container without passwd entry
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


_ACTIVE: set[int] = set()
_ACTIVE_LOCK = threading.Lock()


def is_running_here(task_id: int) -> bool:
    """True while this process is running the task (used by ``mark_interrupted``)."""
    with _ACTIVE_LOCK:
        return task_id in _ACTIVE


@contextmanager
def active_run(task_id: int) -> Iterator[None]:
    """The task counts as running in this process while the block runs."""
    with _ACTIVE_LOCK:
        _ACTIVE.add(task_id)
    try:
        yield
    finally:
        with _ACTIVE_LOCK:
            _ACTIVE.discard(task_id)


def _process_gone(runner: str | None) -> bool:
    """True when ``runner`` ("host:pid") is a process of this machine that is gone."""
    if not runner or ":" not in runner:
        return False
    host, _, pid_text = runner.rpartition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False  # decided by is_running_here
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def mark_interrupted(store: Store, *, stale_after: dt.timedelta = STALE_AFTER) -> list[int]:
    """Show running tasks whose process is gone (or silent too long) as interrupted.

    Returns the ids it marked.  Call it on start-up and before listings."""
    here = runner_id()
    now = m.utcnow()
    t = m.Task.__table__
    with store.begin() as conn:
        running = conn.execute(
            select(t.c.id, t.c.runner, t.c.heartbeat_at).where(t.c.status == "running")
        ).all()
        dead = [
            r.id
            for r in running
            if (r.runner == here and not is_running_here(r.id))
            or _process_gone(r.runner)
            or r.heartbeat_at is None
            or now - r.heartbeat_at > stale_after
        ]
        if dead:
            conn.execute(
                update(m.Task)
                .where(m.Task.id.in_(dead), m.Task.status == "running")
                .values(status="interrupted")
            )
    return dead
