"""A reply to committed work reaches the person: once, in order, even when Telegram is away (issue 15).

A handler's answer goes out after the commit of what it reports (``handlers/common.py``,
``storage.db.after_commit``). When Telegram does not take it then — the Bot API down for longer
than ``PHOIHOP_API_RETRY_DELAYS``, a 5xx, a ``sendMessage`` that timed out — the work is saved
but the person hears nothing: the update counts as handled and is not delivered again, and a
person who sends it again saves it twice. Such a reply is written to the outbox instead, keyed by
the update (``reply:<fingerprint>:<n>``), and the dispatcher delivers it when the API is back.
The normal path stays direct: a reply Telegram takes costs no write of its own.

**In order.** Once one reply of an update is queued, its later replies follow it into the outbox,
and so do the later replies to that chat while it has replies waiting there, whichever process
of a webhook deployment handles them: the database says so (``outbox_q.replies_waiting``, read
with who is talking in the update's first transaction, on a partial index of a handful of rows),
and the chat is asked again just before a reply would go behind them. Each queued reply names
the one before it (``after``); its renderer holds it back until that one is out, so a reply
rescheduled after an error still arrives before the ones behind it.

**Until it arrives.** The outbox's dispatcher claims queued replies before any notice, sends
them as replies (not bulk) in the shared send budget, and does not give up on them after a few
attempts as it does on notices: while Telegram is down or answers 5xx it tries again, a minute
apart at most, for 24 hours (``bot.notifications.REPLY_PATIENCE``; docs/faults.md).

**Silent replays.** When an update that wrote has had all its replies sent (or queued), its
``handled_updates`` row says so (``replied_at``: written with the queued reply, or after the
sends together with the other updates' notes of the same second, ``storage/reply_marks.py``). A
process that receives the update again after a crash (``handlers/replay.py``) then says nothing,
where it used to tell a person who had their answer already "I restarted…" (it still does for
the notes of the second before a SIGKILL, which were not written yet).

A reply that timed out may have reached Telegram all the same: queued, it may arrive twice. As
with the outbox's notices (docs/faults.md), a duplicate is preferred to an answer lost after the
entry was saved.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.error import NetworkError, RetryAfter, TelegramError, TimedOut

from bot.i18n import Translator
from bot.notifications import Notice, RetryLater, enqueue
from bot.services import Services
from handlers.context import AppContext
from handlers.notices import register
from storage.db import WriteMark, in_transaction
from storage.queries import outbox as outbox_q
from storage.queries import updates as updates_q
from storage.reply_marks import ReplyMarks

log = logging.getLogger(__name__)

#: The outbox kind of a queued reply.
KIND = outbox_q.REPLY

Send = Callable[[], Awaitable[object]]


@dataclass
class Replies:
    """What this update has said so far (one per update, in the update's context)."""

    context: AppContext
    update_id: int
    fingerprint: str
    #: The update's replay mark (handlers/replay.py): ``done`` once an effect of it committed.
    mark: WriteMark
    #: The update's chat, and whether it had replies waiting in the outbox (``AppContext``).
    chat_id: int | None = None
    waiting: bool = False
    #: Replies queued in the outbox so far; once one is, the update's later replies follow.
    queued: int = 0
    #: ``replied_at`` is written.
    recorded: bool = False


_current: ContextVar[Replies | None] = ContextVar("phoihop_replies", default=None)


def begin(update: Update, context: AppContext, mark: WriteMark) -> None:
    """Follow this update's replies (group −1, with the replay mark)."""
    fingerprint = context.fingerprint
    assert fingerprint is not None, "load_actor sets it"
    chat = update.effective_chat
    _current.set(
        Replies(
            context,
            update.update_id,
            fingerprint,
            mark,
            chat_id=chat.id if chat is not None else None,
            waiting=context.replies_waiting,
        )
    )


def forget() -> None:
    _current.set(None)


def undelivered(exc: BaseException) -> bool:
    """Telegram did not take the request, or may not have: down, 5xx, timed out, 429 after the
    retries. (A 400 or 403 is Telegram's final answer: queued, it would fail the same way.)"""
    return isinstance(exc, (TimedOut, RetryAfter)) or type(exc) is NetworkError


def guard(chat_id: int, text: str, markup: Any, send: Send) -> Send:
    """``send``, made to reach the chat if it answers committed work (said inside a transaction,
    or after one of this update's effects committed): queued in the outbox when Telegram does not
    take it, or when replies to the chat are already waiting there. ``markup`` is the reply's
    python-telegram-bot keyboard (kept as JSON), or None."""
    replies = _current.get()
    if replies is None or not (in_transaction() or replies.mark.done):
        return send

    context = replies.context

    async def deliver() -> None:
        if not replies.queued and not await _waiting(replies, chat_id):
            try:
                await send()
                return
            except TelegramError as exc:
                if not undelivered(exc):
                    raise
                log.warning(
                    "update %s: Telegram did not take the reply (%s); it waits in the outbox",
                    replies.update_id,
                    exc,
                )
        await _queue(context, replies, chat_id, text, markup)

    return deliver


def quiet(send: Send) -> Send:
    """A toast answering a pressed button: it cannot arrive later, and failing must not stop the
    replies that follow it (they would be lost, their work committed)."""
    replies = _current.get()
    if replies is None or not (in_transaction() or replies.mark.done):
        return send

    async def answer() -> None:
        try:
            await send()
        except TelegramError as exc:
            if not undelivered(exc):
                raise
            log.warning("update %s: a button's answer was lost (%s)", replies.update_id, exc)

    return answer


async def _waiting(replies: Replies, chat_id: int) -> bool:
    """Whether replies to the chat wait in the outbox, so that this one must go behind them. The
    update's own chat was read with who is talking: only a chat that had some is asked again
    (they may have gone out meanwhile), so other chats pay nothing here."""
    if chat_id == replies.chat_id and not replies.waiting:
        return False
    async with replies.context.services.db.session() as session:
        waiting = await outbox_q.replies_waiting(session, chat_id)
    if chat_id == replies.chat_id:
        replies.waiting = waiting
    return waiting


async def _queue(
    context: AppContext, replies: Replies, chat_id: int, text: str, markup: Any
) -> None:
    """Into the outbox, behind the chat's replies still waiting there; and the update's row says
    its replies are taken care of (this transaction also records the update if nothing else did)."""
    services = context.services
    now = services.clock.now()
    replies.queued += 1
    async with services.db.session() as session:
        after = await outbox_q.last_unsent_reply(session, chat_id)
        await enqueue(
            session,
            key=f"{KIND}:{replies.fingerprint}:{replies.queued}",
            chat_id=chat_id,
            kind=KIND,
            params={
                "text": text,
                "markup": markup.to_dict() if markup is not None else None,
                "after": after,
            },
            now=now,
        )
        await updates_q.mark_replied(session, replies.update_id, replies.fingerprint, now)
    replies.recorded = True


def settle() -> None:
    """After a handler: an update whose effect committed and whose replies are out says so in
    its row, so that a replay after a crash stays silent. Noted in memory and written with the
    other updates' notes of the same second (storage/reply_marks.py): a transaction of its own
    for each update cost a third of a /log shortcut's CPU."""
    replies = _current.get()
    if replies is None or replies.recorded or not replies.mark.done:
        return
    context = replies.context
    marks: ReplyMarks = context.application.bot_data["reply_marks"]
    marks.add(replies.update_id, replies.fingerprint, context.services.clock.now())
    replies.recorded = True


async def render(
    services: Services, tr: Translator, params: dict[str, Any], chat_id: int
) -> Notice | None:
    """A queued reply, as it was said (already in the person's language), once the reply queued
    before it is out."""
    after = params.get("after")
    if after:
        async with services.db.session() as session:
            due = await outbox_q.unsent_due_at(session, after)
        if due is not None:
            # Not before the one ahead of it is tried again (a second after it, at the soonest).
            wait = (due - services.clock.now()).total_seconds()
            raise RetryLater(max(wait, 0) + 1)
    return Notice(text=params["text"], markup=params.get("markup"))


def register_renderers() -> None:
    register(KIND, render)
