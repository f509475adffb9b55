"""Demo data: deterministic, realistic, complete, on every backend."""

from __future__ import annotations

from sqlalchemy import func, select

from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.store import Store


def test_demo_store_fixture_holds_a_demo_database(demo_store: Store) -> None:
    with demo_store.begin() as conn:
        flagged = conn.execute(select(m.ProfileDatabase.name, m.ProfileDatabase.is_demo)).all()
        profiles = conn.execute(select(func.count()).select_from(m.Profile)).scalar_one()
    assert flagged == [("Demo customers", True)]
    assert profiles == 400
