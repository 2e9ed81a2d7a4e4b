"""Routes free text (and photos, files...) in a private chat to the flow the person is in
(handlers/flow), or says what the bot can read when they are in none."""

from __future__ import annotations

from telegram import Update

from handlers import flow
from handlers.access_rules import PRIVATE, Who, rule
from handlers.common import esc, main_menu, reply
from handlers.context import AppContext


@rule(Who.ANYONE, PRIVATE, why="typed text goes to the sender's own flow, whose steps re-check")
async def on_private_text(update: Update, context: AppContext) -> None:
    if await flow.on_text(update, context):
        return
    tr = context.tr
    text = tr._(
        "I did not understand that. Use the menu buttons below, or /help to see what I can do."
    )
    await reply(
        update, context, text, reply_markup=main_menu(tr) if context.actor.is_member else None
    )


@rule(Who.ANYONE, PRIVATE, why="photos and files go to the sender's own flow")
async def on_private_non_text(update: Update, context: AppContext) -> None:
    """A sticker, photo, voice note... where no step asked for one."""
    if await flow.on_media(update, context):
        return
    tr = context.tr
    text = tr._("I can only read text and buttons here. Use the menu below or /help.")
    await reply(update, context, text)


def quote(text: str, limit: int = 40) -> str:
    """A short, escaped echo of what the user typed, for error messages."""
    text = " ".join(text.split())
    return esc(text if len(text) <= limit else text[: limit - 1] + "…")
