"""Routes free text in a private chat to the flow the user is in (state from the database)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update

from bot import conversation
from bot.conversation import FlowState
from handlers.access_rules import PRIVATE, Who, rule
from handlers.common import esc, main_menu, reply
from handlers.context import AppContext

TextStep = Callable[[Update, AppContext, FlowState], Awaitable[None]]

_FLOWS: dict[str, TextStep] = {}
_MEDIA: dict[str, TextStep] = {}
_RESUME: dict[str, TextStep] = {}


def register_flow(
    name: str,
    on_text: TextStep,
    on_media: TextStep | None = None,
    on_resume: TextStep | None = None,
) -> None:
    """A feature declares how its flow takes typed text (and photos or files, if it asks for them),
    and how it shows the current step again (after a restart lost the bot's last reply)."""
    _FLOWS[name] = on_text
    if on_media is not None:
        _MEDIA[name] = on_media
    if on_resume is not None:
        _RESUME[name] = on_resume


async def resume(update: Update, context: AppContext) -> bool:
    """Show the user the step of the flow they are in, if that flow can; True if it did."""
    assert update.effective_chat and update.effective_user
    state = await conversation.load(
        context.services, update.effective_chat.id, update.effective_user.id
    )
    if state is None or state.flow not in _RESUME:
        return False
    await _RESUME[state.flow](update, context, state)
    return True


@rule(Who.ANYONE, PRIVATE, why="typed text goes to the sender's own flow, whose steps re-check")
async def on_private_text(update: Update, context: AppContext) -> None:
    assert update.effective_chat and update.effective_user
    state = await conversation.load(
        context.services, update.effective_chat.id, update.effective_user.id
    )
    if state is not None and state.flow in _FLOWS:
        await _FLOWS[state.flow](update, context, state)
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
    assert update.effective_chat and update.effective_user
    tr = context.tr
    state = await conversation.load(
        context.services, update.effective_chat.id, update.effective_user.id
    )
    if state is not None and state.flow in _MEDIA:
        await _MEDIA[state.flow](update, context, state)
        return
    if state is not None:
        text = tr._(
            "This step needs text or one of the buttons above. Nothing was lost; /cancel leaves this step."
        )
    else:
        text = tr._("I can only read text and buttons here. Use the menu below or /help.")
    await reply(update, context, text)


def quote(text: str, limit: int = 40) -> str:
    """A short, escaped echo of what the user typed, for error messages."""
    text = " ".join(text.split())
    return esc(text if len(text) <= limit else text[: limit - 1] + "…")
