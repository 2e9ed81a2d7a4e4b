"""``/forgetme``: erase a person's personal data, keep the unit's records (docs/personal-data.md).

Under Decree 13/2023/NĐ-CP a data subject may ask for their personal data to be deleted; the
organisation keeps the records it needs for its work. So the person's row (name, username,
Telegram id and language), memberships, conversation state, drafts, meeting answers and failed
invite attempts are deleted, and every record of the unit that named them as author (activities, report answers,
history, meetings, invites, linked groups) is handed to one shared tombstone person, "Người dùng
đã xóa (Deleted user)". The unit's figures do not change, and nothing links them to the person.
The recommendations their chat follows by link are unfollowed; recommendations they recorded stay
(the Front's records) with the recorder set to NULL by the database (``ON DELETE SET NULL``).
All of it happens in one transaction: it is erased whole or not at all.

One exception, for as long as it matters: the wrong invite codes tried in the last
``FAILURE_WINDOW`` (ten minutes) stay, counted against the Telegram id alone. They are the lock
on guessing invite codes, and erasing oneself must not lift it (a guesser would /forgetme every
five tries); they expire with the window like anyone's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.onboarding import FAILURE_WINDOW
from storage.models import (
    Activity,
    ActivityHistory,
    Invite,
    LinkedChat,
    Meeting,
    MembershipEvent,
    Person,
    Report,
    ReportAnswer,
    ReportEvent,
    ReportRound,
)
from storage.queries import erasure as erasure_q
from storage.queries import invites as invites_q

#: Telegram user ids are positive: 0 is nobody, the author of whatever the forgotten wrote.
TOMBSTONE_TELEGRAM_ID = 0
TOMBSTONE_NAME = ("Người dùng đã xóa", "(Deleted user)")

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
    # The audit of membership changes keeps its rows (a unit's history), anonymised: who acted,
    # and whose membership it was.
    MembershipEvent.by_id,
    MembershipEvent.person_id,
)


@dataclass(frozen=True)
class Erased:
    memberships: int
    records_kept: int


async def tombstone(session: AsyncSession, now: datetime) -> Person:
    first, last = TOMBSTONE_NAME
    return await erasure_q.tombstone(session, TOMBSTONE_TELEGRAM_ID, first, last, now)


async def forget_person(session: AsyncSession, person_id: int, now: datetime) -> Erased:
    """Erase one person (see the module docstring); the caller's transaction commits it."""
    person = await session.get(Person, person_id)
    if person is None or person.telegram_id == TOMBSTONE_TELEGRAM_ID:
        return Erased(0, 0)
    telegram_id = person.telegram_id
    tomb = await tombstone(session, now)
    kept = 0
    for column in AUTHOR_COLUMNS:
        kept += await erasure_q.hand_over(session, column, person_id, tomb.id)
    removed = await erasure_q.delete_memberships(session, person_id)
    await erasure_q.delete_personal_rows(session, person_id, telegram_id)
    await invites_q.forget_failures(session, telegram_id, now - FAILURE_WINDOW)
    return Erased(removed, kept)
