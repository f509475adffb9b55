"""The staging tables of one import task, and the fastest bulk insert per backend.

An import first loads the file's valid rows into ``import_<task>_rows`` (one
typed column per mapped scalar column, ``g<i>`` flags for list columns that
were given), their list items into ``import_<task>_items`` and the rejected
rows into ``import_<task>_rejects``, then merges the rows into ``profiles``
set-based.  The tables are real (not TEMP) so an interrupted import resumes
where it stopped; they are dropped when the import completes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from ..store import COLUMN_TYPES
from .plan import ImportPlan

ROW_TYPE = BigInteger().with_variant(Integer, "sqlite")


@dataclass
class StageTables:
    rows: Table
    items: Table
    rejects: Table
    metadata: MetaData

    def all(self) -> tuple[Table, Table, Table]:
        return self.rows, self.items, self.rejects


def value_column(index: int) -> str:
    return f"v{index}"


def given_column(index: int) -> str:
    return f"g{index}"


def stage_tables(task_id: int, plan: ImportPlan) -> StageTables:
    """The table definitions (names from the task id, columns from the plan)."""
    metadata = MetaData()
    columns: list[Column[Any]] = [
        Column("row", ROW_TYPE, primary_key=True, autoincrement=False),
        Column("line", BigInteger, nullable=False),
        Column("profile_id", BigInteger),
        Column("other_id", BigInteger),
        Column("new_id", BigInteger),
        Column("outcome", String(32)),
        Column("sub_outcome", String(32)),
    ]
    for c in plan.columns:
        if c.is_list:
            columns.append(Column(given_column(c.index), Boolean, nullable=False))
        else:
            columns.append(Column(value_column(c.index), COLUMN_TYPES[c.field.type]))
    if plan.match.is_list:  # match by phone: the row's first phone
        columns.append(Column("phone_key", String(64)))
    rows = Table(f"import_{task_id}_rows", metadata, *columns)
    items = Table(
        f"import_{task_id}_items",
        metadata,
        Column("row", ROW_TYPE, primary_key=True, autoincrement=False),
        Column("col", Integer, primary_key=True, autoincrement=False),
        Column("value", String(255), primary_key=True),
    )
    rejects = Table(
        f"import_{task_id}_rejects",
        metadata,
        Column("row", ROW_TYPE, primary_key=True, autoincrement=False),
        Column("line", BigInteger, nullable=False),
        Column("col", Text),
        Column("value", Text),
        Column("reason", Text, nullable=False),
    )
    return StageTables(rows, items, rejects, metadata)


def match_key(tables: StageTables, plan: ImportPlan) -> Any:
    rows = tables.rows
    return rows.c["phone_key"] if plan.match.is_list else rows.c[value_column(plan.match.index)]


#: Free space PostgreSQL leaves in each page of the staged rows, so that the
#: merge's updates of a row (match, outcome, new id) stay on its page (HOT
#: updates: no new index entries, far less to write).
STAGE_FILLFACTOR = 50


def create(conn: Connection, tables: StageTables) -> None:
    """Create the staging tables (keyed by the record's index, nothing else:
    the merge reads them by ranges of records)."""
    for table in tables.all():
        table.create(conn)
    if conn.dialect.name == "postgresql":
        quote = conn.dialect.identifier_preparer.quote
        for table in tables.all():
            # UNLOGGED: the staged copy of the file is not written to the WAL
            # twice over; it survives a client that dies (the resume goes on)
            # but not a crash of the server (the resume then says so).
            conn.exec_driver_sql(f"ALTER TABLE {quote(table.name)} SET UNLOGGED")
        name = quote(tables.rows.name)
        conn.exec_driver_sql(f"ALTER TABLE {name} SET (fillfactor = {STAGE_FILLFACTOR})")


def analyze(conn: Connection, tables: StageTables) -> None:
    """Planner statistics of the loaded tables: without them PostgreSQL joins
    a batch of the staged rows to the whole table by nested loops."""
    for table in tables.all():
        conn.exec_driver_sql(f"ANALYZE {conn.dialect.identifier_preparer.quote(table.name)}")


def drop(conn: Connection, tables: StageTables) -> None:
    for table in tables.all():
        table.drop(conn, checkfirst=True)


def bulk_insert(
    conn: Connection, table: Table, names: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """Insert plain tuples: ``COPY`` on PostgreSQL, one ``executemany`` on SQLite."""
    if not rows:
        return
    driver = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        quoted = ", ".join(conn.dialect.identifier_preparer.quote(n) for n in names)
        sql = f"COPY {conn.dialect.identifier_preparer.quote(table.name)} ({quoted}) FROM STDIN"
        with driver.cursor() as cur, cur.copy(sql) as copy:  # type: ignore[union-attr]
            for row in rows:
                copy.write_row(row)
        return
    quoted = ", ".join(f'"{n}"' for n in names)
    marks = ", ".join("?" for _ in names)
    driver.executemany(  # type: ignore[union-attr]
        f'INSERT INTO "{table.name}" ({quoted}) VALUES ({marks})',
        _as_stored(conn, table, names, rows),
    )


def _as_stored(
    conn: Connection, table: Table, names: Sequence[str], rows: list[tuple[Any, ...]]
) -> list[tuple[Any, ...]]:
    """Values as SQLAlchemy's SQLite types store them (date-times as
    ``YYYY-MM-DD HH:MM:SS.ffffff`` text, ...): the raw driver writes
    ``2026-05-01 10:00:00``, which compares unequal to what every other part
    of the app writes and matches."""
    dialect = conn.dialect
    processors = [table.c[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names]
    used = [(i, p) for i, p in enumerate(processors) if p is not None]
    if not used:
        return rows
    out = []
    for row in rows:
        values = list(row)
        for i, process in used:
            if values[i] is not None:
                values[i] = process(values[i])
        out.append(tuple(values))
    return out
