"""Invite codes: stored hashed; claimed with one atomic UPDATE so a code's use limit holds even when
two people open the same link at the same moment."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Invite, InviteFailure


class InviteProblem(StrEnum):
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED_UP = "used_up"
    REVOKED = "revoked"


async def create(
    session: AsyncSession,
    *,
    code_hash: str,
    unit_id: int,
    role: str,
    created_by: int | None,
    now: datetime,
    expires_at: datetime,
    max_uses: int,
) -> Invite:
    invite = Invite(
        code_hash=code_hash,
        unit_id=unit_id,
        role=role,
        created_by=created_by,
        created_at=now,
        expires_at=expires_at,
        max_uses=max_uses,
        uses=0,
        revoked=False,
    )
    session.add(invite)
    await session.flush()
    return invite


async def find(session: AsyncSession, code_hash: str) -> Invite | None:
    return await session.scalar(select(Invite).where(Invite.code_hash == code_hash))


def problem(invite: Invite | None, now: datetime) -> InviteProblem | None:
    """Why an invite cannot be used now, or None if it can."""
    if invite is None:
        return InviteProblem.UNKNOWN
    if invite.revoked:
        return InviteProblem.REVOKED
    if invite.expires_at <= now:
        return InviteProblem.EXPIRED
    if invite.uses >= invite.max_uses:
        return InviteProblem.USED_UP
    return None


async def claim(session: AsyncSession, invite_id: int, now: datetime) -> bool:
    """Count one use if the invite is still usable; False if someone else took the last use."""
    result = await session.execute(
        update(Invite)
        .where(
            Invite.id == invite_id,
            Invite.revoked.is_(False),
            Invite.expires_at > now,
            Invite.uses < Invite.max_uses,
        )
        .values(uses=Invite.uses + 1)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def revoke(session: AsyncSession, invite_id: int) -> None:
    await session.execute(update(Invite).where(Invite.id == invite_id).values(revoked=True))


async def recent_failures(
    session: AsyncSession, telegram_id: int, since: datetime
) -> list[datetime]:
    """When the Telegram account tried a wrong code since ``since``, newest first."""
    rows = await session.scalars(
        select(InviteFailure.at)
        .where(InviteFailure.telegram_id == telegram_id, InviteFailure.at > since)
        .order_by(InviteFailure.at.desc())
    )
    return list(rows.all())


async def record_failure(
    session: AsyncSession, telegram_id: int, now: datetime, forget_before: datetime
) -> None:
    """One more wrong code (an INSERT, so concurrent attempts are all counted); rows that no
    longer matter are dropped on the way so the table stays small."""
    await forget_failures(session, telegram_id, forget_before)
    session.add(InviteFailure(telegram_id=telegram_id, at=now))
    await session.flush()


async def forget_failures(session: AsyncSession, telegram_id: int, before: datetime) -> None:
    """Drop the account's wrong codes at or before ``before`` (they no longer count)."""
    await session.execute(
        delete(InviteFailure).where(
            InviteFailure.telegram_id == telegram_id, InviteFailure.at <= before
        )
    )
