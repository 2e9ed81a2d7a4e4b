"""Small Telegram-facing helpers shared by handlers: replying, the main menu, escaping."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.ext import filters

from bot.i18n import N_, Translator
from handlers import delivery, render
from handlers.context import AppContext
from storage.db import after_commit as after_commit_work
from storage.db import in_transaction

#: The main menu of §2, in display order: (label msgid, what it opens).
MENU = (
    (N_("Log activity"), "log"),
    (N_("Reports"), "report"),
    (N_("Meetings"), "meetings"),
    (N_("Totals"), "totals"),
    (N_("Recommendations"), "petition"),
)

#: Only commands as such, not edits of old command messages (which would re-run them).
NEW_MESSAGE = filters.UpdateType.MESSAGE
PRIVATE = filters.ChatType.PRIVATE
GROUPS = filters.ChatType.GROUPS


def esc(text: str | None) -> str:
    """User or database text inside an HTML reply."""
    return html.escape(text or "", quote=False)


def quote(text: str, limit: int = 40) -> str:
    """A short, escaped echo of what the user typed, for error messages."""
    text = " ".join(text.split())
    return esc(text if len(text) <= limit else text[: limit - 1] + "…")


def main_menu(tr: Translator) -> ReplyKeyboardMarkup:
    labels = [tr._(label) for label, _ in MENU]
    return ReplyKeyboardMarkup(
        [
            [KeyboardButton(labels[0]), KeyboardButton(labels[1])],
            [KeyboardButton(labels[2]), KeyboardButton(labels[3])],
            [KeyboardButton(labels[4])],
        ],
        resize_keyboard=True,
        is_persistent=True,
    )


def inline(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    """Inline keyboard from rows of (label, callback_data)."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(text, callback_data=data) for text, data in row] for row in rows]
    )


Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove


async def after_commit(send: Callable[[], Awaitable[object]]) -> None:
    """Send now, or, inside a database transaction, once it has committed (and never if it rolls
    back): an answer must not claim a save that did not happen, nor hold the write lock while
    Telegram answers (the unit of work's rule; ``storage.db.after_commit``)."""
    if in_transaction():
        after_commit_work(send)
    else:
        await send()


async def reply(
    update: Update,
    context: AppContext,
    text: str,
    reply_markup: Markup | None = None,
) -> None:
    """Answer in the chat the update came from (after the commit, inside a transaction); a text
    too long for one message goes as several (``handlers/render.py``)."""
    chat = update.effective_chat
    if chat is None:
        return
    chat_id = chat.id

    async def send() -> None:
        await render.send_text(context.bot, chat_id, text, reply_markup)

    # Answering committed work, it reaches the chat even if Telegram is away now.
    await after_commit(delivery.guard(chat_id, text, reply_markup, send))


async def answer(update: Update, text: str | None = None, *, alert: bool = False) -> None:
    """Answer the pressed button (a toast, or an alert), after the commit inside a transaction."""
    query = update.callback_query
    if query is not None:
        await after_commit(delivery.quiet(lambda: render.answer(query, text, alert=alert)))


async def edit(update: Update, text: str, reply_markup: InlineKeyboardMarkup | None = None) -> None:
    """Replace the text of the message whose button was pressed (after the commit, if inside);
    an edit Telegram does not take after a commit arrives later as a new message."""
    query = update.callback_query
    if query is None:
        return
    message = query.message

    async def send() -> None:
        await render.edit_text(query, text, reply_markup)

    if message is None:  # an inline-mode message: nothing to send instead
        await after_commit(send)
        return
    await after_commit(delivery.guard(message.chat.id, text, reply_markup, send))


ROLE_LABELS = {
    "cadre": N_("cadre"),
    "admin": N_("unit leader"),
    "owner": N_("operator"),
}


def role_label(tr: Translator, role: str) -> str:
    return tr._(ROLE_LABELS.get(role, role))


#: Said to a person without a unit who asks for a member's feature (rules' ``not_allowed``).
NOT_MEMBER = N_(
    "You are not in any unit yet. Ask your unit's leader for an invite link and open it."
)


def not_member_text(tr: Translator) -> str:
    return tr._(NOT_MEMBER)


async def require_member(update: Update, context: AppContext) -> bool:
    """Most features need a unit: say how to get one, and stop, if the user has none."""
    if context.actor.is_member:
        return True
    await reply(update, context, not_member_text(context.tr))
    return False


def page_buttons(
    tr: Translator, page: int, per_page: int, total: int, data: Callable[[int], str]
) -> list[tuple[str, str]]:
    """« Previous / More » for a paged list of buttons; empty when everything fits on one page."""
    nav = []
    if page > 0:
        nav.append(("« " + tr._("Previous"), data(page - 1)))
    if (page + 1) * per_page < total:
        nav.append((tr._("More") + " »", data(page + 1)))
    return nav
