"""Reminders, escalation and erasure of petitions over time (issue 17), driven by the fake clock:
one reminder three days ahead, one a day when overdue (three at most), then one escalation; the
item's counters decide, so a second run (or a second process at once) sends nothing more; the
citizen's name and phone go a configured time after the item is final, and not before."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from bot.demo import seed_demo
from bot.petition_reminders import FollowUp, follow_up
from bot.petitions import DEFAULT_ERASE_AFTER_DAYS
from bot.settings import Settings
from storage.db import Database
from storage.models import OutboxMessage, Person, Petition
from storage.queries import people as people_q
from storage.queries import petitions as petitions_q
from tests.harness import unit_of
from tests.petition_items import make_item

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
#: A UBND officer of xã Yên Nguyên beside the demo's chairman (1013), who gets the item assigned.
OFFICER = 1020


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


@pytest.fixture
async def seeded(db: Database, clock: FakeClock) -> Database:
    async with db.session() as s:
        await seed_demo(s, clock.now())
        officer = await people_q.ensure(s, OFFICER, clock.now())
        officer.first_name, officer.last_name = "Hà", "Nông Thị"
        ubnd = await unit_of(s, "02365-ubnd")
        await people_q.grant(s, officer.id, ubnd.id, "cadre", clock.now(), "test")
        for person in (await s.scalars(select(Person))).all():
            person.started = True
    return db


async def run(db: Database, when: datetime, **kwargs: int) -> FollowUp:
    async with db.session() as s:
        return await follow_up(s, when.astimezone(TZ), TZ, **kwargs)


async def queued(db: Database) -> list[tuple[str, int, str]]:
    async with db.session() as s:
        rows = (await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
        return [(r.kind, r.chat_id, r.key.split(":")[3]) for r in rows]


async def item_at_authority(db: Database, *, assign: bool) -> int:
    async with db.session() as s:
        item = await make_item(
            s,
            status="acknowledged",
            received_on=date(2026, 11, 3),
            authority="02365-ubnd",
            forwarded_on=date(2026, 11, 4),
        )
        if assign:
            officer = await people_q.by_telegram_id(s, OFFICER)
            assert officer is not None
            item.assignee_id = officer.id
        return item.id


async def actions(db: Database, petition_id: int) -> list[tuple[str, str | None]]:
    async with db.session() as s:
        return [(e.action, e.note) for e in await petitions_q.history(s, petition_id)]


async def test_the_schedule_before_and_after_the_due_date(seeded: Database) -> None:
    db = seeded
    pid = await item_at_authority(db, assign=True)  # due 04/12/2026
    assert await run(db, local(date(2026, 12, 1), 7, 59)) == FollowUp()
    assert await run(db, local(date(2026, 12, 1), 8)) == FollowUp(reminders=1)
    assert await run(db, local(date(2026, 12, 1), 8, 1)) == FollowUp()
    assert await run(db, local(date(2026, 12, 4), 23, 59)) == FollowUp()
    assert await run(db, local(date(2026, 12, 5), 7, 59)) == FollowUp()
    for day in (5, 6, 7):
        assert await run(db, local(date(2026, 12, day), 8)) == FollowUp(reminders=1)
        assert await run(db, local(date(2026, 12, day), 9)) == FollowUp()
    assert await run(db, local(date(2026, 12, 8), 7, 59)) == FollowUp()
    assert await run(db, local(date(2026, 12, 8), 8)) == FollowUp(escalations=1)
    for later in (local(date(2026, 12, 8), 8, 1), local(date(2026, 12, 20), 8)):
        assert await run(db, later) == FollowUp()

    # The assigned officer is reminded; the UBND's chairman (1013) and the Front leader who
    # forwarded it (Lan, 1002) get the one escalation.
    assert await queued(db) == [
        ("petition_due_soon", OFFICER, "before"),
        ("petition_overdue", OFFICER, "overdue1"),
        ("petition_overdue", OFFICER, "overdue2"),
        ("petition_overdue", OFFICER, "overdue3"),
        ("petition_escalated", 1013, "escalated"),
        ("petition_escalated", 1002, "escalated"),
    ]
    async with db.session() as s:
        item = await s.get(Petition, pid)
        assert item is not None and item.reminders_sent == 3
        assert item.escalated_at == local(date(2026, 12, 8), 8)
    assert (await actions(db, pid))[-4:] == [
        ("reminded", "1"),
        ("reminded", "2"),
        ("reminded", "3"),
        ("escalated", None),
    ]


async def test_unassigned_items_remind_every_officer_and_a_long_outage_sends_one(
    seeded: Database,
) -> None:
    db = seeded
    pid = await item_at_authority(db, assign=False)
    # The bot was down from before the due date until the third overdue day: one reminder.
    assert await run(db, local(date(2026, 12, 7), 9)) == FollowUp(reminders=2)
    assert sorted(await queued(db)) == [
        ("petition_overdue", 1013, "overdue3"),
        ("petition_overdue", OFFICER, "overdue3"),
    ]
    assert await run(db, local(date(2026, 12, 7), 10)) == FollowUp()
    assert await run(db, local(date(2026, 12, 8), 8)) == FollowUp(escalations=1)
    assert (await actions(db, pid))[-2:] == [("reminded", "3"), ("escalated", None)]


async def test_two_runs_at_once_send_each_once(seeded: Database) -> None:
    db = seeded
    await item_at_authority(db, assign=True)
    first, second = await asyncio.gather(
        run(db, local(date(2026, 12, 5), 8)), run(db, local(date(2026, 12, 5), 8))
    )
    assert (first.reminders + second.reminders) == 1
    for when in (local(date(2026, 12, 6), 8), local(date(2026, 12, 7), 8)):
        await run(db, when)
    first, second = await asyncio.gather(
        run(db, local(date(2026, 12, 8), 8)), run(db, local(date(2026, 12, 8), 8))
    )
    assert (first.escalations, second.escalations) in ((1, 0), (0, 1))
    assert [k for k, _, _ in await queued(db)].count("petition_escalated") == 2


async def test_an_extended_due_date_starts_afresh_and_answered_items_rest(
    seeded: Database,
) -> None:
    db = seeded
    pid = await item_at_authority(db, assign=True)
    await run(db, local(date(2026, 12, 5), 8))
    async with db.session() as s:
        item = await s.get(Petition, pid)
        assert item is not None
        item.due_on, item.reminders_sent = date(2026, 12, 20), 0  # as granting an extension does
    assert await run(db, local(date(2026, 12, 6), 8)) == FollowUp()
    assert await run(db, local(date(2026, 12, 17), 8)) == FollowUp(reminders=1)
    async with db.session() as s:
        item = await s.get(Petition, pid)
        assert item is not None
        item.status = "answered"
    assert await run(db, local(date(2026, 12, 25), 8)) == FollowUp()
    assert [slot for _, _, slot in await queued(db)] == ["overdue1", "before"]


async def test_citizen_data_is_erased_after_the_window_and_not_before(seeded: Database) -> None:
    db = seeded
    citizen = ("Nguyễn Văn Bình", "0912345678")
    async with db.session() as s:
        closed = await make_item(
            s,
            status="closed",
            received_on=date(2025, 10, 1),
            authority="02365-ubnd",
            forwarded_on=date(2025, 10, 2),
            answered_on=date(2025, 11, 20),
            closed_on=date(2025, 12, 1),
            rating="satisfactory",
            citizen=citizen,
        )
        declined = await make_item(
            s, status="declined", received_on=date(2025, 12, 1), citizen=citizen
        )
        open_item = await make_item(
            s, status="recorded", received_on=date(2025, 1, 1), citizen=citizen
        )
        ids = (closed.id, declined.id, open_item.id)
    # closed_at is noon (05:00 UTC) of 01/12/2025: 365 days later, at that minute.
    noon = local(date(2026, 12, 1), 12)
    assert await run(db, noon - timedelta(minutes=1)) == FollowUp()
    assert await run(db, noon + timedelta(minutes=1)) == FollowUp(erased=2)
    assert await run(db, noon + timedelta(days=30)) == FollowUp()
    async with db.session() as s:
        rows = [await s.get(Petition, i) for i in ids]
        assert [(r.citizen_name, r.citizen_phone) for r in rows if r] == [
            (None, None),
            (None, None),
            citizen,
        ]
        assert [r.erased_at for r in rows if r] == [noon + timedelta(minutes=1)] * 2 + [None]
    assert (await actions(db, ids[0]))[-1] == ("erased", None)
    # A shorter configured window erases sooner.
    async with db.session() as s:
        recent = await make_item(s, status="merged", received_on=date(2026, 11, 1), citizen=citizen)
    assert await run(db, local(date(2026, 12, 2), 12), erase_after_days=30) == FollowUp(erased=1)
    assert (await actions(db, recent.id))[-1] == ("erased", None)


def test_the_erasure_window_is_a_setting_with_the_domains_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings(_env_file=None).petition_erase_after_days == DEFAULT_ERASE_AFTER_DAYS  # type: ignore[call-arg]
    monkeypatch.setenv("PHOIHOP_PETITION_ERASE_AFTER_DAYS", "180")
    assert Settings(_env_file=None).petition_erase_after_days == 180  # type: ignore[call-arg]
