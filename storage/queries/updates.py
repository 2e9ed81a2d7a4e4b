"""Telegram updates already handled (``handled_updates``): the replay guard after a crash."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import Enum
from functools import cache
from typing import Any

from sqlalchemy import bindparam, case, delete, exists, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import connection_of, note_write
from storage.models import HandledUpdate, OutboxMessage
from storage.queries import people as people_q
from storage.queries.outbox import unsent_replies


async def was_handled(session: AsyncSession, update_id: int, fingerprint: str) -> bool:
    """Whether this very update took effect before (its row commits with the effect, so what
    the session's transaction sees is what counts)."""
    conn = await connection_of(session)
    stored = (await conn.execute(_FINGERPRINT, {"update_id": update_id})).scalar()
    return stored == fingerprint


class Handled(Enum):
    """What a crash left of an update: nothing, its effect, or its effect and its replies."""

    NO = "no"
    EFFECT = "effect"
    REPLIED = "replied"


async def known_rows_and_state(
    session: AsyncSession, telegram_id: int, update_id: int, fingerprint: str, chat_id: int | None
) -> tuple[list[tuple[Any, ...]], tuple[Handled, bool] | None]:
    """``people.known_rows``, and whether this update took effect before (``was_handled``, and
    its replies went out too) and the chat has queued replies not out yet
    (``outbox.replies_waiting``; never, without a chat), in one statement, the first of every
    update: the update's state rides on each of the person's rows. The state is None when the
    person is not known yet (no rows): it is read again with them once they are written."""
    conn = await connection_of(session)
    params = {"telegram_id": telegram_id, "update_id": update_id, "chat_id": chat_id}
    result = await conn.execute(_KNOWN_AND_STATE, params)
    rows = [tuple(row) for row in result]
    if not rows:
        return [], None
    stored, replied_at, waiting = rows[0][-3:]
    return [row[:-3] for row in rows], (_state(stored, replied_at, fingerprint), bool(waiting))


def _state(stored: str | None, replied_at: datetime | None, fingerprint: str) -> Handled:
    if stored is None or stored != fingerprint:
        return Handled.NO
    return Handled.REPLIED if replied_at is not None else Handled.EFFECT


async def mark_replied(
    session: AsyncSession, update_id: int, fingerprint: str, now: datetime
) -> None:
    """The update's replies are out (or queued). An upsert, so that it may run before or after
    ``mark`` in the transaction that first records the update; ``mark`` keeps ``replied_at``."""
    conn = await connection_of(session)
    await conn.execute(
        _replied(conn.dialect.name),
        {"update_id": update_id, "fingerprint": fingerprint, "handled_at": now, "replied_at": now},
    )
    note_write(session)


async def mark_replied_all(
    session: AsyncSession, marks: Sequence[tuple[int, str, datetime]]
) -> None:
    """``mark_replied`` for many updates at once (storage/reply_marks.py), each (update id,
    fingerprint, when): one statement. Written after the effect committed, so a row whose
    fingerprint differs is another update's (a reused id) and keeps its own note."""
    if not marks:
        return
    conn = await connection_of(session)
    await conn.execute(
        _replied_later(conn.dialect.name),
        [
            {"update_id": u, "fingerprint": f, "handled_at": at, "replied_at": at}
            for u, f, at in marks
        ],
    )
    note_write(session)


async def mark(session: AsyncSession, update_id: int, fingerprint: str, now: datetime) -> None:
    """Record the update; a stale row with the same id (another update) is replaced.

    Runs on every update that writes, so the statement is built once and run with Core."""
    conn = await connection_of(session)
    await conn.execute(
        _mark(conn.dialect.name),
        {"update_id": update_id, "fingerprint": fingerprint, "handled_at": now},
    )
    note_write(session)


_FINGERPRINT = select(HandledUpdate.fingerprint).where(
    HandledUpdate.update_id == bindparam("update_id")
)
_STATE = select(HandledUpdate.fingerprint, HandledUpdate.replied_at).where(
    HandledUpdate.update_id == bindparam("update_id")
)
_STATE_AND_WAITING = select(
    _STATE.with_only_columns(HandledUpdate.fingerprint).scalar_subquery(),
    _STATE.with_only_columns(HandledUpdate.replied_at).scalar_subquery(),
    exists().where(OutboxMessage.chat_id == bindparam("chat_id"), unsent_replies()),
)
_KNOWN_AND_STATE = people_q.KNOWN.add_columns(
    *(column.label(f"state_{i}") for i, column in enumerate(_STATE_AND_WAITING.selected_columns))
)


@cache
def _mark(dialect: str) -> Any:
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(HandledUpdate)
    # A stale row of another update (a reused id) loses its ``replied_at``; this update's own
    # (``mark_replied`` may run first in the transaction) keeps it.
    same = HandledUpdate.fingerprint == stmt.excluded.fingerprint
    return stmt.on_conflict_do_update(
        index_elements=[HandledUpdate.update_id],
        set_={
            "fingerprint": stmt.excluded.fingerprint,
            "handled_at": stmt.excluded.handled_at,
            "replied_at": case((same, HandledUpdate.replied_at), else_=None),
        },
    )


@cache
def _replied(dialect: str) -> Any:
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(HandledUpdate)
    return stmt.on_conflict_do_update(
        index_elements=[HandledUpdate.update_id],
        set_={"fingerprint": stmt.excluded.fingerprint, "replied_at": stmt.excluded.replied_at},
    )


@cache
def _replied_later(dialect: str) -> Any:
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(HandledUpdate)
    return stmt.on_conflict_do_update(
        index_elements=[HandledUpdate.update_id],
        set_={"replied_at": stmt.excluded.replied_at},
        where=HandledUpdate.fingerprint == stmt.excluded.fingerprint,
    )


async def prune(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(delete(HandledUpdate).where(HandledUpdate.handled_at < before))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
