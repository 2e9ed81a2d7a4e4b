"""Claims on webhook updates, so that an update Telegram delivers twice is handled once, whichever
process receives it (see ``storage.models.ProcessedUpdate`` and ``bot/runtime/webhook.py``).

Every step is one atomic statement (``INSERT ... ON CONFLICT DO NOTHING``, a conditional
``UPDATE``), so two processes racing for the same update cannot both win, on SQLite or PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProcessedUpdate
from storage.queries.upsert import insert_for


class Claim(Enum):
    #: Ours to handle: new, or taken over from a worker that did not finish within the lease.
    TAKEN = "taken"
    #: Already handled: answer "OK" and do nothing.
    DONE = "done"
    #: Another worker is handling it right now: ask Telegram to deliver it again later.
    BUSY = "busy"


async def claim(
    session: AsyncSession, update_id: int, *, now: datetime, worker: str, lease: timedelta
) -> Claim:
    inserted = await session.execute(
        insert_for(session, ProcessedUpdate)
        .values(update_id=update_id, claimed_at=now, claimed_by=worker, done_at=None)
        .on_conflict_do_nothing(index_elements=[ProcessedUpdate.update_id])
    )
    if inserted.rowcount:  # type: ignore[attr-defined]
        return Claim.TAKEN
    # Someone has it. If they never finished and their lease ran out, they died: take it over.
    taken = await session.execute(
        update(ProcessedUpdate)
        .where(
            ProcessedUpdate.update_id == update_id,
            ProcessedUpdate.done_at.is_(None),
            ProcessedUpdate.claimed_at < now - lease,
        )
        .values(claimed_at=now, claimed_by=worker)
    )
    if taken.rowcount:  # type: ignore[attr-defined]
        return Claim.TAKEN
    done_at = await session.scalar(
        select(ProcessedUpdate.done_at).where(ProcessedUpdate.update_id == update_id)
    )
    return Claim.DONE if done_at is not None else Claim.BUSY


async def finish(session: AsyncSession, update_id: int, now: datetime) -> None:
    await session.execute(
        update(ProcessedUpdate).where(ProcessedUpdate.update_id == update_id).values(done_at=now)
    )


async def release(session: AsyncSession, update_id: int, worker: str) -> None:
    """Give an update back (its handling failed before it started): a re-delivery takes it."""
    await session.execute(
        delete(ProcessedUpdate).where(
            ProcessedUpdate.update_id == update_id,
            ProcessedUpdate.claimed_by == worker,
            ProcessedUpdate.done_at.is_(None),
        )
    )


async def prune(session: AsyncSession, before: datetime) -> int:
    """Forget claims older than ``before`` (Telegram gives up on an update after 24 hours)."""
    result = await session.execute(
        delete(ProcessedUpdate).where(ProcessedUpdate.claimed_at < before)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
