"""What the fault and kill tests share: copies of a store, its end state
without what differs between two equal runs, a throwaway PostgreSQL cluster
of the test's own, a read-only SQLite store, and child processes that kill
themselves (SIGKILL) at a chosen point of a run.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import DateTime, create_engine, func, select, text

from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.store import Store

ROOT = Path(__file__).parents[1]

#: The tables a run may change, compared between a resumed and a straight run.
END_STATE_TABLES = (
    "profiles",
    "profile_list_values",
    "subscriptions",
    "promo_codes",
    "events",
    "trigger_events",
    "task_profiles",
)
#: Of the tasks: what the run counted (not when, by whom, nor its error).
TASK_COLUMNS = ("id", "action_type", "status", "selected", "processed", "changed", "skipped")


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a child process: this one's (the tests' settings,
    data and log folders) with the project importable."""
    return {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'tests'}", **extra}


# -- copies of a store -----------------------------------------------------------------
def copy_sqlite(url: str, folder: Path, name: str) -> str:
    """A copy of a closed SQLite store (its WAL too, if one is left)."""
    source = Path(url.removeprefix("sqlite:///"))
    target = folder / f"{name}.sqlite3"
    for suffix in ("", "-wal"):
        if Path(f"{source}{suffix}").exists():
            shutil.copy(f"{source}{suffix}", f"{target}{suffix}")
    return f"sqlite:///{target}"


def copy_postgres(url: str, name: str) -> str:
    """A copy of a PostgreSQL store nobody is connected to (``TEMPLATE``)."""
    base, _, database = url.rpartition("/")
    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{database}"'))
    finally:
        admin.dispose()
    return f"{base}/{name}"


def drop_postgres(url: str) -> None:
    base, _, database = url.rpartition("/")
    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    finally:
        admin.dispose()


class StoreCopies:
    """Copies of one closed store on its backend, removed at the end."""

    def __init__(self, base_url: str, folder: Path) -> None:
        self.base_url = base_url
        self.folder = folder
        self.made: list[str] = []

    def make(self, name: str) -> str:
        if self.base_url.startswith("sqlite"):
            url = copy_sqlite(self.base_url, self.folder, name)
        else:
            url = copy_postgres(self.base_url, f"c_{uuid.uuid4().hex[:12]}")
        self.made.append(url)
        return url

    def drop_all(self) -> None:
        for url in self.made:
            if not url.startswith("sqlite"):
                drop_postgres(url)


# -- the end state ---------------------------------------------------------------------
def end_state(store: Store, first_new_id: int | None = None) -> dict[str, str]:
    """A digest per table of everything a run may change, without what two
    equal runs legitimately differ in: times (``now`` is when each ran), the
    surrogate ids of rows a run inserts (PostgreSQL's sequences move on in a
    rolled-back batch), and the ids of profiles an import added (from
    ``first_new_id`` on; named by their email instead)."""
    profiles = store.profiles
    with store.begin() as conn:
        names = {
            int(pid): (
                f"new:{email}" if first_new_id is not None and pid >= first_new_id else int(pid)
            )
            for pid, email in conn.execute(select(profiles.c.id, profiles.c.email))
        }
        digests = {name: _table_digest(conn, store, name, names) for name in END_STATE_TABLES}
        tasks = conn.execute(
            select(*(m.Task.__table__.c[c] for c in TASK_COLUMNS)).order_by(m.Task.id)
        ).all()
    digests["tasks"] = repr([tuple(r) for r in tasks])
    return digests


def _table_digest(conn: Any, store: Store, name: str, names: dict[int, Any]) -> str:
    table = store.profiles if name == "profiles" else m.Base.metadata.tables[name]
    keep = [
        c
        for c in table.columns
        if not isinstance(c.type, DateTime) and not (c.name == "id" and name != "profiles")
    ]
    rows = []
    for row in conn.execute(select(*keep)):
        values = dict(zip([c.name for c in keep], row, strict=True))
        for key in ("profile_id",) if name != "profiles" else ("id",):
            if values.get(key) is not None:
                values[key] = names.get(int(values[key]), values[key])
        rows.append(repr(sorted(values.items(), key=lambda kv: kv[0])))
    return hashlib.sha256("\n".join(sorted(rows)).encode()).hexdigest()


def next_profile_id(store: Store) -> int:
    """The id above every profile's: where the ids of profiles added later start."""
    with store.begin() as conn:
        last = conn.execute(select(func.max(store.profiles.c.id))).scalar()
    return int(last or 0) + 1


# -- a child process that kills itself ------------------------------------------------
#: Runs ``bulkprofiles ARGS`` and SIGKILLs itself once the hooked function has
#: run for the K-th time (``die``), or prints "at-point" there and goes on once
#: the test writes a line to its stdin (``wait``: the test acts in between).
#: Kill points: inside the freeze's transaction (``freeze``), inside batch K's
#: transaction after the action ran (``batch``), right after batch K committed
#: (``commit``); for an import after chunk K was staged and committed
#: (``stage``), inside merge batch K (``merge``), after merge batch K committed
#: (``merged``).
KILLER = textwrap.dedent(
    """
    import os, signal, sys
    from bulkprofiles_gui.core import jobs
    from bulkprofiles_gui.core.importer import runner

    point, when, how = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    hooks = {
        "freeze": (jobs, "_mark_frozen"),
        "batch": (jobs, "_apply_batch"),
        "commit": (jobs, "_adapt_batch_size"),
        "stage": (runner, "_stage_chunk"),
        "merge": (runner, "_merge_batch"),
        "merged": (runner, "_next_size"),
    }
    runner.STAGE_CHUNK, runner.FIRST_BATCH, runner.MAX_BATCH = 150, 100, 100
    module, name = hooks[point]
    real = getattr(module, name)
    calls = []

    def hooked(*args, **kwargs):
        result = real(*args, **kwargs)
        calls.append(1)
        if len(calls) == when:
            if how == "wait":
                print("at-point", flush=True)
                sys.stdin.readline()  # until the test says "go on"
            else:
                os.kill(os.getpid(), signal.SIGKILL)
        return result

    setattr(module, name, hooked)
    from bulkprofiles_gui.cli import main
    sys.exit(main(sys.argv[4:]))
    """
)


def killer(point: str, when: int, how: str, *argv: str, **popen: Any) -> subprocess.Popen[str]:
    """The child of :data:`KILLER` running ``bulkprofiles ARGV``."""
    return subprocess.Popen(
        [sys.executable, "-c", KILLER, point, str(when), how, *argv],
        env=child_env(),
        text=True,
        **popen,
    )


def run_killed(point: str, when: int, *argv: str) -> subprocess.CompletedProcess[str]:
    """Run the child to its self-inflicted SIGKILL (or its end)."""
    child = killer(point, when, "die", *argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = child.communicate(timeout=120)
    return subprocess.CompletedProcess(child.args, child.returncode, out, err)


def bulkprofiles(*argv: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``python -m bulkprofiles_gui ARGV`` in a new process."""
    return subprocess.run(
        [sys.executable, "-m", "bulkprofiles_gui", *argv],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


KILLED = -signal.SIGKILL


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("bulkprofiles: error:")]


# -- read-only SQLite ------------------------------------------------------------------
@contextmanager
def read_only_sqlite(path: Path) -> Iterator[str]:
    """The URL of the SQLite store at ``path`` made read-only: the immutable
    flag (``chattr +i``, which even root cannot write through); else, not being
    root, the file's mode 0444; else SQLite's own read-only URL."""
    if shutil.which("chattr") and _run_quietly("chattr", "+i", str(path)):
        try:
            yield f"sqlite:///{path}"
        finally:
            _run_quietly("chattr", "-i", str(path))
        return
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(0o444)
        try:
            yield f"sqlite:///{path}"
        finally:
            path.chmod(mode)
        return
    yield f"sqlite:///file:{path}?mode=ro&uri=true"


def _run_quietly(*argv: str) -> bool:
    return subprocess.run(argv, capture_output=True).returncode == 0


# -- a PostgreSQL cluster of the test's own ------------------------------------------
def server_binaries() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


def require_server_binaries() -> Path:
    """The server's binaries; skip without them (under CI a missing server fails)."""
    found = server_binaries()
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the server tests: no PostgreSQL server binaries")
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl) on this machine")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgCluster:
    """A throwaway cluster on a free loopback port, as ``scripts/pg.sh`` makes
    one (as the ``postgres`` user when run as root: initdb refuses root); the
    superuser ``postgres`` logs in with ``password`` (scram-sha-256)."""

    def __init__(self, password: str) -> None:
        self.bin = require_server_binaries()
        self.password = password
        self.dir = Path(tempfile.mkdtemp(prefix="bulkprofiles-test-pg-"))
        self.port = free_port()
        as_root = os.geteuid() == 0
        if as_root:
            shutil.chown(self.dir, "postgres")
        pwfile = self.dir / "pw"
        pwfile.write_text(password + "\n", encoding="utf-8")
        if as_root:
            shutil.chown(pwfile, "postgres")
        self._pg(
            "initdb",
            "-D",
            str(self.dir / "data"),
            "-U",
            "postgres",
            "-A",
            "scram-sha-256",
            f"--pwfile={pwfile}",
            "--no-sync",
            "-E",
            "UTF8",
        )
        self.start()

    def _pg(self, tool: str, *argv: str) -> None:
        command = [str(self.bin / tool), *argv]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed: {done.stdout}{done.stderr}")

    def start(self) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off"
        self._pg(
            "pg_ctl", "-D", str(self.dir / "data"), "-l", str(self.dir / "log"), "-w",
            "-o", options, "start",
        )  # fmt: skip

    def stop(self, mode: str = "immediate") -> None:
        self._pg("pg_ctl", "-D", str(self.dir / "data"), "-m", mode, "-w", "stop")

    def url(self, database: str = "postgres", *, password: bool = True) -> str:
        secret = f":{self.password}" if password else ""
        return f"postgresql+psycopg://postgres{secret}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        admin = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            admin.dispose()
        return self.url(name)

    def remove(self) -> None:
        with suppress(RuntimeError):  # already stopped
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
