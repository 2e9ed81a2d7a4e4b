"""The SQL of the leaders' dashboard (bot/dashboard.py): a few statements for a whole screen,
none per sub-unit, so a province's hundred communes cost what one commune costs."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, case, func, literal, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import (
    Meeting,
    MeetingRsvp,
    Membership,
    Person,
    Report,
    ReportEvent,
    ReportRound,
    ReportTemplate,
    Unit,
)
from storage.queries.units import Scope


@dataclass(frozen=True)
class ReportLine:
    """One report of an open round: the columns the board reads (a province's board has
    thousands of them, and building ORM objects for each was most of its time)."""

    id: int
    round_id: int
    unit_id: int
    status: str
    submitted_at: datetime | None


@dataclass
class Member:
    """The columns of a member a board row names (``bot.names.Named``)."""

    unit_id: int
    person_id: int
    first_name: str
    last_name: str | None
    full_name: str | None
    telegram_language: str | None


async def open_rounds(session: AsyncSession) -> Sequence[ReportRound]:
    """The rounds not closed, by deadline."""
    stmt = (
        select(ReportRound)
        .where(ReportRound.closed_at.is_(None))
        .order_by(ReportRound.deadline, ReportRound.id)
    )
    return (await session.scalars(stmt)).all()


async def open_round_reports(
    session: AsyncSession,
    scopes: Sequence[Scope] | None,
    unit_ids: Collection[int],
    under: str | None = None,
) -> Sequence[ReportLine]:
    """The reports of the open rounds owed by units in ``scopes`` (the subtrees a person leads)
    or among ``unit_ids`` (their own units); every open report when ``scopes`` is None (an
    owner); with ``under`` (a unit's path) only those of units below it (a drilled board).
    One statement, and the database leaves out what the person may not see: a commune's leader
    reads the commune's forty reports, not the province's four thousand."""
    stmt = (
        select(Report.id, Report.round_id, Report.unit_id, Report.status, Report.submitted_at)
        .join(ReportRound, ReportRound.id == Report.round_id)
        .where(ReportRound.closed_at.is_(None))
    )
    if scopes is not None or under is not None:
        seen = _seen(scopes, unit_ids)
        if seen is None:
            return []
        stmt = stmt.join(Unit, Unit.id == Report.unit_id).where(seen)
        if under is not None:
            stmt = stmt.where(Unit.path.startswith(under, autoescape=True))
    rows = (await (await session.connection()).execute(stmt)).all()
    return [ReportLine(*row) for row in rows]


def _seen(scopes: Sequence[Scope] | None, unit_ids: Collection[int]) -> ColumnElement[bool] | None:
    """The units a person may see: in the subtrees they lead or their own (None: nothing)."""
    if scopes is None:
        return true()
    seen = [scope.clause() for scope in scopes]
    if unit_ids:
        seen.append(Unit.id.in_(sorted(unit_ids)))
    return or_(*seen) if seen else None


@dataclass(frozen=True)
class GroupCount:
    """How many reports of a round, owed by units under one unit directly below the board's
    (``below_id``: a commune of a province), are in one ``state`` (bot.dashboard.state_of)."""

    round_id: int
    below_id: int
    state: str
    count: int


async def open_round_counts(
    session: AsyncSession,
    scopes: Sequence[Scope] | None,
    unit_ids: Collection[int],
    under: str,
    open_statuses: Sequence[str],
) -> list[GroupCount]:
    """The reports of the open rounds the person may see below the path ``under``, counted per
    round, per unit directly below ``under`` and per state: one GROUP BY over the path's next
    segment (a report of a thôn in commune 17 of province 1, path ``/1/17/305/``, counts for
    ``17`` under ``/1/``), so a province's board is a hundred commune rows read in one statement,
    not four thousand report rows. A report of the unit at ``under`` itself counts for it
    (``below_id`` is then that unit)."""
    seen = _seen(scopes, unit_ids)
    if seen is None:
        return []
    connection = await session.connection()
    rest = func.substr(Unit.path, len(under) + 1)
    slash = (
        func.strpos(rest, "/") if connection.dialect.name == "postgresql" else func.instr(rest, "/")
    )
    own = under.strip("/").split("/")[-1]
    below = case((Unit.path == under, literal(own)), else_=func.substr(rest, 1, slash - 1))
    state = case(
        (
            or_(Report.status.in_(list(open_statuses)), Report.submitted_at.is_(None)),
            literal("missing"),
        ),
        (Report.status == "approved", literal("approved")),
        (Report.submitted_at <= ReportRound.deadline, literal("submitted")),
        else_=literal("late"),
    )
    stmt = (
        select(Report.round_id, below, state, func.count())
        .join(ReportRound, ReportRound.id == Report.round_id)
        .join(Unit, Unit.id == Report.unit_id)
        .where(
            ReportRound.closed_at.is_(None),
            Unit.path.startswith(under, autoescape=True),
            seen,
        )
        .group_by(Report.round_id, below, state)
    )
    rows = (await connection.execute(stmt)).all()
    return [GroupCount(r, int(b), s, int(n)) for r, b, s, n in rows]


async def has_grandchild_areas(session: AsyncSession, unit_id: int) -> bool:
    """Whether the unit's sub-units have sub-units of their own (a province's communes have
    residential areas; a commune's areas have only their organisations' branches, which work in
    the area and are no area of their own: ``anchor_path`` is not their path)."""
    child = aliased(Unit)
    stmt = (
        select(Unit.id)
        .join(child, child.id == Unit.parent_id)
        .where(
            child.parent_id == unit_id,
            child.active == true(),
            Unit.active == true(),
            Unit.path == Unit.anchor_path,
        )
        .limit(1)
    )
    return (await session.scalar(stmt)) is not None


async def members_of_units(session: AsyncSession, unit_ids: Collection[int]) -> Sequence[Member]:
    """Every member of the units (columns only), by unit and given name.

    Two single-table statements, not one join: with a thousand units in the ``IN`` list SQLite
    chose to scan ``people`` and probe ``memberships`` per person and unit (a quarter of a
    second for a province, bench/dashboard.py); each half alone can only use its index."""
    if not unit_ids:
        return []
    connection = await session.connection()
    pairs = (
        await connection.execute(
            select(Membership.unit_id, Membership.person_id).where(
                Membership.unit_id.in_(sorted(unit_ids))
            )
        )
    ).all()
    if not pairs:
        return []
    people = {
        row[0]: row
        for row in (
            await connection.execute(
                select(
                    Person.id,
                    Person.first_name,
                    Person.last_name,
                    Person.full_name,
                    Person.telegram_language,
                ).where(Person.id.in_(sorted({p for _u, p in pairs})))
            )
        ).all()
    }
    members = [Member(unit_id, *people[person_id]) for unit_id, person_id in pairs]
    members.sort(key=lambda m: (m.unit_id, m.first_name, m.person_id))
    return members


async def templates_by_ids(
    session: AsyncSession, ids: Collection[int]
) -> dict[int, ReportTemplate]:
    if not ids:
        return {}
    stmt = select(ReportTemplate).where(ReportTemplate.id.in_(sorted(ids)))
    return {t.id: t for t in (await session.scalars(stmt)).all()}


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
