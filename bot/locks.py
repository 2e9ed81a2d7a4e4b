"""Period locks (issue 16): what approving a report locks, and what locks a day for a unit.

Approving a report locks the activity log for the report's period: entries dated in it can no
longer be added, changed or deleted for the units the lock covers. A lock covers **exactly the
approved report's unit and its own organisation's units below it** (``storage.models.PeriodLock``
says it to the column): the commune Front committee's report locks the Front committees of the
commune's residential areas, never the commune's Women's Union nor its branches; the commune
Women's Union's report locks it and its branches, never the Front nor the Youth Union. Reopening
the report (``bot.reports.reopen``) lifts it.

Everything a cadre is told about a lock names the report that set it, who approved it and when,
so the cadre knows whom to ask.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.periods import Period
from bot.reports import OpenReport, round_info
from bot.templates import Template
from storage.models import Organisation, PeriodLock, Person, Unit
from storage.queries import activities as act_q
from storage.queries import reports as reports_q
from storage.queries import units as units_q


@dataclass(frozen=True)
class Lock:
    """A lock as people are told about it (or, from ``preview``, as approving would set it)."""

    #: The approved report's unit, and its organisation: the lock covers that organisation's
    #: units from there down.
    unit: Unit
    organisation: Organisation | None
    starts_on: date
    ends_on: date
    report_id: int | None = None
    template: Template | None = None
    period: Period | None = None
    approver: Person | None = None
    approved_at: datetime | None = None


async def lock_on(session: AsyncSession, unit: Unit, day: date) -> Lock | None:
    """The lock that covers ``unit`` on ``day``, described; None when the day is open."""
    found = await act_q.lock_id(session, unit, day)
    if found is None:
        return None
    row = await act_q.lock(session, found)
    assert row is not None
    return await _describe(session, row)


async def _describe(session: AsyncSession, row: PeriodLock) -> Lock:
    unit = await units_q.get(session, row.unit_id)
    assert unit is not None
    organisation = await _organisation(session, unit.org)
    report = await reports_q.get_report(session, row.report_id) if row.report_id else None
    if report is None:
        return Lock(unit, organisation, row.starts_on, row.ends_on)
    info = await round_info(session, report.round_id)
    approver = await session.get(Person, report.decided_by) if report.decided_by else None
    return Lock(
        unit,
        organisation,
        row.starts_on,
        row.ends_on,
        report.id,
        info.template if info else None,
        info.period if info else None,
        approver,
        report.decided_at,
    )


async def preview(session: AsyncSession, opened: OpenReport) -> Lock:
    """What approving this report would lock: its unit's organisation, over its period."""
    period = opened.info.period
    return Lock(
        opened.unit,
        await _organisation(session, opened.unit.org),
        period.start,
        period.end,
        opened.report.id,
        opened.info.template,
        period,
    )


def period_running(opened: OpenReport, today: date) -> bool:
    """Whether the report's period has not ended yet: approving now locks days still to come,
    so the leader is asked to confirm."""
    return today <= opened.info.period.end


async def _organisation(session: AsyncSession, key: str) -> Organisation | None:
    return next((o for o in await units_q.organisations(session) if o.key == key), None)
