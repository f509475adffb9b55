"""A column the operator skips stays skipped when "create fields" is on.

``--map COLUMN=`` (the wizard's "— skip —") must win over ``--create-fields``:
only columns nothing maps to become new fields.  Before the fix the skipped
column became a new field, and an import given its new fields explicitly
(the wizard's way) failed once the fields were created (``KeyError: ''``:
the skipped column was planned again as a field without a column).
"""

from __future__ import annotations

from pathlib import Path

from conftest import DEMO_DATABASE
from sqlalchemy import select

from bulkprofiles_gui.core.importer import ImportSpec, describe_plan, plan_import, run_import
from bulkprofiles_gui.core.progress import JobState
from bulkprofiles_gui.core.store import FieldInfo, Store

CSV = "Email,First name,Nickname,Score\nann@example.org,Ann,annie,3\nbob@example.org,Bob,bobby,4\n"


def _csv(tmp_path: Path) -> str:
    path = tmp_path / "people.csv"
    path.write_text(CSV, encoding="utf-8")
    return str(path)


def _fields(store: Store) -> dict[str, FieldInfo]:
    with store.begin() as conn:
        return {f.key: f for f in store.fields(conn, store.database_id(conn, DEMO_DATABASE))}


def test_a_skipped_column_is_not_made_a_new_field(demo_store: Store, tmp_path: Path) -> None:
    spec = ImportSpec(
        file=_csv(tmp_path),
        database=DEMO_DATABASE,
        mapping={"Nickname": None},
        create_fields=True,
    )
    with demo_store.begin() as conn:
        plan = plan_import(demo_store, conn, spec)
    assert [c.name for c in plan.new_fields] == ["Score"]
    assert plan.skipped_columns == ["Nickname"]
    assert "Nickname -> (skipped: no field)" in describe_plan(plan)


def test_explicit_new_fields_with_a_skipped_column_import(
    demo_store: Store, tmp_path: Path
) -> None:
    spec = ImportSpec(
        file=_csv(tmp_path),
        database=DEMO_DATABASE,
        mapping={"Email": "email", "First name": "first_name", "Nickname": None, "Score": None},
        create_fields=True,
        new_fields={"Score": "integer"},
    )
    summary = run_import(demo_store, spec, JobState())
    assert summary.status == "completed", summary.error
    assert summary.added == 2
    fields = _fields(demo_store)
    assert "nickname" not in fields
    p = demo_store.profiles
    score = demo_store.field_column(fields["score"])
    with demo_store.begin() as conn:
        scores = dict(
            conn.execute(
                select(p.c.email, score).where(
                    p.c.email.in_(["ann@example.org", "bob@example.org"])
                )
            )
            .tuples()
            .all()
        )
    assert scores == {"ann@example.org": 3, "bob@example.org": 4}
