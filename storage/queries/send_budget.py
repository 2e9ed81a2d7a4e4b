"""The bot's shared send budget (``storage.models.SendBudget``, PostgreSQL): book slots.

A booking is one statement: ``next_at`` moves forward by ``count`` slots from where it stood, or
from ``burst`` seconds ago if the bot has been quiet (the credit a quiet spell earns, as a token
bucket's capacity). The row lock taken by the ``UPDATE`` orders processes booking at the same
time, so no two get the same slot. Times are the database's (``clock_timestamp()``), the one
clock every process shares, in seconds since the epoch.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Float, cast, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import SendBudget
from storage.queries.upsert import insert_for


@dataclass(frozen=True)
class Booking:
    #: The first slot booked (or, when none was: the moment the timeline is free again).
    first: float
    #: Slots booked, ``interval`` apart from ``first``; 0 when none was.
    count: int
    #: The database's clock when it answered, to place ``first`` on the caller's clock.
    now: float


def _db_now() -> ColumnElement[float]:
    return cast(func.extract("epoch", func.clock_timestamp()), Float(precision=53))


async def book(
    session: AsyncSession,
    name: str,
    *,
    count: int,
    interval: float,
    burst: float,
    free_only: bool = False,
) -> Booking:
    """Book ``count`` slots. ``free_only`` (bulk sends): only if no slot is booked ahead of now,
    so that bulk never queues in front of replies booked by any process."""
    now = _db_now()
    start = func.greatest(SendBudget.next_at, now - burst)
    statement = (
        update(SendBudget)
        .where(SendBudget.name == name)
        .values(next_at=start + count * interval)
        .returning(SendBudget.next_at, now)
    )
    if free_only:
        statement = statement.where(SendBudget.next_at <= now)
    row = (await session.execute(statement)).one_or_none()
    if row is not None:
        return Booking(first=float(row[0]) - count * interval, count=count, now=float(row[1]))
    current = (
        await session.execute(select(SendBudget.next_at, now).where(SendBudget.name == name))
    ).one_or_none()
    if current is None:  # the first booking of this budget: its row, free from now on
        await session.execute(
            insert_for(session, SendBudget)
            .values(name=name, next_at=0.0)
            .on_conflict_do_nothing(index_elements=[SendBudget.name])
        )
        return await book(
            session, name, count=count, interval=interval, burst=burst, free_only=free_only
        )
    return Booking(first=float(current[0]), count=0, now=float(current[1]))
