"""The error handler: log the failure (never the token), tell the user their input is safe."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.i18n import Translator, resolve_locale
from handlers import render
from handlers.context import AppContext
from storage.db import storage_problem

log = logging.getLogger("phoihop.errors")


async def on_error(update: object, context: AppContext) -> None:
    """Log, tell the user once, and stop: handlers of later groups would only fail again (a
    failure while loading the actor in group -1 would otherwise reach group 0 too)."""
    await _report(update, context)
    raise ApplicationHandlerStop


async def _report(update: object, context: AppContext) -> None:
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    if isinstance(error, Forbidden):
        log.info(
            "update %s: the user or chat does not accept messages from the bot (%s)",
            update_id,
            error,
        )
        return
    problem = storage_problem(error) if error is not None else None
    if problem is not None:
        _log_storage_problem(problem, update_id, error, context)
    elif isinstance(error, NetworkError) and not isinstance(error, BadRequest):
        log.warning("update %s: network error talking to the Bot API: %s", update_id, error)
    else:
        log.error("update %s: unhandled error", update_id, exc_info=error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.effective_chat.type != "private":
        return
    tr = _translator(update, context)
    texts = {
        "locked": tr._(
            "I am very busy right now and could not save that. Please send it again in a moment; your draft is kept."
        ),
        "full": tr._(
            "I cannot save anything right now: the server has run out of space. Please try again later; everything saved before is safe."
        ),
        "unavailable": tr._(
            "I could not reach my database just now. Please send that again in a moment; your draft is kept."
        ),
    }
    text = texts.get(problem or "") or tr._(
        "Sorry, something went wrong on my side. What you had saved is safe; please try again in a moment."
    )
    try:
        await render.send_text(context.bot, update.effective_chat.id, text)
    except TelegramError as exc:
        log.warning("could not tell the user about the error: %s", exc)


def _translator(update: Update, context: AppContext) -> Translator:
    """The person's language. When the failure came before who is talking was loaded (a locked
    or full database fails there first), Telegram's language of the sender, not the default."""
    if context.has_actor:
        return context.tr
    services = context.services
    user = update.effective_user
    locale = resolve_locale(
        None, user.language_code if user else None, services.settings.default_locale
    )
    return services.i18n.translator(locale)


def _log_storage_problem(
    problem: str, update_id: int | None, error: BaseException | None, context: AppContext
) -> None:
    """One line an operator can act on, not a traceback."""
    reason = str(getattr(error, "orig", None) or error).splitlines()[0]
    if problem == "full":
        log.error(
            "update %s: DISK FULL: the database cannot grow (%s); nothing from this update was "
            "saved. Free disk space on the database server.",
            update_id,
            reason,
        )
    elif problem == "locked":
        log.warning(
            "update %s: the database stayed locked by another writer for more than %g s "
            "(PHOIHOP_DB_BUSY_TIMEOUT): %s; the user was asked to send it again",
            update_id,
            context.services.db.busy_timeout,
            reason,
        )
    else:
        log.error("update %s: the database is unreachable: %s", update_id, reason)
