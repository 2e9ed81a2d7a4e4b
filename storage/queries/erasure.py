"""The statements of ``/forgetme`` (``bot/privacy.py`` decides what is erased and what is kept)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from storage.models import (
    ChatState,
    FlowFrame,
    LogDraft,
    MeetingRsvp,
    Membership,
    OutboxMessage,
    Person,
    PetitionFollower,
    Proposal,
)
from storage.queries import state as state_q
from storage.queries.upsert import insert_for


async def tombstone(
    session: AsyncSession, telegram_id: int, first_name: str, last_name: str, now: datetime
) -> Person:
    """The shared stand-in author, created on first use. Insert-or-ignore, then read: two
    erasures at once must not create two (the Telegram id is unique)."""
    await session.execute(
        insert_for(session, Person)
        .values(
            telegram_id=telegram_id,
            first_name=first_name,
            last_name=last_name,
            created_at=now,
            started=False,
            blocked=True,  # never written to
        )
        .on_conflict_do_nothing(index_elements=[Person.telegram_id])
    )
    person = await session.scalar(select(Person).where(Person.telegram_id == telegram_id))
    assert person is not None
    return person


async def hand_over(
    session: AsyncSession, column: InstrumentedAttribute[int | None], old_id: int, new_id: int
) -> int:
    """Point every row whose ``column`` names ``old_id`` at ``new_id``; how many rows moved."""
    result = await session.execute(
        update(column.class_).where(column == old_id).values({column.key: new_id})
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def delete_memberships(session: AsyncSession, person_id: int) -> int:
    """Remove the person from every unit; how many memberships they had."""
    result = await session.execute(delete(Membership).where(Membership.person_id == person_id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def delete_personal_rows(session: AsyncSession, person_id: int, telegram_id: int) -> None:
    """Delete what is the person's own and nobody else's: meeting answers, drafts, conversation
    state and parked flows, the proposals read from their messages (their own words, and the
    file ids of the photos whose captions they were), notices to them (sent or not: the rows
    carry their Telegram id), the recommendations their chat follows by link, and last the
    person's row itself (items they recorded stay, their recorder set to NULL by the foreign
    key). (Recent wrong invite codes are the account's, kept for the lock's few minutes:
    ``bot/privacy.py``.)"""
    await session.execute(delete(MeetingRsvp).where(MeetingRsvp.person_id == person_id))
    await session.execute(delete(LogDraft).where(LogDraft.person_id == person_id))
    await session.execute(delete(Proposal).where(Proposal.person_id == person_id))
    await session.execute(delete(ChatState).where(ChatState.user_id == telegram_id))
    state_q.forget_known(session)
    await session.execute(delete(FlowFrame).where(FlowFrame.user_id == telegram_id))
    await session.execute(delete(OutboxMessage).where(OutboxMessage.chat_id == telegram_id))
    await session.execute(delete(PetitionFollower).where(PetitionFollower.chat_id == telegram_id))
    await session.execute(delete(Person).where(Person.id == person_id))
