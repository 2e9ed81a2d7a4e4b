"""Group -2: the per-person flood limit (bot/flood.py), checked before anything else runs.

A dropped update stops every later handler group (``ApplicationHandlerStop``), so a flood costs no
database work; the person hears "slow down" once per flood, in their Telegram language.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.flood import FloodGate, Verdict
from bot.i18n import resolve_locale
from handlers import render
from handlers.access_rules import ANY_CHAT, Who, rule
from handlers.context import AppContext

log = logging.getLogger(__name__)


@rule(Who.SYSTEM, ANY_CHAT, why="runs before every update; drops a flooder's updates")
async def gate(update: Update, context: AppContext) -> None:
    user = update.effective_user
    if user is None or user.is_bot:
        return
    flood: FloodGate = context.application.bot_data["flood"]
    verdict = flood.check(user.id)
    if verdict is Verdict.HANDLE:
        return
    if verdict is Verdict.WARN:
        log.info("user %s is flooding: dropping updates for a while", user.id)
        await _warn(update, context)
    raise ApplicationHandlerStop


async def _warn(update: Update, context: AppContext) -> None:
    user = update.effective_user
    assert user is not None
    services = context.services
    tr = services.i18n.translator(
        resolve_locale(None, user.language_code, services.settings.default_locale)
    )
    text = tr._(
        "You are sending too fast, so I skipped your last messages. Wait a few seconds, then "
        "send again."
    )
    try:
        if update.callback_query is not None:
            await render.answer(update.callback_query, text, alert=True)
        elif update.effective_chat is not None:
            await render.send_text(context.bot, update.effective_chat.id, text)
    except TelegramError as exc:
        log.info("could not tell user %s to slow down: %s", user.id, exc)
