"""The citizen's follow link of a recommendation (issue 17): ``https://t.me/<bot>?start=f_<code>``.

Why it is built like an invite (bot/onboarding.py): the code is random and only its SHA-256 is
stored (``petitions.follow_hash``), so a leaked database gives no working links; a wrong code
counts toward the same lock on guessing as a wrong invite (``invite_failures``), so guessing
follow codes gets no further than guessing invites.

A follower is a Telegram chat, not a member: following adds a ``PetitionFollower`` row (the
chat and its language) and nothing else. They see the item's code, status, category, the day
it was received and the authority's answer — never names, phones or other items — and are told
when it is answered (``notify_followers``, called by the Front's answer and closing paths).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.notifications import enqueue
from bot.onboarding import FAILURE_WINDOW, PAYLOAD_RE, hash_code, locked_until, new_code
from storage.models import Person, Petition
from storage.queries import invites as invites_q
from storage.queries import petition_record as record_q

#: The ``/start`` payload of a follow link begins with this (an invite code never does: invite
#: codes are matched whole, and a follow payload is routed before them).
FOLLOW_PREFIX = "f_"
#: The outbox kind of "the item you follow was answered" (handlers/petitions/notices.py).
ANSWER_NOTICE = "petition_answered"


class FollowOutcome(StrEnum):
    FOLLOWING = "following"
    MALFORMED = "malformed"
    UNKNOWN = "unknown"
    TOO_MANY_TRIES = "too_many_tries"


@dataclass(frozen=True)
class Followed:
    outcome: FollowOutcome
    petition: Petition | None = None
    retry_at: datetime | None = None


def is_follow_payload(payload: str) -> bool:
    return payload.startswith(FOLLOW_PREFIX)


def follow_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={FOLLOW_PREFIX}{code}"


async def make_link_code(session: AsyncSession, petition: Petition) -> str:
    """A new follow code for the item (the previous link stops working: only one hash is kept,
    so a link handed to the wrong person is withdrawn by making another)."""
    # 32 random bytes: 43 characters, with "f_" within the 64 of a /start payload.
    code = new_code()
    petition.follow_hash = hash_code(code)
    await session.flush()
    return code


async def follow(
    session: AsyncSession, person: Person, chat_id: int, payload: str, now: datetime
) -> Followed:
    """Follow the item whose link ``payload`` (``f_<code>``) is, or say why not. Wrong codes
    count toward the invite-guessing lock, which is checked before the code is looked up."""
    retry_at = await locked_until(session, person, now)
    if retry_at is not None:
        return Followed(FollowOutcome.TOO_MANY_TRIES, retry_at=retry_at)
    code = payload.removeprefix(FOLLOW_PREFIX)
    if not code or not PAYLOAD_RE.match(payload):
        await invites_q.record_failure(session, person.telegram_id, now, now - FAILURE_WINDOW)
        return Followed(FollowOutcome.MALFORMED)
    petition = await record_q.by_follow_hash(session, hash_code(code))
    if petition is None:
        await invites_q.record_failure(session, person.telegram_id, now, now - FAILURE_WINDOW)
        return Followed(FollowOutcome.UNKNOWN)
    language = person.language or person.telegram_language
    await record_q.follow(session, petition.id, chat_id, (language or "")[:8] or None, now)
    return Followed(FollowOutcome.FOLLOWING, petition)


async def notify_followers(session: AsyncSession, petition: Petition, now: datetime) -> int:
    """Queue "KN-… has been answered: …" to every chat following the item, in the caller's
    transaction (the one that stores the answer). One notice per chat and answer: calling it
    twice for the same answer queues nothing more. Returns how many were queued."""
    queued = 0
    stamp = int((petition.answered_at or now).timestamp())
    for follower in await record_q.followers(session, petition.id):
        queued += await enqueue(
            session,
            key=f"petition:{petition.id}:answer:{stamp}:{follower.chat_id}",
            chat_id=follower.chat_id,
            kind=ANSWER_NOTICE,
            params={"petition_id": petition.id, "language": follower.language},
            now=now,
        )
    return queued
