"""Conversation state rows: written at every step of a flow, so a restart or another bot process
picks the user up exactly where they were."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import connection_of, note_write
from storage.models import ChatState, FlowFrame
from storage.queries.upsert import insert_for


@dataclass
class FlowState:
    flow: str
    step: str
    data: dict[str, Any] = field(default_factory=dict)
    #: The unit the flow works for and whether it needs leader rights there (see ChatState).
    unit_id: int | None = None
    leads: bool = False


def _state(row: ChatState | FlowFrame) -> FlowState:
    return FlowState(row.flow, row.step, dict(row.data or {}), row.unit_id, bool(row.leads))


async def load(session: AsyncSession, chat_id: int, user_id: int) -> FlowState | None:
    conn = await connection_of(session)
    row = (await conn.execute(_LOAD, {"chat_id": chat_id, "user_id": user_id})).first()
    state = (
        None if row is None else FlowState(row[0], row[1], dict(row[2] or {}), row[3], bool(row[4]))
    )
    _known(session)[(chat_id, user_id)] = None if state is None else state.flow
    return state


#: ``known_flow`` found nothing known: ask the database.
UNKNOWN = "?"


def known_flow(session: AsyncSession, chat_id: int, user_id: int) -> str | None:
    """The flow the user is in as this transaction last read or wrote it (None: in none;
    ``UNKNOWN``: not read yet), so that saving the next step of the same flow need not read the
    row again (``bot.conversation.enter``). Every write of ``chat_states`` in a transaction goes
    through this module, which keeps it (``forget_known`` for the others)."""
    return _known(session).get((chat_id, user_id), UNKNOWN)


def forget_known(session: AsyncSession) -> None:
    """``chat_states`` changed by a statement that does not say which rows (``/forgetme``)."""
    session.info.pop(_KNOWN, None)


def _known(session: AsyncSession) -> dict[tuple[int, int], str | None]:
    known: dict[tuple[int, int], str | None] | None = session.info.get(_KNOWN)
    if known is None or known_transaction(session) is not session.info.get(_KNOWN_IN):
        known = session.info[_KNOWN] = {}
        session.info[_KNOWN_IN] = known_transaction(session)
    return known


def known_transaction(session: AsyncSession) -> Any:
    """What the memo is valid for: the transaction, or the savepoint inside it (a savepoint's
    rollback would undo what the memo says was written)."""
    sync = session.sync_session
    return sync.get_nested_transaction() or sync.get_transaction()


_KNOWN = "chat_states_known"
_KNOWN_IN = "chat_states_known_in"


async def save(
    session: AsyncSession, chat_id: int, user_id: int, state: FlowState, now: datetime
) -> None:
    conn = await connection_of(session)
    await conn.execute(
        _save(conn.dialect.name),
        {
            "chat_id": chat_id,
            "user_id": user_id,
            "flow": state.flow,
            "step": state.step,
            "data": state.data,
            "updated_at": now,
            "unit_id": state.unit_id,
            "leads": state.leads,
        },
    )
    note_write(session)
    _known(session)[(chat_id, user_id)] = state.flow


async def clear(session: AsyncSession, chat_id: int, user_id: int) -> bool:
    result = await session.execute(
        delete(ChatState).where(ChatState.chat_id == chat_id, ChatState.user_id == user_id)
    )
    _known(session)[(chat_id, user_id)] = None
    return bool(result.rowcount)  # type: ignore[attr-defined]


# Read and written at every step of every flow: built once, run with Core on the session's
# connection (the ORM's entity and a statement built per call cost more than SQLite's work).
_LOAD = select(
    ChatState.flow, ChatState.step, ChatState.data, ChatState.unit_id, ChatState.leads
).where(ChatState.chat_id == bindparam("chat_id"), ChatState.user_id == bindparam("user_id"))


@cache
def _save(dialect: str) -> Any:
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(ChatState)
    return stmt.on_conflict_do_update(
        index_elements=[ChatState.chat_id, ChatState.user_id],
        set_={
            name: stmt.excluded[name]
            for name in ("flow", "step", "data", "updated_at", "unit_id", "leads")
        },
    )


# Flows the user is not in right now (handlers/flow): suspended under another, or parked.

SUSPENDED = "suspended"
PARKED = "parked"


async def put_frame(
    session: AsyncSession,
    chat_id: int,
    user_id: int,
    state: FlowState,
    status: str,
    now: datetime,
) -> None:
    """Keep ``state`` aside: on top of the suspended ones, or parked (one row per flow)."""
    position = 0
    if status == SUSPENDED:
        top = await session.scalar(
            select(func.max(FlowFrame.position)).where(
                FlowFrame.chat_id == chat_id,
                FlowFrame.user_id == user_id,
                FlowFrame.status == SUSPENDED,
            )
        )
        position = (top or 0) + 1
    values = {
        "status": status,
        "position": position,
        "step": state.step,
        "data": state.data,
        "updated_at": now,
        "unit_id": state.unit_id,
        "leads": state.leads,
    }
    await session.execute(
        insert_for(session, FlowFrame)
        .values(chat_id=chat_id, user_id=user_id, flow=state.flow, **values)
        .on_conflict_do_update(
            index_elements=[FlowFrame.chat_id, FlowFrame.user_id, FlowFrame.flow], set_=values
        )
    )


async def top_suspended(session: AsyncSession, chat_id: int, user_id: int) -> FlowState | None:
    """The flow suspended last (the one to offer going back to), if any."""
    row = await session.scalar(
        select(FlowFrame)
        .where(
            FlowFrame.chat_id == chat_id,
            FlowFrame.user_id == user_id,
            FlowFrame.status == SUSPENDED,
        )
        .order_by(FlowFrame.position.desc())
        .limit(1)
    )
    return None if row is None else _state(row)


async def take_frame(
    session: AsyncSession, chat_id: int, user_id: int, flow: str, status: str | None = None
) -> FlowState | None:
    """Remove and return the kept frame of ``flow`` (of that status, if given)."""
    query = select(FlowFrame).where(
        FlowFrame.chat_id == chat_id, FlowFrame.user_id == user_id, FlowFrame.flow == flow
    )
    if status is not None:
        query = query.where(FlowFrame.status == status)
    row = await session.scalar(query)
    if row is None:
        return None
    state = _state(row)
    await session.delete(row)
    return state


async def peek_frame(
    session: AsyncSession, chat_id: int, user_id: int, flow: str
) -> tuple[str, FlowState] | None:
    """The kept frame of ``flow`` and its status, left in place."""
    row = await session.scalar(
        select(FlowFrame).where(
            FlowFrame.chat_id == chat_id, FlowFrame.user_id == user_id, FlowFrame.flow == flow
        )
    )
    if row is None:
        return None
    return row.status, _state(row)


async def drop_frames(session: AsyncSession, chat_id: int, user_id: int) -> None:
    """Forget every kept frame of the user in this chat (/forgetme)."""
    await session.execute(
        delete(FlowFrame).where(FlowFrame.chat_id == chat_id, FlowFrame.user_id == user_id)
    )


#: The status ``held`` names for the flow a person is in now (not a kept frame).
CURRENT = "current"


@dataclass(frozen=True)
class Held:
    """One flow a person holds, current or kept, with the unit it works for."""

    chat_id: int
    flow: str
    status: str
    unit_id: int | None
    leads: bool


async def held(session: AsyncSession, user_id: int) -> list[Held]:
    """Every flow the person is in or has kept, in every chat (when a membership ends)."""
    current = await session.execute(
        select(ChatState.chat_id, ChatState.flow, ChatState.unit_id, ChatState.leads).where(
            ChatState.user_id == user_id
        )
    )
    kept = await session.execute(
        select(
            FlowFrame.chat_id, FlowFrame.flow, FlowFrame.status, FlowFrame.unit_id, FlowFrame.leads
        ).where(FlowFrame.user_id == user_id)
    )
    found = [Held(c, f, CURRENT, u, bool(lead)) for c, f, u, lead in current.all()]
    found += [Held(c, f, s, u, bool(lead)) for c, f, s, u, lead in kept.all()]
    return found


async def drop_held(session: AsyncSession, user_id: int, item: Held) -> None:
    """End one flow ``held`` found: the current one, or a kept frame."""
    if item.status == CURRENT:
        _known(session).pop((item.chat_id, user_id), None)
        await session.execute(
            delete(ChatState).where(
                ChatState.chat_id == item.chat_id,
                ChatState.user_id == user_id,
                ChatState.flow == item.flow,
            )
        )
    else:
        await session.execute(
            delete(FlowFrame).where(
                FlowFrame.chat_id == item.chat_id,
                FlowFrame.user_id == user_id,
                FlowFrame.flow == item.flow,
            )
        )
