"""What the bot says to input no feature took: unknown commands, edits, stray buttons, odd updates."""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.ext import ApplicationHandlerStop

from bot.i18n import N_
from handlers import delivery, replay
from handlers.access_rules import ANY_CHAT, PRIVATE, Who, rule
from handlers.common import answer, main_menu, quote, reply
from handlers.context import AppContext

log = logging.getLogger(__name__)

HIDDEN_SENDER = N_(
    "I can't tell who sent this: it was sent as the group or as a channel. "
    "Send this command from your personal account."
)


def hidden_sender(update: Update) -> bool:
    """A message Telegram delivers without its author: an anonymous group admin writing as the
    group, or anyone writing on a channel's behalf (``sender_chat`` set; ``from`` is then one of
    Telegram's service accounts, a bot). Every right in this bot belongs to a person, so no
    command can run for it: every one of them would act for nobody."""
    message = update.message or update.edited_message
    return message is not None and message.sender_chat is not None


async def _refuse_hidden_sender(update: Update, context: AppContext) -> None:
    """Say so to what was addressed to the bot (a command for us, a reply to one of our messages);
    group chatter and a channel's posts forwarded into its discussion group get silence."""
    message = update.message
    if message is None or message.is_automatic_forward or not _addressed_to_us(message, context):
        return
    await reply(update, context, context.tr._(HIDDEN_SENDER))


def _addressed_to_us(message: Message, context: AppContext) -> bool:
    replied = message.reply_to_message
    if (
        replied is not None
        and replied.from_user is not None
        and replied.from_user.id == context.bot.id
    ):
        return True
    text = message.text or message.caption or ""
    if not text.startswith("/"):
        return False
    target = text.split()[0].partition("@")[2].lower()
    return target in ("", (context.bot.username or "").lower())


@rule(
    Who.SYSTEM,
    ANY_CHAT,
    why="loads the person and roles for every update; a message whose sender Telegram hides "
    "(sent as the group or a channel) stops here",
    refusals=(HIDDEN_SENDER,),
)
async def load_actor(update: Update, context: AppContext) -> None:
    """Group -1: every update from a person refreshes them and loads their roles first; an update
    already handled before a crash stops here (handlers/replay.py), and so does a message sent as
    the group or a channel, whose author nobody can know (``hidden_sender``)."""
    replay.forget()
    delivery.forget()
    if hidden_sender(update):
        await _refuse_hidden_sender(update, context)
        raise ApplicationHandlerStop
    await context.load_actor(update)
    if context.replayed:
        await replay.on_replay(update, context)
        raise ApplicationHandlerStop
    if context.has_actor:
        delivery.begin(update, context, replay.watch(update, context))


@rule(Who.ANYONE, ANY_CHAT, why="says the command is unknown")
async def unknown_command(update: Update, context: AppContext) -> None:
    message = update.effective_message
    assert message is not None and message.text is not None
    command = message.text.split()[0]
    chat = update.effective_chat
    if chat is not None and chat.type != "private":
        # In groups answer only commands addressed to us; other bots' commands are not ours.
        target = command.partition("@")[2].lower()
        if target != (context.bot.username or "").lower():
            return
    tr = context.tr
    await reply(
        update,
        context,
        tr._("I don't know the command {command}. /help lists what you can do.").format(
            command=quote(command)
        ),
    )


async def not_understood(update: Update, context: AppContext) -> None:
    """Private text nothing took: not a step's answer, not an activity (handlers/router.py), or
    an activity the person said was "not this" (handlers/proposals.py)."""
    tr = context.tr
    text = tr._(
        "I did not understand that. Use the menu buttons below, or /help to see what I can do."
    )
    markup = main_menu(tr) if context.has_actor and context.actor.is_member else None
    await reply(update, context, text, reply_markup=markup)


async def press_the_button(update: Update, context: AppContext) -> None:
    """A typed yes or no where no step is asking one (handlers/router.py): most likely the answer
    to a one-shot question with buttons (an invitation, delete an entry, cancel a meeting,
    approve a report, forward recommendations, save the same entry again), which a tap alone
    answers: a typed word never deletes, cancels or approves, and is never read as an activity."""
    tr = context.tr
    text = tr._(
        "No question is waiting for a typed yes or no now. To answer a question with buttons (a meeting invitation, deleting an entry, cancelling a meeting, approving a report…), press its button: those are answered with a tap only."
    )
    await reply(update, context, text)


async def media_not_read(update: Update, context: AppContext) -> None:
    """A sticker, photo, file... nothing took: no step asked for one, no caption that reports
    an activity (handlers/router.py), or a captioned photo's activity the person said was "not
    this" (handlers/proposals.py)."""
    tr = context.tr
    text = tr._("I can only read text and buttons here. Use the menu below or /help.")
    await reply(update, context, text)


@rule(Who.ANYONE, PRIVATE, why="says edits are not read")
async def edited_message(update: Update, context: AppContext) -> None:
    tr = context.tr
    await reply(
        update,
        context,
        tr._("You edited a message; edits are not read. Send the corrected text as a new message."),
    )


@rule(
    Who.ANYONE,
    ANY_CHAT,
    why="any other button: refused",
    refusals=(N_("This button is no longer active."),),
)
async def stale_button(update: Update, context: AppContext) -> None:
    query = update.callback_query
    assert query is not None
    await answer(update, context.tr._("This button is no longer active."), alert=True)


#: A number field in callback data longer than any id we make (ours fit in 64-bit integers): only a
#: forged button has one, and it must not reach int() → a database driver's overflow.
OVERSIZED_NUMBER = r"^(?:.*:)?-?\d{16,}(?::|$)"


@rule(
    Who.ANYONE,
    ANY_CHAT,
    why="forged data with oversized numbers: refused",
    refusals=(N_("This button is no longer active."),),
)
async def oversized_button(update: Update, context: AppContext) -> None:
    query = update.callback_query
    assert query is not None
    await answer(update, context.tr._("This button is no longer active."), alert=True)


@rule(Who.SYSTEM, ANY_CHAT, why="group chatter and channel posts: silence")
async def ignored(update: Update, context: AppContext) -> None:
    """Channel posts, group chatter and other updates with nobody to answer."""
    log.debug("ignored update %s", update.update_id)
