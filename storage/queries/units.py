"""Units and the tree: add, find, list, and the scope (subtree) a unit's leaders may see."""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Organisation, Unit, UnitKind
from storage.text import fold, nfc

#: The longest unit name accepted (the longest official names are under 60 characters). Names
#: are quoted in captions, headings, buttons and lists: an unbounded one would crowd out the rest
#: of every message that names the unit (docs/security.md, "Telegram's limits").
MAX_NAME = 120


class UnitError(ValueError):
    """A unit cannot be added as asked; the message says why (for CLI and import reports)."""


@dataclass(frozen=True)
class Scope:
    """The part of the tree a unit's admin oversees: units under ``prefix`` of ``org`` (any if None)."""

    prefix: str
    org: str | None

    def contains(self, unit: Unit) -> bool:
        return unit.path.startswith(self.prefix) and (self.org is None or unit.org == self.org)

    def clause(self) -> ColumnElement[bool]:
        cond: ColumnElement[bool] = Unit.path.startswith(self.prefix, autoescape=True)
        if self.org is not None:
            cond = and_(cond, Unit.org == self.org)
        return cond


EVERYTHING = Scope(prefix="/", org=None)


async def umbrella_orgs(session: AsyncSession) -> set[str]:
    """The organisations that oversee all others in their area. Read on every update, changed only by
    a migration: cached per engine (weakly, so a disposed engine's entry goes with it)."""
    bind = session.bind
    cached = _UMBRELLAS.get(bind) if bind is not None else None
    if cached is not None:
        return set(cached)
    rows = set(
        await session.scalars(select(Organisation.key).where(Organisation.umbrella == true()))
    )
    if bind is not None:
        _UMBRELLAS[bind] = frozenset(rows)
    return rows


_UMBRELLAS: weakref.WeakKeyDictionary[Any, frozenset[str]] = weakref.WeakKeyDictionary()


def scope_of(unit: Unit, umbrellas: set[str]) -> Scope:
    if unit.org in umbrellas:
        return Scope(prefix=unit.path, org=None)
    return Scope(prefix=unit.anchor_path, org=unit.org)


async def get(session: AsyncSession, unit_id: int) -> Unit | None:
    return await session.get(Unit, unit_id)


async def by_code(session: AsyncSession, code: str) -> Unit | None:
    return await session.scalar(select(Unit).where(Unit.code == code))


async def kinds(session: AsyncSession) -> Sequence[UnitKind]:
    return (await session.scalars(select(UnitKind).order_by(UnitKind.level, UnitKind.key))).all()


async def organisations(session: AsyncSession) -> Sequence[Organisation]:
    return (await session.scalars(select(Organisation).order_by(Organisation.key))).all()


async def add(
    session: AsyncSession,
    *,
    code: str,
    name: str,
    kind: str,
    org: str,
    parent: Unit | None,
    now: datetime,
    official_code: str | None = None,
) -> Unit:
    """Insert a unit under ``parent`` and compute its paths."""
    code = code.strip()
    name = nfc(name.strip())
    if not code or len(code) > 64:
        raise UnitError(f"unit code must be 1-64 characters: {code!r}")
    if not name:
        raise UnitError(f"unit {code}: name is empty")
    if len(name) > MAX_NAME:
        raise UnitError(
            f"unit {code}: name is {len(name)} characters long, at most {MAX_NAME} please"
        )
    if any(ch in name for ch in "\r\n\t"):
        raise UnitError(f"unit {code}: name must be one line")
    if await session.get(UnitKind, kind) is None:
        known = ", ".join(k.key for k in await kinds(session))
        raise UnitError(f"unit {code}: unknown kind {kind!r} (known: {known})")
    organisation = await session.get(Organisation, org)
    if organisation is None:
        known = ", ".join(o.key for o in await organisations(session))
        raise UnitError(f"unit {code}: unknown organisation {org!r} (known: {known})")
    if await by_code(session, code) is not None:
        raise UnitError(f"unit code {code!r} already exists")
    unit = Unit(
        code=code,
        name=name,
        search_name=fold(name),
        kind=kind,
        org=org,
        parent_id=parent.id if parent else None,
        path="",
        anchor_path="",
        official_code=official_code,
        created_at=now,
    )
    session.add(unit)
    await session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    unit.anchor_path = unit.path
    if parent is not None and not organisation.umbrella and parent.kind == kind:
        parent_org = await session.get(Organisation, parent.org)
        if parent_org is not None and parent_org.umbrella:
            # A member organisation under its own area's Front committee works in that area.
            unit.anchor_path = parent.path
    await session.flush()
    return unit


async def children(session: AsyncSession, unit_id: int) -> Sequence[Unit]:
    stmt = select(Unit).where(Unit.parent_id == unit_id, Unit.active == true()).order_by(Unit.name)
    return (await session.scalars(stmt)).all()


async def in_scope_children(session: AsyncSession, unit: Unit, scope: Scope) -> Sequence[Unit]:
    """Children of ``unit`` that are in ``scope`` or lead to units in it (for tree pickers)."""
    rows = await children(session, unit.id)
    result = []
    for child in rows:
        if scope.contains(child) or await _has_in_scope_descendant(session, child, scope):
            result.append(child)
    return result


async def _has_in_scope_descendant(session: AsyncSession, unit: Unit, scope: Scope) -> bool:
    stmt = select(func.count()).where(
        Unit.path.startswith(unit.path, autoescape=True), Unit.id != unit.id, scope.clause()
    )
    return bool(await session.scalar(stmt))


async def list_units(session: AsyncSession, under: Unit | None = None) -> Sequence[Unit]:
    stmt = select(Unit).order_by(Unit.path)
    if under is not None:
        stmt = stmt.where(Unit.path.startswith(under.path, autoescape=True))
    return (await session.scalars(stmt)).all()


async def overseen(session: AsyncSession, unit: Unit) -> Sequence[Unit]:
    """The active units a leader of ``unit`` oversees, itself left out, in tree order: every unit
    under a Front committee; for a member organisation, its own organisation's units in its area
    (a commune's Women's Union oversees the thôn branches hung under each thôn's Front committee,
    not below itself)."""
    scope = scope_of(unit, await umbrella_orgs(session))
    stmt = (
        select(Unit)
        .where(scope.clause(), Unit.id != unit.id, Unit.active == true())
        .order_by(Unit.path)
    )
    return (await session.scalars(stmt)).all()


def directly_below(unit: Unit, overseen_units: Sequence[Unit]) -> list[Unit]:
    """Of the units ``unit`` oversees, those one level down: its children, or for a member
    organisation its branches in the areas directly under its own (a thôn's branch for a
    commune's union)."""
    if unit.anchor_path == unit.path:
        return [u for u in overseen_units if u.parent_id == unit.id]
    return [
        u
        for u in overseen_units
        if u.anchor_path.startswith(unit.anchor_path)
        and u.anchor_path[len(unit.anchor_path) :].count("/") == 1
    ]


async def count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Unit)) or 0)


async def by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, Unit]:
    if not ids:
        return {}
    rows = await session.scalars(select(Unit).where(Unit.id.in_(ids)))
    return {u.id: u for u in rows}


async def rename(session: AsyncSession, unit: Unit, name: str) -> None:
    await session.execute(
        update(Unit).where(Unit.id == unit.id).values(name=nfc(name), search_name=fold(name))
    )


async def children_of(session: AsyncSession, parent_ids: Sequence[int]) -> Sequence[Unit]:
    """The active children of several units at once (the drill-down targets of /totals' rows)."""
    if not parent_ids:
        return []
    stmt = (
        select(Unit)
        .where(Unit.parent_id.in_(list(parent_ids)), Unit.active == true())
        .order_by(Unit.name)
    )
    return (await session.scalars(stmt)).all()
