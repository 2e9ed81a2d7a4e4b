"""The SQL of meetings (PRODUCT §5): the meeting and its invited units, who that invites, the
answers and the attendance. ``bot/meetings.py`` (the rules) and ``bot/meeting_reminders.py`` call
these by name, so what the database is asked is in one place and the domain reads as rules.

Invitations are units, not people: who is invited is always computed from the memberships of the
invited units (``invitees``), so people who join a unit later are invited too.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, false, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Meeting, MeetingInvitation, MeetingRsvp, Membership, Person, Unit
from storage.queries.units import Scope
from storage.queries.upsert import insert_for

_DAY = timedelta(days=1)

# --- the meeting ----------------------------------------------------------------------------


async def get(session: AsyncSession, meeting_id: int) -> Meeting | None:
    return await session.get(Meeting, meeting_id)


async def add(session: AsyncSession, meeting: Meeting, unit_ids: Iterable[int]) -> Meeting:
    """Store a new meeting and the units it invites (the meeting first: the invitations need its id)."""
    session.add(meeting)
    await session.flush()
    session.add_all(MeetingInvitation(meeting_id=meeting.id, unit_id=uid) for uid in unit_ids)
    await session.flush()
    return meeting


async def mark_cancelled(session: AsyncSession, meeting_id: int, now: datetime) -> bool:
    """Cancel a scheduled meeting and bump its ``sequence``, in one statement so two organisers
    pressing "Yes, cancel" at once cancel (and announce) it once. False if it already was."""
    result = await session.execute(
        update(Meeting)
        .where(Meeting.id == meeting_id, Meeting.status == "scheduled")
        .values(status="cancelled", sequence=Meeting.sequence + 1, updated_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def visible(
    session: AsyncSession,
    unit_ids: Collection[int],
    scopes: Sequence[Scope],
    now: datetime,
    *,
    past: bool,
) -> Sequence[Meeting]:
    """Meetings inviting one of ``unit_ids`` or organised by a unit within one of ``scopes``:
    upcoming (scheduled, started less than a day ago; soonest first) or past (started, not
    cancelled; latest first). The caller drops upcoming ones that have ended (that depends on
    each meeting's duration)."""
    conditions = [
        Meeting.id.in_(
            select(MeetingInvitation.meeting_id).where(
                MeetingInvitation.unit_id.in_(list(unit_ids))
            )
        )
    ]
    for scope in scopes:
        conditions.append(Meeting.unit_id.in_(select(Unit.id).where(scope.clause())))
    stmt = select(Meeting).where(or_(*conditions))
    if past:
        stmt = stmt.where(Meeting.starts_at <= now, Meeting.status != "cancelled").order_by(
            Meeting.starts_at.desc(), Meeting.id.desc()
        )
    else:
        stmt = stmt.where(Meeting.status == "scheduled", Meeting.starts_at > now - _DAY).order_by(
            Meeting.starts_at, Meeting.id
        )
    return (await session.scalars(stmt)).all()


async def starting_between(
    session: AsyncSession, after: datetime, until: datetime
) -> Sequence[Meeting]:
    """Scheduled meetings starting in (``after``, ``until``]: the ones a reminder may be due for."""
    return (
        await session.scalars(
            select(Meeting).where(
                Meeting.status == "scheduled",
                Meeting.starts_at > after,
                Meeting.starts_at <= until,
            )
        )
    ).all()


# --- who is invited -------------------------------------------------------------------------


async def reachable(session: AsyncSession, unit_ids: Collection[int]) -> int:
    """How many members of these units the bot can write to (started it, did not block it)."""
    if not unit_ids:
        return 0
    person_ids = select(Membership.person_id).where(Membership.unit_id.in_(list(unit_ids)))
    rows = await session.scalars(
        select(Person.id).where(
            Person.id.in_(person_ids), Person.started == true(), Person.blocked == false()
        )
    )
    return len(rows.all())


async def invited_unit_ids(session: AsyncSession, meeting_id: int) -> list[int]:
    rows = await session.scalars(
        select(MeetingInvitation.unit_id).where(MeetingInvitation.meeting_id == meeting_id)
    )
    return list(rows.all())


async def invited_units(session: AsyncSession, meeting_id: int) -> list[Unit]:
    rows = await session.scalars(
        select(Unit)
        .join(MeetingInvitation, MeetingInvitation.unit_id == Unit.id)
        .where(MeetingInvitation.meeting_id == meeting_id)
        .order_by(Unit.path)
    )
    return list(rows.all())


async def invitees(session: AsyncSession, meeting_id: int) -> list[Person]:
    """Every member of an invited unit, once, by name."""
    unit_ids = select(MeetingInvitation.unit_id).where(MeetingInvitation.meeting_id == meeting_id)
    person_ids = select(Membership.person_id).where(Membership.unit_id.in_(unit_ids))
    rows = await session.scalars(
        select(Person).where(Person.id.in_(person_ids)).order_by(Person.first_name, Person.id)
    )
    return list(rows.all())


async def recipients(session: AsyncSession, meeting_id: int) -> list[Person]:
    """Invitees the bot may write to (they started it and did not block it)."""
    return [p for p in await invitees(session, meeting_id) if p.started and not p.blocked]


async def people(session: AsyncSession, person_ids: Collection[int]) -> Sequence[Person]:
    """These people (answers stay when someone leaves an invited unit; their names are needed)."""
    return (await session.scalars(select(Person).where(Person.id.in_(list(person_ids))))).all()


# --- answers and attendance -----------------------------------------------------------------


async def answer_of(session: AsyncSession, meeting_id: int, person_id: int) -> MeetingRsvp | None:
    return await session.get(MeetingRsvp, (meeting_id, person_id))


async def save_answer(
    session: AsyncSession, meeting_id: int, person_id: int, values: dict[str, Any]
) -> None:
    """Insert or replace a person's answer in one statement (a double press is one answer)."""
    await session.execute(
        insert_for(session, MeetingRsvp)
        .values(meeting_id=meeting_id, person_id=person_id, **values)
        .on_conflict_do_update(
            index_elements=[MeetingRsvp.meeting_id, MeetingRsvp.person_id], set_=values
        )
    )


async def answers(session: AsyncSession, meeting_id: int) -> Sequence[MeetingRsvp]:
    return (
        await session.scalars(select(MeetingRsvp).where(MeetingRsvp.meeting_id == meeting_id))
    ).all()


async def answered_ids(session: AsyncSession, meeting_id: int) -> set[int]:
    """People with a row for this meeting (an answer, or attendance recorded without one)."""
    rows = await session.scalars(
        select(MeetingRsvp.person_id).where(MeetingRsvp.meeting_id == meeting_id)
    )
    return set(rows.all())


async def declined_ids(session: AsyncSession, meeting_id: int) -> set[int]:
    rows = await session.scalars(
        select(MeetingRsvp.person_id).where(
            MeetingRsvp.meeting_id == meeting_id, MeetingRsvp.answer == "no"
        )
    )
    return set(rows.all())


async def clear_answers(session: AsyncSession, meeting_id: int) -> None:
    await session.execute(delete(MeetingRsvp).where(MeetingRsvp.meeting_id == meeting_id))


async def set_attended(
    session: AsyncSession, meeting_id: int, person_id: int, attended: bool
) -> None:
    await session.execute(
        update(MeetingRsvp)
        .where(MeetingRsvp.meeting_id == meeting_id, MeetingRsvp.person_id == person_id)
        .values(attended=attended)
    )


def add_attendance(
    session: AsyncSession,
    meeting_id: int,
    person_id: int,
    *,
    answer: str,
    attended: bool,
    now: datetime,
) -> None:
    """A row for someone who never answered, only to hold their attendance (``answer`` says so)."""
    session.add(
        MeetingRsvp(
            meeting_id=meeting_id,
            person_id=person_id,
            answer=answer,
            answered_at=now,
            attended=attended,
        )
    )
