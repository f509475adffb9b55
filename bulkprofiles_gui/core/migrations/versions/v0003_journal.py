"""The journal of tasks and the archive of deleted profiles (revert a task).

Revision ID: 0003
Revises: 0002

New tables, written by ``core/journal.py`` in each batch's transaction and
read by ``core/revert.py``: ``journal_values``, ``journal_list_items``,
``journal_subscriptions``, ``journal_codes`` (what a task changed, before and
after) and ``archived_profiles``, ``archived_list_values``,
``archived_subscriptions`` (the profiles a task deleted, whole; the custom
columns ``cf_<id>`` of ``archived_profiles`` are added on first use, like
those of ``profiles``).  ``tasks`` gains ``revert_of`` (a revert task: the
task it reverts), ``journal`` (what its journal holds; NULL for the tasks run
before: they cannot be reverted) and ``journal_purged_at``.

A frozen copy of the tables as ``models`` has them at this revision; every
step checks first, like 0002.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels = None
depends_on = None

#: It adds tables and columns on SQLite too (see ``core/migrations/__init__.py``).
SQLITE_ONLY_VERSION = False

SCHEMA_VERSION = "3"

#: On SQLite the primary key of a journal table is the table (no rowid).
WITHOUT_ROWID = {"sqlite_with_rowid": False}


def _task_id() -> sa.Column[int]:
    return sa.Column("task_id", sa.Integer(), nullable=False)


def _task_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], ondelete="CASCADE")


def _tables() -> list[tuple[str, list[Any], dict[str, bool]]]:
    big = sa.BigInteger
    return [
        (
            "journal_values",
            [
                _task_id(),
                sa.Column("profile_id", big(), nullable=False),
                sa.Column("column_name", sa.String(64), nullable=False),
                sa.Column("old_int", big(), nullable=True),
                sa.Column("new_int", big(), nullable=True),
                sa.Column("old_float", sa.Float(), nullable=True),
                sa.Column("new_float", sa.Float(), nullable=True),
                sa.Column("old_text", sa.Text(), nullable=True),
                sa.Column("new_text", sa.Text(), nullable=True),
                sa.Column("old_date", sa.Date(), nullable=True),
                sa.Column("new_date", sa.Date(), nullable=True),
                sa.Column("old_time", sa.DateTime(), nullable=True),
                sa.Column("new_time", sa.DateTime(), nullable=True),
                sa.Column("old_bool", sa.Boolean(), nullable=True),
                sa.Column("new_bool", sa.Boolean(), nullable=True),
                _task_fk(),
                sa.PrimaryKeyConstraint("task_id", "profile_id", "column_name"),
            ],
            WITHOUT_ROWID,
        ),
        (
            "journal_list_items",
            [
                _task_id(),
                sa.Column("profile_id", big(), nullable=False),
                sa.Column("field_id", sa.Integer(), nullable=False),
                sa.Column("after", sa.Boolean(), nullable=False),
                sa.Column("value", sa.String(255), nullable=False),
                _task_fk(),
                sa.PrimaryKeyConstraint("task_id", "profile_id", "field_id", "after", "value"),
            ],
            WITHOUT_ROWID,
        ),
        (
            "journal_subscriptions",
            [
                _task_id(),
                sa.Column("profile_id", big(), nullable=False),
                sa.Column("resource_id", sa.Integer(), nullable=False),
                sa.Column("channel", sa.String(16), nullable=False),
                sa.Column("created", sa.Boolean(), nullable=False),
                sa.Column("old_status", sa.String(16), nullable=True),
                sa.Column("old_contact", sa.String(255), nullable=True),
                sa.Column("new_status", sa.String(16), nullable=False),
                sa.Column("new_contact", sa.String(255), nullable=True),
                _task_fk(),
                sa.PrimaryKeyConstraint("task_id", "profile_id", "resource_id", "channel"),
            ],
            WITHOUT_ROWID,
        ),
        (
            "journal_codes",
            [
                _task_id(),
                sa.Column("profile_id", big(), nullable=False),
                sa.Column("code_id", big(), nullable=False),
                sa.Column("old_status", sa.String(16), nullable=False),
                sa.Column("old_profile_id", big(), nullable=True),
                sa.Column("old_attached_at", sa.DateTime(), nullable=True),
                sa.Column("new_status", sa.String(16), nullable=False),
                sa.Column("new_profile_id", big(), nullable=True),
                sa.Column("new_attached_at", sa.DateTime(), nullable=True),
                _task_fk(),
                sa.PrimaryKeyConstraint("task_id", "profile_id", "code_id"),
            ],
            WITHOUT_ROWID,
        ),
        (
            "archived_profiles",
            [
                _task_id(),
                sa.Column("id", big(), nullable=False),
                sa.Column("database_id", sa.Integer(), nullable=False),
                sa.Column("email", sa.String(255), nullable=True),
                sa.Column("first_name", sa.String(200), nullable=True),
                sa.Column("last_name", sa.String(200), nullable=True),
                sa.Column("birthday", sa.Date(), nullable=True),
                sa.Column("gender", sa.String(16), nullable=True),
                sa.Column("city", sa.String(200), nullable=True),
                sa.Column("country", sa.String(200), nullable=True),
                sa.Column("registered_at", sa.DateTime(), nullable=True),
                sa.Column("global_status", sa.String(16), nullable=False),
                sa.Column("created_at", sa.DateTime(), nullable=False),
                sa.Column("updated_at", sa.DateTime(), nullable=False),
                sa.Column("last_interaction_at", sa.DateTime(), nullable=True),
                _task_fk(),
                sa.PrimaryKeyConstraint("task_id", "id"),
            ],
            {},
        ),
        (
            "archived_list_values",
            [
                _task_id(),
                sa.Column("profile_id", big(), nullable=False),
                sa.Column("field_id", sa.Integer(), nullable=False),
                sa.Column("value", sa.String(255), nullable=False),
                _task_fk(),
                sa.PrimaryKeyConstraint("task_id", "profile_id", "field_id", "value"),
            ],
            WITHOUT_ROWID,
        ),
        (
            "archived_subscriptions",
            [
                _task_id(),
                sa.Column("profile_id", big(), nullable=False),
                sa.Column("id", big(), nullable=False),
                sa.Column("resource_id", sa.Integer(), nullable=False),
                sa.Column("channel", sa.String(16), nullable=False),
                sa.Column("contact", sa.String(255), nullable=False),
                sa.Column("status", sa.String(16), nullable=False),
                sa.Column("created_at", sa.DateTime(), nullable=False),
                sa.Column("updated_at", sa.DateTime(), nullable=False),
                _task_fk(),
                sa.PrimaryKeyConstraint("task_id", "profile_id", "id"),
            ],
            WITHOUT_ROWID,
        ),
    ]


def upgrade() -> None:
    bind = op.get_bind()
    existing = set(sa.inspect(bind).get_table_names())
    for name, items, options in _tables():
        if name not in existing:
            op.create_table(name, *items, **options)
    task_columns = {c["name"] for c in sa.inspect(bind).get_columns("tasks")}
    for column in (
        sa.Column("revert_of", sa.Integer(), nullable=True),
        sa.Column("journal", sa.JSON(), nullable=True),
        sa.Column("journal_purged_at", sa.DateTime(), nullable=True),
    ):
        if column.name not in task_columns:
            op.add_column("tasks", column)
    op.create_index("ix_tasks_revert_of", "tasks", ["revert_of"], if_not_exists=True)
    op.execute(
        sa.text("UPDATE store_meta SET value = :version WHERE key = 'schema_version'").bindparams(
            version=SCHEMA_VERSION
        )
    )


def downgrade() -> None:
    raise NotImplementedError("go back by restoring the backup made before the upgrade")
