"""Invites: making deep-link codes and redeeming them.

Codes are random, URL-safe, at most 64 characters (Telegram's ``/start`` payload limit) and only
their SHA-256 is stored, so a leaked database does not leak usable links.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot import members
from bot.access import Actor, load_actor
from storage.models import Person, Unit
from storage.queries import invites as invites_q
from storage.queries import people as people_q
from storage.queries import units as units_q
from storage.queries.invites import InviteProblem

PAYLOAD_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
INVITE_ROLES = ("cadre", "admin")
MAX_USES = 500
MAX_DAYS = 90
#: Guessing codes: after this many wrong codes within the window, further attempts are refused
#: (without looking at the code) until the oldest of them leaves the window.
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=10)


class RedeemOutcome(StrEnum):
    JOINED = "joined"
    ALREADY = "already"
    MALFORMED = "malformed"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED_UP = "used_up"
    REVOKED = "revoked"
    CREATOR_LOST_RIGHTS = "creator_lost_rights"
    TOO_MANY_TRIES = "too_many_tries"


@dataclass(frozen=True)
class Redeemed:
    outcome: RedeemOutcome
    unit: Unit | None = None
    role: str | None = None
    #: For TOO_MANY_TRIES: when the person may try again.
    retry_at: datetime | None = None


class InviteNotAllowed(PermissionError):
    """The actor may not invite to that unit or with that role."""


def new_code() -> str:
    # 32 random bytes -> 43 URL-safe characters: unguessable and within the 64-character limit.
    return secrets.token_urlsafe(32)


def hash_code(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def invite_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={code}"


def parse_duration(text: str) -> timedelta:
    """``7d``, ``12h``, ``30m`` or a bare number of days."""
    match = re.fullmatch(r"\s*([0-9]{1,4})\s*([dhm]?)\s*", text)
    if not match:
        raise ValueError(f"not a duration: {text!r} (use 7d, 12h or 30m)")
    amount, unit = int(match.group(1)), match.group(2) or "d"
    delta = {
        "d": timedelta(days=amount),
        "h": timedelta(hours=amount),
        "m": timedelta(minutes=amount),
    }[unit]
    if delta <= timedelta(0) or delta > timedelta(days=MAX_DAYS):
        raise ValueError(f"duration must be between 1 minute and {MAX_DAYS} days")
    return delta


async def create_invite(
    session: AsyncSession,
    *,
    unit: Unit,
    role: str,
    now: datetime,
    valid_for: timedelta,
    max_uses: int = 1,
    by: Actor | None = None,
) -> str:
    """Store a new invite and return its code (shown once, never stored in clear)."""
    if role not in INVITE_ROLES:
        raise InviteNotAllowed(f"role {role!r} cannot be given by invite")
    if not 1 <= max_uses <= MAX_USES:
        raise ValueError(f"uses must be between 1 and {MAX_USES}")
    if by is not None and not by.can_admin(unit):
        raise InviteNotAllowed("not an admin of that unit")
    code = new_code()
    await invites_q.create(
        session,
        code_hash=hash_code(code),
        unit_id=unit.id,
        role=role,
        created_by=by.person.id if by else None,
        now=now,
        expires_at=now + valid_for,
        max_uses=max_uses,
    )
    return code


async def redeem(session: AsyncSession, person: Person, payload: str, now: datetime) -> Redeemed:
    """Join the invite's unit with its role, counting one use, or say exactly why not.

    Wrong codes are counted per Telegram account in the database (so /forgetme does not reset
    them); past ``MAX_FAILURES`` within
    ``FAILURE_WINDOW`` the code is not even looked up, so guessing gets nowhere."""
    retry_at = await locked_until(session, person, now)
    if retry_at is not None:
        return Redeemed(RedeemOutcome.TOO_MANY_TRIES, retry_at=retry_at)
    if not PAYLOAD_RE.match(payload):
        await invites_q.record_failure(session, person.telegram_id, now, now - FAILURE_WINDOW)
        return Redeemed(RedeemOutcome.MALFORMED)
    invite = await invites_q.find(session, hash_code(payload))
    problem = invites_q.problem(invite, now)
    if problem is not None or invite is None:
        if problem in (None, InviteProblem.UNKNOWN):
            await invites_q.record_failure(session, person.telegram_id, now, now - FAILURE_WINDOW)
        return Redeemed(RedeemOutcome(problem or InviteProblem.UNKNOWN))
    unit = await units_q.get(session, invite.unit_id)
    assert unit is not None
    if invite.created_by is not None:
        creator = await session.get(Person, invite.created_by)
        if creator is None or not (await load_actor(session, creator)).can_admin(unit):
            return Redeemed(RedeemOutcome.CREATOR_LOST_RIGHTS, unit=unit)
    current = await people_q.role_in(session, person.id, unit.id)
    if current is not None and people_q.ROLE_RANK[current] >= people_q.ROLE_RANK[invite.role]:
        return Redeemed(RedeemOutcome.ALREADY, unit=unit, role=current)
    if not await invites_q.claim(session, invite.id, now):
        return Redeemed(RedeemOutcome.USED_UP, unit=unit)
    # Audited like every other change of a membership (bot/members.py).
    held = await members.grant(session, None, unit, person, invite.role, now, invite=invite)
    return Redeemed(RedeemOutcome.JOINED, unit=unit, role=held)


async def locked_until(session: AsyncSession, person: Person, now: datetime) -> datetime | None:
    """When the person may try a code again, or None if they may now."""
    recent = await invites_q.recent_failures(session, person.telegram_id, now - FAILURE_WINDOW)
    if len(recent) < MAX_FAILURES:
        return None
    # Allowed again once fewer than MAX_FAILURES remain in the window.
    return recent[MAX_FAILURES - 1] + FAILURE_WINDOW
