"""Recording a citizens' recommendation (issue 17, PRODUCT §10): who may record, for which
places, what a recording must hold, and storing it with its code, its first history step
("recorded") and the notice to the Front leaders who now supervise it.

Why the rules are these:
- Recording is the Front's work (its committees and member organisations gather what citizens
  ask); the People's Committee (UBND) answers items, it does not record them. A person whose
  only memberships are in UBND units is refused.
- The place is the recorder's own unit or an area right below it: the item is then supervised
  by that place's Front committee (the unit at the place's anchor path), whose leaders — and
  nobody else — are told of it. Their notice carries no citizen's name or phone.
- The citizen's name and phone are kept only when the citizen agreed (asked on its own);
  without consent nothing of them is stored, whatever the draft held.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot import petitions
from bot.access import Actor
from bot.notifications import enqueue
from bot.profile import ProfileError, parse_full_name, parse_phone
from storage.models import Petition, Unit
from storage.queries import petition_record as record_q
from storage.queries import petitions as petitions_q
from storage.queries import units as units_q
from storage.text import nfc

#: What is asked: long enough to be understood by whoever answers it, short enough for a card.
TEXT_MIN, TEXT_MAX = 10, 2000
#: "12 cử tri cùng kiến nghị": a count beyond a commune's voters is a typo.
PEOPLE_MAX = 100_000
#: Photos and documents attached when recording.
FILES_MAX = 10
#: The People's Committee: it answers items, it does not record them.
AUTHORITY_ORG = "ubnd"
#: The outbox kind of the Front leaders' notice (rendered by handlers/petitions/notices.py).
NEW_NOTICE = "petition_new"

_COUNT = re.compile(r"[0-9]{1,6}")


class RecordError(ValueError):
    """Why a recording or one of its answers is refused: ``text_short``, ``text_long``,
    ``count``, ``count_range``, ``name_length``, ``name_chars``, ``phone``, ``place``,
    ``category``, ``source``, ``future``, ``files``, ``not_allowed``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Place:
    """A unit one may record for, and the membership unit that gives the right."""

    unit: Unit
    via: Unit


@dataclass
class NewPetition:
    text: str
    category: str
    source: str
    place_id: int
    received_on: date
    people_count: int = 1
    consent: bool = False
    citizen_name: str | None = None
    citizen_phone: str | None = None
    #: (kind, Telegram file id): "photo" or "document".
    files: list[tuple[str, str]] = field(default_factory=list)


def can_record(actor: Actor) -> bool:
    """A member of some Front committee or member-organisation unit (not only of UBND units)."""
    return any(r.unit.org != AUTHORITY_ORG for r in actor.roles)


async def places(session: AsyncSession, actor: Actor) -> list[Place]:
    """Every unit the actor may record for: each non-UBND unit they belong to, then the areas
    right below it, in that order, each once."""
    found: dict[int, Place] = {}
    for role in actor.roles:
        if role.unit.org == AUTHORITY_ORG or not role.unit.active:
            continue
        found.setdefault(role.unit.id, Place(role.unit, role.unit))
        for child in await record_q.area_children(session, role.unit.id, AUTHORITY_ORG):
            found.setdefault(child.id, Place(child, role.unit))
    return list(found.values())


def check_text(text: str) -> str:
    """What is asked, tidied (NFC, trimmed), or RecordError."""
    cleaned = nfc(text).strip()
    if len(cleaned) < TEXT_MIN:
        raise RecordError("text_short")
    if len(cleaned) > TEXT_MAX:
        raise RecordError("text_long")
    return cleaned


def parse_count(text: str) -> int:
    """How many citizens raised it: ASCII digits only ("12"; a superscript ² is not a number
    anyone meant), from 1 to ``PEOPLE_MAX``."""
    cleaned = nfc(text).strip()
    if not _COUNT.fullmatch(cleaned):
        raise RecordError("count")
    count = int(cleaned)
    if not 1 <= count <= PEOPLE_MAX:
        raise RecordError("count_range")
    return count


def check_name(text: str) -> str:
    """The citizen's name as typed (family name first, as Vietnamese write it)."""
    try:
        return parse_full_name(text)
    except ProfileError as exc:
        raise RecordError(exc.code) from None


def check_phone(text: str) -> str:
    """A Vietnamese number, normalised as /me does (0xxxxxxxxx)."""
    try:
        return parse_phone(text)
    except ProfileError:
        raise RecordError("phone") from None


async def front_of(session: AsyncSession, place: Unit) -> Unit:
    """The Front committee of the place's area: the unit at its anchor path."""
    front = await record_q.unit_at(session, place.anchor_path)
    return front if front is not None else place


async def record(
    session: AsyncSession, actor: Actor, new: NewPetition, now: datetime, today: date
) -> Petition:
    """Store the item under its next code with its "recorded" step and queue the notice to the
    leaders of its Front committee, in the caller's transaction. Every answer is checked again
    (a draft may be days old: the recorder's memberships may have changed)."""
    if not can_record(actor):
        raise RecordError("not_allowed")
    chosen = next((p for p in await places(session, actor) if p.unit.id == new.place_id), None)
    if chosen is None:
        raise RecordError("place")
    if new.category not in petitions.CATEGORIES:
        raise RecordError("category")
    if new.source not in petitions.SOURCES:
        raise RecordError("source")
    if new.received_on > today:
        raise RecordError("future")
    if len(new.files) > FILES_MAX:
        raise RecordError("files")
    text = check_text(new.text)
    if not 1 <= new.people_count <= PEOPLE_MAX:
        raise RecordError("count_range")
    name = phone = None
    if new.consent:
        name = check_name(new.citizen_name) if new.citizen_name else None
        phone = check_phone(new.citizen_phone) if new.citizen_phone else None
    front = await front_of(session, chosen.unit)
    petition = Petition(
        year=today.year,
        text=text,
        category=new.category,
        source=new.source,
        unit_id=chosen.unit.id,
        people_count=new.people_count,
        recorded_by=actor.person.id,
        received_on=new.received_on,
        consent=new.consent,
        citizen_name=name,
        citizen_phone=phone,
        status="recorded",
        front_unit_id=front.id,
        reminders_sent=0,
        created_at=now,
        updated_at=now,
    )
    await petitions_q.add(session, petition, petitions.code_for)
    await petitions_q.add_event(session, petition, "recorded", now, actor.person.id)
    for kind, file_id in new.files:
        await record_q.add_file(session, petition.id, kind, file_id, "record", actor.person.id, now)
    for leader in await record_q.leaders_of(session, front.id, ("admin",)):
        if leader.id == actor.person.id:
            continue  # a leader who recorded it has just been told
        await enqueue(
            session,
            key=f"petition:{petition.id}:new:{leader.telegram_id}",
            chat_id=leader.telegram_id,
            kind=NEW_NOTICE,
            params={"petition_id": petition.id},
            now=now,
        )
    return petition


async def place_and_front(session: AsyncSession, petition: Petition) -> tuple[Unit, Unit]:
    """The units an item names (its place and its Front committee), for ``can_see``."""
    place = await units_q.get(session, petition.unit_id)
    front = await units_q.get(session, petition.front_unit_id)
    assert place is not None and front is not None
    return place, front
