"""Telegram updates already handled (``handled_updates``): the replay guard after a crash."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import HandledUpdate
from storage.queries.upsert import insert_for


async def was_handled(session: AsyncSession, update_id: int, fingerprint: str) -> bool:
    found = await session.scalar(
        select(HandledUpdate.fingerprint).where(HandledUpdate.update_id == update_id)
    )
    return found == fingerprint


async def mark(session: AsyncSession, update_id: int, fingerprint: str, now: datetime) -> None:
    """Record the update; a stale row with the same id (another update) is replaced."""
    values = {"fingerprint": fingerprint, "handled_at": now}
    await session.execute(
        insert_for(session, HandledUpdate)
        .values(update_id=update_id, **values)
        .on_conflict_do_update(index_elements=[HandledUpdate.update_id], set_=values)
    )


async def prune(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(delete(HandledUpdate).where(HandledUpdate.handled_at < before))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
