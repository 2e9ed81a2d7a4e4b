"""Routes free text (and photos, files...) in a private chat to the flow the person is in
(handlers/flow); in none, text (or a photo's caption) is read as a possible activity
(handlers/proposals.py, issue 18), and what is neither is answered with what the bot can read."""

from __future__ import annotations

from functools import partial

from telegram import Update

from bot.yes_no import parse_yes_no
from handlers import flow, proposals
from handlers.access_rules import PRIVATE, Who, rule
from handlers.common import quote as quote  # re-exported: handlers import it from here
from handlers.context import AppContext
from handlers.fallback import media_not_read, not_understood, press_the_button


@rule(Who.ANYONE, PRIVATE, why="typed text goes to the sender's own flow, whose steps re-check")
async def on_private_text(update: Update, context: AppContext) -> None:
    # A flow's step first (an answer someone is waiting for is never read as an activity), then
    # the proposals, in the same transaction; else the answer to text nothing understood. A
    # typed yes or no in no flow answers a one-shot question (delete an entry? cancel the
    # meeting? approve?), which only its button does: said so, never read as an activity.
    assert update.message is not None and update.message.text is not None
    yes_no = parse_yes_no(update.message.text) is not None
    idle = None if yes_no else partial(proposals.offer, update, context)
    if await flow.on_text(update, context, idle=idle):
        return
    if yes_no:
        await press_the_button(update, context)
    else:
        await not_understood(update, context)


@rule(Who.ANYONE, PRIVATE, why="photos and files go to the sender's own flow")
async def on_private_non_text(update: Update, context: AppContext) -> None:
    """A sticker, photo, voice note... where no step asked for one; in no flow, a photo whose
    caption reports an activity gets its proposal cards, the photo kept with them."""
    if await flow.on_media(update, context, idle=partial(proposals.offer_photo, update, context)):
        return
    await media_not_read(update, context)
