"""Following petitions at the authority over time (issue 17, PRODUCT §10): a reminder to the UBND
unit a few days before the due date, daily reminders when overdue (at most three), then one
escalation to the UBND unit's leaders and the Front leader who forwarded it; and the automatic
erasure of citizens' name and phone a configured time after an item is final.

Why it is shaped this way: nothing is scheduled per item. The scheduler calls
:func:`follow_up` every minute; it reads from the database what is due by now and writes it in
the same transaction as the notices it queues. The item's own counters decide
(``reminders_sent``, ``escalated_at``, ``erased_at``), each changed by a compare-and-set update, so
a restart neither loses nor doubles a reminder and two processes running the job at once send each
one once; the outbox keys (which carry the due date) make a retried enqueue a no-op too. A bot
that was down for days sends the latest overdue reminder that is due, not all the missed ones.
Extending the due date (the handling's work) starts the schedule afresh for the new date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.notifications import enqueue
from bot.petitions import AT_AUTHORITY, DEFAULT_ERASE_AFTER_DAYS, OPEN_STATUSES, STATUSES
from bot.reports import recipients
from storage.models import Person, Petition
from storage.queries import petition_stats as stats_q
from storage.queries import petitions as petitions_q

#: Days before the due date of the one reminder ahead of it.
BEFORE_DAYS: Final = 3
#: Overdue reminders, one a day from the day after the due date; then one escalation.
OVERDUE_MAX: Final = 3
#: Statuses in which an item is done with: the erasure window runs from then.
FINAL: Final = frozenset(STATUSES) - OPEN_STATUSES


@dataclass(frozen=True)
class FollowUp:
    """What one run did (for the log and the tests)."""

    reminders: int = 0
    escalations: int = 0
    erased: int = 0


def local_at(day: date, hour: int, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=tz)


async def follow_up(
    session: AsyncSession,
    now: datetime,
    tz: ZoneInfo,
    *,
    hour: int = 8,
    erase_after_days: int = DEFAULT_ERASE_AFTER_DAYS,
) -> FollowUp:
    """Queue the reminders and escalations due by ``now`` and erase what has been kept long
    enough. Safe to run every minute, after a restart, or in two processes at once."""
    reminders = escalations = 0
    for item in await stats_q.at_authority(session, AT_AUTHORITY):
        assert item.due_on is not None and item.authority_unit_id is not None
        before = local_at(item.due_on - timedelta(days=BEFORE_DAYS), hour, tz)
        due_end = local_at(item.due_on + timedelta(days=1), 0, tz)
        if before <= now < due_end:
            reminders += await _tell_officers(session, item, "before", "petition_due_soon", now)
            continue
        latest = _latest_overdue(item.due_on, now, hour, tz)
        if latest > item.reminders_sent:
            # Count first: the process whose update moves the counter sends, any other none.
            if await stats_q.claim_reminders(session, item.id, item.reminders_sent, latest, now):
                item.reminders_sent = latest
                reminders += await _tell_officers(
                    session, item, f"overdue{latest}", "petition_overdue", now
                )
                await petitions_q.add_event(session, item, "reminded", now, None, note=str(latest))
            continue
        escalate_at = local_at(item.due_on + timedelta(days=OVERDUE_MAX + 1), hour, tz)
        if (
            item.reminders_sent >= OVERDUE_MAX
            and item.escalated_at is None
            and now >= escalate_at
            and await stats_q.claim_escalation(session, item.id, now)
        ):
            item.escalated_at = now
            escalations += 1
            await _escalate(session, item, now)
            await petitions_q.add_event(session, item, "escalated", now, None)
    erased = await _erase(session, now, erase_after_days)
    return FollowUp(reminders, escalations, erased)


def _latest_overdue(due_on: date, now: datetime, hour: int, tz: ZoneInfo) -> int:
    """How many daily overdue reminders are due by ``now`` (0 to OVERDUE_MAX)."""
    count = 0
    for k in range(1, OVERDUE_MAX + 1):
        if now >= local_at(due_on + timedelta(days=k), hour, tz):
            count = k
    return count


async def _officers(session: AsyncSession, item: Petition) -> list[Person]:
    """Who answers for the UBND unit: the assigned officer if any (and still reachable), else
    every member of the unit."""
    assert item.authority_unit_id is not None
    members = await recipients(session, item.authority_unit_id, roles=("cadre", "admin", "owner"))
    assigned = [p for p in members if p.id == item.assignee_id]
    return assigned or members


async def _tell_officers(
    session: AsyncSession, item: Petition, slot: str, kind: str, now: datetime
) -> int:
    queued = 0
    for person in await _officers(session, item):
        queued += await enqueue(
            session,
            key=f"petition:{item.id}:{item.due_on}:{slot}:{person.telegram_id}",
            chat_id=person.telegram_id,
            kind=kind,
            params={"petition_id": item.id, "due_on": str(item.due_on)},
            now=now,
        )
    return queued


async def _escalate(session: AsyncSession, item: Petition, now: datetime) -> None:
    """To the UBND unit's leaders and the Front leader who forwarded it (the supervising Front's
    leaders when that person is gone)."""
    assert item.authority_unit_id is not None
    chosen: dict[int, Person] = {
        p.id: p for p in await recipients(session, item.authority_unit_id, roles=("admin", "owner"))
    }
    front = await recipients(session, item.front_unit_id, roles=("admin", "owner"))
    forwarder = [p for p in front if p.id == item.forwarded_by]
    if not forwarder and item.forwarded_by is not None:
        person = await session.get(Person, item.forwarded_by)
        if person is not None and person.started and not person.blocked:
            forwarder = [person]
    for person in forwarder or front:
        chosen.setdefault(person.id, person)
    for person in chosen.values():
        await enqueue(
            session,
            key=f"petition:{item.id}:{item.due_on}:escalated:{person.telegram_id}",
            chat_id=person.telegram_id,
            kind="petition_escalated",
            params={"petition_id": item.id, "due_on": str(item.due_on)},
            now=now,
        )


async def _erase(session: AsyncSession, now: datetime, days: int) -> int:
    erased = 0
    for item in await stats_q.to_erase(session, FINAL, now - timedelta(days=days)):
        if await stats_q.erase_citizen(session, item.id, now):
            erased += 1
            await petitions_q.add_event(session, item, "erased", now, None)
    return erased
