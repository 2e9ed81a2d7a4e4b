"""The rollup always equals an independent sum over the entries, through creates, edits, deletes
and a rebuild."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import activities as acts
from bot.clock import FakeClock
from bot.demo import seed_demo, seed_demo_activities
from bot.periods import Kind, Period, Rule
from bot.schema import prepare_database
from storage import migrate
from storage.db import Database
from storage.models import Activity, ActivityRollup, ActivityValue, Unit
from storage.queries import rollup as rollup_q
from storage.queries import units as units_q
from tests.harness import actor_of


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
    """The rollup's total, read three ways that must agree: all organisations at once (the "*"
    rows of quarters and years), broken down by organisation, and organisation by organisation."""
    async with db.session() as session:
        sums = await rollup_q.totals(session, [unit.id], start, end)
        by_org = await rollup_q.totals(session, [unit.id], start, end, by_org=True)
        orgs = {o for (_u, o, _t, _m) in by_org}
        one_by_one = [await rollup_q.totals(session, [unit.id], start, end, org=o) for o in orgs]
    total = {(t, m): v for (_u, _o, t, m), v in sums.items() if v}
    collapsed: dict[tuple[str, str], int] = {}
    for (_u, _o, t, m), v in by_org.items():
        collapsed[(t, m)] = collapsed.get((t, m), 0) + v
    assert "*" not in orgs
    assert {k: v for k, v in collapsed.items() if v} == total
    separately: dict[tuple[str, str], int] = {}
    for part in one_by_one:
        for (_u, _o, t, m), v in part.items():
            separately[(t, m)] = separately.get((t, m), 0) + v
    assert {k: v for k, v in separately.items() if v} == total
    return total


async def test_rollup_follows_every_write(db: Database, clock: FakeClock) -> None:
    async with db.session() as session:
        await seed_demo(session, clock.now())
        nam = await actor_of(session, 1004)
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
            (date(2026, 10, 1), date(2026, 12, 31)),
            (date(2025, 12, 15), date(2026, 12, 14)),
            (date(2026, 1, 1), date(2026, 12, 31)),
            (date(2026, 6, 15), date(2026, 12, 14)),
            (date(2026, 8, 15), date(2026, 11, 30)),
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
            (r.unit_id, r.span, r.bucket, r.org, r.type_key, r.measure_key, r.value_milli)
            for r in (await session.scalars(select(ActivityRollup))).all()
            if r.value_milli
        )
        await rollup_q.rebuild(session)
    async with db.session() as session:
        after = sorted(
            (r.unit_id, r.span, r.bucket, r.org, r.type_key, r.measure_key, r.value_milli)
            for r in (await session.scalars(select(ActivityRollup))).all()
            if r.value_milli
        )
    assert before == after


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


@given(
    st.sampled_from(["month", "quarter", "half", "year"]),
    st.sampled_from(["decree09", "calendar"]),
    st.integers(2020, 2030),
    st.integers(1, 12),
    st.integers(1, 12),
)
def test_cover_tiles_any_run_of_periods_exactly(
    kind: Kind, rule: Rule, year: int, index: int, count: int
) -> None:
    """Whatever run of periods is asked, ``cover`` returns spans that are contiguous, each day of
    the run lies in exactly one of them, and each span is one an entry's day is written to."""
    first = Period(
        kind, year, min(index, {"month": 12, "quarter": 4, "half": 2, "year": 1}[kind]), rule
    )
    last = first
    for _ in range(count - 1):
        last = last.next()
    spans = rollup_q.cover(first.start, last.end)
    covered: list[date] = []
    for span, start in spans:
        months = {"h": 0, "q": 3, "y": 12}[span]
        end = (
            rollup_q.next_bucket(start) - timedelta(days=1)
            if months == 0
            else rollup_q.span_end(start, months)
        )
        assert (span, start) in rollup_q.spans_of(start) and (span, start) in rollup_q.spans_of(end)
        covered.extend(_days(start, end))
    assert covered == _days(first.start, last.end)
    if kind in ("quarter", "year"):
        assert len(spans) <= count  # at most one row per cell for each quarter or year


async def test_migration_derives_quarter_and_year_rows(tmp_path: Path, clock: FakeClock) -> None:
    """A database from before the spans (half-month rows only, as the downgrade leaves it): the
    upgrade keeps those rows and computes the quarter and year rows, which then equal what the
    writes themselves had maintained."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    try:
        await prepare_database(db, clock.now())
        async with db.session() as session:
            await seed_demo(session, clock.now())
            await seed_demo_activities(session, clock.now().date(), clock.now())
        async with db.session() as session:
            built = await _all_rows(session)
            halves = [r for r in built if r[1] == "h"]
        await migrate.downgrade(db, "9ce2fe030799")
        await migrate.upgrade(db, "head")
        async with db.session() as session:
            migrated = await _all_rows(session)
    finally:
        await db.dispose()
    assert halves and len(migrated) > len(halves)
    assert migrated == built


async def _all_rows(session: AsyncSession) -> list[tuple[object, ...]]:
    return sorted(
        (r.unit_id, r.span, r.bucket, r.org, r.type_key, r.measure_key, r.value_milli, r.entries)
        for r in (await session.scalars(select(ActivityRollup))).all()
    )


async def test_an_entry_past_the_exact_sum_adds_nothing_anywhere(
    db: Database, clock: FakeClock
) -> None:
    """Protection: the check of the exact sum is part of the rollup write (``add_within``), and
    a refused entry leaves every cell as it was, the ones it would have created included: here
    the commune's "value" year cell is nearly full and "built" has no cells yet. A ``WHERE`` on
    the upsert's ``DO UPDATE`` alone would have refused the full cells and created the others."""
    day = date(2026, 11, 16)
    async with db.session() as session:
        await seed_demo(session, clock.now())
        nam = await actor_of(session, 1004)
        unit = nam.roles[0].unit
        full = rollup_q.SUM_LIMIT_MILLI - 1000
        await rollup_q.apply(session, unit, "nha_dai_doan_ket", {"value": full}, day, +1)
    async with db.session() as session:
        before = await _all_rows(session)
        fits = await rollup_q.add_within(
            session, unit, "nha_dai_doan_ket", {"built": 1000, "value": 2000}, day
        )
        assert not fits
        assert await _all_rows(session) == before
        entry = acts.NewEntry(
            unit_id=unit.id,
            type_key="nha_dai_doan_ket",
            values={"built": Decimal(1), "value": Decimal(2)},
            occurred_on=day,
        )
        try:
            await acts.create_entry(session, nam, entry, clock.now())
        except acts.EntryError as exc:
            assert exc.code == "too_large"
        else:
            raise AssertionError("the entry was saved")
        assert await _all_rows(session) == before
        assert await session.scalar(select(func.count()).select_from(Activity)) == 0
        # What still fits is added whole: 1,000 thousandths is exactly the room left.
        assert await rollup_q.add_within(
            session, unit, "nha_dai_doan_ket", {"built": 1000, "value": 1000}, day
        )
    async with db.session() as session:
        cells = {(r[0], r[1], r[2], r[3], r[5]): r[6] for r in await _all_rows(session)}
    years = [start for span, start in rollup_q.spans_of(day) if span == "y"]
    root = rollup_q.ancestors(unit)[0]
    for year in years:
        assert cells[(root, "y", year, rollup_q.ALL_ORGS, "value")] == rollup_q.SUM_LIMIT_MILLI
        assert cells[(root, "y", year, rollup_q.ALL_ORGS, "built")] == 1000
    assert sum(1 for key in cells if key[4] == "built") == sum(
        1 for key in cells if key[4] == "value"
    )
