"""/forgetme: a person erases their personal data (bot/privacy.py says what goes and what stays)."""

from __future__ import annotations

import contextlib
import logging

from telegram import ReplyKeyboardRemove, Update
from telegram.error import BadRequest

from bot.i18n import N_
from bot.privacy import forget_person
from handlers import render
from handlers.access_rules import PRIVATE, Who, rule
from handlers.common import answer, inline, reply
from handlers.context import AppContext

log = logging.getLogger(__name__)


@rule(
    Who.ANYONE,
    PRIVATE,
    why="the sender's own personal data, after a confirmation",
    wrong_chat=N_("Send /forgetme in a private chat with me."),
)
async def forgetme_command(update: Update, context: AppContext) -> None:
    tr = context.tr
    text = "\n\n".join(
        [
            tr._("<b>Erase my personal data</b>"),
            tr._(
                "I will delete your name, username, Telegram id, language, your unit memberships, "
                "unsaved drafts, conversation steps and meeting answers."
            ),
            tr._(
                "Your unit keeps its records: the activities you logged and the report answers you "
                "gave still count in its totals, shown as “Deleted user” with no link to you."
            ),
            tr._(
                "You will no longer be able to use the bot for your unit; to come back you need a "
                "new invite link. This cannot be undone."
            ),
        ]
    )
    buttons = inline([[(tr._("Erase my data"), "fgt:yes"), (tr._("Keep my data"), "fgt:no")]])
    await reply(update, context, text, reply_markup=buttons)


@rule(
    Who.ANYONE,
    PRIVATE,
    why="erases the presser's own data only",
    # The confirmation is only ever sent in a private chat; a press elsewhere is forged.
    wrong_chat=N_("This button is no longer active."),
)
async def on_button(update: Update, context: AppContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    tr = context.tr
    if query.data != "fgt:yes":
        await answer(update)
        await render.edit_text(query, tr._("Nothing was erased."))
        return
    services = context.services
    async with services.db.session() as session:
        erased = await forget_person(session, context.actor.person.id, services.clock.now())
    log.info(
        "a person erased their data: %s memberships removed, %s records kept anonymously",
        erased.memberships,
        erased.records_kept,
    )
    await answer(update)
    with contextlib.suppress(BadRequest):  # the buttons may already be gone (a second press)
        await query.edit_message_reply_markup(None)
    done = tr._(
        "Done: your personal data was erased. Your unit's records are kept without your name. "
        "If you write to me again I will only know what Telegram shows me."
    )
    # The main menu belongs to members: take it away.
    await reply(update, context, done, reply_markup=ReplyKeyboardRemove())
