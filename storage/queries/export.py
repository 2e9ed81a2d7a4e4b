"""What ``/export`` reads (``bot/export.py`` writes it into the workbook).

Every query takes the subtree as a ``Scope`` (the rule of the rollup behind /totals). The activity
log is the big one: it is streamed in batches (``log_batches``), never held whole in memory."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Collection, Sequence
from datetime import date, datetime
from typing import cast

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import (
    Activity,
    ActivityValue,
    Meeting,
    MeetingRsvp,
    Person,
    Petition,
    Report,
    ReportAnswer,
    ReportRound,
    ReportTemplate,
    Unit,
)
from storage.queries.units import Scope

#: One row of the activity log: entry id, day, unit code, unit name, type, note, author's first
#: and last name, measure and value in milli-units (the last two None for an entry without values).
#: An entry value: id, day, unit code and name, type, note, the author's first name, last name,
#: chosen full name and language (``bot.names.full_name``), the measure and its value.
LogRow = tuple[
    int,
    date,
    str,
    str,
    str,
    str | None,
    str | None,
    str | None,
    str | None,
    str | None,
    str | None,
    int | None,
]

#: A meeting, its unit's name, and one answer with its author's first, last and chosen name and
#: language (``bot.names.full_name``); all None but the first two for a meeting nobody answered.
MeetingRow = tuple[Meeting, str, MeetingRsvp | None, str | None, str | None, str | None, str | None]


def _entries(scope: Scope, start: date, end: date) -> tuple[ColumnElement[bool], ...]:
    """Live entries of the scope's units from ``start`` to ``end`` (both included)."""
    return (
        scope.clause(),
        Activity.deleted_at.is_(None),
        Activity.occurred_on >= start,
        Activity.occurred_on <= end,
    )


async def measure_columns(
    session: AsyncSession, scope: Scope, start: date, end: date
) -> set[tuple[str, str]]:
    """(type, measure) of every value recorded in the period: the log sheet's columns."""
    rows = await session.execute(
        select(Activity.type_key, ActivityValue.measure_key)
        .distinct()
        .join(ActivityValue, ActivityValue.activity_id == Activity.id)
        .join(Unit, Unit.id == Activity.unit_id)
        .where(*_entries(scope, start, end))
    )
    return {(str(t), str(m)) for t, m in rows.all()}


async def log_batches(
    session: AsyncSession, scope: Scope, start: date, end: date, batch: int
) -> AsyncGenerator[Sequence[LogRow], None]:
    """The period's entries, one row per value (an entry's rows are adjacent, by day then id),
    streamed from the server ``batch`` rows at a time.

    By batch, not by row: each step of an async result is a pass through SQLAlchemy's greenlet
    bridge, and the log has a row per entry value (~1.6 per entry)."""
    stmt = (
        select(
            Activity.id,
            Activity.occurred_on,
            Unit.code,
            Unit.name,
            Activity.type_key,
            Activity.note,
            Person.first_name,
            Person.last_name,
            Person.full_name,
            Person.telegram_language,
            ActivityValue.measure_key,
            ActivityValue.value_milli,
        )
        .join(Unit, Unit.id == Activity.unit_id)
        .outerjoin(Person, Person.id == Activity.person_id)
        .outerjoin(ActivityValue, ActivityValue.activity_id == Activity.id)
        .where(*_entries(scope, start, end))
        .order_by(Activity.occurred_on, Activity.id, ActivityValue.measure_key)
        .execution_options(yield_per=batch)
    )
    result = await session.stream(stmt)
    try:
        async for rows in result.partitions(batch):
            # Rows unpack like tuples; the outer joins make the author's and the value's columns
            # nullable, which the mapped types do not say.
            yield cast(Sequence[LogRow], rows)
    finally:
        # A caller that stops early (an error while writing) closes the server-side cursor now,
        # before its session ends, when it iterates inside ``contextlib.aclosing``.
        await result.close()


async def rounds_with_templates(session: AsyncSession) -> list[tuple[ReportRound, ReportTemplate]]:
    """Every report round with its template, oldest first (the caller picks those whose period
    overlaps the export's: a period key is parsed in the domain, not in SQL)."""
    rows = await session.execute(
        select(ReportRound, ReportTemplate)
        .join(ReportTemplate, ReportTemplate.id == ReportRound.template_id)
        .order_by(ReportRound.id)
    )
    return [(r, t) for r, t in rows.all()]


async def reports_in_scope(
    session: AsyncSession, round_ids: Collection[int], scope: Scope
) -> list[tuple[Report, Unit]]:
    """The reports of these rounds from the scope's units, with their unit, by round then tree."""
    rows = await session.execute(
        select(Report, Unit)
        .join(Unit, Unit.id == Report.unit_id)
        .where(Report.round_id.in_(list(round_ids)), scope.clause())
        .order_by(Report.round_id, Unit.path)
    )
    return [(r, u) for r, u in rows.all()]


async def answers_of_reports(
    session: AsyncSession, report_ids: Collection[int]
) -> Sequence[ReportAnswer]:
    """Every answer of these reports, in no particular order."""
    stmt = select(ReportAnswer).where(ReportAnswer.report_id.in_(list(report_ids)))
    return (await session.scalars(stmt)).all()


async def meeting_rows(
    session: AsyncSession, scope: Scope, start: datetime, end: datetime
) -> list[MeetingRow]:
    """Meetings of the scope's units starting in [start, end), one row per answer (one row for a
    meeting nobody answered), by start, meeting, then the answerer's first name."""
    rows = await session.execute(
        select(
            Meeting,
            Unit.name,
            MeetingRsvp,
            Person.first_name,
            Person.last_name,
            Person.full_name,
            Person.telegram_language,
        )
        .join(Unit, Unit.id == Meeting.unit_id)
        .outerjoin(MeetingRsvp, MeetingRsvp.meeting_id == Meeting.id)
        .outerjoin(Person, Person.id == MeetingRsvp.person_id)
        .where(scope.clause(), Meeting.starts_at >= start, Meeting.starts_at < end)
        .order_by(Meeting.starts_at, Meeting.id, Person.first_name, Person.id)
    )
    return [(m, str(n), r, f, la, fu, lg) for m, n, r, f, la, fu, lg in rows.all()]


async def petition_batches(
    session: AsyncSession, scope: Scope, start: date, end: date, batch: int
) -> AsyncGenerator[Sequence[tuple[Petition, Unit, Unit, str | None]], None]:
    """The recommendations received in the period and placed in the scope, by code, with their
    place, their supervising Front committee (the chain rule needs both) and the authority's name;
    streamed ``batch`` rows at a time like the activity log."""
    place = aliased(Unit)
    front = aliased(Unit)
    authority = aliased(Unit)
    stmt = (
        select(Petition, place, front, authority.name)
        .join(place, place.id == Petition.unit_id)
        .join(front, front.id == Petition.front_unit_id)
        .outerjoin(authority, authority.id == Petition.authority_unit_id)
        .where(
            place.path.startswith(scope.prefix, autoescape=True),
            Petition.received_on.between(start, end),
        )
        .order_by(Petition.year, Petition.seq)
        .execution_options(yield_per=batch)
    )
    if scope.org is not None:
        stmt = stmt.where(place.org == scope.org)
    result = await session.stream(stmt)
    try:
        async for rows in result.partitions(batch):
            yield [(p, pl, fr, name) for p, pl, fr, name in rows]
    finally:
        await result.close()
