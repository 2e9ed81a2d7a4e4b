"""Totals over a unit's subtree for a period (PRODUCT §6), read from the rollup.

A Front committee's totals cover every organisation in its area; a member organisation's cover its
own organisation in its area (the same scope rule as access). Rows break the total down by child
unit, or by organisation on request.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from bot import unit_search
from bot.access import Actor
from bot.activities import Kind, catalog_kinds
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


@dataclass
class Totals:
    unit: Unit
    period: Period
    org: str | None
    kinds: list[Kind]
    total: Cells
    #: (label in Vietnamese, label in English, cells): one row per child unit or organisation.
    rows: list[tuple[str, str, Cells]] = field(default_factory=list)


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
) -> Totals:
    if not may_see(actor, unit):
        raise TotalsError("forbidden")
    node, org = await scope_node(session, unit)
    kinds = [k for k in await catalog_kinds(session) if type_key is None or k.key == type_key]
    own = await rollup_q.totals(
        session, [node.id], period.start, period.end, org=org, type_key=type_key, by_org=by_org
    )
    result = Totals(unit=unit, period=period, org=org, kinds=kinds, total=_cells(own))
    if by_org:
        names = {o.key: o for o in await units_q.organisations(session)}
        for org_key in sorted({o for (_u, o, _t, _m) in own}):
            cells = _cells(own, org=org_key)
            if cells:
                found = names.get(org_key)
                result.rows.append(
                    (
                        found.name_vi if found else org_key,
                        found.name_en if found else org_key,
                        cells,
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
    for child in sorted(children, key=lambda u: u.search_name):
        cells = _cells(by_unit.get(child.id, {}))
        if cells:
            result.rows.append((child.name, child.name, cells))
    return result


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
