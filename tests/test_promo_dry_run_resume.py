"""A dry run of promo codes (attach) that is cancelled and resumed reports
what a real run would do: the resumed run counts the free codes the first
run's batches would have used (both backends)."""

from __future__ import annotations

from jobs_helpers import Recorder, build_world, make_task, outcomes, settings
from sqlalchemy import insert

from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.jobs import run_task
from bulkprofiles_gui.core.store import Store

ATTACH = {"type": "promo_codes", "mode": "attach", "program": "Resume sale"}


def _program_with_free_codes(store: Store, database_id: int, n: int) -> None:
    with store.begin() as conn:
        program = conn.execute(
            insert(m.LoyaltyProgram)
            .values(name="Resume sale", database_id=database_id)
            .returning(m.LoyaltyProgram.id)
        ).scalar_one()
        conn.execute(
            insert(m.PromoCode),
            [{"program_id": program, "code": f"F{i}", "status": "free"} for i in range(n)],
        )


def test_a_resumed_dry_run_counts_the_codes_its_earlier_run_would_have_used(
    store: Store,
) -> None:
    world = build_world(store, n=8)
    _program_with_free_codes(store, world.database_id, 5)
    ids = world.profile_ids
    dry = make_task(store, ATTACH, ids, dry_run=True)
    first = run_task(store, dry, Recorder(cancel_after=2).state, settings=settings(batch_size=4))
    assert (first.status, first.processed, first.changed) == ("cancelled", 4, 4)

    resumed = run_task(store, dry, Recorder().state, settings=settings(batch_size=4))

    assert (resumed.status, resumed.changed, resumed.skipped) == (
        "completed",
        5,
        {"pool_empty": 3},
    )
    assert list(outcomes(store, dry).values()) == ["changed"] * 5 + ["pool_empty"] * 3
