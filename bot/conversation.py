"""Conversation state kept in the database (not in process memory, not in PTB persistence, which
writes only every 60 s): every step is saved when it is taken, so a restart or another bot process
continues where the user was."""

from __future__ import annotations

from bot.services import Services
from storage.queries import state as state_q
from storage.queries.state import FlowState

__all__ = ["FlowState", "clear", "load", "save"]


async def load(services: Services, chat_id: int, user_id: int) -> FlowState | None:
    async with services.db.session() as session:
        return await state_q.load(session, chat_id, user_id)


async def save(services: Services, chat_id: int, user_id: int, state: FlowState) -> None:
    async with services.db.session() as session:
        await state_q.save(session, chat_id, user_id, state, services.clock.now())


async def clear(services: Services, chat_id: int, user_id: int) -> bool:
    async with services.db.session() as session:
        return await state_q.clear(session, chat_id, user_id)
