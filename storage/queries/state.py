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
    #: The unit the flow works for and whether it needs leader rights there (see ChatState).
    unit_id: int | None = None
    leads: bool = False


def _state(row: ChatState | FlowFrame) -> FlowState:
    return FlowState(row.flow, row.step, dict(row.data or {}), row.unit_id, bool(row.leads))


async def load(session: AsyncSession, chat_id: int, user_id: int) -> FlowState | None:
    row = await session.scalar(
        select(ChatState).where(ChatState.chat_id == chat_id, ChatState.user_id == user_id)
    )
    if row is None:
        return None
    return _state(row)


async def save(
    session: AsyncSession, chat_id: int, user_id: int, state: FlowState, now: datetime
) -> None:
    values = {
        "flow": state.flow,
        "step": state.step,
        "data": state.data,
        "updated_at": now,
        "unit_id": state.unit_id,
        "leads": state.leads,
    }
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
