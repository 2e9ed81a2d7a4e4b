"""The SQL of a meeting's agenda of recommendations (issue 17): the items open at a People's
Committee in an organising unit's area, attaching them to a meeting, and reading them back.

Apart from ``meetings.py`` and ``petition_handling.py`` because it joins the two: the meeting
side asks "which items", the petition side only contributes its scope rule
(``petition_handling.scope_clause``), so neither grows the other's concerns.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import Meeting, MeetingPetition, Petition, Unit
from storage.queries.petition_handling import scope_clause
from storage.queries.units import Scope


async def open_in_scope(
    session: AsyncSession, scope: Scope, statuses: Collection[str]
) -> Sequence[Petition]:
    """Items of these statuses placed or supervised in ``scope``, the earliest due first (so
    the overdue ones lead), then by code."""
    rows = await session.scalars(
        select(Petition)
        .where(Petition.status.in_(list(statuses)), scope_clause([scope]))
        .order_by(Petition.due_on.is_(None), Petition.due_on, Petition.year, Petition.seq)
    )
    return rows.all()


async def attach(session: AsyncSession, meeting_id: int, petition_ids: Sequence[int]) -> None:
    for position, petition_id in enumerate(petition_ids):
        session.add(
            MeetingPetition(meeting_id=meeting_id, petition_id=petition_id, position=position)
        )
    await session.flush()


async def attached(
    session: AsyncSession, meeting_id: int
) -> Sequence[tuple[Petition, Unit | None]]:
    """The items on the meeting's agenda, in the order attached, with their authority."""
    authority = aliased(Unit)
    rows = await session.execute(
        select(Petition, authority)
        .join(MeetingPetition, MeetingPetition.petition_id == Petition.id)
        .outerjoin(authority, authority.id == Petition.authority_unit_id)
        .where(MeetingPetition.meeting_id == meeting_id)
        .order_by(MeetingPetition.position)
    )
    return [(p, u) for p, u in rows.all()]


async def next_meeting(
    session: AsyncSession, unit_id: int, kinds: Collection[str], after: datetime
) -> Meeting | None:
    """The unit's first scheduled meeting of these kinds starting after ``after`` (the demo's
    giao ban with the People's Committee)."""
    return await session.scalar(
        select(Meeting)
        .where(
            Meeting.unit_id == unit_id,
            Meeting.kind.in_(list(kinds)),
            Meeting.status == "scheduled",
            Meeting.starts_at > after,
        )
        .order_by(Meeting.starts_at, Meeting.id)
        .limit(1)
    )
