"""What a group's weekly or monthly digest reads (``bot/digests.py`` shapes it).

The figures come from the raw entries, not the rollup: a week does not fit its half-month buckets.
One query covers the period and the one before it, each row flagged ``current``."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Activity,
    ActivityValue,
    Meeting,
    MeetingInvitation,
    Report,
    ReportRound,
    ReportTemplate,
    Unit,
)


def _current(start: date) -> Any:
    """1 for an entry of the period (from ``start``), 0 for one of the period before."""
    return case((Activity.occurred_on >= start, 1), else_=0).label("current")


def _scope(
    path: str, org: str | None, since: date, end: date, start: date, previous_end: date | None
) -> list[Any]:
    """Live entries from ``since`` to ``end`` of the units under ``path`` (of ``org`` if given);
    with ``previous_end``, none between it and ``start`` (the previous period ends there: a week
    so far is compared with the same weekdays of the week before)."""
    scope = [
        Unit.path.startswith(path),
        Activity.deleted_at.is_(None),
        Activity.occurred_on.between(since, end),
    ]
    if previous_end is not None:
        scope.append(or_(Activity.occurred_on >= start, Activity.occurred_on <= previous_end))
    if org is not None:
        scope.append(Unit.org == org)
    return scope


async def entry_counts(
    session: AsyncSession,
    path: str,
    org: str | None,
    since: date,
    start: date,
    end: date,
    previous_end: date | None = None,
) -> list[tuple[bool, str, str, int]]:
    """(in the period?, unit path, type, entries) from ``since`` to ``end``; entries on or after
    ``start`` are the period's, the earlier ones (up to ``previous_end`` if given) the previous
    period's."""
    current = _current(start)
    rows = await session.execute(
        select(current, Unit.path, Activity.type_key, func.count(Activity.id))
        .join(Unit, Unit.id == Activity.unit_id)
        .where(*_scope(path, org, since, end, start, previous_end))
        .group_by(current, Unit.path, Activity.type_key)
    )
    return [(bool(c), str(p), str(t), int(n)) for c, p, t, n in rows.all()]


async def value_sums(
    session: AsyncSession,
    path: str,
    org: str | None,
    since: date,
    start: date,
    end: date,
    previous_end: date | None = None,
) -> list[tuple[bool, str, str, int]]:
    """(in the period?, type, measure, sum in milli-units) over the same entries as
    ``entry_counts``; a sum of nothing comes back as 0."""
    current = _current(start)
    rows = await session.execute(
        select(
            current,
            Activity.type_key,
            ActivityValue.measure_key,
            func.sum(ActivityValue.value_milli),
        )
        .join(Activity, Activity.id == ActivityValue.activity_id)
        .join(Unit, Unit.id == Activity.unit_id)
        .where(*_scope(path, org, since, end, start, previous_end))
        .group_by(current, Activity.type_key, ActivityValue.measure_key)
    )
    return [(bool(c), str(t), str(m), int(v or 0)) for c, t, m, v in rows.all()]


async def open_rounds_concerning(
    session: AsyncSession, unit_id: int
) -> list[tuple[ReportRound, ReportTemplate]]:
    """Open report rounds the unit opened or is asked in, soonest deadline first."""
    asked = select(Report.round_id).where(Report.unit_id == unit_id)
    rows = await session.execute(
        select(ReportRound, ReportTemplate)
        .join(ReportTemplate, ReportTemplate.id == ReportRound.template_id)
        .where(
            ReportRound.closed_at.is_(None),
            or_(ReportRound.unit_id == unit_id, ReportRound.id.in_(asked)),
        )
        .order_by(ReportRound.deadline, ReportRound.id)
    )
    return [(r, t) for r, t in rows.all()]


async def units_not_done(
    session: AsyncSession, round_ids: Collection[int], statuses: Collection[str]
) -> list[tuple[int, str]]:
    """(round id, unit name) of the reports of these rounds still in one of ``statuses``, by name."""
    rows = await session.execute(
        select(Report.round_id, Unit.name)
        .join(Unit, Unit.id == Report.unit_id)
        .where(Report.round_id.in_(list(round_ids)), Report.status.in_(list(statuses)))
        .order_by(Unit.name)
    )
    return [(int(r), str(n)) for r, n in rows.all()]


async def meetings_between(
    session: AsyncSession, unit: Unit, start: datetime, end: datetime
) -> list[Meeting]:
    """Scheduled meetings starting in [start, end), organised in the unit's subtree or inviting
    the unit."""
    stmt = (
        select(Meeting)
        .where(
            Meeting.status == "scheduled",
            Meeting.starts_at >= start,
            Meeting.starts_at < end,
            or_(
                Meeting.unit_id.in_(select(Unit.id).where(Unit.path.startswith(unit.path))),
                Meeting.id.in_(
                    select(MeetingInvitation.meeting_id).where(MeetingInvitation.unit_id == unit.id)
                ),
            ),
        )
        .order_by(Meeting.starts_at, Meeting.id)
    )
    return list((await session.scalars(stmt)).all())
