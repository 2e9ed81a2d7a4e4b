"""Who may do what: roles and the part of the tree each membership covers.

Every handler asks the ``Actor``; nothing Telegram-specific lives here so the rules can be tested on
their own and reused by the CLI.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Person, Unit
from storage.queries import people as people_q
from storage.queries import units as units_q
from storage.queries.people import ROLE_RANK
from storage.queries.units import EVERYTHING, Scope


@dataclass(frozen=True)
class Role:
    """One membership as the access rules see it."""

    unit: Unit
    role: str
    scope: Scope

    @property
    def is_admin(self) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK["admin"]


@dataclass(frozen=True)
class Actor:
    person: Person
    roles: Sequence[Role]

    @property
    def is_owner(self) -> bool:
        return any(r.role == "owner" for r in self.roles)

    @property
    def is_admin(self) -> bool:
        return any(r.is_admin for r in self.roles)

    @property
    def is_member(self) -> bool:
        return bool(self.roles)

    def admin_roles(self) -> list[Role]:
        return [r for r in self.roles if r.is_admin]

    def can_admin(self, unit: Unit) -> bool:
        """Admin of the unit or of an ancestor whose scope covers it (owners: everything)."""
        return self.is_owner or any(r.is_admin and r.scope.contains(unit) for r in self.roles)

    def unit(self, unit_id: int) -> Unit | None:
        """One of the actor's own units, as loaded for this update (None if not theirs)."""
        return next((r.unit for r in self.roles if r.unit.id == unit_id), None)

    def can_work_for(self, unit: Unit) -> bool:
        """May log and report for the unit: a member of it, or an admin over it."""
        return any(r.unit.id == unit.id for r in self.roles) or self.can_admin(unit)

    def highest_role(self) -> str | None:
        if not self.roles:
            return None
        return max((r.role for r in self.roles), key=ROLE_RANK.__getitem__)


async def load_actor(session: AsyncSession, person: Person) -> Actor:
    pairs = [(m.role, unit) for m, unit in await people_q.memberships(session, person.id)]
    return await actor_of(session, person, pairs)


async def actor_of(
    session: AsyncSession, person: Person, memberships: Sequence[tuple[str, Unit]]
) -> Actor:
    """The actor for a person whose (role, unit) memberships are already read."""
    umbrellas = await units_q.umbrella_orgs(session)
    roles = [
        Role(
            unit=unit,
            role=role,
            scope=EVERYTHING if role == "owner" else units_q.scope_of(unit, umbrellas),
        )
        for role, unit in memberships
    ]
    return Actor(person=person, roles=roles)


class ActorCache:
    """Actors built for recent people, each kept with the database rows it was built from.

    Every update reads the person's rows anyway (``people_q.known_rows``, one statement);
    building the actor from them (detached objects, scopes, a query for the organisations) cost
    more than that. Equal rows give an equal actor, so a hit is exactly as
    fresh as a rebuild: a membership revoked a moment ago, by this process, the CLI or another
    bot process, changes the rows and so the actor. Actors are shared between updates and must
    not be changed (``Actor`` is frozen; nothing assigns to its person or units).
    """

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._entries: OrderedDict[int, tuple[tuple[tuple[Any, ...], ...], Actor]] = OrderedDict()

    def get(self, telegram_id: int, rows: Sequence[tuple[Any, ...]]) -> Actor | None:
        entry = self._entries.get(telegram_id)
        if entry is None:
            return None
        if entry[0] != tuple(rows):
            del self._entries[telegram_id]  # changed or forgotten: keep nothing stale
            return None
        self._entries.move_to_end(telegram_id)
        return entry[1]

    def put(self, telegram_id: int, rows: Sequence[tuple[Any, ...]], actor: Actor) -> None:
        self._entries[telegram_id] = (tuple(rows), actor)
        self._entries.move_to_end(telegram_id)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
