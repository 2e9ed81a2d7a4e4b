"""The SQL of periodic reports (PRODUCT §4): template versions, rounds, reports, their answers and
events. ``bot/reports.py`` (the rules: who may answer, submit, decide; what is queued) calls these
by name, so what the database is asked is in one place and the domain reads as rules.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Activity,
    ActivityMeasure,
    ActivityValue,
    PeriodLock,
    Report,
    ReportAnswer,
    ReportEvent,
    ReportRound,
    ReportTemplate,
    Unit,
)
from storage.queries.units import Scope
from storage.queries.upsert import insert_for

# --- templates ------------------------------------------------------------------------------


async def measure_keys(session: AsyncSession) -> list[tuple[str, str]]:
    """(activity type, measure) of every measure in the catalog: what a template may prefill from."""
    rows = await session.execute(select(ActivityMeasure.type_key, ActivityMeasure.key))
    return [(type_key, key) for type_key, key in rows.all()]


async def latest_template(session: AsyncSession, key: str) -> ReportTemplate | None:
    return await session.scalar(
        select(ReportTemplate)
        .where(ReportTemplate.key == key)
        .order_by(ReportTemplate.version.desc())
        .limit(1)
    )


async def latest_templates(session: AsyncSession) -> list[ReportTemplate]:
    """The newest version of every template, by key."""
    newest = (
        select(ReportTemplate.key, func.max(ReportTemplate.version).label("v"))
        .group_by(ReportTemplate.key)
        .subquery()
    )
    stmt = (
        select(ReportTemplate)
        .join(
            newest, and_(ReportTemplate.key == newest.c.key, ReportTemplate.version == newest.c.v)
        )
        .order_by(ReportTemplate.key)
    )
    return list((await session.scalars(stmt)).all())


async def get_template(session: AsyncSession, template_id: int) -> ReportTemplate | None:
    return await session.get(ReportTemplate, template_id)


async def add(session: AsyncSession, row: ReportTemplate | ReportRound | Report) -> None:
    """Store a new template version, round or report; flushed, so its id is known."""
    session.add(row)
    await session.flush()


# --- rounds and reports ---------------------------------------------------------------------


async def get_round(session: AsyncSession, round_id: int) -> ReportRound | None:
    return await session.get(ReportRound, round_id)


async def get_report(session: AsyncSession, report_id: int) -> Report | None:
    return await session.get(Report, report_id)


async def reports_of_units(
    session: AsyncSession, unit_ids: Collection[int], statuses: Collection[str]
) -> list[Report]:
    """The units' reports in these statuses, in rounds not closed, nearest deadline first."""
    stmt = (
        select(Report)
        .join(ReportRound, ReportRound.id == Report.round_id)
        .where(
            Report.unit_id.in_(unit_ids),
            Report.status.in_(statuses),
            ReportRound.closed_at.is_(None),
        )
        .order_by(ReportRound.deadline, Report.id)
    )
    return list((await session.scalars(stmt)).all())


async def submitted_reports(session: AsyncSession) -> list[Report]:
    """Every submitted report of a round not closed, the longest waiting first."""
    stmt = (
        select(Report)
        .join(ReportRound, ReportRound.id == Report.round_id)
        .where(Report.status == "submitted", ReportRound.closed_at.is_(None))
        .order_by(Report.submitted_at)
    )
    return list((await session.scalars(stmt)).all())


async def approved_reports(session: AsyncSession) -> list[Report]:
    """Every approved report of a round not closed, the latest approved first."""
    stmt = (
        select(Report)
        .join(ReportRound, ReportRound.id == Report.round_id)
        .where(Report.status == "approved", ReportRound.closed_at.is_(None))
        .order_by(Report.decided_at.desc(), Report.id.desc())
    )
    return list((await session.scalars(stmt)).all())


async def reports_of_round(
    session: AsyncSession, round_id: int, statuses: Collection[str] | None = None
) -> list[Report]:
    stmt = select(Report).where(Report.round_id == round_id)
    if statuses is not None:
        stmt = stmt.where(Report.status.in_(statuses))
    return list((await session.scalars(stmt.order_by(Report.id))).all())


async def rounds_newest_first(session: AsyncSession) -> list[ReportRound]:
    stmt = select(ReportRound).order_by(ReportRound.opened_at.desc(), ReportRound.id.desc())
    return list((await session.scalars(stmt)).all())


async def same_round(
    session: AsyncSession, template_key: str, period_key: str, unit_id: int, org: str | None
) -> ReportRound | None:
    """A round already asking for this template (any version) for this period, from this unit's
    subtree, for this organisation (or for all of them)."""
    stmt = (
        select(ReportRound)
        .join(ReportTemplate, ReportTemplate.id == ReportRound.template_id)
        .where(
            ReportTemplate.key == template_key,
            ReportRound.period_key == period_key,
            ReportRound.unit_id == unit_id,
            ReportRound.org.is_(None) if org is None else ReportRound.org == org,
        )
        .order_by(ReportRound.id)
        .limit(1)
    )
    return (await session.scalars(stmt)).first()


async def open_rounds(session: AsyncSession) -> list[ReportRound]:
    stmt = select(ReportRound).where(ReportRound.closed_at.is_(None))
    return list((await session.scalars(stmt)).all())


async def mark_submitted(
    session: AsyncSession,
    report_id: int,
    from_statuses: Collection[str],
    now: datetime,
    person_id: int,
) -> bool:
    """One atomic step: of two cadres pressing Submit at once, exactly one changes the row."""
    result = await session.execute(
        update(Report)
        .where(Report.id == report_id, Report.status.in_(from_statuses))
        .values(
            status="submitted",
            submitted_at=now,
            submitted_by=person_id,
            version=Report.version + 1,
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def mark_decided(
    session: AsyncSession,
    report_id: int,
    status: str,
    now: datetime,
    person_id: int,
    comment: str | None,
) -> bool:
    """Approve or return a submitted report; False when it is no longer waiting for a decision."""
    result = await session.execute(
        update(Report)
        .where(Report.id == report_id, Report.status == "submitted")
        .values(
            status=status,
            decided_at=now,
            decided_by=person_id,
            comment=comment,
            version=Report.version + 1,
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def add_event(
    session: AsyncSession,
    report_id: int,
    person_id: int,
    at: datetime,
    action: str,
    data: dict[str, Any],
) -> None:
    session.add(
        ReportEvent(report_id=report_id, person_id=person_id, at=at, action=action, data=data)
    )


async def lock_period(
    session: AsyncSession, report_id: int, unit: Unit, start: date, end: date, now: datetime
) -> None:
    """An approved report's period: entries of the units it covers (``PeriodLock``: the report's
    unit and its own organisation's units below it) can no longer change."""
    session.add(
        PeriodLock(
            unit_id=unit.id,
            report_id=report_id,
            prefix=unit.anchor_path,
            org=unit.org,
            starts_on=start,
            ends_on=end,
            reason=f"report:{report_id}",
            created_at=now,
        )
    )
    await session.flush()


async def unlock_period(session: AsyncSession, report_id: int) -> int:
    """A reopened report's lock is lifted; how many rows went."""
    result = await session.execute(delete(PeriodLock).where(PeriodLock.report_id == report_id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def mark_reopened(session: AsyncSession, report_id: int) -> bool:
    """An approved report goes back to "submitted" (one atomic step: two leaders reopening at
    once, one wins); False when it is no longer approved."""
    result = await session.execute(
        update(Report)
        .where(Report.id == report_id, Report.status == "approved")
        .values(status="submitted", decided_at=None, decided_by=None, version=Report.version + 1)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def events(session: AsyncSession, report_id: int) -> list[ReportEvent]:
    """A report's history, oldest first."""
    stmt = select(ReportEvent).where(ReportEvent.report_id == report_id).order_by(ReportEvent.id)
    return list((await session.scalars(stmt)).all())


# --- answers --------------------------------------------------------------------------------


async def answer_rows(
    session: AsyncSession, report_id: int, *, oldest_first: bool = False
) -> list[ReportAnswer]:
    stmt = select(ReportAnswer).where(ReportAnswer.report_id == report_id)
    if oldest_first:
        stmt = stmt.order_by(ReportAnswer.answered_at)
    return list((await session.scalars(stmt)).all())


async def upsert_answer(
    session: AsyncSession,
    report_id: int,
    key: str,
    stored: dict[str, Any],
    person_id: int,
    now: datetime,
) -> None:
    """One answer, replacing an earlier answer to the same question."""
    await session.execute(
        insert_for(session, ReportAnswer)
        .values(
            report_id=report_id,
            question_key=key,
            value=stored,
            answered_by=person_id,
            answered_at=now,
        )
        .on_conflict_do_update(
            index_elements=[ReportAnswer.report_id, ReportAnswer.question_key],
            set_={"value": stored, "answered_by": person_id, "answered_at": now},
        )
    )


async def delete_answer(session: AsyncSession, report_id: int, key: str) -> None:
    await session.execute(
        delete(ReportAnswer).where(
            ReportAnswer.report_id == report_id, ReportAnswer.question_key == key
        )
    )


async def activity_total_milli(
    session: AsyncSession,
    scope: Scope,
    type_key: str,
    measure_key: str,
    start: date,
    end: date,
) -> int:
    """The activity log's total of one measure over a scope of units and a period, in thousandths
    (what a report question prefills from)."""
    total = await session.scalar(
        select(func.coalesce(func.sum(ActivityValue.value_milli), 0))
        .join(Activity, Activity.id == ActivityValue.activity_id)
        .join(Unit, Unit.id == Activity.unit_id)
        .where(
            scope.clause(),
            Activity.deleted_at.is_(None),
            Activity.type_key == type_key,
            ActivityValue.measure_key == measure_key,
            Activity.occurred_on >= start,
            Activity.occurred_on <= end,
        )
    )
    return int(total or 0)
