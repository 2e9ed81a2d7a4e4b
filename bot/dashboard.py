"""What the leaders' dashboard (a Telegram Mini App, bot/runtime/webapp.py) shows, limited to
what the person may see: the completeness of open report rounds, totals beside the same period
a year earlier, upcoming meetings with their answers.

The rules are those of the chat: a unit's row is shown when ``bot.totals.may_see`` lets the
person see the unit (leaders their subtree, a cadre their own unit), and totals come from
``bot.totals.compute``, the very function behind /totals, so the figures are the same. Each screen
is a handful of statements whatever the number of sub-units (storage/queries/dashboard.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot import date_window, petition_stats
from bot import meetings as meetings_domain
from bot import petitions as petitions_domain
from bot.access import Actor
from bot.names import name_of
from bot.notifications import enqueue
from bot.periods import Period
from bot.report_templates import template_of
from bot.reports import OPEN, recipients
from bot.totals import Totals, TotalsError, compute, default_unit, may_see
from storage.models import Meeting, Petition, ReportRound, Unit
from storage.queries import dashboard as dashboard_q
from storage.queries import petition_handling as handling_q
from storage.queries import reports as reports_q
from storage.queries import units as units_q


@dataclass(frozen=True)
class UnitRow:
    """One unit's report in a round: ``state`` is ``approved``, ``submitted`` (on time),
    ``late`` (submitted after the deadline) or ``missing`` (draft or returned)."""

    unit: Unit
    state: str
    status: str
    submitted_at: datetime | None
    #: The names of the unit's members (as ``bot.names.name_of`` writes them).
    cadres: list[str]
    report_id: int = 0
    #: The person may remind its cadres now (a leader over it, the report missing, the unit has
    #: members, and nobody reminded them from the dashboard today).
    remindable: bool = False
    reminded_today: bool = False


@dataclass
class RoundBoard:
    round: ReportRound
    title_vi: str
    title_en: str
    period: Period
    unit: Unit
    rows: list[UnitRow] = field(default_factory=list)

    def count(self, state: str) -> int:
        return sum(1 for r in self.rows if r.state == state)


def state_of(status: str, submitted_at: datetime | None, deadline: datetime) -> str:
    if status in OPEN or submitted_at is None:
        return "missing"
    if status == "approved":
        return "approved"
    return "submitted" if submitted_at <= deadline else "late"


async def completeness(
    session: AsyncSession, actor: Actor, now: datetime, tz: ZoneInfo
) -> list[RoundBoard]:
    """Open rounds with a row for each asked unit the person may see (rounds with none are left
    out): the missing first, then late, submitted, approved; by name within each.

    Six statements whatever the size of the subtree: the open rounds, their reports the person
    may see (the subtree filter is in the SQL), those units and the asking ones, their members,
    today's reminders, the templates. A province's board is thousands of rows, so rows are read
    as columns, not ORM objects, and each cadre's name is made once, not once per round."""
    rounds = {r.id: r for r in await dashboard_q.open_rounds(session)}
    if not rounds:
        return []
    scopes = None if actor.is_owner else [r.scope for r in actor.admin_roles()]
    lines = await dashboard_q.open_round_reports(session, scopes, {r.unit.id for r in actor.roles})
    units = await units_q.by_ids(
        session, sorted({line.unit_id for line in lines} | {r.unit_id for r in rounds.values()})
    )
    found: dict[int, list[tuple[Unit, dashboard_q.ReportLine]]] = {}
    for line in lines:
        unit = units.get(line.unit_id)
        if line.round_id in rounds and unit is not None and may_see(actor, unit):
            found.setdefault(line.round_id, []).append((unit, line))
    if not found:
        return []
    reminded = await dashboard_q.reminded_since(
        session, [line.id for rows in found.values() for _u, line in rows], day_start(now, tz)
    )
    seen_units = {u.id for rows in found.values() for u, _line in rows}
    cadres: dict[int, list[str]] = {}
    for member in await dashboard_q.members_of_units(session, seen_units):
        cadres.setdefault(member.unit_id, []).append(name_of(member))
    templates = await dashboard_q.templates_by_ids(
        session, {rounds[round_id].template_id for round_id in found}
    )
    order = {"missing": 0, "late": 1, "submitted": 2, "approved": 3}
    boards = []
    for round_id, round_row in rounds.items():  # by deadline
        if round_id not in found:
            continue
        template = template_of(templates[round_row.template_id])
        rows = [
            _row(actor, round_row, unit, line, cadres.get(unit.id, []), reminded)
            for unit, line in found[round_id]
        ]
        rows.sort(key=lambda r: (order[r.state], r.unit.search_name))
        boards.append(
            RoundBoard(
                round_row,
                template.title("vi"),
                template.title("en"),
                _period(round_row),
                units[round_row.unit_id],
                rows,
            )
        )
    return boards


def _row(
    actor: Actor,
    round_row: ReportRound,
    unit: Unit,
    report: dashboard_q.ReportLine,
    cadres: list[str],
    reminded: set[int],
) -> UnitRow:
    state = state_of(report.status, report.submitted_at, round_row.deadline)
    today = report.id in reminded
    return UnitRow(
        unit,
        state,
        report.status,
        report.submitted_at,
        cadres,
        report.id,
        remindable=state == "missing" and bool(cadres) and actor.can_admin(unit) and not today,
        reminded_today=today,
    )


def day_start(now: datetime, tz: ZoneInfo) -> datetime:
    """Midnight of the local day (where the cadres are) that ``now`` falls in."""
    return datetime.combine(now.astimezone(tz).date(), time(0), tzinfo=tz)


class RemindError(Exception):
    """A reminder was not sent: ``forbidden`` (no such open report of a unit the person leads),
    ``not_missing`` (submitted meanwhile), ``already`` (reminded today), ``no_cadres``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


async def remind(
    session: AsyncSession, actor: Actor, report_id: int, now: datetime, tz: ZoneInfo
) -> int:
    """Queue a reminder (through the outbox, in the caller's transaction) to the cadres and
    leaders of the unit that owes the report: once a local day per report, whoever presses
    (two leaders pressing at once queue one message each person: the outbox keys are the
    same), recorded as the report's event ``reminded``. The number of people told."""
    report = await reports_q.get_report(session, report_id)
    round_row = await reports_q.get_round(session, report.round_id) if report else None
    unit = await units_q.get(session, report.unit_id) if report else None
    if (
        report is None
        or round_row is None
        or round_row.closed_at is not None
        or unit is None
        or not actor.can_admin(unit)
    ):
        raise RemindError("forbidden")
    if report.status not in OPEN:
        raise RemindError("not_missing")
    if await dashboard_q.reminded_since(session, [report.id], day_start(now, tz)):
        raise RemindError("already")
    people = await recipients(session, unit.id, roles=("cadre", "admin"))
    if not people:
        raise RemindError("no_cadres")
    day = now.astimezone(tz).date().isoformat()
    queued = 0
    for person in people:
        queued += await enqueue(
            session,
            key=f"nudge:{report.id}:{day}:{person.telegram_id}",
            chat_id=person.telegram_id,
            kind="report_nudge",
            params={"report_id": report.id, "by": actor.person.id},
            now=now,
        )
    if not queued:
        raise RemindError("already")
    await reports_q.add_event(
        session, report.id, actor.person.id, now, dashboard_q.REMINDED, {"people": queued}
    )
    return queued


def _period(round_row: ReportRound) -> Period:
    return Period.from_key(round_row.period_key)


def same_period_last_year(period: Period) -> Period:
    return Period(period.kind, period.year - 1, period.index, period.rule)


@dataclass
class Comparison:
    now: Totals
    last_year: Totals | None


async def unit_for(
    session: AsyncSession, actor: Actor, unit_id: int, org: str | None
) -> Unit | None:
    """The unit asked for, or with ``org`` that organisation's own unit in that area (Hội Phụ nữ
    xã for the xã's committee), if the person may see it; None otherwise (one answer for
    "no such unit" and "not yours", so nothing leaks)."""
    unit = await units_q.get(session, unit_id)
    if unit is not None and org is not None and org != unit.org:
        unit = await dashboard_q.unit_children(session, unit.id, org)
    if unit is None or not may_see(actor, unit):
        return None
    return unit


async def totals(
    session: AsyncSession, actor: Actor, unit: Unit, period: Period, *, by_org: bool = False
) -> Comparison:
    """The totals /totals shows (ranked the same way) and the same period a year earlier
    (None when that year is outside the years kept)."""
    now = await compute(session, actor, unit, period, by_org=by_org, ranked=True)
    try:
        before: Period | None = same_period_last_year(period)
    except ValueError:
        before = None
    if before is not None and before.start < date_window.FIRST_DAY:
        before = None  # before the first day any date may name: nothing is kept there
    last = None
    if before is not None:
        try:
            last = await compute(session, actor, unit, before, by_org=by_org)
        except (TotalsError, ValueError):
            last = None
    return Comparison(now, last)


@dataclass(frozen=True)
class MeetingLine:
    meeting: Meeting
    unit: Unit | None
    answers: dict[str, int]


async def upcoming_meetings(
    session: AsyncSession, actor: Actor, now: datetime, limit: int = 20
) -> list[MeetingLine]:
    """The meetings /meetings lists (invited or organised in the subtree), with the number of
    answers of each kind: two statements more whatever their number."""
    found = await meetings_domain.visible_meetings(session, actor, now, limit=limit)
    counts = await dashboard_q.rsvp_counts(session, [m.id for m in found])
    units = await units_q.by_ids(session, sorted({m.unit_id for m in found}))
    return [MeetingLine(m, units.get(m.unit_id), counts.get(m.id, {})) for m in found]


@dataclass(frozen=True)
class PetitionLine:
    petition: Petition
    place: Unit | None
    authority: Unit | None
    #: Days past the People's Committee's due date (None when not late, or not with it).
    overdue_days: int | None


@dataclass
class PetitionBoard:
    counts: dict[str, int]
    items: list[PetitionLine]


async def petition_board(
    session: AsyncSession, actor: Actor, today: date, limit: int = 30
) -> PetitionBoard:
    """The recommendations /petitions would list for the person (``bot.petitions.visible_to``):
    how many per status, and the open ones, overdue first (the most overdue at the top), then
    by due date. Three statements, whatever their number."""
    seen = petitions_domain.visible_to(actor)
    counts = await handling_q.visible_by_status(session, seen)
    found = await handling_q.visible_open(
        session, seen, sorted(petitions_domain.OPEN_STATUSES), limit
    )
    units = await units_q.by_ids(
        session,
        sorted(
            {p.unit_id for p in found}
            | {p.authority_unit_id for p in found if p.authority_unit_id is not None}
        ),
    )
    lines = []
    for p in found:
        late = (
            (today - p.due_on).days
            if p.status in petitions_domain.AT_AUTHORITY
            and p.due_on is not None
            and p.due_on < today
            else None
        )
        authority = units.get(p.authority_unit_id) if p.authority_unit_id is not None else None
        lines.append(PetitionLine(p, units.get(p.unit_id), authority, late))
    lines.sort(key=lambda line: -(line.overdue_days or 0))  # stable: then by due date
    return PetitionBoard(counts, lines)


@dataclass(frozen=True)
class PetitionSummary:
    """The counts above the petitions tab's list: ``/totals kiến nghị``'s for the same unit and
    period."""

    unit: Unit
    period: Period
    totals: petition_stats.PetitionTotals


async def petition_summary(
    session: AsyncSession, actor: Actor, period: Period, today: date, tz: ZoneInfo
) -> PetitionSummary | None:
    """The items received in ``period`` under the person's own unit (``default_unit``: what
    ``/totals kiến nghị`` counts when no unit is named — a leader's subtree, a cadre's unit),
    counted by ``bot.petition_stats.totals``, the function behind that command, so the two say
    the same. None for a person with no unit."""
    unit = default_unit(actor)
    if unit is None or not may_see(actor, unit):
        return None
    counted = await petition_stats.totals(session, unit, period.start, period.end, today, tz)
    return PetitionSummary(unit, period, counted)
