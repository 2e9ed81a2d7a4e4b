"""The rollup always equals an independent sum over the entries, through creates, edits, deletes
and a rebuild."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from bot import activities as acts
from bot.access import load_actor
from bot.clock import FakeClock
from bot.demo import seed_demo
from storage.db import Database
from storage.models import Activity, ActivityRollup, ActivityValue, Unit
from storage.queries import people as people_q
from storage.queries import rollup as rollup_q
from storage.queries import units as units_q


async def independent(
    db: Database, unit: Unit, start: date, end: date
) -> dict[tuple[str, str], int]:
    """A naive GROUP BY over the raw rows of the unit's subtree."""
    async with db.session() as session:
        rows = await session.execute(
            select(
                Activity.type_key, ActivityValue.measure_key, func.sum(ActivityValue.value_milli)
            )
            .join(ActivityValue, ActivityValue.activity_id == Activity.id)
            .join(Unit, Unit.id == Activity.unit_id)
            .where(
                Unit.path.startswith(unit.path),
                Activity.deleted_at.is_(None),
                Activity.occurred_on.between(start, end),
            )
            .group_by(Activity.type_key, ActivityValue.measure_key)
        )
        return {(t, m): int(v) for t, m, v in rows.all() if v}


async def from_rollup(
    db: Database, unit: Unit, start: date, end: date
) -> dict[tuple[str, str], int]:
    async with db.session() as session:
        sums = await rollup_q.totals(session, [unit.id], start, end)
    return {(t, m): v for (_u, _o, t, m), v in sums.items() if v}


async def test_rollup_follows_every_write(db: Database, clock: FakeClock) -> None:
    async with db.session() as session:
        await seed_demo(session, clock.now())
        nam = await load_actor(session, await people_q.by_telegram_id(session, 1004))  # type: ignore[arg-type]
        unit_id = nam.roles[0].unit.id
        made = []
        for day, built, value in [
            (date(2026, 11, 10), 2, 120),
            (date(2026, 11, 15), 1, 80),
            (date(2026, 10, 20), 3, 300),
        ]:
            entry = acts.NewEntry(
                unit_id=unit_id,
                type_key="nha_dai_doan_ket",
                values={"built": Decimal(built), "value": Decimal(value * 1_000_000)},
                occurred_on=day,
            )
            made.append((await acts.create_entry(session, nam, entry, clock.now())).id)
        await acts.edit_entry(
            session,
            nam,
            made[0],
            clock.now(),
            values={"built": Decimal(5)},
            occurred_on=date(2026, 11, 16),
        )
        await acts.delete_entry(session, nam, made[2], clock.now())
        province = await units_q.by_code(session, "08")
        commune = await units_q.by_code(session, "02365")
    assert province is not None and commune is not None
    for unit in (province, commune):
        for start, end in [
            (date(2026, 10, 15), date(2026, 11, 14)),
            (date(2026, 11, 1), date(2026, 11, 30)),
            (date(2026, 9, 15), date(2026, 12, 14)),
        ]:
            assert await from_rollup(db, unit, start, end) == await independent(
                db, unit, start, end
            )
    quarter = await from_rollup(db, province, date(2026, 9, 15), date(2026, 12, 14))
    assert quarter == {
        ("nha_dai_doan_ket", "built"): 6000,
        ("nha_dai_doan_ket", "value"): 200_000_000_000,
    }
    async with db.session() as session:
        before = sorted(
            (r.unit_id, r.org, r.type_key, r.measure_key, r.bucket, r.value_milli)
            for r in (await session.scalars(select(ActivityRollup))).all()
            if r.value_milli
        )
        await rollup_q.rebuild(session)
    async with db.session() as session:
        after = sorted(
            (r.unit_id, r.org, r.type_key, r.measure_key, r.bucket, r.value_milli)
            for r in (await session.scalars(select(ActivityRollup))).all()
            if r.value_milli
        )
    assert before == after
