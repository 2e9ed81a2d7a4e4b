"""The notification outbox: enqueue idempotently, claim due rows (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL; SQLite writers are serialized by ``BEGIN IMMEDIATE``), record the outcome."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage
from storage.queries.upsert import insert_for

#: A worker's hold on a row: claimed (not sent yet), sending (the Bot API call under way).
TAKEN = ("claimed", "sending")
#: Left on a row whose sender died during the Bot API call.
MAYBE_SENT = "its sender stopped during the send: it may arrive twice"

#: Statuses of a row that has not been sent yet (nor given up).
UNSENT = ("pending", "claimed", "sending")

#: The kind of a handler's reply that Telegram did not take, queued here (handlers/delivery.py).
#: Its unsent rows have an index of their own (``ix_outbox_replies_unsent``, a few rows at most):
#: every update asks whether its chat has any (a later reply must not overtake them), and every
#: claim takes them first.
REPLY = "reply"


def _fixed(value: str) -> ColumnElement[str]:
    """A constant written into the SQL, not bound: a partial index's condition is only seen to
    hold for a query with the same constants (PostgreSQL's generic plans, SQLite)."""
    return literal(value, literal_execute=True)


def unsent_replies() -> ColumnElement[bool]:
    """The condition of ``ix_outbox_replies_unsent``, as queries must spell it to use it."""
    return (OutboxMessage.kind == _fixed(REPLY)) & OutboxMessage.status.in_(
        [_fixed(s) for s in UNSENT]
    )


#: Up to this many chats to skip are left out in SQL (bound parameters); more are filtered here.
SKIP_IN_SQL = 500


async def enqueue(
    session: AsyncSession,
    *,
    key: str,
    chat_id: int,
    kind: str,
    params: dict[str, Any],
    due_at: datetime,
    now: datetime,
) -> bool:
    """Add a message unless one with this key exists. True if added."""
    result = await session.execute(
        insert_for(session, OutboxMessage)
        .values(
            key=key,
            chat_id=chat_id,
            kind=kind,
            params=params,
            due_at=due_at,
            status="pending",
            attempts=0,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=[OutboxMessage.key])
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def claim(
    session: AsyncSession,
    now: datetime,
    *,
    limit: int,
    worker: str,
    lease: timedelta,
    skip_chats: Collection[int] = (),
    first_kinds: Collection[str] = (),
) -> Sequence[OutboxMessage]:
    """Take up to ``limit`` due rows, at most one per chat and none for ``skip_chats`` (served
    a moment ago), for this worker; due rows of ``first_kinds`` (replies to people) before any
    other, whatever their due time (a fan-out of thousands due earlier must not hold a reply),
    and among those the one queued first (a reply rescheduled after an error must not be passed
    for ever by the one behind it, which is due sooner but waits for it).

    A claim older than ``lease`` is taken again: its worker died between claiming and sending
    (or while sending: ``sending``, the message may have gone out).
    """
    chosen: list[OutboxMessage] = []
    chats: set[int] = set(skip_chats)
    if first_kinds:
        urgent = (
            OutboxMessage.kind.in_([_fixed(kind) for kind in first_kinds])
            & (OutboxMessage.status == _fixed("pending"))
            & (OutboxMessage.due_at <= now)
        )
        await _pick(session, urgent, limit, chats, chosen, by_id=True)
    if len(chosen) < limit:
        due = or_(
            (OutboxMessage.status == "pending") & (OutboxMessage.due_at <= now),
            OutboxMessage.status.in_(TAKEN) & (OutboxMessage.claimed_at < now - lease),
        )
        await _pick(session, due, limit, chats, chosen)
    if chosen:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_([r.id for r in chosen]))
            .values(
                status="claimed",
                claimed_at=now,
                claimed_by=worker,
                attempts=OutboxMessage.attempts + 1,
            )
        )
    return chosen


async def _pick(
    session: AsyncSession,
    where: ColumnElement[bool],
    limit: int,
    chats: set[int],
    chosen: list[OutboxMessage],
    *,
    by_id: bool = False,
) -> None:
    """Add to ``chosen`` the first rows matching ``where`` (by due time, or ``by_id``: in the
    order they were queued), one per chat not in ``chats``, up to ``limit`` in all (``chats``
    grows with the chats chosen)."""
    order = (OutboxMessage.id,) if by_id else (OutboxMessage.due_at, OutboxMessage.id)
    stmt = select(OutboxMessage).where(where).order_by(*order).limit(limit * 4)
    if 0 < len(chats) <= SKIP_IN_SQL:
        stmt = stmt.where(OutboxMessage.chat_id.not_in(list(chats)))
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    taken = {r.id for r in chosen}
    for row in (await session.scalars(stmt)).all():
        if row.chat_id in chats or row.id in taken:
            continue  # one per chat per round: Telegram allows about one message a second per chat
        chats.add(row.chat_id)
        chosen.append(row)
        if len(chosen) == limit:
            break


async def release_others(session: AsyncSession, worker: str) -> tuple[int, int]:
    """Make the rows other workers had claimed due now; returns how many were only claimed, and
    how many were being sent (Telegram may have taken those: they may arrive twice).

    For a process that has just become the one that sends (the scheduler's leader): only the
    leader claims, so a claim by another worker belongs to a leader that has died, and waiting
    for its lease would hold those notices back for minutes."""
    counts = []
    for status, error in (("claimed", None), ("sending", MAYBE_SENT)):
        result = await session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.status == status,
                or_(OutboxMessage.claimed_by.is_(None), OutboxMessage.claimed_by != worker),
            )
            .values(status="pending", claimed_by=None, claimed_at=None, last_error=error)
        )
        counts.append(int(result.rowcount or 0))  # type: ignore[attr-defined]
    return counts[0], counts[1]


async def start_sending(session: AsyncSession, row_id: int, worker: str) -> bool:
    """Mark the row as being sent, committed before the Bot API call; False if the claim is no
    longer this worker's (its lease ran out and another process took the row: it must not be
    sent twice)."""
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == row_id,
            OutboxMessage.status == "claimed",
            OutboxMessage.claimed_by == worker,
        )
        .values(status="sending")
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def last_unsent_reply(session: AsyncSession, chat_id: int) -> str | None:
    """The key of the chat's newest queued reply that is not out yet, if any."""
    return await session.scalar(
        select(OutboxMessage.key)
        .where(OutboxMessage.chat_id == chat_id, unsent_replies())
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    )


async def replies_waiting(session: AsyncSession, chat_id: int) -> bool:
    """Whether the chat has queued replies not out yet (in any process: the database says)."""
    found = await session.scalar(
        select(OutboxMessage.id).where(OutboxMessage.chat_id == chat_id, unsent_replies()).limit(1)
    )
    return found is not None


async def unsent_due_at(session: AsyncSession, key: str) -> datetime | None:
    """When the row with this key is next due, if it is still to be sent."""
    row = (
        await session.execute(
            select(OutboxMessage.status, OutboxMessage.due_at).where(OutboxMessage.key == key)
        )
    ).one_or_none()
    return row[1] if row is not None and row[0] in UNSENT else None


async def mark_sent(session: AsyncSession, row_id: int, now: datetime, message_id: int) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id)
        .values(status="sent", sent_at=now, message_id=message_id, last_error=None)
    )


async def retry_at(session: AsyncSession, row_id: int, when: datetime, error: str) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id)
        .values(
            status="pending", due_at=when, claimed_at=None, claimed_by=None, last_error=error[:1000]
        )
    )


async def give_up(session: AsyncSession, row_id: int, status: str, error: str) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id)
        .values(status=status, last_error=error[:1000])
    )


async def move_chat(session: AsyncSession, old_chat_id: int, new_chat_id: int) -> None:
    """A group became a supergroup: pending messages follow it."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.chat_id == old_chat_id, OutboxMessage.status.in_(UNSENT))
        .values(chat_id=new_chat_id)
    )


async def counts(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    )
    return {status: int(n) for status, n in rows.all()}
