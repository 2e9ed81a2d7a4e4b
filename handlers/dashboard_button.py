"""The "Bảng điều khiển" button that opens the leaders' dashboard (a Telegram Mini App,
bot/runtime/webapp.py) under /totals and /status.

Only where it can work: ``PHOIHOP_WEB_URL`` is set, the chat is private (Telegram accepts
``web_app`` inline buttons only in private chats between a user and the bot), and the person
leads a unit (a cadre's /totals is about their own unit; the dashboard would show them no more).
The dashboard checks everything again itself: the button grants nothing.

Here too the chat's menu button (``bot/menu_button.py``): the outbox's ``menu_button`` notice,
rendered when it is sent from who the person is then.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update, WebAppInfo

from bot import menu_button as menu
from bot.access import load_actor
from bot.i18n import N_, Translator
from bot.notifications import Notice
from bot.services import Services
from handlers.context import AppContext
from handlers.notices import register
from storage.queries import people as people_q

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


async def menu_button(
    services: Services, tr: Translator, params: dict[str, Any], chat_id: int
) -> Notice | None:
    """The chat's menu button as the person's rights and language are now (``tr`` is theirs):
    the dashboard for a leader, Telegram's default for anyone else; nothing without a dashboard
    URL or a private chat with someone who started the bot."""
    url = services.settings.web_url
    if not url or chat_id <= 0:
        return None
    async with services.db.session() as session:
        person = await people_q.by_telegram_id(session, chat_id)
        actor = await load_actor(session, person) if person is not None else None
    if person is None or actor is None or not person.started or person.blocked:
        return None
    if actor.is_admin:
        button = {"type": "web_app", "text": tr._(LABEL), "web_app": {"url": url}}
    else:
        button = {"type": "default"}
    return Notice("", menu_button=button)


def register_renderers() -> None:
    """Called by the composition root: the outbox kind queued through ``bot/menu_button.py``."""
    register(menu.KIND, menu_button)
