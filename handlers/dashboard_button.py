"""The "Bảng điều khiển" button that opens the leaders' dashboard (a Telegram Mini App,
bot/runtime/webapp.py) under /totals and /status.

Only where it can work: ``PHOIHOP_WEB_URL`` is set, the chat is private (Telegram accepts
``web_app`` inline buttons only in private chats between a user and the bot), and the person
leads a unit (a cadre's /totals is about their own unit; the dashboard would show them no more).
The dashboard checks everything again itself: the button grants nothing.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update, WebAppInfo

from bot.i18n import N_
from handlers.context import AppContext

LABEL = N_("Dashboard")


def with_dashboard(
    update: Update, context: AppContext, markup: InlineKeyboardMarkup | None
) -> InlineKeyboardMarkup | None:
    """``markup`` with the dashboard's button as its last row, where it belongs (see above)."""
    url = context.services.settings.web_url
    chat = update.effective_chat
    if not url or chat is None or chat.type != "private" or not context.actor.is_admin:
        return markup
    button = InlineKeyboardButton(context.tr._(LABEL), web_app=WebAppInfo(url))
    rows = [list(row) for row in markup.inline_keyboard] if markup is not None else []
    return InlineKeyboardMarkup([*rows, [button]])
