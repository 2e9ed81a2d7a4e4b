"""Conversation state rows: written at every step of a flow, so a restart or another bot process
picks the user up exactly where they were."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChatState, FlowFrame
from storage.queries.upsert import insert_for


@dataclass
class FlowState:
    flow: str
    step: str
    data: dict[str, Any] = field(default_factory=dict)


async def load(session: AsyncSession, chat_id: int, user_id: int) -> FlowState | None:
    row = await session.scalar(
        select(ChatState).where(ChatState.chat_id == chat_id, ChatState.user_id == user_id)
    )
    if row is None:
        return None
    return FlowState(flow=row.flow, step=row.step, data=dict(row.data or {}))


async def save(
    session: AsyncSession, chat_id: int, user_id: int, state: FlowState, now: datetime
) -> None:
    values = {"flow": state.flow, "step": state.step, "data": state.data, "updated_at": now}
    await session.execute(
        insert_for(session, ChatState)
        .values(chat_id=chat_id, user_id=user_id, **values)
        .on_conflict_do_update(index_elements=[ChatState.chat_id, ChatState.user_id], set_=values)
    )


async def clear(session: AsyncSession, chat_id: int, user_id: int) -> bool:
    result = await session.execute(
        delete(ChatState).where(ChatState.chat_id == chat_id, ChatState.user_id == user_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


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
    return None if row is None else FlowState(row.flow, row.step, dict(row.data or {}))


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
    state = FlowState(row.flow, row.step, dict(row.data or {}))
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
    return row.status, FlowState(row.flow, row.step, dict(row.data or {}))


async def drop_frames(session: AsyncSession, chat_id: int, user_id: int) -> None:
    """Forget every kept frame of the user in this chat (/forgetme)."""
    await session.execute(
        delete(FlowFrame).where(FlowFrame.chat_id == chat_id, FlowFrame.user_id == user_id)
    )
