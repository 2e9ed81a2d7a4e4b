"""What counts and follows petitions over time reads (issue 17, PRODUCT §10): the operator's list,
the items the daily follow-up job looks at (reminders, escalation, erasure), and the facts the
digests and /totals count.

The list joins the place's and the authority's unit codes in one query so ``phoihop petitions
list`` is one round trip however many items there are; the follow-up reads only the few rows that
may need a reminder, an escalation or an erasure today (indexed by status).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import Petition, Unit


@dataclass(frozen=True)
class Listed:
    """One item of the operator's list with the codes of the units it names."""

    petition: Petition
    unit_code: str
    authority_code: str | None


async def listing(
    session: AsyncSession, *, under: Unit | None = None, status: str | None = None
) -> list[Listed]:
    """Items placed in ``under``'s subtree (all without it), of ``status`` if given, by code."""
    place = aliased(Unit)
    authority = aliased(Unit)
    stmt = (
        select(Petition, place.code, authority.code)
        .join(place, place.id == Petition.unit_id)
        .outerjoin(authority, authority.id == Petition.authority_unit_id)
        .order_by(Petition.year, Petition.seq)
    )
    if under is not None:
        stmt = stmt.where(place.path.startswith(under.path, autoescape=True))
    if status is not None:
        stmt = stmt.where(Petition.status == status)
    rows = (await session.execute(stmt)).all()
    return [Listed(p, code, auth) for p, code, auth in rows]


async def at_authority(session: AsyncSession, statuses: Collection[str]) -> Sequence[Petition]:
    """Items waiting for an authority's answer with a due date (the reminders' candidates)."""
    stmt = (
        select(Petition)
        .where(
            Petition.status.in_(list(statuses)),
            Petition.authority_unit_id.is_not(None),
            Petition.due_on.is_not(None),
        )
        .order_by(Petition.id)
    )
    return (await session.scalars(stmt)).all()


async def to_erase(
    session: AsyncSession, final: Collection[str], closed_before: datetime
) -> Sequence[Petition]:
    """Items in a final status since before ``closed_before`` whose citizen data is still kept.

    A final item's ``closed_at`` is set when it was closed, declined or merged; one without it
    (a row from before that rule) counts from its last change."""
    stmt = (
        select(Petition)
        .where(
            Petition.status.in_(list(final)),
            Petition.erased_at.is_(None),
            or_(Petition.citizen_name.is_not(None), Petition.citizen_phone.is_not(None)),
            or_(
                Petition.closed_at < closed_before,
                and_(Petition.closed_at.is_(None), Petition.updated_at < closed_before),
            ),
        )
        .order_by(Petition.id)
    )
    return (await session.scalars(stmt)).all()


async def claim_reminders(
    session: AsyncSession, petition_id: int, sent: int, to: int, at: datetime
) -> bool:
    """Move the reminder counter from ``sent`` to ``to`` if nobody moved it since it was read: a
    second process running the same job finds it moved and sends nothing (compare-and-set)."""
    result = await session.execute(
        update(Petition)
        .where(Petition.id == petition_id, Petition.reminders_sent == sent)
        .values(reminders_sent=to, updated_at=at)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def claim_escalation(session: AsyncSession, petition_id: int, at: datetime) -> bool:
    """Mark the one escalation; False when it was already made (by this or another process)."""
    result = await session.execute(
        update(Petition)
        .where(Petition.id == petition_id, Petition.escalated_at.is_(None))
        .values(escalated_at=at, updated_at=at)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def erase_citizen(session: AsyncSession, petition_id: int, at: datetime) -> bool:
    """Drop the citizen's name and phone once; False when already erased."""
    result = await session.execute(
        update(Petition)
        .where(Petition.id == petition_id, Petition.erased_at.is_(None))
        .values(citizen_name=None, citizen_phone=None, erased_at=at, updated_at=at)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Fact:
    """What the digest and /totals count of one item (no text, no citizen)."""

    status: str
    category: str
    authority: str | None  # the UBND unit's name
    received_on: date
    forwarded_at: datetime | None
    answered_at: datetime | None
    due_on: date | None


async def facts(
    session: AsyncSession,
    prefix: str,
    org: str | None,
    *,
    received: tuple[date, date] | None = None,
    answered: tuple[datetime, datetime] | None = None,
    overdue_before: date | None = None,
    waiting: Collection[str] = (),
) -> list[Fact]:
    """Items placed under ``prefix`` (of ``org`` if given) that were received in ``received``
    (days, inclusive), or answered in ``answered`` (from, until), or — with ``overdue_before`` —
    are ``waiting`` (at the authority) with a due date before that day. One query, whatever the
    size of the subtree; the counting is the domain's."""
    place = aliased(Unit)
    authority = aliased(Unit)
    which: list[ColumnElement[bool]] = []
    if received is not None:
        which.append(Petition.received_on.between(*received))
    if answered is not None:
        which.append(and_(Petition.answered_at >= answered[0], Petition.answered_at < answered[1]))
    if overdue_before is not None:
        which.append(and_(Petition.status.in_(list(waiting)), Petition.due_on < overdue_before))
    if not which:
        return []
    stmt = (
        select(
            Petition.status,
            Petition.category,
            authority.name,
            Petition.received_on,
            Petition.forwarded_at,
            Petition.answered_at,
            Petition.due_on,
        )
        .join(place, place.id == Petition.unit_id)
        .outerjoin(authority, authority.id == Petition.authority_unit_id)
        .where(place.path.startswith(prefix, autoescape=True), or_(*which))
        .order_by(Petition.id)
    )
    if org is not None:
        stmt = stmt.where(place.org == org)
    return [Fact(*row) for row in (await session.execute(stmt)).all()]
