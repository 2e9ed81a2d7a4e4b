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

from bot import date_window
from bot import meetings as meetings_domain
from bot import petitions as petitions_domain
from bot.access import Actor
from bot.notifications import enqueue
from bot.periods import Period
from bot.report_templates import template_of
from bot.reports import OPEN, recipients
from bot.totals import Totals, TotalsError, compute, may_see
from storage.models import Meeting, Person, Petition, Report, ReportRound, Unit
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
    cadres: list[Person]
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
    out): the missing first, then late, submitted, approved; by name within each."""
    boards: dict[int, RoundBoard] = {}
    rows: dict[int, list[tuple[Unit, Report]]] = {}
    for round_row, report, unit in await dashboard_q.open_round_reports(session):
        if may_see(actor, unit):
            rows.setdefault(round_row.id, []).append((unit, report))
            boards.setdefault(round_row.id, RoundBoard(round_row, "", "", _period(round_row), unit))
    reminded = await dashboard_q.reminded_since(
        session, [r.id for found in rows.values() for _u, r in found], day_start(now, tz)
    )
    unit_ids = {u.id for found in rows.values() for u, _r in found}
    cadres: dict[int, list[Person]] = {}
    for unit_id, person, _role in await dashboard_q.members_of_units(session, unit_ids):
        cadres.setdefault(unit_id, []).append(person)
    order = {"missing": 0, "late": 1, "submitted": 2, "approved": 3}
    for round_id, board in boards.items():
        template_row = await reports_q.get_template(session, board.round.template_id)
        asking = await units_q.get(session, board.round.unit_id)
        assert template_row is not None and asking is not None
        template = template_of(template_row)
        board.title_vi, board.title_en = template.title("vi"), template.title("en")
        board.unit = asking
        board.rows = sorted(
            (
                _row(actor, board.round, unit, report, cadres.get(unit.id, []), reminded)
                for unit, report in rows[round_id]
            ),
            key=lambda r: (order[r.state], r.unit.search_name),
        )
    return list(boards.values())


def _row(
    actor: Actor,
    round_row: ReportRound,
    unit: Unit,
    report: Report,
    cadres: list[Person],
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


@dataclass(frozen=True)
class OrgChoice:
    """One organisation whose totals may be asked for in an area: ``org`` None is the area's own
    unit (its Front committee: every organisation, ``all_orgs``), else that organisation's unit
    there (Hội Phụ nữ xã), named in both languages."""

    org: str | None
    unit: Unit
    name_vi: str
    name_en: str
    all_orgs: bool = False


async def org_choices(
    session: AsyncSession, actor: Actor, unit: Unit
) -> tuple[Unit | None, list[OrgChoice]]:
    """The area the unit works in (itself, or for a member organisation the Front committee it
    hangs under) and the organisations there whose totals the person may see: the area's own
    unit first, then the member organisations in the order of their names. Four statements at
    most, whatever the number of organisations."""
    area = unit if unit.anchor_path == unit.path else None
    if area is None and unit.parent_id is not None:
        area = await units_q.get(session, unit.parent_id)
    if area is None:
        return None, []
    names = {o.key: o for o in await units_q.organisations(session)}
    umbrellas = await units_q.umbrella_orgs(session)
    found: list[OrgChoice] = []
    if may_see(actor, area):
        own = names.get(area.org)
        found.append(
            OrgChoice(
                None,
                area,
                own.name_vi if own else area.org,
                own.name_en if own else area.org,
                all_orgs=area.org in umbrellas,
            )
        )
    members = [
        c
        for c in await units_q.children(session, area.id)
        if c.anchor_path == area.path and c.org != area.org and may_see(actor, c)
    ]
    choices = []
    for child in members:
        org = names.get(child.org)
        choices.append(
            OrgChoice(
                child.org,
                child,
                org.name_vi if org else child.org,
                org.name_en if org else child.org,
            )
        )
    found += sorted(choices, key=lambda c: c.name_vi)
    return area, found


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
