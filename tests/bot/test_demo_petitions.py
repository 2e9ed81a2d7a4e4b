"""The demo's recommendations (issue 17): items in every state in the demo communes, forwarded to
their UBND units with the history the handling would leave, one overdue (so the scheduler's
follow-up reminds the UBND officer the next morning) and one answered waiting for a rating."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.clock import FakeClock
from bot.demo import seed_demo, seed_demo_meetings
from bot.demo_petitions import seed_demo_agenda, seed_demo_petitions
from bot.meeting_agenda import agenda
from bot.petition_reminders import follow_up
from bot.petitions import STATUSES
from storage.db import Database
from storage.models import Meeting, OutboxMessage, Person, Petition, PetitionEvent, Unit

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


async def test_items_in_every_state_with_their_history(db: Database, clock: FakeClock) -> None:
    async with db.session() as s:
        demo = await seed_demo(s, clock.now())
        assert await seed_demo_petitions(s, demo, clock.now(), TZ) == 8
    async with db.session() as s:
        items = (await s.scalars(select(Petition).order_by(Petition.seq))).all()
        assert {p.status for p in items} == set(STATUSES)
        assert [p.code for p in items][:2] == ["KN-2026-0001", "KN-2026-0002"]
        units = {u.id: u for u in (await s.scalars(select(Unit))).all()}
        for item in items:
            if item.authority_unit_id is not None:
                authority = units[item.authority_unit_id]
                assert authority.org == "ubnd"
                assert authority.anchor_path == units[item.front_unit_id].path
            assert units[item.unit_id].path.startswith(units[item.front_unit_id].path)
        events = {
            p.code: [
                e.action
                for e in (
                    await s.scalars(
                        select(PetitionEvent)
                        .where(PetitionEvent.petition_id == p.id)
                        .order_by(PetitionEvent.at, PetitionEvent.id)
                    )
                ).all()
            ]
            for p in items
        }
        closed = next(p for p in items if p.status == "closed")
        assert events[closed.code] == [
            "recorded",
            "forwarded",
            "acknowledged",
            "assigned",
            "answered",
            "rated_ok",
            "informed",
        ]
        assert closed.informed_at is not None and closed.rating == "satisfactory"
        merged = next(p for p in items if p.status == "merged")
        into = next(p for p in items if p.id == merged.merged_into_id)
        assert into.people_count == 16 and events[merged.code] == ["recorded", "merged"]
        today = clock.now().astimezone(TZ).date()
        overdue = [p for p in items if p.status in ("forwarded", "acknowledged") and p.due_on]
        assert any(p.due_on < today for p in overdue if p.due_on)  # one is overdue
        answered = next(p for p in items if p.status == "answered")
        assert answered.due_on is not None and answered.answered_at is not None
        assert answered.answered_at.astimezone(TZ).date() <= answered.due_on  # on time
        assert sum(1 for p in items if p.citizen_name) == 1

    # The next morning the overdue item's officer (Quang, 1013) is reminded: once they started
    # the bot (the demo's people have not yet).
    async with db.session() as s:
        for person in (await s.scalars(select(Person))).all():
            person.started = True
    morning = clock.now() + timedelta(days=1)
    async with db.session() as s:
        done = await follow_up(s, morning.replace(hour=1, minute=0), TZ)
    assert done.reminders == 1
    async with db.session() as s:
        chats = list(await s.scalars(select(OutboxMessage.chat_id)))
    assert chats == [1013]


async def test_the_coming_giao_ban_takes_the_open_items_as_its_agenda(
    db: Database, clock: FakeClock
) -> None:
    """The console's demo shows the meeting agenda of issue 17: Yên Nguyên's giao ban with its
    People's Committee lists what is waiting for the committee there."""
    async with db.session() as s:
        demo = await seed_demo(s, clock.now())
        await seed_demo_meetings(s, demo, clock.now(), TZ)
        await seed_demo_petitions(s, demo, clock.now(), TZ)
        attached = await seed_demo_agenda(s, demo, clock.now())
    async with db.session() as s:
        lan = next(p for p in demo.people if p.telegram_id == 1002)
        commune = await s.scalar(select(Unit).where(Unit.code == lan.unit_code))
        meeting = await s.scalar(
            select(Meeting).where(Meeting.title == "Giao ban quý IV với UBND xã")
        )
        assert commune is not None and meeting is not None
        waiting = (
            await s.scalars(
                select(Petition).where(
                    Petition.front_unit_id == commune.id,
                    Petition.status.in_(["forwarded", "acknowledged"]),
                )
            )
        ).all()
        on_agenda = await agenda(s, meeting.id)
    assert attached == len(waiting) == len(on_agenda) > 0
    assert {i.code for i in on_agenda} == {p.code for p in waiting}
