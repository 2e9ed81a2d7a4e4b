"""Totals over a unit's subtree for a period (PRODUCT §6), read from the rollup.

A Front committee's totals cover every organisation in its area; a member organisation's cover its
own organisation in its area (the same scope rule as access). Rows break the total down by child
unit, or by organisation on request; what was logged at the unit itself (not below it) is a row of
its own, so the rows always add up to the total. Each child row names the unit whose own totals
are exactly that row (the drill-down of /totals' buttons), when the person may see it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from bot import unit_search
from bot.access import Actor
from bot.activities import Kind, catalog_kinds
from bot.i18n import N_, Translator
from bot.periods import Period
from bot.unit_search import UnitSearch
from storage.models import Unit
from storage.queries import rollup as rollup_q
from storage.queries import units as units_q
from storage.text import fold

Cells = dict[tuple[str, str], int]


class TotalsError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


#: The row of what was logged at the unit itself, not in a unit below it.
DIRECT = N_("Directly at {unit}")


@dataclass(frozen=True)
class Row:
    """One line of the breakdown: a child unit, an organisation, or the unit's own entries."""

    label_vi: str
    label_en: str
    cells: Cells
    #: The unit whose own totals equal this row, when the person may see it (a drill-down).
    target: Unit | None = None
    #: What was logged at the unit itself (``label_*`` is then the unit's name).
    direct: bool = False
    #: Entries behind the row (when ranked): the busiest rows first.
    entries: int = 0


def row_label(tr: Translator, row: Row) -> str:
    if row.direct:
        return tr._(DIRECT).format(unit=row.label_vi)
    return row.label_vi if tr.locale == "vi" else row.label_en


@dataclass
class Totals:
    unit: Unit
    period: Period
    org: str | None
    kinds: list[Kind]
    total: Cells
    #: One row per child unit or organisation with figures, and the unit's own entries.
    rows: list[Row] = field(default_factory=list)
    #: The unit one level up whose totals contain these, when the person may see it.
    parent: Unit | None = None


def may_see(actor: Actor, unit: Unit) -> bool:
    """Leaders for their subtree; a cadre for their own unit."""
    return actor.can_admin(unit) or any(r.unit.id == unit.id for r in actor.roles)


async def scope_node(session: AsyncSession, unit: Unit) -> tuple[Unit, str | None]:
    """Where the unit's scope is rooted in the tree, and the organisation filter."""
    umbrellas = await units_q.umbrella_orgs(session)
    if unit.org in umbrellas or unit.anchor_path == unit.path:
        return unit, None if unit.org in umbrellas else unit.org
    anchor = await units_q.get(session, int(unit.anchor_path.strip("/").split("/")[-1]))
    assert anchor is not None
    return anchor, unit.org


def _cells(
    sums: dict[tuple[int, str, str, str], int], unit_id: int | None = None, org: str | None = None
) -> Cells:
    cells: Cells = {}
    for (uid, o, type_key, measure_key), value in sums.items():
        if (unit_id is None or uid == unit_id) and (org is None or o == org):
            cells[(type_key, measure_key)] = cells.get((type_key, measure_key), 0) + value
    return {k: v for k, v in cells.items() if v}


async def compute(
    session: AsyncSession,
    actor: Actor,
    unit: Unit,
    period: Period,
    *,
    type_key: str | None = None,
    by_org: bool = False,
    ranked: bool = False,
) -> Totals:
    """The unit's totals and their breakdown. ``ranked``: rows carry their number of entries
    and come busiest first (the unit's own entries first of all); else by name."""
    if not may_see(actor, unit):
        raise TotalsError("forbidden")
    node, org = await scope_node(session, unit)
    kinds = [k for k in await catalog_kinds(session) if type_key is None or k.key == type_key]
    own = await rollup_q.totals(
        session, [node.id], period.start, period.end, org=org, type_key=type_key, by_org=by_org
    )
    result = Totals(unit=unit, period=period, org=org, kinds=kinds, total=_cells(own))
    result.parent = await _parent(session, actor, node, org)
    if by_org:
        names = {o.key: o for o in await units_q.organisations(session)}
        # An organisation's row is the totals of its unit working in this area (Hội Phụ nữ xã).
        units = {
            c.org: c
            for c in await units_q.children(session, node.id)
            if c.org != node.org and c.anchor_path == node.path and may_see(actor, c)
        }
        for org_key in sorted({o for (_u, o, _t, _m) in own}):
            cells = _cells(own, org=org_key)
            if cells:
                found = names.get(org_key)
                result.rows.append(
                    Row(
                        found.name_vi if found else org_key,
                        found.name_en if found else org_key,
                        cells,
                        units.get(org_key) if org is None else None,
                    )
                )
        return result
    children = [
        c
        for c in await units_q.children(session, node.id)
        if org is None or c.org in (org, node.org)
    ]
    sums = await rollup_q.totals(
        session, [c.id for c in children], period.start, period.end, org=org, type_key=type_key
    )
    by_unit: dict[int, dict[tuple[int, str, str, str], int]] = {}
    for key, value in sums.items():
        by_unit.setdefault(key[0], {})[key] = value
    counts = (
        await rollup_q.entry_counts(
            session,
            [node.id, *(c.id for c in children)],
            period.start,
            period.end,
            org=org,
            type_key=type_key,
        )
        if ranked
        else {}
    )
    targets = await _targets(session, actor, node, org, children)
    rows = []
    for child in sorted(children, key=lambda u: u.search_name):
        cells = _cells(by_unit.get(child.id, {}))
        if cells:
            entries = counts.get(child.id, 0)
            # In an organisation's view the row is its branch there ("Chi hội Phụ nữ thôn Cầu
            # Bâm"), not the area's Front committee the branch hangs under.
            target = targets.get(child.id)
            name = target.name if org is not None and target is not None else child.name
            if child.id == unit.id:
                # A member organisation's own unit (Hội Liên hiệp Phụ nữ xã) hangs under the
                # commune's Front committee: its row is what it logged itself, said as such.
                rows.append(Row(name, name, cells, direct=True, entries=entries))
                continue
            rows.append(Row(name, name, cells, target, entries=entries))
    direct: Cells = dict(result.total)
    for row in rows:
        for cell, value in row.cells.items():
            direct[cell] = direct.get(cell, 0) - value
    direct = {k: v for k, v in direct.items() if v}
    if ranked:
        rows.sort(key=lambda r: -r.entries)  # stable: ties stay in name order
    rows.sort(key=lambda r: not r.direct)  # the unit's own entries first of all
    if direct:
        entries = max(counts.get(node.id, 0) - sum(r.entries for r in rows), 0)
        rows.insert(0, Row(node.name, node.name, direct, direct=True, entries=entries))
    result.rows = rows
    return result


async def _targets(
    session: AsyncSession, actor: Actor, node: Unit, org: str | None, children: list[Unit]
) -> dict[int, Unit]:
    """Per child row, the unit whose own totals are that row: the child itself for a Front
    committee's view; in a member organisation's view, the child of that organisation with its
    own area, or that organisation's unit in a residential area's (Chi hội Phụ nữ of a thôn)."""
    found: dict[int, Unit] = {}
    if org is None:
        found = {c.id: c for c in children}
    else:
        areas = [c for c in children if c.org != org]
        below = await units_q.children_of(session, [c.id for c in areas])
        for child in children:
            if child.org == org and child.anchor_path == child.path:
                found[child.id] = child
        for unit in below:
            parent = unit.parent_id
            # Of the organisation, working in that area (its scope is rooted there).
            works_there = unit.org == org and unit.anchor_path != unit.path
            if works_there and parent is not None and parent not in found:
                found[parent] = unit
    return {cid: u for cid, u in found.items() if may_see(actor, u)}


async def _parent(session: AsyncSession, actor: Actor, node: Unit, org: str | None) -> Unit | None:
    """The unit one level up whose view contains this one, if the person may see it: the parent
    area's Front committee, or in a member organisation's view that organisation's unit there
    (else the area's Front committee, for its leaders)."""
    if node.parent_id is None:
        return None
    above = await units_q.get(session, node.parent_id)
    if above is None:
        return None
    if org is not None:
        # The organisation's unit a level up; else, for a leader of the area, the area itself.
        same_org = next(
            (
                c
                for c in await units_q.children(session, above.id)
                if c.org == org and c.anchor_path == above.path
            ),
            None,
        )
        if same_org is not None and may_see(actor, same_org):
            return same_org
        above = node
    return above if may_see(actor, above) else None


async def find_unit(session: AsyncSession, actor: Actor, text: str) -> UnitSearch:
    """The unit the actor means by ``text`` (a code or a name) among those they may see, or the
    candidates to ask about (bot/unit_search.py)."""
    if not fold(text):
        return UnitSearch()
    visible = [u for u in await units_q.list_units(session) if may_see(actor, u)]
    return unit_search.search(visible, text)


def default_unit(actor: Actor) -> Unit | None:
    """The user's own unit: the highest one they lead, else the first they belong to."""
    admin = sorted((r.unit for r in actor.admin_roles()), key=lambda u: len(u.path))
    if admin:
        return admin[0]
    return actor.roles[0].unit if actor.roles else None
