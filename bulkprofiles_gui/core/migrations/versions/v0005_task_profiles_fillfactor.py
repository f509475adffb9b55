"""Room on each page of ``task_profiles`` for the outcome (PostgreSQL).

Revision ID: 0005
Revises: 0004

A job freezes its selection into ``task_profiles`` with the outcome NULL,
then each batch writes every row's outcome once.  With full pages (the
default fillfactor, 100) each of those updates put the row's new version on
another page and a new entry into the primary key (none of 299,999 updates
in place); with ``fillfactor = 45`` the freeze leaves more than half of each
page free, the new version fits beside the old one and the index is not
touched (a HOT update: every one of them).  Measured on the benchmark server
at 300,000 selected profiles in batches of 3,000: the outcome updates took
1.3-1.5 s instead of 2.4-2.6 s, the freeze the same 0.8-1.1 s, and the table
ends the same size (the full-page table grows by the moved versions).  70
made only some updates HOT and was no faster.

The outcome column is in no index, which is what makes the updates HOT
(``models.TaskProfile`` keeps it out of indexes on purpose).  SQLite has no
such setting: only ``schema_version`` changes there.  Setting it again is
harmless, like every step of 0002 to 0004; only rows written from now on
get the room.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision: str | None = "0004"
branch_labels = None
depends_on = None

#: On SQLite only ``schema_version`` changes: no copy of the file is needed first
#: (see ``core/migrations/__init__.py``).
SQLITE_ONLY_VERSION = True

SCHEMA_VERSION = "5"
#: The same value as ``models.TASK_PROFILES_FILLFACTOR`` (frozen here, as migrations are).
TASK_PROFILES_FILLFACTOR = 45


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            sa.text(f"ALTER TABLE task_profiles SET (fillfactor = {TASK_PROFILES_FILLFACTOR})")
        )
    op.execute(
        sa.text("UPDATE store_meta SET value = :version WHERE key = 'schema_version'").bindparams(
            version=SCHEMA_VERSION
        )
    )


def downgrade() -> None:
    raise NotImplementedError(
        "only schema_version changes on SQLite (no copy of the store is made first); "
        "on PostgreSQL reset the storage parameter by hand"
    )
