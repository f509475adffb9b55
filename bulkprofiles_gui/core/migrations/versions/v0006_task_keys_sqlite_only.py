"""No per-row foreign-key check on the rows a task writes (PostgreSQL).

Revision ID: 0006
Revises: 0005

PostgreSQL checks a foreign key with a trigger that runs one look-up query
per inserted row.  A job writes its frozen selection into ``task_profiles``
(one row per selected profile), its journal and archive (one or more rows
per changed profile) and its trigger events, every row naming the task: on
the benchmark server the check of ``task_profiles.task_id`` alone took
0.80 s of the 1.30-1.60 s freeze of 300,000 profiles, and promo_codes' whole
job was 3.6 s against 1.7 s for the same change by hand.  The check can never
fail: those rows are written only by the runner of a task it has claimed,
and tasks are never deleted (the journal's purge deletes its own rows).  So
on PostgreSQL the ``task_id`` foreign keys of those tables go
(``models.TASK_WRITTEN_TABLES``); their indexes stay.  On SQLite the check
is a b-tree probe in the process (12 ms per 300,000 rows) and the keys stay:
only ``schema_version`` changes there.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision: str | None = "0005"
branch_labels = None
depends_on = None

#: On SQLite only ``schema_version`` changes: no copy of the file is needed first
#: (see ``core/migrations/__init__.py``).
SQLITE_ONLY_VERSION = True

SCHEMA_VERSION = "6"
#: The tables of ``models.TASK_WRITTEN_TABLES`` (frozen here, as migrations are).
TASK_WRITTEN_TABLES = (
    "task_profiles",
    "journal_values",
    "journal_list_items",
    "journal_subscriptions",
    "journal_codes",
    "archived_list_values",
    "archived_subscriptions",
    "archived_profiles",
    "trigger_events",
)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        _drop_task_keys(bind)
    op.execute(
        sa.text("UPDATE store_meta SET value = :version WHERE key = 'schema_version'").bindparams(
            version=SCHEMA_VERSION
        )
    )


def _drop_task_keys(bind: sa.Connection) -> None:
    """Every foreign key from those tables to ``tasks``, by the server's own names."""
    keys = bind.execute(
        sa.text(
            "SELECT c.conrelid::regclass::text, c.conname FROM pg_constraint c"
            " WHERE c.contype = 'f' AND c.confrelid = 'tasks'::regclass"
            " AND c.conrelid = ANY(CAST(:tables AS regclass[])) ORDER BY 1, 2"
        ),
        {"tables": list(TASK_WRITTEN_TABLES)},
    ).all()
    quote = bind.dialect.identifier_preparer.quote
    for table, name in keys:
        op.execute(sa.text(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}"))


def downgrade() -> None:
    raise NotImplementedError(
        "only schema_version changes on SQLite (no copy of the store is made first); "
        "on PostgreSQL add the foreign keys back by hand"
    )
