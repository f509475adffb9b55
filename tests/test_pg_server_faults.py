"""The PostgreSQL server failing under a job, on a cluster of the test's own
(started here with initdb/pg_ctl on a free loopback port, password login):

- stopped (``pg_ctl stop -m immediate``) while a job freezes its selection,
  and while a batch's transaction is open;
- the job's connection ended by the server (``pg_terminate_backend``);
- the role lacking a permission the job needs.

Each time the ``bulkprofiles run`` child prints one line and exits with 2,
its task is ``interrupted`` (after the server is back) and resumable, and the
resume ends as a run that nothing disturbed.  Also: a connection saved with
its password works on the command line (the password from the keyring), and
the password shows nowhere.

Skipped (with the reason) without PostgreSQL's server binaries; under
``CI=true`` that is a failure.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from fault_helpers import (
    PgCluster,
    StoreCopies,
    bulkprofiles,
    end_state,
    error_lines,
    killer,
)
from file_keyring import BACKEND, FileKeyring
from sqlalchemy import create_engine, text

from bulkprofiles_gui.cli import main
from bulkprofiles_gui.core.config import Settings, settings_path
from bulkprofiles_gui.core.credentials import remember_connection
from bulkprofiles_gui.core.demo import generate_demo
from bulkprofiles_gui.core.faults import log_path
from bulkprofiles_gui.core.progress import JobState
from bulkprofiles_gui.core.resume import run_any_task
from bulkprofiles_gui.core.store import open_store
from bulkprofiles_gui.core.tasks import get_task

PASSWORD = f"pw-{uuid.uuid4().hex[:10]}"
DATABASE = "Demo customers"
BATCH = 50
JOB = {
    "database": DATABASE,
    "rules": {"combinator": "and", "rules": [{"field": "email", "operator": "notNull"}]},
    "range": {"from": 0, "to": 30},
    "action": {
        "type": "update_fields",
        "changes": [
            {"field": "city", "op": "set", "value": "Tromsø"},
            {"field": "tags", "op": "add", "value": ["server_faults"]},
        ],
    },
}


class Server:
    """The cluster, its demo store (closed, to be copied) and the end state of
    the job run undisturbed."""

    def __init__(self, cluster: PgCluster, folder: Path) -> None:
        self.cluster = cluster
        self.folder = folder
        base = cluster.create_database("base")
        store = open_store(base, create=True)
        try:
            generate_demo(store, profiles=1000, seed=5, database_name=DATABASE)
        finally:
            store.close()
        self.copies = StoreCopies(base, folder)
        self.job = folder / "job.json"
        self.job.write_text(json.dumps(JOB), encoding="utf-8")
        self._straight: dict[str, str] | None = None

    def straight(self) -> dict[str, str]:
        if self._straight is None:
            url = self.copies.make("straight")
            Settings(batch_size=BATCH).save()
            assert main(["run", str(self.job), "--db", url]) == 0
            self._straight = self.end_state(url)
        return self._straight

    @staticmethod
    def end_state(url: str) -> dict[str, str]:
        store = open_store(url)
        try:
            return end_state(store)
        finally:
            store.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    cluster = PgCluster(PASSWORD)
    try:
        yield Server(cluster, tmp_path_factory.mktemp("pg-faults"))
    finally:
        cluster.remove()


@pytest.fixture(autouse=True)
def _small_batches() -> None:
    Settings(batch_size=BATCH).save()


def _run_until_the_point(point: str, when: int, url: str, server: Server) -> subprocess.Popen[str]:
    """``bulkprofiles run`` in a child that stops at the point and waits there
    for a line on its stdin."""
    child = killer(
        point,
        when,
        "wait",
        "run",
        str(server.job),
        "--db",
        url,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "at-point"
    return child


def _assert_one_line_exit_2(child: subprocess.Popen[str]) -> str:
    """Let the child go on from its point; its one error line."""
    out, err = child.communicate("go on\n", timeout=120)
    assert child.returncode == 2, err
    assert "Traceback" not in err + out and PASSWORD not in err + out
    (line,) = error_lines(err)
    assert line.startswith("bulkprofiles: error: task 1 interrupted: ")
    assert "resume with: bulkprofiles tasks resume 1" in line
    assert line.endswith(f"(details in {log_path()})")
    log = log_path().read_text(encoding="utf-8")
    assert "Traceback" in log and PASSWORD not in log
    return line


def _assert_resumes_as_if_undisturbed(url: str, server: Server) -> None:
    store = open_store(url)
    try:
        task = get_task(store, 1)
        assert task.status == "interrupted" and task.resumable
        summary = run_any_task(store, 1, JobState(), settings=Settings(batch_size=BATCH))
        assert summary.status == "completed"
    finally:
        store.close()
    assert server.end_state(url) == server.straight()


@pytest.mark.parametrize(("point", "when"), [("freeze", 1), ("batch", 3)])
def test_the_server_stopped_under_a_job(server: Server, point: str, when: int) -> None:
    server.straight()
    url = server.copies.make(f"stopped-{point}")
    child = _run_until_the_point(point, when, url, server)
    try:
        server.cluster.stop("immediate")
        line = _assert_one_line_exit_2(child)
    finally:
        child.kill()
        server.cluster.start()
    assert "connection" in line or "server" in line
    _assert_resumes_as_if_undisturbed(url, server)


def test_the_job_connection_ended_by_the_server(server: Server) -> None:
    server.straight()
    url = server.copies.make("terminated")
    database = url.rsplit("/", 1)[1]
    child = _run_until_the_point("batch", 2, url, server)
    try:
        admin = create_engine(server.cluster.url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            ended = conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = :db AND pid <> pg_backend_pid()"
                ),
                {"db": database},
            ).scalar_one()
        admin.dispose()
        assert ended >= 1
        line = _assert_one_line_exit_2(child)
    finally:
        child.kill()
    assert "the store's server ended the connection" in line
    _assert_resumes_as_if_undisturbed(url, server)


def test_a_role_without_a_permission_the_job_needs(
    server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    server.straight()
    url = server.copies.make("clerk")
    database = url.rsplit("/", 1)[1]
    owner = create_engine(url, isolation_level="AUTOCOMMIT")
    clerk_password = f"clerk-{PASSWORD}"
    with owner.connect() as conn:
        conn.execute(text(f"CREATE ROLE clerk_{database} LOGIN PASSWORD '{clerk_password}'"))
        conn.execute(text(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO clerk_{database}"))
        conn.execute(text(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO clerk_{database}"))
        conn.execute(text(f"REVOKE UPDATE ON profiles FROM clerk_{database}"))
    clerk = url.replace(f"postgres:{PASSWORD}@", f"clerk_{database}:{clerk_password}@")

    assert main(["run", str(server.job), "--db", clerk]) == 2

    err = capsys.readouterr().err
    (line,) = error_lines(err)
    assert "task 1 interrupted: " in line
    assert "the store refused it (permission denied for table profiles)" in line
    assert clerk_password not in err
    with owner.connect() as conn:
        conn.execute(text(f"GRANT UPDATE ON profiles TO clerk_{database}"))
    owner.dispose()
    _assert_resumes_as_if_undisturbed(clerk, server)


def test_a_saved_connection_works_on_the_command_line(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Saved as the window saves it (the password in the keyring); the command
    line finds the password there, for the default connection and by name."""
    keyring_file = tmp_path / "keyring.json"
    monkeypatch.setenv("TEST_KEYRING_FILE", str(keyring_file))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", BACKEND)
    previous = keyring.get_keyring()
    keyring.set_keyring(FileKeyring())
    try:
        settings = Settings.load()
        assert remember_connection(settings, "Team server", server.copies.base_url) is None
        settings.default_connection = "Team server"
        settings.save()
    finally:
        keyring.set_keyring(previous)
    assert PASSWORD not in settings_path().read_text(encoding="utf-8")

    by_default = bulkprofiles("info")
    by_name = bulkprofiles("info", "--db", "Team server")

    for done in (by_default, by_name):
        assert done.returncode == 0, done.stderr
        assert DATABASE in done.stdout and "postgres:***@" in done.stdout
        assert PASSWORD not in done.stdout + done.stderr
    keyring_file.write_text("{}", encoding="utf-8")  # forgotten: the server refuses
    refused = bulkprofiles("info")
    assert refused.returncode == 2
    (line,) = error_lines(refused.stderr)
    assert "password" in line and PASSWORD not in refused.stderr
