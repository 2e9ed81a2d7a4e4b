"""The error handler: log the failure (never the token), tell the user their input is safe."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError

from handlers.context import AppContext

log = logging.getLogger("phoihop.errors")


async def on_error(update: object, context: AppContext) -> None:
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    if isinstance(error, Forbidden):
        log.info(
            "update %s: the user or chat does not accept messages from the bot (%s)",
            update_id,
            error,
        )
        return
    if isinstance(error, NetworkError) and not isinstance(error, BadRequest):
        log.warning("update %s: network error talking to the Bot API: %s", update_id, error)
    else:
        log.error("update %s: unhandled error", update_id, exc_info=error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.effective_chat.type != "private":
        return
    tr = context.tr
    try:
        await context.bot.send_message(
            update.effective_chat.id,
            tr._(
                "Sorry, something went wrong on my side. What you had saved is safe; please try again in a moment."
            ),
        )
    except TelegramError as exc:
        log.warning("could not tell the user about the error: %s", exc)
