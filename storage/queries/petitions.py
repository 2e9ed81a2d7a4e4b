"""The SQL every part of the petition capability shares (issue 17, PRODUCT §10): storing a new
item under the next free code, finding one by id or code, and its history.

The recording flow, the Front's and the authority's handling, the reminders and the totals each
keep their own queries beside these (named for what they do); these are the ones all of them need.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Petition, PetitionEvent

#: First key of the PostgreSQL advisory lock that makes recorders take numbers in turn (the
#: second is the year). SQLite's writers already take turns (``BEGIN IMMEDIATE``).
_CODE_LOCK = 0x4B4E  # "KN"


async def add(
    session: AsyncSession, petition: Petition, code_for: Callable[[int, int], str]
) -> Petition:
    """Store a new item with the next number of its year (``petition.year`` set by the caller)
    and its code (``bot.petitions.code_for``). On PostgreSQL two recorders at the same instant
    would both read the same largest number: a lock held to the end of the transaction makes
    the second wait for the first's number (recording is rare; the wait is one commit)."""
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(_CODE_LOCK, petition.year)))
    latest = await session.scalar(
        select(func.max(Petition.seq)).where(Petition.year == petition.year)
    )
    petition.seq = (latest or 0) + 1
    petition.code = code_for(petition.year, petition.seq)
    session.add(petition)
    await session.flush()
    return petition


async def get(session: AsyncSession, petition_id: int) -> Petition | None:
    return await session.get(Petition, petition_id)


async def by_code(session: AsyncSession, year: int, seq: int) -> Petition | None:
    return await session.scalar(select(Petition).where(Petition.year == year, Petition.seq == seq))


async def add_event(
    session: AsyncSession,
    petition: Petition,
    action: str,
    at: datetime,
    by_id: int | None,
    *,
    note: str | None = None,
    unit_id: int | None = None,
    person_id: int | None = None,
) -> PetitionEvent:
    """Keep one step of the item's history (who, when, what, the status it left the item in);
    the caller has already changed ``petition`` so ``status_after`` is its status now."""
    event = PetitionEvent(
        petition_id=petition.id,
        at=at,
        by_id=by_id,
        action=action,
        note=note,
        unit_id=unit_id,
        person_id=person_id,
        status_after=petition.status,
    )
    session.add(event)
    petition.updated_at = at
    await session.flush()
    return event


async def history(session: AsyncSession, petition_id: int) -> Sequence[PetitionEvent]:
    """Every step, oldest first."""
    result = await session.scalars(
        select(PetitionEvent)
        .where(PetitionEvent.petition_id == petition_id)
        .order_by(PetitionEvent.at, PetitionEvent.id)
    )
    return result.all()
