"""Alembic environment: the migrations run on the connection the caller passes
in ``config.attributes["connection"]`` and inside the transaction it has open
(one transaction for all of them: ``transaction_per_migration=False``)."""

from __future__ import annotations

from alembic import context

if context.is_offline_mode():
    raise RuntimeError("bulkprofiles migrations run on a live store connection only")

context.configure(
    connection=context.config.attributes["connection"],
    transaction_per_migration=False,
)
with context.begin_transaction():
    context.run_migrations()
