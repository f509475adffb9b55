"""Room on each page of ``profiles`` for updates in place (PostgreSQL).

Revision ID: 0004
Revises: 0003

On PostgreSQL ``profiles`` gets ``fillfactor = 90``: each page is filled to
90 % by inserts (the demo's ``COPY``, imports), so an update of columns that no
index holds (the global status, ``updated_at``, most custom fields) writes
the row's new version on the same page (a HOT update) and adds nothing to the
table's five indexes.  With full pages (the default, 100) every such update
moved the row to another page and inserted it into every index: at
10,000,000 profiles those index pages no longer stay in memory, and a global
unsubscribe of 100,000 profiles spent most of its time there (see
docs/scaling.md).

Only pages written from now on keep the room; a store's existing pages get it
when the table is rewritten (``VACUUM FULL profiles``, or a new demo).  SQLite
has no such setting: only ``schema_version`` changes there.  Setting it again
is harmless, like every step of 0002 and 0003.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels = None
depends_on = None

#: On SQLite only ``schema_version`` changes: no copy of the file is needed first
#: (see ``core/migrations/__init__.py``).
SQLITE_ONLY_VERSION = True

SCHEMA_VERSION = "4"
#: The same value as ``models.PROFILES_FILLFACTOR`` (frozen here, as migrations are).
PROFILES_FILLFACTOR = 90


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.text(f"ALTER TABLE profiles SET (fillfactor = {PROFILES_FILLFACTOR})"))
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
