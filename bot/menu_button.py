"""The button beside a person's message field in their private chat with the bot (Telegram's
"menu button"): for a leader the dashboard (bot/runtime/webapp.py), labelled in their language;
for everyone else Telegram's default (the list of commands).

Set per chat (``setChatMenuButton`` with ``chat_id``) when it may have changed: at /start, when
the person's language changes, when they become a leader or stop being one (an invite link,
/members, ``phoihop admin grant|remove|role``). Only where it can work: ``PHOIHOP_WEB_URL`` is
set (without it nothing is ever set, and the operator may keep one set by hand in BotFather).

It goes through the outbox (``bot/notifications.py``), queued in the transaction of the change:
the Bot API is never called inside a transaction, a change made at the command line is carried
out by the running bot, a Bot API that is down is tried again, and what is set is decided when
it is sent (``handlers/dashboard_button.py``), from the person's rights and language then: two
changes close together both end with the button the latest state asks for.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.access import ROLE_RANK
from bot.notifications import enqueue
from storage.models import Person
from storage.queries import people as people_q

#: The outbox kind; its renderer is ``handlers.dashboard_button.menu_button``.
KIND = "menu_button"


async def queue(session: AsyncSession, web_url: str | None, person: Person, now: datetime) -> bool:
    """Queue the person's menu button to be set again, in the caller's transaction. Nothing
    without a dashboard URL, nor for someone who has not started the bot or blocked it (Telegram
    would refuse: the bot has no chat with them). True if queued."""
    if not web_url or not person.started or person.blocked:
        return False
    # Each change its own row: a key already sent would swallow a later change.
    key = f"menu:{person.telegram_id}:{now.isoformat()}:{secrets.token_hex(4)}"
    return await enqueue(
        session, key=key, chat_id=person.telegram_id, kind=KIND, params={}, now=now
    )


async def queue_every_leader(session: AsyncSession, web_url: str | None, now: datetime) -> int:
    """Queue the menu button of every leader the bot can write to: for a deployment that sets
    ``PHOIHOP_WEB_URL`` after its leaders joined (``phoihop admin menu-buttons``), since each
    person's button is otherwise set only when something about them changes. How many queued."""
    if not web_url:
        return 0
    leading = [role for role, rank in ROLE_RANK.items() if rank >= ROLE_RANK["admin"]]
    queued = 0
    for person in await people_q.reachable_with_roles(session, leading):
        queued += await queue(session, web_url, person, now)
    return queued
