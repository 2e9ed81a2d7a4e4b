"""An update delivered again after a crash is not applied twice.

A SIGKILL mid-update means the update runs again after the restart: with long polling it is
still in the inbox table, not marked done (``bot/runtime/polling.py``, ``bot/runtime/inbox.py``);
with a webhook Telegram sends it again. Its handler may already have
committed its effect (an answer saved, an entry stored) before the crash, and applying it again
would, for instance, take the answer to question 3 as the answer to question 4 too.

So the first transaction that changes data while an update is handled also records the update's
id (``handled_updates``, via ``storage.db.WriteMark``): the record commits if and only if the
effect does. An update found there is not handled again. If its row also says its replies went
out (``replied_at``, handlers/delivery.py), nothing is said; otherwise the crash may have swallowed
the bot's reply, so the user is told their message was saved and shown the step they are at.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from handlers import flow
from handlers.common import reply
from handlers.context import AppContext, replay_fingerprint
from storage.db import WriteMark, set_write_mark
from storage.queries import updates as updates_q

log = logging.getLogger(__name__)


def watch(update: Update, context: AppContext) -> WriteMark:
    """Record this update in the first transaction of its handling that writes."""
    clock = context.services.clock
    update_id, print_ = update.update_id, context.fingerprint or replay_fingerprint(update)

    async def record(session: AsyncSession) -> None:
        await updates_q.mark(session, update_id, print_, clock.now())

    mark = WriteMark(record)
    set_write_mark(mark)
    return mark


def forget() -> None:
    set_write_mark(None)


async def on_replay(update: Update, context: AppContext) -> None:
    if context.replied:
        # Its replies went out (or wait in the outbox) before the crash: nothing to add.
        log.info("update %s arrived again after a restart; handled and answered", update.update_id)
        return
    log.info("update %s arrived again after a restart; it had been handled", update.update_id)
    chat = update.effective_chat
    if chat is None or chat.type != "private":
        return
    tr = context.tr
    await reply(
        update,
        context,
        tr._(
            "I restarted just as I handled your last message. It was saved; no need to send it again."
        ),
    )
    await flow.resume(update, context)
