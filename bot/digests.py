"""Weekly and monthly digests for linked group chats (PRODUCT §6).

The planner runs with the reminders (every minute): for every active linked chat it queues the
weekly digest (Monday 07:30 local, for the previous Monday–Sunday) and the monthly one (the 1st at
07:30 local, for the previous calendar month) once they are due. Outbox keys make repeats no-ops;
a digest more than two days late is not queued, so a bot stopped for long does not flood groups.

The figures are read from the raw entries (a week does not fit the rollup's half-month buckets),
with the same scope rule as /totals: a Front committee covers every organisation in its area, a
member organisation its own organisation in its area.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.activities import Kind, catalog_kinds
from bot.notifications import enqueue
from bot.petition_stats import DigestLine, digest_line
from bot.reports import OPEN
from bot.totals import Cells, scope_node
from storage.models import Unit
from storage.queries import chats as chats_q
from storage.queries import digests as digests_q
from storage.queries import units as units_q

DUE_AT = time(7, 30)
#: A digest this late is no longer queued (the bot was stopped meanwhile).
TOO_LATE = timedelta(days=2)
TOP = 3


def week_of(day: date) -> tuple[date, date]:
    """Monday and Sunday of the week containing ``day``."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def month_of(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def previous_range(cadence: str, start: date, end: date) -> tuple[date, date]:
    """What ``start``–``end`` is compared with: like with like. A week (Monday to Sunday) with the
    week before; a week so far (the /digest preview on a Wednesday: Monday to Wednesday) with the
    same weekdays of the week before, never with a whole week. A month with the month before."""
    if cadence == "w":
        return start - timedelta(days=7), end - timedelta(days=7)
    return month_of(start - timedelta(days=1))


def due_digests(now: datetime, tz: ZoneInfo) -> list[tuple[str, str, date, date, datetime]]:
    """(cadence, key suffix, start, end, due) of the latest weekly and monthly digests due by now."""
    today = now.astimezone(tz).date()
    result = []
    monday = week_of(today)[0]
    due = datetime.combine(monday, DUE_AT, tzinfo=tz)
    if due > now:
        monday -= timedelta(days=7)
        due = datetime.combine(monday, DUE_AT, tzinfo=tz)
    start, end = monday - timedelta(days=7), monday - timedelta(days=1)
    year, week, _ = start.isocalendar()
    result.append(("w", f"{year}-W{week:02d}", start, end, due))
    first = today.replace(day=1)
    due = datetime.combine(first, DUE_AT, tzinfo=tz)
    if due > now:
        first = month_of(first - timedelta(days=1))[0]
        due = datetime.combine(first, DUE_AT, tzinfo=tz)
    start, end = month_of(first - timedelta(days=1))
    result.append(("m", f"{start.year:04d}-{start.month:02d}", start, end, due))
    return [r for r in result if now - r[4] <= TOO_LATE]


async def plan_digests(session: AsyncSession, now: datetime, tz: ZoneInfo) -> int:
    """Queue the digests due by now for every active linked chat; returns how many were new."""
    due = due_digests(now, tz)
    if not due:
        return 0
    chats = await chats_q.active(session)
    queued = 0
    for chat in chats:
        for cadence, suffix, start, end, at in due:
            if not (chat.weekly_digest if cadence == "w" else chat.monthly_digest):
                continue  # turned off with /settings
            queued += await enqueue(
                session,
                key=f"digest:{cadence}:{chat.chat_id}:{suffix}",
                chat_id=chat.chat_id,
                kind="digest",
                params={
                    "cadence": cadence,
                    "unit_id": chat.unit_id,
                    "start": start.isoformat(),
                    "end": end.isoformat(),
                },
                now=now,
                due_at=at,
            )
    return queued


@dataclass
class RoundLine:
    title_vi: str
    title_en: str
    period_key: str
    deadline: datetime
    missing: list[str]


@dataclass
class MeetingLine:
    title: str
    starts_at: datetime
    place: str


@dataclass
class DigestData:
    unit: Unit
    cadence: str
    start: date
    end: date
    kinds: list[Kind]
    total: Cells
    previous: Cells
    entries: int
    previous_entries: int
    #: Entries per activity type in the period (for the chart).
    entries_by_kind: dict[str, int] = field(default_factory=dict)
    #: (child unit name, entries) of the children that logged most, best first.
    top: list[tuple[str, int]] = field(default_factory=list)
    rounds: list[RoundLine] = field(default_factory=list)
    meetings: list[MeetingLine] = field(default_factory=list)
    #: Citizens' recommendations in the subtree (bot/petition_stats.py); shown when not empty.
    petitions: DigestLine | None = None
    #: The days compared with (``previous_range``): the week before, or its same weekdays.
    previous_start: date | None = None
    previous_end: date | None = None

    @property
    def empty(self) -> bool:
        return not self.entries

    @property
    def partial_week(self) -> bool:
        """A week so far (the preview before Sunday): compared with the same weekdays."""
        return self.cadence == "w" and (self.end - self.start).days < 6


def _child_id(node_path: str, path: str) -> int | None:
    """The child of the node (by id) whose subtree holds ``path``; None for the node itself."""
    rest = path[len(node_path) :].strip("/")
    return int(rest.split("/")[0]) if rest else None


async def digest_data(
    session: AsyncSession,
    unit: Unit,
    start: date,
    end: date,
    now: datetime,
    *,
    cadence: str = "w",
    details: bool = True,
    tz: ZoneInfo | None = None,
) -> DigestData:
    """The digest's figures. ``details=False`` gives only the entry counts (what the chart
    shows, drawn ahead of the slot): no value totals, open report rounds, coming meetings or
    recommendations. The details need the deployment's time zone ``tz`` (local days)."""
    node, org = await scope_node(session, unit)
    prev_start, prev_end = previous_range(cadence, start, end)
    total: Cells = {}
    previous: Cells = {}
    if details:
        for is_current, type_key, measure_key, value in await digests_q.value_sums(
            session, node.path, org, prev_start, start, end, prev_end
        ):
            if value:
                (total if is_current else previous)[(type_key, measure_key)] = value
    counts = await digests_q.entry_counts(session, node.path, org, prev_start, start, end, prev_end)
    entries = previous_entries = 0
    by_kind: dict[str, int] = {}
    by_child: dict[int, int] = {}
    for is_current, path, type_key, count in counts:
        if not is_current:
            previous_entries += count
            continue
        entries += count
        by_kind[type_key] = by_kind.get(type_key, 0) + count
        child = _child_id(node.path, path)
        if child is not None:
            by_child[child] = by_child.get(child, 0) + count
    names = {c.id: c.name for c in await units_q.children(session, node.id)}
    ranked = sorted(
        ((names[uid], n) for uid, n in by_child.items() if uid in names),
        key=lambda item: (-item[1], item[0]),
    )
    data = DigestData(
        unit=unit,
        cadence=cadence,
        start=start,
        end=end,
        kinds=await catalog_kinds(session),
        total=total,
        previous=previous,
        entries=entries,
        previous_entries=previous_entries,
        entries_by_kind=by_kind,
        top=ranked[:TOP],
        previous_start=prev_start,
        previous_end=prev_end,
    )
    if details:
        data.rounds = await _rounds(session, unit)
        data.meetings = await _meetings(session, unit, now)
        assert tz is not None, "the details count local days"
        data.petitions = await digest_line(session, unit, start, end, now.astimezone(tz).date(), tz)
    return data


async def _rounds(session: AsyncSession, unit: Unit) -> list[RoundLine]:
    """Open rounds of the unit, or in which the unit is asked, with the units still missing."""
    rows = await digests_q.open_rounds_concerning(session, unit.id)
    if not rows:
        return []
    missing: dict[int, list[str]] = {}
    pending = await digests_q.units_not_done(session, [r.id for r, _ in rows], OPEN)
    for round_id, name in pending:
        missing.setdefault(round_id, []).append(name)
    return [
        RoundLine(t.title_vi, t.title_en, r.period_key, r.deadline, missing.get(r.id, []))
        for r, t in rows
    ]


async def _meetings(session: AsyncSession, unit: Unit, now: datetime) -> list[MeetingLine]:
    """Scheduled meetings starting in the next 7 days, organised in the unit's subtree or
    inviting the unit."""
    meetings = await digests_q.meetings_between(session, unit, now, now + timedelta(days=7))
    return [MeetingLine(m.title, m.starts_at, m.place) for m in meetings]
