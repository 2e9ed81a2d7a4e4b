"""The demo's year of activities: deterministic, in the past year, within every ceiling."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from bot import activities as acts
from bot.clock import FakeClock
from bot.demo import seed_demo, seed_demo_activities
from storage.db import Database
from storage.models import Activity, ActivityValue


async def test_a_year_of_realistic_entries(db: Database, clock: FakeClock) -> None:
    today = date(2026, 11, 16)
    async with db.session() as session:
        await seed_demo(session, clock.now())
        count = await seed_demo_activities(session, today, clock.now())
    assert 300 <= count <= 900
    async with db.session() as session:
        first, last = (
            await session.execute(
                select(func.min(Activity.occurred_on), func.max(Activity.occurred_on))
            )
        ).one()
        assert today - timedelta(days=365) <= first and last < today
        kinds = set(await session.scalars(select(Activity.type_key).distinct()))
        assert {
            "quy_vi_nguoi_ngheo",
            "nha_dai_doan_ket",
            "tiep_xuc_cu_tri",
            "ho_ngheo_ho_tro",
        } <= kinds
        for activity, value in (
            await session.execute(select(Activity, ActivityValue).join(ActivityValue))
        ).all():
            kind = await acts.kind(session, activity.type_key)
            assert kind is not None
            measure = kind.measure(value.measure_key)
            assert (
                measure is not None and 0 <= value.value_milli <= (measure.ceiling or 10**15) * 1000
            )
        fund = await session.scalar(
            select(func.sum(ActivityValue.value_milli))
            .join(Activity)
            .where(Activity.type_key == "quy_vi_nguoi_ngheo")
        )
    assert (
        fund and 100_000_000 * 1000 < fund < 10_000_000_000 * 1000
    )  # hundreds of triệu to a few tỷ


async def test_demo_meetings(db: Database, clock: FakeClock) -> None:
    from zoneinfo import ZoneInfo

    from bot.demo import seed_demo_meetings
    from storage.models import Meeting

    async with db.session() as session:
        demo = await seed_demo(session, clock.now())
        assert (
            await seed_demo_meetings(session, demo, clock.now(), ZoneInfo("Asia/Ho_Chi_Minh")) == 4
        )
        meetings = (await session.scalars(select(Meeting).order_by(Meeting.starts_at))).all()
    assert meetings[0].starts_at < clock.now() < meetings[1].starts_at
    assert meetings[0].conclusions and not meetings[1].conclusions
