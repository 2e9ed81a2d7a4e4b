"""Items for the handling tests, stored as the recording flow stores them (a row and its
"recorded" event), so these tests do not depend on how /petition asks for them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.petitions import code_for
from storage.models import Petition
from storage.queries import people as people_q
from storage.queries import petitions as petitions_q
from storage.queries import units as units_q


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
