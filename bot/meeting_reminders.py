"""Meeting reminders (PRODUCT §5): before a meeting, every invitee who has not declined is reminded
(by default a day and an hour ahead).

Why it is shaped this way: nothing is scheduled per meeting. The scheduler calls
:func:`plan_meeting_reminders` every minute and it computes from the database which reminders are
due, queueing them in the outbox with the key ``meeting:<id>:s<sequence>:r<minutes>:<telegram id>``.
So a restart neither loses nor doubles one, two workers running it at once queue each once, and a
reschedule (a new ``sequence``) starts the reminders afresh. The renderer re-checks at send time
(``handlers/meeting_notices.py``) and drops a reminder that no longer applies.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from bot.notifications import enqueue
from storage.queries import meetings as meetings_q

DEFAULT_OFFSETS: Final = (timedelta(hours=24), timedelta(hours=1))


async def plan_meeting_reminders(
    session: AsyncSession, now: datetime, *, offsets: Sequence[timedelta] = DEFAULT_OFFSETS
) -> int:
    """Queue the meeting reminders due by now, to invitees who have not declined.

    For each meeting only the latest due offset is queued (a bot that was down for a day sends
    one reminder, not two), and never one whose time came before the invitation or the last
    reschedule went out. Keys make this idempotent: it may run every minute, after a restart, or
    twice at once."""
    if not offsets:
        return 0
    longest = max(offsets)
    queued = 0
    for meeting in await meetings_q.starting_between(session, now, now + longest):
        due = [o for o in offsets if meeting.updated_at < meeting.starts_at - o <= now]
        if not due:
            continue
        offset = min(due)
        minutes = int(offset.total_seconds() // 60)
        declined = await meetings_q.declined_ids(session, meeting.id)
        for person in await meetings_q.recipients(session, meeting.id):
            if person.id in declined:
                continue
            queued += await enqueue(
                session,
                key=f"meeting:{meeting.id}:s{meeting.sequence}:r{minutes}:{person.telegram_id}",
                chat_id=person.telegram_id,
                kind="meeting_reminder",
                params={
                    "meeting_id": meeting.id,
                    "sequence": meeting.sequence,
                    "minutes": minutes,
                },
                now=now,
                due_at=meeting.starts_at - offset,
            )
    return queued
