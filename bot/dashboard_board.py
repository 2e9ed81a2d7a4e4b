"""The dashboard's first tab (bot/dashboard.py): the completeness of open report rounds, a row
per unit that owes a report (its state, its cadres, "Nhắc") or, for a leader over communes, a row
per unit directly below with its counts; and "Nhắc" itself, the one thing the dashboard changes.

A unit's row is shown when ``bot.totals.may_see`` lets the person see it, as in the chat. Each
board is a handful of statements whatever the number of sub-units (storage/queries/dashboard.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.access import Actor
from bot.names import name_of
from bot.notifications import enqueue
from bot.periods import Period
from bot.report_templates import template_of
from bot.reports import OPEN, recipients
from bot.totals import default_unit, may_see
from storage.models import ReportRound, Unit
from storage.queries import dashboard as dashboard_q
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


@dataclass(frozen=True)
class GroupRow:
    """The reports owed under one unit directly below the board's (a commune on a province's
    board): how many are in each state."""

    unit: Unit
    counts: dict[str, int]
    #: The board's own unit (its own report, in a round asked of its level too): no drill.
    own: bool = False

    @property
    def total(self) -> int:
        return sum(self.counts.values())


STATES = ("missing", "late", "submitted", "approved")


@dataclass
class RoundBoard:
    round: ReportRound
    title_vi: str
    title_en: str
    period: Period
    unit: Unit
    rows: list[UnitRow] = field(default_factory=list)
    #: On a grouped board (bot.dashboard.completeness), a row per unit directly below instead.
    groups: list[GroupRow] | None = None

    def count(self, state: str) -> int:
        if self.groups is not None:
            return sum(g.counts.get(state, 0) for g in self.groups)
        return sum(1 for r in self.rows if r.state == state)

    @property
    def total(self) -> int:
        return sum(self.count(state) for state in STATES)


@dataclass
class Board:
    """The completeness board as seen from ``unit`` (None: the person's whole view, as it
    always was for a cadre or a commune's leader). ``grouped``: one row per unit directly below
    ``unit``; ``up``: the unit a "back up" goes to (None with ``drilled``: the first screen)."""

    unit: Unit | None
    grouped: bool
    drilled: bool
    up: Unit | None
    rounds: list[RoundBoard]


def state_of(status: str, submitted_at: datetime | None, deadline: datetime) -> str:
    if status in OPEN or submitted_at is None:
        return "missing"
    if status == "approved":
        return "approved"
    return "submitted" if submitted_at <= deadline else "late"


async def board_unit(session: AsyncSession, actor: Actor, unit_id: int) -> Unit | None:
    """The unit a leader drills the board into, if it is inside what they see: a unit they
    may see, or an area inside a subtree they lead (a province's Women's Union drills into a
    commune, and sees its own organisation's reports there). None otherwise, one answer for
    "no such unit" and "not yours"."""
    unit = await units_q.get(session, unit_id)
    if unit is None:
        return None
    if may_see(actor, unit) or any(
        unit.path.startswith(r.scope.prefix) and unit.path != r.scope.prefix
        for r in actor.admin_roles()
    ):
        return unit
    return None


async def completeness(
    session: AsyncSession,
    actor: Actor,
    now: datetime,
    tz: ZoneInfo,
    unit: Unit | None = None,
) -> Board:
    """The board of the open rounds, from the person's own unit or from ``unit`` (drilled into,
    checked by ``board_unit``). When that unit's sub-units have sub-units of their own (a
    province: communes, then residential areas) the board counts per unit directly below, worst
    first, in one GROUP BY (``storage.queries.dashboard.open_round_counts``): a province's first
    screen is a hundred commune rows, not four thousand. Otherwise a row per unit that owes a
    report, with its cadres (``unit_rows``)."""
    rounds = {r.id: r for r in await dashboard_q.open_rounds(session)}
    prefix, area_id = await _base(session, actor, unit)
    grouped = (
        bool(rounds)
        and area_id is not None
        and await dashboard_q.has_grandchild_areas(session, area_id)
    )
    up = None
    if unit is not None:
        home = await _base(session, actor, None)
        if unit.parent_id is not None and home[0] is not None and unit.path != home[0]:
            parent_path = unit.path[: unit.path.rstrip("/").rfind("/") + 1]
            if parent_path != home[0] and parent_path.startswith(home[0]):
                up = await units_q.get(session, unit.parent_id)
    if not rounds:
        boards: list[RoundBoard] = []
    elif grouped:
        assert prefix is not None and area_id is not None
        boards = await _grouped(session, actor, rounds, prefix, area_id)
    else:
        boards = await unit_rows(
            session, actor, rounds, now, tz, unit.path if unit is not None else None
        )
    return Board(unit, grouped, unit is not None, up, boards)


async def _base(
    session: AsyncSession, actor: Actor, unit: Unit | None
) -> tuple[str | None, int | None]:
    """The path the board is seen from and the area unit at it: the drilled unit's; else the
    area of the highest unit the person leads, if everything they lead is inside it (else the
    board is not grouped: (None, None))."""
    if unit is not None:
        return unit.path, unit.id
    home = default_unit(actor) if actor.admin_roles() else None
    if home is None:
        return None, None
    prefix = units_q.scope_of(home, await units_q.umbrella_orgs(session)).prefix
    if not actor.is_owner and all(r.scope.prefix.startswith(prefix) for r in actor.admin_roles()):
        return prefix, int(prefix.strip("/").split("/")[-1])
    return None, None


async def _grouped(
    session: AsyncSession,
    actor: Actor,
    rounds: dict[int, ReportRound],
    prefix: str,
    area_id: int,
) -> list[RoundBoard]:
    scopes = None if actor.is_owner else [r.scope for r in actor.admin_roles()]
    counts = await dashboard_q.open_round_counts(
        session, scopes, {r.unit.id for r in actor.roles}, prefix, OPEN
    )
    per_round: dict[int, dict[int, dict[str, int]]] = {}
    for c in counts:
        if c.round_id in rounds:
            below = per_round.setdefault(c.round_id, {}).setdefault(c.below_id, {})
            below[c.state] = below.get(c.state, 0) + c.count
    if not per_round:
        return []
    units = await units_q.by_ids(
        session,
        sorted(
            {b for found in per_round.values() for b in found}
            | {r.unit_id for r in rounds.values()}
        ),
    )
    templates = await dashboard_q.templates_by_ids(
        session, {rounds[round_id].template_id for round_id in per_round}
    )
    boards = []
    for round_id, round_row in rounds.items():  # by deadline
        if round_id not in per_round:
            continue
        template = template_of(templates[round_row.template_id])
        groups = [
            GroupRow(units[below], {s: found.get(s, 0) for s in STATES}, below == area_id)
            for below, found in per_round[round_id].items()
            if below in units
        ]
        groups.sort(key=lambda g: (-g.counts["missing"], -g.counts["late"], g.unit.search_name))
        boards.append(
            RoundBoard(
                round_row,
                template.title("vi"),
                template.title("en"),
                _period(round_row),
                units[round_row.unit_id],
                groups=groups,
            )
        )
    return boards


async def unit_rows(
    session: AsyncSession,
    actor: Actor,
    rounds: dict[int, ReportRound],
    now: datetime,
    tz: ZoneInfo,
    under: str | None,
) -> list[RoundBoard]:
    """Open rounds with a row for each asked unit the person may see (below ``under`` when
    given; rounds with none are left out): the missing first, then late, submitted, approved;
    by name within each.

    Six statements whatever the size of the subtree: the open rounds, their reports the person
    may see (the subtree filter is in the SQL), those units and the asking ones, their members,
    today's reminders, the templates. A province's board is thousands of rows, so rows are read
    as columns, not ORM objects, and each cadre's name is made once, not once per round."""
    scopes = None if actor.is_owner else [r.scope for r in actor.admin_roles()]
    lines = await dashboard_q.open_round_reports(
        session, scopes, {r.unit.id for r in actor.roles}, under
    )
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
