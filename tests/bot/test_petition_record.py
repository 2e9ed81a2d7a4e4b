"""Recording recommendations without Telegram (issue 17, part 1): what a recording must hold,
who may record for which places, what saving stores and whom it tells, and the followers'
notice when an item is answered (bot/petition_record.py, bot/petition_follow.py)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import petition_follow as pf
from bot import petition_record as pr
from bot.access import Actor, load_actor
from bot.clock import FakeClock
from bot.demo import seed_demo
from bot.onboarding import hash_code
from storage.db import Database
from storage.models import OutboxMessage, Person, Petition, PetitionEvent
from storage.queries import people as people_q
from storage.queries import units as units_q

TODAY = date(2026, 11, 16)


@pytest.fixture
async def demo(db: Database, clock: FakeClock) -> Database:
    async with db.session() as session:
        await seed_demo(session, clock.now())
        await session.execute(update(Person).values(started=True))
    return db


async def actor(session: AsyncSession, telegram_id: int) -> Actor:
    person = await people_q.by_telegram_id(session, telegram_id)
    assert person is not None
    return await load_actor(session, person)


def test_text_count_name_and_phone_are_checked() -> None:
    assert pr.check_text("  Đề nghị sửa đường  ") == "Đề nghị sửa đường"
    for text, code in (("", "text_short"), ("sửa đường", "text_short"), ("x" * 2001, "text_long")):
        with pytest.raises(pr.RecordError) as exc:
            pr.check_text(text)
        assert exc.value.code == code, text
    assert pr.parse_count(" 12 ") == 12
    for text, code in (("mười", "count"), ("1²", "count"), ("١٢", "count"), ("0", "count_range")):
        with pytest.raises(pr.RecordError) as exc:
            pr.parse_count(text)
        assert exc.value.code == code, text
    assert pr.check_name("hoàng  văn páo") == "hoàng văn páo"  # as typed, spaces tidied
    assert pr.check_phone("+84 912.345.678") == "0912345678"
    with pytest.raises(pr.RecordError):
        pr.check_phone("0912 345")


async def test_places_are_the_own_unit_and_the_areas_below(demo: Database) -> None:
    async with demo.session() as session:
        nam = await actor(session, 1004)  # cadre of a thôn: only the thôn
        assert [p.unit.code for p in await pr.places(session, nam)] == ["02365-t1"]
        lan = await actor(session, 1002)  # leader of a commune: it, then its thôns
        codes = [p.unit.code for p in await pr.places(session, lan)]
        assert codes[0] == "02365" and "02365-t1" in codes
        assert not any(c.endswith(("-ubnd", "-phu_nu", "-cong_doan")) for c in codes)
        quang = await actor(session, 1013)  # UBND only
        assert not pr.can_record(quang) and await pr.places(session, quang) == []


def new(place_id: int, **changes: object) -> pr.NewPetition:
    values: dict[str, object] = {
        "text": "Đề nghị sửa đường liên thôn",
        "category": "ha_tang",
        "source": "tiep_xuc_cu_tri",
        "place_id": place_id,
        "received_on": TODAY,
        "consent": False,
        "citizen_name": "Hoàng Văn Páo",
        "citizen_phone": "0912345678",
    }
    values.update(changes)
    return pr.NewPetition(**values)  # type: ignore[arg-type]


async def test_saving_stores_the_item_its_step_and_the_front_leaders_notice(
    demo: Database, clock: FakeClock
) -> None:
    now = clock.now()
    async with demo.session() as session:
        hoa = await actor(session, 1005)  # cadre of the thôn's Women's Union branch
        branch = await units_q.by_code(session, "02365-t1-phu_nu")
        thon = await units_q.by_code(session, "02365-t1")
        assert branch is not None and thon is not None
        leader = await people_q.ensure(session, 2001, now)
        leader.started = True
        await people_q.grant(session, leader.id, thon.id, "admin", now, "test")
        cadre = await people_q.ensure(session, 2002, now)
        cadre.started = True
        await people_q.grant(session, cadre.id, thon.id, "cadre", now, "test")
        # Without consent nothing of the citizen is kept, whatever the draft held.
        petition = await pr.record(session, hoa, new(branch.id), now, TODAY)
        assert (petition.code, petition.front_unit_id) == ("KN-2026-0001", thon.id)
        assert (petition.citizen_name, petition.citizen_phone) == (None, None)
        events = (await session.scalars(select(PetitionEvent))).all()
        assert [(e.action, e.status_after) for e in events] == [("recorded", "recorded")]
        notices = (await session.scalars(select(OutboxMessage))).all()
        assert [(n.chat_id, n.kind) for n in notices] == [(2001, pr.NEW_NOTICE)]
        second = await pr.record(
            session, hoa, new(branch.id, consent=True, citizen_phone="+84912345678"), now, TODAY
        )
        assert (second.code, second.citizen_name, second.citizen_phone) == (
            "KN-2026-0002",
            "Hoàng Văn Páo",
            "0912345678",
        )


async def test_saving_checks_everything_again(demo: Database, clock: FakeClock) -> None:
    now = clock.now()
    async with demo.session() as session:
        nam = await actor(session, 1004)
        quang = await actor(session, 1013)
        own = await units_q.by_code(session, "02365-t1")
        other = await units_q.by_code(session, "02350-t1")
        assert own is not None and other is not None
        refusals = {
            "place": (nam, new(other.id)),
            "future": (nam, new(own.id, received_on=TODAY + timedelta(days=1))),
            "category": (nam, new(own.id, category="xyz")),
            "source": (nam, new(own.id, source="xyz")),
            "phone": (nam, new(own.id, consent=True, citizen_phone="12")),
            "not_allowed": (quang, new(own.id)),
        }
        for code, (who, draft) in refusals.items():
            with pytest.raises(pr.RecordError) as exc:
                await pr.record(session, who, draft, now, TODAY)
            assert exc.value.code == code
        assert not (await session.scalars(select(Petition))).all()


async def test_followers_are_told_of_an_answer_once(demo: Database, clock: FakeClock) -> None:
    now = clock.now()
    async with demo.session() as session:
        nam = await actor(session, 1004)
        own = await units_q.by_code(session, "02365-t1")
        assert own is not None
        petition = await pr.record(session, nam, new(own.id), now, TODAY)
        code = await pf.make_link_code(session, petition)
        assert petition.follow_hash == hash_code(code) and code not in petition.follow_hash
        citizen = await people_q.ensure(session, 5001, now)
        followed = await pf.follow(session, citizen, 5001, f"f_{code}", now)
        assert followed.outcome is pf.FollowOutcome.FOLLOWING
        # A new link replaces the old one; the follower keeps following.
        await pf.make_link_code(session, petition)
        stale = await pf.follow(session, citizen, 5001, f"f_{code}", now)
        assert stale.outcome is pf.FollowOutcome.UNKNOWN
        assert await pf.notify_followers(session, petition, now) == 1
        petition.answered_at = now + timedelta(days=3)  # a later answer is told again
        assert await pf.notify_followers(session, petition, now) == 1
        kinds = (
            await session.scalars(select(OutboxMessage.kind).where(OutboxMessage.chat_id == 5001))
        ).all()
        assert kinds == [pf.ANSWER_NOTICE, pf.ANSWER_NOTICE]
