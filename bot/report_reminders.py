"""Report reminders: before the deadline, and after it for late units (with one summary for the
round's leaders). Planned from the database, so a restart neither loses nor doubles one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.notifications import enqueue
from bot.reports import OPEN, recipients, round_admins
from storage.queries import reports as reports_q


def local_at(day: date, hour: int, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=tz)


async def plan_reminders(
    session: AsyncSession,
    now: datetime,
    tz: ZoneInfo,
    *,
    offsets: Sequence[int] = (3, 1),
    hour: int = 8,
    overdue_max: int = 3,
) -> int:
    """Queue the reminders that are due by now. Keys make this idempotent, so it may run every
    minute, after a restart, or twice at once: each reminder is queued once."""
    queued = 0
    for row in await reports_q.open_rounds(session):
        deadline_day = row.deadline.astimezone(tz).date()
        slots: list[tuple[str, datetime]] = []
        for days in offsets:
            at = local_at(deadline_day - timedelta(days=days), hour, tz)
            if at <= now < row.deadline:
                slots.append((f"before{days}", at))
        for k in range(1, overdue_max + 1):
            at = local_at(deadline_day + timedelta(days=k), hour, tz)
            if row.deadline < at <= now:
                slots.append((f"overdue{k}", at))
        if not slots:
            continue
        pending = await reports_q.reports_of_round(session, row.id, OPEN)
        for name, at in slots:
            for report in pending:
                kind = "report_overdue" if name.startswith("overdue") else "report_reminder"
                for person in await recipients(session, report.unit_id, roles=("cadre", "admin")):
                    queued += await enqueue(
                        session,
                        key=f"report:{report.id}:{name}:{person.telegram_id}",
                        chat_id=person.telegram_id,
                        kind=kind,
                        params={"report_id": report.id},
                        now=now,
                        due_at=at,
                    )
            if name == "overdue1" and pending:
                # The round's leaders get one summary, not one message per late unit.
                for person in await round_admins(session, row):
                    queued += await enqueue(
                        session,
                        key=f"round:{row.id}:overdue-admin:{person.telegram_id}",
                        chat_id=person.telegram_id,
                        kind="report_overdue_admin",
                        params={"round_id": row.id},
                        now=now,
                        due_at=at,
                    )
    return queued
