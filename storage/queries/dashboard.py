"""The SQL of the leaders' dashboard (bot/dashboard.py): a few statements for a whole screen,
none per sub-unit, so a province's hundred communes cost what one commune costs."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Meeting,
    MeetingRsvp,
    Membership,
    Person,
    Report,
    ReportEvent,
    ReportRound,
    Unit,
)


async def open_round_reports(session: AsyncSession) -> Sequence[tuple[ReportRound, Report, Unit]]:
    """Every report of every open round with the unit that owes it, in one statement."""
    stmt = (
        select(ReportRound, Report, Unit)
        .join(Report, Report.round_id == ReportRound.id)
        .join(Unit, Unit.id == Report.unit_id)
        .where(ReportRound.closed_at.is_(None))
        .order_by(ReportRound.deadline, ReportRound.id, Unit.search_name)
    )
    return [(r, rep, u) for r, rep, u in (await session.execute(stmt)).all()]


async def members_of_units(
    session: AsyncSession, unit_ids: Collection[int]
) -> Sequence[tuple[int, Person, str]]:
    """(unit id, person, role) of every member of the units, in one statement."""
    if not unit_ids:
        return []
    stmt = (
        select(Membership.unit_id, Person, Membership.role)
        .join(Person, Person.id == Membership.person_id)
        .where(Membership.unit_id.in_(list(unit_ids)))
        .order_by(Membership.unit_id, Person.first_name, Person.id)
    )
    return [(u, p, r) for u, p, r in (await session.execute(stmt)).all()]


async def rsvp_counts(
    session: AsyncSession, meeting_ids: Collection[int]
) -> dict[int, dict[str, int]]:
    """Per meeting, how many answered each way (``yes``, ``no``, ``delegate``...)."""
    if not meeting_ids:
        return {}
    stmt = (
        select(MeetingRsvp.meeting_id, MeetingRsvp.answer, func.count())
        .where(MeetingRsvp.meeting_id.in_(list(meeting_ids)))
        .group_by(MeetingRsvp.meeting_id, MeetingRsvp.answer)
    )
    found: dict[int, dict[str, int]] = {}
    for meeting_id, answer, count in (await session.execute(stmt)).all():
        found.setdefault(meeting_id, {})[answer] = int(count)
    return found


async def meetings_by_ids(session: AsyncSession, ids: Collection[int]) -> Sequence[Meeting]:
    if not ids:
        return []
    return (await session.scalars(select(Meeting).where(Meeting.id.in_(list(ids))))).all()


async def unit_children(session: AsyncSession, unit_id: int, org: str) -> Unit | None:
    """The organisation's own unit working in the area ``unit_id`` (Hội Phụ nữ xã of a xã)."""
    area = await session.get(Unit, unit_id)
    if area is None:
        return None
    stmt = select(Unit).where(
        Unit.parent_id == area.id, Unit.org == org, Unit.anchor_path == area.path
    )
    return (await session.scalars(stmt.limit(1))).first()


#: The report event a dashboard reminder leaves (who, when; ``data``: how many were told).
REMINDED = "reminded"


async def reminded_since(
    session: AsyncSession, report_ids: Collection[int], since: datetime
) -> set[int]:
    """The reports among ``report_ids`` someone reminded from the dashboard since ``since``."""
    if not report_ids:
        return set()
    stmt = select(ReportEvent.report_id).where(
        ReportEvent.report_id.in_(list(report_ids)),
        ReportEvent.action == REMINDED,
        ReportEvent.at >= since,
    )
    return set((await session.scalars(stmt)).all())
