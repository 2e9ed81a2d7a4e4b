"""The SQL of the Front's and the People's Committee's handling of a recommendation (issue 17):
where an item can go (the UBND unit of the Front committee's area, the Front of the area above),
who is told (a unit's leaders, its officers), and the lists /petitions pages through.

Kept apart from ``storage/queries/petitions.py`` (what every part shares) so the recording, the
handling and the follow-up can grow their own queries without touching each other's.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import Membership, Organisation, Person, Petition, PetitionFile, Unit
from storage.queries.units import Scope

#: The organisation of People's Committees (bot/demo.py seeds it beside the Front's).
AUTHORITY_ORG = "ubnd"
LEADER_ROLES = ("admin", "owner")


async def authority_of_area(session: AsyncSession, front: Unit) -> Unit | None:
    """The UBND unit working in the Front committee's area: organisation ``ubnd``, anchored at
    the committee's path (a partner organisation under its area's Front committee)."""
    return await session.scalar(
        select(Unit)
        .where(
            Unit.org == AUTHORITY_ORG,
            Unit.anchor_path == front.path,
            Unit.active == true(),
        )
        .order_by(Unit.id)
        .limit(1)
    )


async def front_above(session: AsyncSession, front: Unit) -> Unit | None:
    """The Front committee of the parent area: the committee's parent, when it is an umbrella
    organisation's unit (the Front), else None (the top of the tree)."""
    if front.parent_id is None:
        return None
    return await session.scalar(
        select(Unit)
        .join(Organisation, Organisation.key == Unit.org)
        .where(Unit.id == front.parent_id, Organisation.umbrella == true())
    )


async def people_of_unit(
    session: AsyncSession, unit_id: int, *, leaders_only: bool = False
) -> Sequence[Person]:
    """Members of a unit (its leaders only when asked), in a stable order, for notices."""
    stmt = (
        select(Person)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.unit_id == unit_id)
        .order_by(Person.id)
    )
    if leaders_only:
        stmt = stmt.where(Membership.role.in_(LEADER_ROLES))
    return (await session.scalars(stmt)).all()


async def is_member_of(session: AsyncSession, person_id: int, unit_id: int) -> bool:
    found = await session.scalar(
        select(Membership.id).where(
            Membership.person_id == person_id, Membership.unit_id == unit_id
        )
    )
    return found is not None


async def person(session: AsyncSession, person_id: int) -> Person | None:
    return await session.get(Person, person_id)


async def add_file(session: AsyncSession, row: PetitionFile) -> None:
    session.add(row)
    await session.flush()


async def files(session: AsyncSession, petition_id: int, stage: str) -> Sequence[PetitionFile]:
    result = await session.scalars(
        select(PetitionFile)
        .where(PetitionFile.petition_id == petition_id, PetitionFile.stage == stage)
        .order_by(PetitionFile.id)
    )
    return result.all()


@dataclass(frozen=True)
class Visible:
    """What a person may list: what they recorded, items placed (or supervised) in the scopes
    they lead, items forwarded to the units they belong to; ``everything`` for owners."""

    person_id: int
    scopes: Sequence[Scope]
    unit_ids: Collection[int]
    everything: bool = False


def scope_clause(scopes: Sequence[Scope]) -> ColumnElement[bool]:
    """Items placed, or supervised by a Front committee, in one of ``scopes`` (what a leader of
    those scopes oversees; also the items a meeting of such a unit may put on its agenda)."""
    place, front = aliased(Unit), aliased(Unit)
    conds: list[ColumnElement[bool]] = []
    for scope in scopes:
        place_in = select(place.id).where(
            place.id == Petition.unit_id,
            place.path.startswith(scope.prefix, autoescape=True),
            *([place.org == scope.org] if scope.org is not None else []),
        )
        front_in = select(front.id).where(
            front.id == Petition.front_unit_id,
            front.path.startswith(scope.prefix, autoescape=True),
            *([front.org == scope.org] if scope.org is not None else []),
        )
        conds += [place_in.exists(), front_in.exists()]
    return or_(false(), *conds)


def _visible(seen: Visible) -> ColumnElement[bool]:
    if seen.everything:
        return true()
    conds: list[ColumnElement[bool]] = [
        Petition.recorded_by == seen.person_id,
        scope_clause(seen.scopes),
    ]
    if seen.unit_ids:
        conds.append(Petition.authority_unit_id.in_(list(seen.unit_ids)))
    return or_(false(), *conds)


async def visible_page(
    session: AsyncSession,
    seen: Visible,
    *,
    status: str | None,
    category: str | None,
    offset: int,
    limit: int,
) -> tuple[Sequence[Petition], int]:
    """One page of the items the person may see, newest first, and how many there are in all."""
    where: list[ColumnElement[bool]] = [_visible(seen)]
    if status is not None:
        where.append(Petition.status == status)
    if category is not None:
        where.append(Petition.category == category)
    total = int(await session.scalar(select(func.count()).select_from(Petition).where(*where)) or 0)
    rows = await session.scalars(
        select(Petition)
        .where(*where)
        .order_by(Petition.created_at.desc(), Petition.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return rows.all(), total


async def visible_by_status(session: AsyncSession, seen: Visible) -> dict[str, int]:
    """How many items the person may see, per status (the dashboard's counts): one statement."""
    stmt = select(Petition.status, func.count()).where(_visible(seen)).group_by(Petition.status)
    return {status: int(count) for status, count in (await session.execute(stmt)).all()}


async def visible_open(
    session: AsyncSession, seen: Visible, statuses: Collection[str], limit: int
) -> Sequence[Petition]:
    """Open items the person may see, those with the earliest due date first (no due date
    last), then the oldest received: what is late comes to the top."""
    stmt = (
        select(Petition)
        .where(_visible(seen), Petition.status.in_(list(statuses)))
        .order_by(Petition.due_on.is_(None), Petition.due_on, Petition.received_on, Petition.id)
        .limit(limit)
    )
    return (await session.scalars(stmt)).all()
