"""People and their memberships."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import class_mapper, make_transient_to_detached
from sqlalchemy.orm.instrumentation import manager_of_class

from storage.db import connection_of
from storage.models import Membership, Person, Unit
from storage.queries.upsert import insert_for

ROLES = ("cadre", "admin", "owner")
ROLE_RANK = {"cadre": 1, "admin": 2, "owner": 3}


@dataclass(frozen=True)
class TelegramProfile:
    """What Telegram tells us about a user with every update."""

    telegram_id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None


async def upsert(
    session: AsyncSession, profile: TelegramProfile, now: datetime, *, private_chat: bool
) -> Person:
    """Create or refresh a person from an update, atomically (two updates may race)."""
    values = {
        "telegram_id": profile.telegram_id,
        "first_name": profile.first_name[:200],
        "last_name": (profile.last_name or None) and profile.last_name[:200],
        "username": profile.username,
        "telegram_language": profile.language_code,
        "created_at": now,
        "last_seen_at": now,
        "started": private_chat,
        "blocked": False,
    }
    refresh = {
        "first_name": values["first_name"],
        "last_name": values["last_name"],
        "username": profile.username,
        "telegram_language": profile.language_code,
        "last_seen_at": now,
    }
    if private_chat:
        # Writing to the bot privately means they can be written to (again).
        refresh.update(started=True, blocked=False)
    stmt = (
        insert_for(session, Person)
        .values(**values)
        .on_conflict_do_update(index_elements=[Person.telegram_id], set_=refresh)
    )
    await session.execute(stmt)
    person = await session.scalar(
        select(Person)
        .where(Person.telegram_id == profile.telegram_id)
        .execution_options(populate_existing=True)
    )
    assert person is not None
    return person


#: How stale ``last_seen_at`` may get before an update refreshes it (saves a write per message).
SEEN_REFRESH = timedelta(minutes=10)


def needs_refresh(
    person: Person, profile: TelegramProfile, now: datetime, *, private_chat: bool
) -> bool:
    """Whether the stored person differs from what Telegram says now (or was seen long ago)."""
    return (
        person.first_name != profile.first_name[:200]
        or (person.last_name or None) != ((profile.last_name or None) and profile.last_name[:200])
        or person.username != profile.username
        or person.telegram_language != profile.language_code
        or (private_chat and (not person.started or person.blocked))
        or person.last_seen_at is None
        or now - person.last_seen_at > SEEN_REFRESH
    )


async def by_telegram_id(session: AsyncSession, telegram_id: int) -> Person | None:
    return await session.scalar(select(Person).where(Person.telegram_id == telegram_id))


async def reachable_with_roles(session: AsyncSession, roles: Collection[str]) -> Sequence[Person]:
    """The people holding one of ``roles`` in some unit whom the bot can write to (they started
    it and did not block it), each once, by id."""
    holders = select(Membership.person_id).where(Membership.role.in_(list(roles)))
    stmt = (
        select(Person)
        .where(Person.id.in_(holders), Person.started.is_(True), Person.blocked.is_(False))
        .order_by(Person.id)
    )
    return (await session.scalars(stmt)).all()


async def by_ids(session: AsyncSession, ids: Collection[int]) -> Sequence[Person]:
    if not ids:
        return []
    return (await session.scalars(select(Person).where(Person.id.in_(list(ids))))).all()


async def ensure(session: AsyncSession, telegram_id: int, now: datetime) -> Person:
    """A person known only by id (granted from the CLI before they ever wrote to the bot)."""
    stmt = (
        insert_for(session, Person)
        .values(
            telegram_id=telegram_id, first_name="", created_at=now, started=False, blocked=False
        )
        .on_conflict_do_nothing(index_elements=[Person.telegram_id])
    )
    await session.execute(stmt)
    person = await by_telegram_id(session, telegram_id)
    assert person is not None
    return person


async def set_language(session: AsyncSession, person_id: int, language: str | None) -> None:
    await session.execute(update(Person).where(Person.id == person_id).values(language=language))


async def set_profile(
    session: AsyncSession, person_id: int, *, full_name: str | None, phone: str | None
) -> None:
    await session.execute(
        update(Person).where(Person.id == person_id).values(full_name=full_name, phone=phone)
    )


@dataclass(frozen=True)
class Known:
    """A person as stored, with (role, unit) for each membership, ordered by the unit's path."""

    person: Person
    roles: list[tuple[str, Unit]]


async def known_rows(session: AsyncSession, telegram_id: int) -> list[tuple[Any, ...]]:
    """The person and their memberships in one statement, run on every update, as plain tuples
    (``known`` builds them; equal rows mean an unchanged person, see ``bot.access.ActorCache``).

    Core rather than the ORM: three ORM queries were a fifth of a ``/log``'s time."""
    conn = await connection_of(session)
    result = await conn.execute(_KNOWN, {"telegram_id": telegram_id})
    return [tuple(row) for row in result]


def known(rows: list[tuple[Any, ...]]) -> Known | None:
    """The person and roles in ``known_rows``; the objects are built detached, as the ORM's
    would be once the session closes."""
    if not rows:
        return None
    people, units = _PEOPLE.c, _UNITS.c
    first = rows[0]
    person = _detached(Person, {c.key: v for c, v in zip(people, first, strict=False)})
    role_at = len(people)
    roles = [
        (
            str(row[role_at]),
            _detached(Unit, {c.key: v for c, v in zip(units, row[role_at + 1 :], strict=True)}),
        )
        for row in rows
        if row[role_at] is not None
    ]
    return Known(person, roles)


_PEOPLE, _MEMBERSHIPS, _UNITS = Person.__table__, Membership.__table__, Unit.__table__
_KNOWN = (
    select(*_PEOPLE.c, _MEMBERSHIPS.c.role, *[c.label(f"u_{c.key}") for c in _UNITS.c])
    .select_from(
        _PEOPLE.outerjoin(_MEMBERSHIPS, _MEMBERSHIPS.c.person_id == _PEOPLE.c.id).outerjoin(
            _UNITS, _UNITS.c.id == _MEMBERSHIPS.c.unit_id
        )
    )
    .where(_PEOPLE.c.telegram_id == bindparam("telegram_id"))
    .order_by(_UNITS.c.path)
)
#: ``known_rows``'s statement, for the one that reads the update's state with it
#: (``storage.queries.updates.known_rows_and_state``).
KNOWN = _KNOWN

_T = TypeVar("_T")


def _detached(cls: type[_T], values: dict[str, Any]) -> _T:
    """An object as the ORM loads one: the values straight into its state (no attribute events,
    which cost more than the query), then marked persistent-but-detached."""
    class_mapper(cls, configure=True)  # a fresh process may not have set up its mappers yet
    obj: _T = manager_of_class(cls).new_instance()
    obj.__dict__.update(values)
    make_transient_to_detached(obj)
    return obj


async def memberships(session: AsyncSession, person_id: int) -> Sequence[tuple[Membership, Unit]]:
    stmt = (
        select(Membership, Unit)
        .join(Unit, Unit.id == Membership.unit_id)
        .where(Membership.person_id == person_id)
        .order_by(Unit.path)
    )
    return [(m, u) for m, u in (await session.execute(stmt)).all()]


async def grant(
    session: AsyncSession, person_id: int, unit_id: int, role: str, now: datetime, source: str
) -> str:
    """Give ``role`` in a unit; an existing higher role is kept. Returns the role now held."""
    if role not in ROLE_RANK:
        raise ValueError(f"unknown role {role!r}")
    await session.execute(
        insert_for(session, Membership)
        .values(person_id=person_id, unit_id=unit_id, role=role, created_at=now, source=source)
        .on_conflict_do_nothing(index_elements=[Membership.person_id, Membership.unit_id])
    )
    lower = [r for r, rank in ROLE_RANK.items() if rank < ROLE_RANK[role]]
    await session.execute(
        update(Membership)
        .where(
            Membership.person_id == person_id,
            Membership.unit_id == unit_id,
            Membership.role.in_(lower),
        )
        .values(role=role, source=source)
    )
    held = await session.scalar(
        select(Membership.role).where(
            Membership.person_id == person_id, Membership.unit_id == unit_id
        )
    )
    return str(held)


async def role_in(session: AsyncSession, person_id: int, unit_id: int) -> str | None:
    return await session.scalar(
        select(Membership.role).where(
            Membership.person_id == person_id, Membership.unit_id == unit_id
        )
    )


async def members_of(session: AsyncSession, unit_id: int) -> Sequence[tuple[Person, str]]:
    stmt = (
        select(Person, Membership.role)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.unit_id == unit_id)
        .order_by(Person.first_name)
    )
    return [(p, r) for p, r in (await session.execute(stmt)).all()]


async def set_blocked(session: AsyncSession, telegram_id: int, blocked: bool) -> None:
    await session.execute(
        update(Person).where(Person.telegram_id == telegram_id).values(blocked=blocked)
    )
