"""A unit's members and pending invites, the changes leaders and operators make to them, and the
audit of those changes (``membership_events``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Invite, Membership, MembershipEvent, OutboxMessage, Person, Unit


async def roster(session: AsyncSession, unit_id: int) -> Sequence[tuple[Person, Membership]]:
    """The unit's members (not its subtree's), by name."""
    stmt = (
        select(Person, Membership)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.unit_id == unit_id)
        .order_by(Person.first_name, Person.id)
    )
    return [(p, m) for p, m in (await session.execute(stmt)).all()]


async def membership(session: AsyncSession, person_id: int, unit_id: int) -> Membership | None:
    return await session.scalar(
        select(Membership).where(Membership.person_id == person_id, Membership.unit_id == unit_id)
    )


async def pending_invites(session: AsyncSession, unit_id: int, now: datetime) -> Sequence[Invite]:
    """The unit's invites that can still be used: not withdrawn, not expired, uses left."""
    stmt = (
        select(Invite)
        .where(
            Invite.unit_id == unit_id,
            Invite.revoked.is_(False),
            Invite.expires_at > now,
            Invite.uses < Invite.max_uses,
        )
        .order_by(Invite.created_at, Invite.id)
    )
    return (await session.scalars(stmt)).all()


async def invite(session: AsyncSession, invite_id: int) -> Invite | None:
    return await session.get(Invite, invite_id)


async def remove(session: AsyncSession, person_id: int, unit_id: int) -> bool:
    """End the membership; False if there was none."""
    result = await session.execute(
        delete(Membership).where(Membership.person_id == person_id, Membership.unit_id == unit_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def set_role(
    session: AsyncSession, person_id: int, unit_id: int, role: str, source: str
) -> bool:
    """Set the role, higher or lower; False if the person is not a member of the unit."""
    result = await session.execute(
        update(Membership)
        .where(Membership.person_id == person_id, Membership.unit_id == unit_id)
        .values(role=role, source=source)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def leaders_in(
    session: AsyncSession, unit_ids: Sequence[int], roles: Sequence[str]
) -> Sequence[tuple[int, Unit]]:
    """(person id, unit) of every membership with one of ``roles`` in these units."""
    stmt = (
        select(Membership.person_id, Unit)
        .join(Unit, Unit.id == Membership.unit_id)
        .where(Membership.unit_id.in_(list(unit_ids)), Membership.role.in_(list(roles)))
    )
    return [(int(pid), unit) for pid, unit in (await session.execute(stmt)).all()]


async def record(
    session: AsyncSession,
    *,
    at: datetime,
    unit_id: int,
    action: str,
    source: str,
    person_id: int | None = None,
    by_id: int | None = None,
    role_before: str | None = None,
    role_after: str | None = None,
    invite_id: int | None = None,
) -> MembershipEvent:
    event = MembershipEvent(
        at=at,
        unit_id=unit_id,
        person_id=person_id,
        by_id=by_id,
        action=action,
        role_before=role_before,
        role_after=role_after,
        invite_id=invite_id,
        source=source,
    )
    session.add(event)
    await session.flush()
    return event


async def events(
    session: AsyncSession, unit_id: int, last: int | None = None
) -> Sequence[MembershipEvent]:
    """The unit's audit, oldest first: all of it, or its ``last`` changes (chosen by the index on
    (unit, at), not by reading the whole audit of a unit that has had years of it)."""
    stmt = select(MembershipEvent).where(MembershipEvent.unit_id == unit_id)
    if last is None:
        stmt = stmt.order_by(MembershipEvent.at, MembershipEvent.id)
        return (await session.scalars(stmt)).all()
    newest = stmt.order_by(MembershipEvent.at.desc(), MembershipEvent.id.desc()).limit(last)
    return list(reversed((await session.scalars(newest)).all()))


async def waiting_notices(session: AsyncSession, chat_id: int) -> Sequence[tuple[int, str, Any]]:
    """(id, kind, params) of the notices not yet sent to this chat."""
    stmt = select(OutboxMessage.id, OutboxMessage.kind, OutboxMessage.params).where(
        OutboxMessage.chat_id == chat_id, OutboxMessage.status == "pending"
    )
    return [(int(i), str(k), dict(p or {})) for i, k, p in (await session.execute(stmt)).all()]


async def drop_notices(session: AsyncSession, ids: Sequence[int], why: str) -> None:
    """Notices that no longer concern their recipient: never sent (kept, marked skipped)."""
    if ids:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(list(ids)), OutboxMessage.status == "pending")
            .values(status="skipped", last_error=why)
        )
