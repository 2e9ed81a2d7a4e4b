"""Conversation state kept in the database (not in process memory, not in PTB persistence, which
writes only every 60 s): every step is saved when it is taken, so a restart or another bot process
continues where the user was.

A user is in at most one flow at a time (``chat_states``), but never loses one: a command that
starts another flow *suspends* the current one (``flow_frames``), and when the new flow ends the
user is offered to go back (handlers/flow). /cancel *parks* a flow, whose command then offers
to continue it. Every function runs inside the caller's transaction (the update's unit of
work), except ``save``, which sets a step from outside any update (tests, a migration of states).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import Services
from storage.queries import state as state_q
from storage.queries.state import PARKED, SUSPENDED, FlowState

__all__ = [
    "PARKED",
    "SUSPENDED",
    "FlowState",
    "enter",
    "leave",
    "load_in",
    "park",
    "save",
]


async def enter(
    session: AsyncSession, chat_id: int, user_id: int, state: FlowState, now: datetime
) -> FlowState | None:
    """Make ``state`` the user's current flow step; returns the flow it suspended, if any.

    Going on in the same flow just saves the step. Starting another flow keeps the current one
    as suspended, so that nothing typed so far is lost (a one-shot prompt that ends brings it
    back: handlers/flow)."""
    if state_q.known_flow(session, chat_id, user_id) == state.flow:
        # The next step of the flow this transaction read (the kernel's every answer): saved.
        await state_q.save(session, chat_id, user_id, state, now)
        return None
    current = await state_q.load(session, chat_id, user_id)
    suspended: FlowState | None = None
    if current is not None and current.flow != state.flow:
        await state_q.put_frame(session, chat_id, user_id, current, SUSPENDED, now)
        suspended = current
        # An older kept copy of the flow now started is superseded by it.
        await state_q.take_frame(session, chat_id, user_id, state.flow)
    elif current is None:
        # Started anew: an older suspended or parked copy of the same flow is superseded.
        await state_q.take_frame(session, chat_id, user_id, state.flow)
    await state_q.save(session, chat_id, user_id, state, now)
    return suspended


async def leave(session: AsyncSession, chat_id: int, user_id: int) -> bool:
    """End the current flow (finished or abandoned); True if there was one."""
    return await state_q.clear(session, chat_id, user_id)


async def park(
    session: AsyncSession, chat_id: int, user_id: int, now: datetime
) -> FlowState | None:
    """/cancel: end the current flow but keep its answers, for its command to offer again."""
    current = await state_q.load(session, chat_id, user_id)
    if current is None:
        return None
    await state_q.put_frame(session, chat_id, user_id, current, PARKED, now)
    await leave(session, chat_id, user_id)
    return current


async def save(services: Services, chat_id: int, user_id: int, state: FlowState) -> None:
    async with services.db.session() as session:
        await enter(session, chat_id, user_id, state, services.clock.now())


async def load_in(session: AsyncSession, chat_id: int, user_id: int) -> FlowState | None:
    """The current flow step, inside the caller's transaction."""
    return await state_q.load(session, chat_id, user_id)


async def kept(
    session: AsyncSession, chat_id: int, user_id: int, flow: str
) -> tuple[str, FlowState] | None:
    """The suspended or parked copy of ``flow``, with which of the two it is."""
    return await state_q.peek_frame(session, chat_id, user_id, flow)


async def top_suspended(session: AsyncSession, chat_id: int, user_id: int) -> FlowState | None:
    return await state_q.top_suspended(session, chat_id, user_id)


async def forget(session: AsyncSession, chat_id: int, user_id: int, flow: str) -> None:
    """Drop the kept copy of ``flow`` ("start over")."""
    await state_q.take_frame(session, chat_id, user_id, flow)


async def park_kept(
    session: AsyncSession, chat_id: int, user_id: int, flow: str, now: datetime
) -> None:
    """A suspended flow the user does not go back to now: parked, offered by its command."""
    frame = await state_q.take_frame(session, chat_id, user_id, flow, SUSPENDED)
    if frame is not None:
        await state_q.put_frame(session, chat_id, user_id, frame, PARKED, now)


async def restore(
    session: AsyncSession, chat_id: int, user_id: int, state: FlowState, now: datetime
) -> None:
    """Make a kept flow current again (suspending whatever is current now)."""
    current = await state_q.load(session, chat_id, user_id)
    await state_q.take_frame(session, chat_id, user_id, state.flow)
    if current is not None and current.flow != state.flow:
        await state_q.put_frame(session, chat_id, user_id, current, SUSPENDED, now)
    await state_q.save(session, chat_id, user_id, state, now)
