"""Conversation state rows: written at every step of a flow, so a restart or another bot process
picks the user up exactly where they were."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChatState
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
