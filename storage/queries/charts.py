"""Digest charts kept by the hash of what they show (``storage.models.ChartImage``).

Writes are single atomic statements (``INSERT ... ON CONFLICT DO NOTHING``, conditional
``UPDATE``), so several processes drawing or uploading the same chart at once cannot clash: the
first image stays, and a ``file_id`` is only forgotten if it is still the one that failed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChartImage
from storage.queries.upsert import insert_for


async def png(session: AsyncSession, key: str) -> bytes | None:
    return await session.scalar(select(ChartImage.png).where(ChartImage.key == key))


async def existing(session: AsyncSession, keys: Iterable[str]) -> set[str]:
    """Which of ``keys`` are stored (asked in chunks: SQLite caps a statement's parameters)."""
    wanted, found = list(dict.fromkeys(keys)), set[str]()
    for i in range(0, len(wanted), 500):
        chunk = wanted[i : i + 500]
        found.update(
            (await session.scalars(select(ChartImage.key).where(ChartImage.key.in_(chunk)))).all()
        )
    return found


async def put(session: AsyncSession, key: str, image: bytes, now: datetime) -> bool:
    """Store a drawn chart unless it is there already; whether this call stored it."""
    inserted = await session.execute(
        insert_for(session, ChartImage)
        .values(key=key, png=image, file_id=None, created_at=now)
        .on_conflict_do_nothing(index_elements=[ChartImage.key])
    )
    return bool(inserted.rowcount)  # type: ignore[attr-defined]


async def file_id(session: AsyncSession, key: str) -> str | None:
    return await session.scalar(select(ChartImage.file_id).where(ChartImage.key == key))


async def set_file_id(session: AsyncSession, key: str, value: str) -> None:
    await session.execute(update(ChartImage).where(ChartImage.key == key).values(file_id=value))


async def forget_file_id(session: AsyncSession, key: str, value: str) -> None:
    """Telegram refused ``value``: forget it, unless another upload has replaced it meanwhile."""
    await session.execute(
        update(ChartImage)
        .where(ChartImage.key == key, ChartImage.file_id == value)
        .values(file_id=None)
    )


async def prune(session: AsyncSession, before: datetime) -> int:
    """Forget charts drawn before ``before``; how many."""
    result = await session.execute(delete(ChartImage).where(ChartImage.created_at < before))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
