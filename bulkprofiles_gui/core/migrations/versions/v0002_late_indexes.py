"""Late schema changes of the first version, made before Alembic.

Revision ID: 0002
Revises: 0001

Stores made before Alembic are stamped ``0001`` (the first schema) but may
have any of these already (the models gained them one by one), so every step
checks first and never touches rows:

- ``ix_profiles_database_city_registered``: selection counts of "city ... and
  registered in ..." walk this index instead of every row of the city;
- ``ix_promo_codes_profile``: the ON DELETE SET NULL of a deleted profile
  looks its codes up by profile (deleting 30k of 100k profiles: 9.9 -> 1.6 s);
- ``tasks.runner`` (host:pid of the running process, for "interrupted");
- drop ``ix_task_profiles_task_outcome``: each batch rewrites its rows'
  outcome, so the index cost ~15% of a job's time and served no query.

``profiles`` only gets an index: its custom-field columns ``cf_<id>`` stay.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels = None
depends_on = None

#: It adds indexes and a column on SQLite too (see ``core/migrations/__init__.py``).
SQLITE_ONLY_VERSION = False

SCHEMA_VERSION = "2"


def upgrade() -> None:
    op.create_index(
        "ix_profiles_database_city_registered",
        "profiles",
        ["database_id", "city", "registered_at"],
        if_not_exists=True,
    )
    op.create_index("ix_promo_codes_profile", "promo_codes", ["profile_id"], if_not_exists=True)
    task_columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("tasks")}
    if "runner" not in task_columns:
        op.add_column("tasks", sa.Column("runner", sa.String(200), nullable=True))
    op.drop_index("ix_task_profiles_task_outcome", "task_profiles", if_exists=True)
    op.execute(
        sa.text("UPDATE store_meta SET value = :version WHERE key = 'schema_version'").bindparams(
            version=SCHEMA_VERSION
        )
    )


def downgrade() -> None:
    raise NotImplementedError("go back by restoring the backup made before the upgrade")
