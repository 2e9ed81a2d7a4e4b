"""``/forgetme``: erase a person's personal data, keep the unit's records (docs/personal-data.md).

Under Decree 13/2023/NĐ-CP a data subject may ask for their personal data to be deleted; the
organisation keeps the records it needs for its work. So the person's row (name, username,
Telegram id and language), memberships, conversation state, drafts, meeting answers and failed
invite attempts are
deleted, and every record of the unit that named them as author (activities, report answers,
history, meetings, invites, linked groups) is handed to one shared tombstone person, "Người dùng
đã xoá (Deleted user)". The unit's figures do not change, and nothing links them to the person.
All of it happens in one transaction: it is erased whole or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Activity,
    ActivityHistory,
    ChatState,
    FlowFrame,
    Invite,
    InviteFailure,
    LinkedChat,
    LogDraft,
    Meeting,
    MeetingRsvp,
    Membership,
    OutboxMessage,
    Person,
    Report,
    ReportAnswer,
    ReportEvent,
    ReportRound,
)
from storage.queries.upsert import insert_for

#: Telegram user ids are positive: 0 is nobody, the author of whatever the forgotten wrote.
TOMBSTONE_TELEGRAM_ID = 0
TOMBSTONE_NAME = ("Người dùng đã xoá", "(Deleted user)")

#: Every column that names a person as the author of a unit's record.
AUTHOR_COLUMNS = (
    Activity.person_id,
    ActivityHistory.person_id,
    ReportRound.opened_by,
    Report.submitted_by,
    Report.decided_by,
    ReportAnswer.answered_by,
    ReportEvent.person_id,
    Meeting.organiser_id,
    LinkedChat.linked_by,
    Invite.created_by,
)


@dataclass(frozen=True)
class Erased:
    memberships: int
    records_kept: int


async def tombstone(session: AsyncSession, now: datetime) -> Person:
    first, last = TOMBSTONE_NAME
    await session.execute(
        insert_for(session, Person)
        .values(
            telegram_id=TOMBSTONE_TELEGRAM_ID,
            first_name=first,
            last_name=last,
            created_at=now,
            started=False,
            blocked=True,  # never written to
        )
        .on_conflict_do_nothing(index_elements=[Person.telegram_id])
    )
    person = await session.scalar(select(Person).where(Person.telegram_id == TOMBSTONE_TELEGRAM_ID))
    assert person is not None
    return person


async def forget_person(session: AsyncSession, person_id: int, now: datetime) -> Erased:
    """Erase one person (see the module docstring); the caller's transaction commits it."""
    person = await session.get(Person, person_id)
    if person is None or person.telegram_id == TOMBSTONE_TELEGRAM_ID:
        return Erased(0, 0)
    telegram_id = person.telegram_id
    tomb = await tombstone(session, now)
    kept = 0
    for column in AUTHOR_COLUMNS:
        result = await session.execute(
            update(column.class_).where(column == person_id).values({column.key: tomb.id})
        )
        kept += int(result.rowcount or 0)  # type: ignore[attr-defined]
    removed = await session.execute(delete(Membership).where(Membership.person_id == person_id))
    await session.execute(delete(MeetingRsvp).where(MeetingRsvp.person_id == person_id))
    await session.execute(delete(LogDraft).where(LogDraft.person_id == person_id))
    await session.execute(delete(InviteFailure).where(InviteFailure.person_id == person_id))
    await session.execute(delete(ChatState).where(ChatState.user_id == telegram_id))
    await session.execute(delete(FlowFrame).where(FlowFrame.user_id == telegram_id))
    # Notices to them, sent or not: the rows carry their Telegram id.
    await session.execute(delete(OutboxMessage).where(OutboxMessage.chat_id == telegram_id))
    await session.execute(delete(Person).where(Person.id == person_id))
    return Erased(int(removed.rowcount or 0), kept)  # type: ignore[attr-defined]
