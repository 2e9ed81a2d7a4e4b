"""Telegram updates already handled (``handled_updates``): the replay guard after a crash."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import HandledUpdate
from storage.queries.upsert import insert_for


async def was_handled(session: AsyncSession, update_id: int) -> bool:
    found = await session.scalar(
        select(HandledUpdate.update_id).where(HandledUpdate.update_id == update_id)
    )
    return found is not None


async def mark(session: AsyncSession, update_id: int, now: datetime) -> None:
    await session.execute(
        insert_for(session, HandledUpdate)
        .values(update_id=update_id, handled_at=now)
        .on_conflict_do_nothing(index_elements=[HandledUpdate.update_id])
    )


async def prune(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(delete(HandledUpdate).where(HandledUpdate.handled_at < before))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
