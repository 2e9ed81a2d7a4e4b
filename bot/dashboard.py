"""What the leaders' dashboard (a Telegram Mini App, bot/runtime/webapp.py) shows, limited to
what the person may see: totals beside the same period a year earlier, upcoming meetings with
their answers, citizens' recommendations (the completeness board: bot/dashboard_board.py).

The rules are those of the chat: a unit's row is shown when ``bot.totals.may_see`` lets the
person see the unit (leaders their subtree, a cadre their own unit), and totals come from
``bot.totals.compute``, the very function behind /totals, so the figures are the same. Each screen
is a handful of statements whatever the number of sub-units (storage/queries/dashboard.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot import date_window, petition_stats
from bot import meetings as meetings_domain
from bot import petitions as petitions_domain
from bot.access import Actor
from bot.periods import Period
from bot.totals import Totals, TotalsError, compute, default_unit, may_see
from storage.models import Meeting, Petition, Unit
from storage.queries import dashboard as dashboard_q
from storage.queries import petition_handling as handling_q
from storage.queries import units as units_q


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
