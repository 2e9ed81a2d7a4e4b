"""The demo's year of activities: deterministic, in the past year, within every ceiling."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from bot import activities as acts
from bot.clock import FakeClock
from bot.demo import seed_demo, seed_demo_activities
from storage.db import Database
from storage.models import Activity, ActivityHistory, ActivityValue


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
            "nong_thon_moi",
            "tin_dung_uu_dai",
            "ngay_hoi_dai_doan_ket",
            "cuoc_van_dong_van_hoa",
            "nha_chuong_trinh",
        } <= kinds
        # Every entry says who recorded it, in the unit or above it, and so does its history.
        assert await session.scalar(select(func.count()).where(Activity.person_id.is_(None))) == 0
        created = (
            await session.execute(
                select(Activity.person_id, ActivityHistory.person_id, ActivityHistory.action).join(
                    ActivityHistory, ActivityHistory.activity_id == Activity.id
                )
            )
        ).all()
        assert len(created) == count
        assert all(recorder == by and action == "create" for recorder, by, action in created)
        # The Great Solidarity Day is held on 18/11, in every residential area.
        days = set(
            await session.scalars(
                select(Activity.occurred_on).where(Activity.type_key == "ngay_hoi_dai_doan_ket")
            )
        )
        assert days == {date(2025, 11, 18)}
        for activity, value in (
            await session.execute(select(Activity, ActivityValue).join(ActivityValue))
        ).all():
            kind = await acts.kind(session, activity.type_key)
            assert kind is not None
            measure = kind.measure(value.measure_key)
            assert (
                measure is not None and 0 <= value.value_milli <= (measure.ceiling or 10**15) * 1000
            )
        # No more letters forwarded or resolved than received (the templates' at_most rules).
        letters: dict[int, dict[str, int]] = {}
        for activity_id, key, milli in (
            await session.execute(
                select(
                    ActivityValue.activity_id, ActivityValue.measure_key, ActivityValue.value_milli
                )
                .join(Activity)
                .where(Activity.type_key == "don_thu")
            )
        ).all():
            letters.setdefault(activity_id, {})[key] = milli
        assert letters
        assert all(
            v.get("forwarded", 0) <= v["received"] and v.get("resolved", 0) <= v["received"]
            for v in letters.values()
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


async def test_demo_tree_names_units_as_documents_do(db: Database, clock: FakeClock) -> None:
    """Front bodies by their name, each commune its own thôn, tổ dân phố in a phường, a UBND
    with people and a trade union in every commune (issue 16 §6)."""
    from storage.models import Membership, Unit

    async with db.session() as session:
        await seed_demo(session, clock.now())
        units = {u.code: u for u in await session.scalars(select(Unit))}
        staffed = set(await session.scalars(select(Membership.unit_id)))
    assert units["02365"].name == "Ủy ban MTTQ xã Yên Nguyên"
    assert units["02365-t1"].name == "Ban Công tác Mặt trận thôn Cầu Bâm"
    assert units["02365-phu_nu"].name == "Hội Liên hiệp Phụ nữ xã Yên Nguyên"
    assert units["02215-t1"].name == "Ban Công tác Mặt trận tổ dân phố 3"
    areas = {
        code: {u.name for u in units.values() if u.code.startswith(f"{code}-t") and u.org == "mttq"}
        for code in ("02365", "02350", "02215")
    }
    assert not areas["02365"] & areas["02350"]  # not the same three thôn everywhere
    assert all("tổ dân phố" in name for name in areas["02215"])
    for code in ("02365", "02350", "02215"):
        assert units[f"{code}-ubnd"].org == "ubnd" and units[f"{code}-ubnd"].id in staffed
        assert units[f"{code}-cong_doan"].org == "cong_doan"


async def test_demo_meetings_avoid_public_holidays(db: Database, clock: FakeClock) -> None:
    """Seeded on 30 August, the briefing three days on would fall on 2 September (National
    Day): it moves to the next working day, as every demo meeting does."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from bot.demo import seed_demo_meetings
    from bot.holidays import is_public_holiday, is_working_day
    from storage.models import Meeting

    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    now = datetime(2026, 8, 30, 9, tzinfo=tz)
    assert is_public_holiday(date(2026, 9, 2)) and is_public_holiday(date(2026, 2, 17))
    async with db.session() as session:
        demo = await seed_demo(session, now)
        assert await seed_demo_meetings(session, demo, now, tz) == 4
        starts = [m.starts_at.astimezone(tz).date() for m in await session.scalars(select(Meeting))]
    assert all(is_working_day(day) for day in starts), starts
    assert date(2026, 9, 4) in starts  # 2/9 and 3/9 are holidays: Friday 4 September
