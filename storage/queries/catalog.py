"""The activity catalog as the loader sees it: every type and measure, retired ones included."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ActivityMeasure, ActivityType


async def last_type_position(session: AsyncSession) -> int:
    """The highest position given to a type so far (0 when there is none): a new type goes after
    it, so loading never reorders the menu people already know."""
    stmt = select(func.coalesce(func.max(ActivityType.position), 0))
    return int(await session.scalar(stmt) or 0)


async def measures_of_type(session: AsyncSession, type_key: str) -> Sequence[ActivityMeasure]:
    """Every measure of a type, retired ones too: a reload may bring one back."""
    stmt = select(ActivityMeasure).where(ActivityMeasure.type_key == type_key)
    return (await session.scalars(stmt)).all()


async def type_count(session: AsyncSession) -> int:
    """How many types the catalog holds, retired ones too (0: a new deployment)."""
    return int(await session.scalar(select(func.count()).select_from(ActivityType)) or 0)


async def all_types(session: AsyncSession) -> Sequence[ActivityType]:
    """Every type, retired ones too, in menu order (a catalog has a few dozen)."""
    return (await session.scalars(select(ActivityType).order_by(ActivityType.position))).all()
