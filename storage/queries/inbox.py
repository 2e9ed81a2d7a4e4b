"""The long poller's inbox (``storage.models.InboxUpdate``, ``bot/runtime/polling.py``): updates
stored in one transaction per ``getUpdates`` batch, loaded a few per lane at a time, marked done
once handled, forgotten once Telegram has been told."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InboxUpdate
from storage.queries.upsert import insert_for

#: Ids per statement (SQLite allows 32,766 parameters; a batch is at most a few hundred).
_CHUNK = 500


@dataclass(frozen=True)
class Stored:
    """One update of a batch: its id, whose order it belongs to, its JSON."""

    update_id: int
    lane: int | None
    body: str


async def store(session: AsyncSession, rows: Sequence[Stored], now: datetime) -> set[int]:
    """Add a batch; the ids of the updates that are new here. An update already here with the
    same content (a batch delivered again after a crash) is kept as it is, done or not; one with
    the same id but other content is a new update (Telegram restarts its ids after a week of
    silence, and a database restored under another bot meets ids it has seen) and replaces it."""
    new: set[int] = set()
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start : start + _CHUNK]
        statement = insert_for(session, InboxUpdate).values(
            [
                {"update_id": r.update_id, "lane": r.lane, "body": r.body, "received_at": now}
                for r in chunk
            ]
        )
        excluded = statement.excluded
        result = await session.execute(
            statement.on_conflict_do_update(
                index_elements=[InboxUpdate.update_id],
                set_={
                    "lane": excluded.lane,
                    "body": excluded.body,
                    "received_at": excluded.received_at,
                    "done_at": None,
                },
                where=InboxUpdate.body != excluded.body,
            ).returning(InboxUpdate.update_id)
        )
        new.update(int(update_id) for update_id in result.scalars())
    return new


async def forget(session: AsyncSession, *, confirmed_below: int | None, stale: datetime) -> None:
    """Delete the done rows Telegram will not deliver again: below the offset it was last asked
    from, or done before ``stale`` (update ids restart after a long silence)."""
    done = InboxUpdate.done_at.is_not(None)
    old = InboxUpdate.done_at < stale
    condition = (
        old if confirmed_below is None else or_(InboxUpdate.update_id < confirmed_below, old)
    )
    await session.execute(delete(InboxUpdate).where(done, condition))


async def finish(session: AsyncSession, update_ids: Iterable[int], now: datetime) -> None:
    ids = list(update_ids)
    for start in range(0, len(ids), _CHUNK):
        await session.execute(
            update(InboxUpdate)
            .where(InboxUpdate.update_id.in_(ids[start : start + _CHUNK]))
            .values(done_at=now)
        )


async def unfinished(session: AsyncSession) -> int:
    count = await session.scalar(
        select(func.count()).select_from(InboxUpdate).where(InboxUpdate.done_at.is_(None))
    )
    return int(count or 0)


@dataclass(frozen=True)
class Head:
    """One of the first unfinished updates of a lane, and how many its lane has unfinished (more
    than its heads: the person has a backlog, ``PerPersonOrder.set_backlogs``)."""

    update_id: int
    body: str
    lane: int | None
    lane_unfinished: int


async def heads(session: AsyncSession, *, per_lane: int, limit: int) -> list[Head]:
    """The first ``per_lane`` unfinished updates of every lane, every lane's first before any
    lane's second (oldest first within a rank), at most ``limit``.

    An update with neither person nor chat (``lane`` NULL) is a lane of its own."""
    lane = (InboxUpdate.lane.is_(None), func.coalesce(InboxUpdate.lane, InboxUpdate.update_id))
    rank = func.row_number().over(partition_by=lane, order_by=InboxUpdate.update_id).label("rank")
    total = func.count().over(partition_by=lane).label("total")
    ranked = (
        select(InboxUpdate.update_id, InboxUpdate.body, InboxUpdate.lane, rank, total)
        .where(InboxUpdate.done_at.is_(None))
        .subquery()
    )
    rows = await session.execute(
        select(ranked.c.update_id, ranked.c.body, ranked.c.lane, ranked.c.total)
        .where(ranked.c.rank <= per_lane)
        .order_by(ranked.c.rank, ranked.c.update_id)
        .limit(limit)
    )
    return [
        Head(int(uid), str(body), None if lane is None else int(lane), int(total))
        for uid, body, lane, total in rows
    ]


#: Telegram keeps an unconfirmed update for 24 hours: a done row older than that is never
#: delivered again.
STALE_AFTER = timedelta(days=1)
#: Done rows are forgotten at most this often (a statement per batch otherwise): they only
#: recognise a batch delivered again, and the ids below the offset are never delivered again.
FORGET_EVERY = timedelta(minutes=1)
