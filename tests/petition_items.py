"""Petitions written straight into the database as the recording and handling flows would leave
them, so the tests of handling (``record``: a new item, as /petition stores it) and of what counts
and follows items over time (``make_item``: any state, with its dates and history) do not depend
on how /petition asks for them. The demo's communes give the units: ``02365`` (Ủy ban MTTQ xã Yên
Nguyên) with its thôn ``02365-t1`` and its People's Committee ``02365-ubnd``."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.petitions import code_for
from storage.models import Person, Petition
from storage.queries import people as people_q
from storage.queries import petitions as petitions_q
from storage.queries import units as units_q
from tests.harness import unit_of


def at_noon(day: date) -> datetime:
    """Noon in Hà Nội of ``day`` (05:00 UTC), so its local date is ``day``."""
    return datetime.combine(day, time(5), tzinfo=UTC)


async def person(session: AsyncSession, telegram_id: int) -> Person:
    found = await people_q.by_telegram_id(session, telegram_id)
    assert found is not None, telegram_id
    return found


async def make_item(
    session: AsyncSession,
    *,
    status: str,
    received_on: date,
    place: str = "02365-t1",
    front: str = "02365",
    authority: str | None = None,
    category: str = "ha_tang",
    text: str = "Đề nghị sửa chữa tuyến đường giao thông nông thôn liên thôn bị xuống cấp",
    recorder: int | None = 1004,
    forwarder: int | None = 1002,
    forwarded_on: date | None = None,
    due_on: date | None = None,
    answered_on: date | None = None,
    closed_on: date | None = None,
    rating: str | None = None,
    citizen: tuple[str, str] | None = None,
    people_count: int = 1,
) -> Petition:
    """One item and the events that brought it to ``status``."""
    place_unit = await unit_of(session, place)
    front_unit = await unit_of(session, front)
    recorded_by = (await person(session, recorder)).id if recorder else None
    forwarded_by = (await person(session, forwarder)).id if forwarder else None
    created = at_noon(received_on)
    item = Petition(
        year=received_on.year,
        text=text,
        category=category,
        source="tiep_xuc_cu_tri",
        unit_id=place_unit.id,
        people_count=people_count,
        recorded_by=recorded_by,
        received_on=received_on,
        consent=citizen is not None,
        citizen_name=citizen[0] if citizen else None,
        citizen_phone=citizen[1] if citizen else None,
        status="recorded",
        front_unit_id=front_unit.id,
        reminders_sent=0,
        created_at=created,
        updated_at=created,
    )
    await petitions_q.add(session, item, code_for)
    await petitions_q.add_event(session, item, "recorded", created, recorded_by)
    if authority is not None:
        authority_unit = await unit_of(session, authority)
        assert forwarded_on is not None
        item.authority_unit_id = authority_unit.id
        item.forwarded_by = forwarded_by
        item.forwarded_at = at_noon(forwarded_on)
        item.due_on = due_on or forwarded_on + timedelta(days=30)
        item.status = "forwarded"
        await petitions_q.add_event(
            session, item, "forwarded", item.forwarded_at, forwarded_by, unit_id=authority_unit.id
        )
        if status != "forwarded":
            item.status = "acknowledged"
            await petitions_q.add_event(session, item, "acknowledged", item.forwarded_at, None)
    if answered_on is not None:
        item.status = "answered"
        item.answer = "UBND xã đã bố trí kinh phí, dự kiến thi công trong quý I năm sau."
        item.answered_at = at_noon(answered_on)
        await petitions_q.add_event(session, item, "answered", item.answered_at, None)
    if rating is not None:
        item.rating = rating
    if status in ("closed", "declined", "merged"):
        item.status = status
        item.closed_at = at_noon(closed_on or answered_on or received_on)
        action = {"closed": "rated_ok", "declined": "declined", "merged": "merged"}[status]
        await petitions_q.add_event(session, item, action, item.closed_at, forwarded_by)
    assert item.status == status, (item.status, status)
    await session.flush()
    return item


async def record(
    session: AsyncSession,
    now: datetime,
    *,
    place: str = "02365",
    recorder: int = 1004,
    text: str = "Đề nghị sửa đường liên thôn bị sạt lở",
    category: str = "ha_tang",
    people: int = 1,
    citizen: tuple[str, str] | None = None,
    received_on: date | None = None,
) -> Petition:
    """A new item placed at the unit ``place`` (a demo code), recorded by that Telegram id; its
    Front committee is the place's own (its anchor), as the recording flow sets it."""
    unit = await units_q.by_code(session, place)
    assert unit is not None, place
    front = next(u for u in await units_q.list_units(session) if u.path == unit.anchor_path)
    person = await people_q.by_telegram_id(session, recorder)
    assert person is not None, recorder
    item = Petition(
        year=now.year,
        text=text,
        category=category,
        source="tiep_xuc_cu_tri",
        unit_id=unit.id,
        people_count=people,
        recorded_by=person.id,
        received_on=received_on or now.date(),
        consent=citizen is not None,
        citizen_name=citizen[0] if citizen else None,
        citizen_phone=citizen[1] if citizen else None,
        status="recorded",
        front_unit_id=front.id,
        reminders_sent=0,
        created_at=now,
        updated_at=now,
    )
    await petitions_q.add(session, item, code_for)
    await petitions_q.add_event(session, item, "recorded", now, person.id, unit_id=unit.id)
    return item
