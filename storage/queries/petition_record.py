"""The SQL of recording a recommendation and of its citizens' follow link (issue 17, P1): the
places a cadre may record for, the Front committee of a place, who hears of a new item, the
files and followers of an item. The shared SQL of every petition part is ``petitions.py``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, true
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Membership,
    Person,
    Petition,
    PetitionFile,
    PetitionFollower,
    Unit,
)
from storage.queries.upsert import insert_for


async def area_children(session: AsyncSession, unit_id: int, skip_org: str) -> Sequence[Unit]:
    """Active units right below ``unit_id`` that are areas of their own (a residential area, a
    commune below a province), not member organisations of the same area nor ``skip_org``."""
    stmt = (
        select(Unit)
        .where(
            Unit.parent_id == unit_id,
            Unit.active == true(),
            Unit.org != skip_org,
            Unit.anchor_path == Unit.path,
        )
        .order_by(Unit.name)
    )
    return (await session.scalars(stmt)).all()


async def unit_at(session: AsyncSession, path: str) -> Unit | None:
    """The unit whose path is ``path`` (a place's Front committee is at its anchor path)."""
    return await session.scalar(select(Unit).where(Unit.path == path))


async def leaders_of(session: AsyncSession, unit_id: int, roles: Sequence[str]) -> Sequence[Person]:
    """People with one of ``roles`` in the unit itself who can be written to."""
    stmt = (
        select(Person)
        .join(Membership, Membership.person_id == Person.id)
        .where(
            Membership.unit_id == unit_id,
            Membership.role.in_(list(roles)),
            Person.started == true(),
            Person.blocked.is_not(true()),
        )
        .order_by(Person.id)
    )
    return (await session.scalars(stmt)).all()


async def add_file(
    session: AsyncSession,
    petition_id: int,
    kind: str,
    file_id: str,
    stage: str,
    by_id: int | None,
    now: datetime,
) -> None:
    session.add(
        PetitionFile(
            petition_id=petition_id,
            kind=kind,
            file_id=file_id,
            stage=stage,
            added_by=by_id,
            added_at=now,
        )
    )
    await session.flush()


async def by_follow_hash(session: AsyncSession, digest: str) -> Petition | None:
    return await session.scalar(select(Petition).where(Petition.follow_hash == digest))


async def follow(
    session: AsyncSession, petition_id: int, chat_id: int, language: str | None, now: datetime
) -> None:
    """The chat follows the item (again: its language is refreshed)."""
    stmt = insert_for(session, PetitionFollower).values(
        petition_id=petition_id, chat_id=chat_id, language=language, followed_at=now
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[PetitionFollower.petition_id, PetitionFollower.chat_id],
            set_={"language": language},
        )
    )


async def followers(session: AsyncSession, petition_id: int) -> Sequence[PetitionFollower]:
    stmt = (
        select(PetitionFollower)
        .where(PetitionFollower.petition_id == petition_id)
        .order_by(PetitionFollower.chat_id)
    )
    return (await session.scalars(stmt)).all()
