"""The Front's and the People's Committee's handling of an item, action by action: every
transition, who is told, and every refusal leaving the item as it was (bot/petition_workflow.py).

The demo tree: 1002 leads the Front of Xã Yên Nguyên (02365), 1004 is a cadre of its thôn
(02365-t1), 1013 an officer of its UBND (02365-ubnd), 1008 leads Xã Kim Bình's Front (02350),
1014 is an officer of Kim Bình's UBND, 1001 leads the province's Front.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bot import petition_workflow as wf
from bot.clock import FakeClock
from bot.demo import seed_demo
from bot.petition_workflow import PetitionRefused
from storage.db import Database
from storage.models import OutboxMessage, Petition, PetitionFile
from storage.queries import people as people_q
from storage.queries import petitions as petitions_q
from tests.harness import actor_of, unit_of
from tests.petition_items import record

DAYS = {"dat_dai": 45}


async def _setup(db: Database, clock: FakeClock) -> None:
    async with db.session() as s:
        await seed_demo(s, clock.now())
        person = await people_q.ensure(s, 1017, clock.now())
        ubnd = await unit_of(s, "02365-ubnd")
        await people_q.grant(s, person.id, ubnd.id, "cadre", clock.now(), "test")


async def _item(db: Database, clock: FakeClock, **kw: object) -> int:
    async with db.session() as s:
        return (await record(s, clock.now(), **kw)).id  # type: ignore[arg-type]


async def _do(db: Database, clock: FakeClock, tid: int, action: str, *args: object) -> wf.Item:
    async with db.session() as s:
        actor = await actor_of(s, tid)
        done: wf.Item = await getattr(wf, action)(s, actor, *args)
        return done


async def _refused(
    db: Database, clock: FakeClock, tid: int, action: str, *args: object
) -> PetitionRefused:
    async with db.session() as s:
        before = await _row(s, args[0])  # type: ignore[arg-type]
    with pytest.raises(PetitionRefused) as caught:
        await _do(db, clock, tid, action, *args)
    async with db.session() as s:
        assert await _row(s, args[0]) == before  # type: ignore[arg-type]
    return caught.value


async def _row(s: object, petition_id: int) -> tuple[object, ...]:
    petition = await s.get(Petition, petition_id)  # type: ignore[attr-defined]
    assert petition is not None
    return tuple(getattr(petition, c.key) for c in Petition.__table__.columns)


async def _notices(db: Database, kind: str) -> list[tuple[int, dict[str, object]]]:
    async with db.session() as s:
        rows = await s.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind))
        return [(r.chat_id, r.params) for r in rows]


async def _actions(db: Database, petition_id: int) -> list[str]:
    async with db.session() as s:
        return [e.action for e in await petitions_q.history(s, petition_id)]


async def test_the_whole_life_at_the_commune(db: Database, clock: FakeClock) -> None:
    await _setup(db, clock)
    pid = await _item(db, clock, category="dat_dai")
    now = clock.now()
    today = now.date()
    item = await _do(db, clock, 1002, "forward", pid, now, today, DAYS)
    p = item.petition
    assert (p.status, item.authority and item.authority.code) == ("forwarded", "02365-ubnd")
    assert p.due_on == today + timedelta(days=45)
    officers = {chat for chat, _ in await _notices(db, "petition_forwarded")}
    assert officers == {1013, 1017}
    assert (await _do(db, clock, 1013, "acknowledge", pid, now)).petition.status == "acknowledged"
    async with db.session() as s:
        colleague = await people_q.by_telegram_id(s, 1017)
        assert colleague is not None
    await _do(db, clock, 1013, "assign", pid, colleague.id, now)
    assert [chat for chat, _ in await _notices(db, "petition_assigned")] == [1017]
    item = await _do(db, clock, 1017, "answer", pid, "Đã sửa xong.", now, ("document", "F1"))
    assert (item.petition.status, item.petition.answer) == ("answered", "Đã sửa xong.")
    assert [chat for chat, _ in await _notices(db, "petition_answered")] == [1002]
    async with db.session() as s:
        files = (await s.scalars(select(PetitionFile))).all()
        assert [(f.stage, f.file_id) for f in files] == [("answer", "F1")]
    item = await _do(db, clock, 1002, "rate", pid, False, "Chưa rõ thời gian.", now)
    assert (item.petition.status, item.petition.rating) == ("acknowledged", "unsatisfactory")
    assert [chat for chat, _ in await _notices(db, "petition_rated_not_ok")] == [1017]
    await _do(db, clock, 1017, "answer", pid, "Hoàn thành trước 15/12.", now)
    item = await _do(db, clock, 1002, "rate", pid, True, "", now)
    assert (item.petition.status, item.petition.rating) == ("closed", "satisfactory")
    assert item.petition.closed_at is not None
    assert [chat for chat, _ in await _notices(db, "petition_closed")] == [1004]
    assert (await _do(db, clock, 1004, "informed", pid, now)).petition.informed_at == now
    refusal = await _refused(db, clock, 1004, "informed", pid, now)
    assert refusal.reason == "already_informed"
    assert await _actions(db, pid) == [
        "recorded",
        "forwarded",
        "acknowledged",
        "assigned",
        "answered",
        "rated_not_ok",
        "answered",
        "rated_ok",
        "informed",
    ]
    for _, params in await _notices(db, "petition_forwarded"):
        assert set(params) == {"petition_id", "event_id"}  # never the citizen


async def test_merge_adds_the_counts(db: Database, clock: FakeClock) -> None:
    await _setup(db, clock)
    first = await _item(db, clock, people=12)
    second = await _item(db, clock, people=3)
    async with db.session() as s:
        code = (await s.get(Petition, first)).code  # type: ignore[union-attr]
    item = await _do(db, clock, 1002, "merge", second, code.lower(), clock.now())
    assert (item.petition.status, item.petition.merged_into_id) == ("merged", first)
    async with db.session() as s:
        target = await s.get(Petition, first)
        assert target is not None and target.people_count == 15
    assert (await _refused(db, clock, 1002, "merge", first, code, clock.now())).reason == (
        "merge_self"
    )
    assert (
        await _refused(db, clock, 1002, "merge", first, "KN-2026-9999", clock.now())
    ).reason == ("merge_target")
    third = await _item(db, clock)
    merged_code = f"KN-{clock.now().year}-{second:04d}"
    refusal = await _refused(db, clock, 1002, "merge", third, merged_code, clock.now())
    assert refusal.reason == "merge_target"  # merged already: not open


async def test_merge_into_another_communes_item_is_refused(db: Database, clock: FakeClock) -> None:
    await _setup(db, clock)
    ours = await _item(db, clock)
    theirs = await _item(db, clock, place="02350", recorder=1009)
    async with db.session() as s:
        code = (await s.get(Petition, theirs)).code  # type: ignore[union-attr]
    assert (await _refused(db, clock, 1002, "merge", ours, code, clock.now())).reason == (
        "merge_target"
    )


async def test_answer_directly_and_decline(db: Database, clock: FakeClock) -> None:
    await _setup(db, clock)
    answered = await _item(db, clock)
    declined = await _item(db, clock)
    now = clock.now()
    assert (await _refused(db, clock, 1002, "answer_directly", answered, "  ", now)).reason == (
        "empty_answer"
    )
    item = await _do(db, clock, 1002, "answer_directly", answered, "Mặt trận đã hòa giải.", now)
    assert (item.petition.status, item.petition.closed_at) == ("closed", now)
    assert await _actions(db, answered) == ["recorded", "answered_front"]
    assert (await _refused(db, clock, 1002, "decline", declined, "", now)).reason == "empty_reason"
    item = await _do(db, clock, 1002, "decline", declined, "Đã giải quyết năm 2025.", now)
    assert item.petition.status == "declined"
    assert [c for c, _ in await _notices(db, "petition_declined")] == [1004]
    assert (await _refused(db, clock, 1002, "decline", declined, "lần nữa", now)).reason == "status"


async def test_send_up_then_the_committee_above_forwards(db: Database, clock: FakeClock) -> None:
    """A thôn has no People's Committee: its own leader sends the item up; the commune's leader
    may also forward it straight to the commune's, which moves it up on the way."""
    await _setup(db, clock)
    async with db.session() as s:
        thon = await unit_of(s, "02365-t1")
        nam = await people_q.by_telegram_id(s, 1004)
        assert nam is not None
        await people_q.grant(s, nam.id, thon.id, "admin", clock.now(), "test")
    pid = await _item(db, clock, place="02365-t1")
    now, today = clock.now(), clock.now().date()
    refusal = await _refused(db, clock, 1004, "forward", pid, now, today, DAYS)
    assert refusal.reason == "no_authority" and "Cầu Bâm" in refusal.details["front"]
    item = await _do(db, clock, 1004, "send_up", pid, now)
    async with db.session() as s:
        commune = await unit_of(s, "02365")
    assert (item.petition.status, item.petition.front_unit_id) == ("recorded", commune.id)
    assert [c for c, _ in await _notices(db, "petition_sent_up")] == [1002]
    item = await _do(db, clock, 1002, "forward", pid, now, today, {})
    assert item.petition.due_on == today + timedelta(days=30)
    assert await _actions(db, pid) == ["recorded", "sent_up", "forwarded"]

    straight = await _item(db, clock, place="02365-t1")
    item = await _do(db, clock, 1002, "forward", straight, now, today, {})
    assert (item.petition.status, item.petition.front_unit_id) == ("forwarded", commune.id)
    assert item.authority is not None and item.authority.code == "02365-ubnd"
    assert await _actions(db, straight) == ["recorded", "sent_up", "forwarded"]


async def test_the_top_has_no_front_above(db: Database, clock: FakeClock) -> None:
    await _setup(db, clock)
    pid = await _item(db, clock, place="08", recorder=1001)
    assert (await _refused(db, clock, 1001, "send_up", pid, clock.now())).reason == (
        "no_front_above"
    )


async def test_extension_asked_granted_and_refused(db: Database, clock: FakeClock) -> None:
    await _setup(db, clock)
    pid = await _item(db, clock)
    now, today = clock.now(), clock.now().date()
    await _do(db, clock, 1002, "forward", pid, now, today, {})
    due = today + timedelta(days=30)
    assert (await _refused(db, clock, 1002, "decide_extension", pid, True, now)).reason == (
        "no_extension"
    )
    early = await _refused(db, clock, 1013, "ask_extension", pid, due, "Chờ khảo sát", now, today)
    assert early.reason == "extension_date"
    later = due + timedelta(days=15)
    await _do(db, clock, 1013, "ask_extension", pid, later, "Chờ khảo sát", now, today)
    asked = await _notices(db, "petition_extension_asked")
    assert [c for c, _ in asked] == [1002] and asked[0][1]["until"] == later.isoformat()
    again = await _refused(db, clock, 1013, "ask_extension", pid, later, "Thêm", now, today)
    assert again.reason == "extension_pending"
    item = await _do(db, clock, 1002, "decide_extension", pid, True, now)
    assert (item.petition.due_on, item.petition.extension_until) == (later, None)
    await _do(db, clock, 1013, "ask_extension", pid, later + timedelta(days=5), "Mưa", now, today)
    item = await _do(db, clock, 1002, "decide_extension", pid, False, now)
    assert (item.petition.due_on, item.petition.extension_until) == (later, None)
    decided = sorted(c for c, _ in await _notices(db, "petition_extension"))
    assert decided == [1013, 1013, 1017, 1017]  # nobody assigned: every officer, twice
    assert (await _actions(db, pid))[-2:] == ["extension_asked", "extension_refused"]


async def test_who_may_not(db: Database, clock: FakeClock) -> None:
    """Outside the chain, the wrong side of it, or the wrong moment: refused, nothing changes."""
    await _setup(db, clock)
    pid = await _item(db, clock)
    now, today = clock.now(), clock.now().date()
    # Another commune's Front leader, another commune's officer, a forged id: as if no item.
    assert (await _refused(db, clock, 1008, "forward", pid, now, today, {})).reason == "not_found"
    assert (await _refused(db, clock, 1014, "acknowledge", pid, now)).reason == "not_found"
    with pytest.raises(PetitionRefused, match="not_found"):
        await _do(db, clock, 1002, "forward", pid + 1000, now, today, {})
    # The recorder is in the chain but does not act for the Front.
    assert (await _refused(db, clock, 1004, "forward", pid, now, today, {})).reason == "not_front"
    # The commune's officers see nothing before it is forwarded to them.
    assert (await _refused(db, clock, 1013, "acknowledge", pid, now)).reason == "not_found"
    # A member organisation's leader of the same commune is not the Front.
    assert (await _refused(db, clock, 1003, "decline", pid, "x", now)).reason == "not_found"
    await _do(db, clock, 1002, "forward", pid, now, today, {})
    assert (await _refused(db, clock, 1002, "acknowledge", pid, now)).reason == "not_authority"
    assert (await _refused(db, clock, 1002, "rate", pid, True, "", now)).reason == "status"
    assert (await _refused(db, clock, 1013, "answer", pid, "", now)).reason == "empty_answer"
    assert (await _refused(db, clock, 1013, "assign", pid, 1, now)).reason == "not_colleague"
    assert (await _refused(db, clock, 1002, "send_up", pid, now)).reason == "status"
    await _do(db, clock, 1013, "answer", pid, "Đã xử lý.", now)
    assert (await _refused(db, clock, 1013, "acknowledge", pid, now)).reason == "status"
    assert (await _refused(db, clock, 1002, "rate", pid, False, " ", now)).reason == (
        "empty_comment"
    )
    assert (await _refused(db, clock, 1004, "informed", pid, now)).reason == "status"


async def test_a_bad_code_and_the_owner(db: Database, clock: FakeClock) -> None:
    await _setup(db, clock)
    pid = await _item(db, clock)
    async with db.session() as s:
        owner = await actor_of(s, 1000)
        with pytest.raises(PetitionRefused, match="bad_code"):
            await wf.load_code(s, owner, "KN-abc")
        assert (await wf.load_code(s, owner, f"kn {clock.now().year} {pid}")).petition.id == pid


def test_due_dates_come_from_settings() -> None:
    from bot.petitions import due_date

    assert due_date("dat_dai", date(2026, 12, 1), DAYS) == date(2027, 1, 15)
