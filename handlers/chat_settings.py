"""/settings in a linked group: the group's language and which digests it receives.

Changed by leaders of the linked unit (or above) who are also administrators of the group; every
button re-checks both on the server.
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bot.i18n import N_, SUPPORTED, Translator
from handlers import render
from handlers.access_rules import GROUP, Who, rule
from handlers.common import answer, esc, inline, reply
from handlers.context import AppContext
from handlers.groups import is_group_admin
from storage.models import LinkedChat
from storage.queries import chats as chats_q
from storage.queries import units as units_q

LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}


def _screen(tr: Translator, chat: LinkedChat, unit_name: str) -> tuple[str, InlineKeyboardMarkup]:
    on, off = tr._("on"), tr._("off")
    text = "\n".join(
        [
            tr._("<b>Settings of this group</b> (linked to {unit})").format(unit=esc(unit_name)),
            tr._("Language: {language}").format(
                language=LANGUAGE_NAMES.get(chat.language, chat.language)
            ),
            tr._("Weekly digest (Monday 07:30): {state}").format(
                state=on if chat.weekly_digest else off
            ),
            tr._("Monthly digest (the 1st, 07:30): {state}").format(
                state=on if chat.monthly_digest else off
            ),
        ]
    )
    rows = [
        [(LANGUAGE_NAMES[code], f"set:l:{code}") for code in SUPPORTED],
        [
            (
                tr._("Weekly digest: turn off")
                if chat.weekly_digest
                else tr._("Weekly digest: turn on"),
                "set:w",
            )
        ],
        [
            (
                tr._("Monthly digest: turn off")
                if chat.monthly_digest
                else tr._("Monthly digest: turn on"),
                "set:m",
            )
        ],
    ]
    return text, inline(rows)


async def _allowed(update: Update, context: AppContext) -> tuple[LinkedChat, str] | str:
    """The linked chat and its unit's name, or the reason the sender may not change settings."""
    tr = context.tr
    chat = update.effective_chat
    assert chat is not None
    async with context.services.db.session() as session:
        linked = await chats_q.get(session, chat.id)
        unit = (
            await units_q.get(session, linked.unit_id)
            if linked is not None and linked.active
            else None
        )
    if linked is None or unit is None:
        return tr._("This group is not linked to any unit.")
    if not context.actor.can_admin(unit):
        return tr._("Only the leaders of the linked unit can do this.")
    if not await is_group_admin(update, context):
        return tr._("Only administrators of this group can change its settings.")
    return linked, unit.name


@rule(
    Who.ADMIN,
    GROUP,
    scoped=True,
    why="leaders over the linked unit who administer the group",
    wrong_chat=N_("Use /settings in a linked group chat."),
    not_allowed=N_("Only the leaders of the linked unit can do this."),
    refusals=(
        N_("This group is not linked to any unit."),
        N_("Only administrators of this group can change its settings."),
    ),
)
async def settings_command(update: Update, context: AppContext) -> None:
    allowed = await _allowed(update, context)
    if isinstance(allowed, str):
        await reply(update, context, allowed)
        return
    linked, unit_name = allowed
    tr = context.services.i18n.translator(linked.language)
    text, markup = _screen(tr, linked, unit_name)
    await reply(update, context, text, reply_markup=markup)


@rule(
    Who.ADMIN,
    GROUP,
    scoped=True,
    why="re-checked like /settings",
    wrong_chat=N_("Use /settings in a linked group chat."),
    not_allowed=N_("Only the leaders of the linked unit can do this."),
    refusals=(
        N_("This group is not linked to any unit."),
        N_("Only administrators of this group can change its settings."),
    ),
)
async def settings_button(update: Update, context: AppContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None and update.effective_chat
    allowed = await _allowed(update, context)
    if isinstance(allowed, str):
        await answer(update, allowed, alert=True)
        return
    linked, unit_name = allowed
    parts = query.data.split(":")
    chat_id = update.effective_chat.id
    async with context.services.db.session() as session:
        if parts[1] == "l" and len(parts) > 2 and parts[2] in SUPPORTED:
            await chats_q.update_settings(session, chat_id, language=parts[2])
        elif parts[1] == "w":
            await chats_q.update_settings(session, chat_id, weekly=not linked.weekly_digest)
        elif parts[1] == "m":
            await chats_q.update_settings(session, chat_id, monthly=not linked.monthly_digest)
        fresh = await chats_q.get(session, chat_id)
        if fresh is not None:
            await session.refresh(fresh)
    assert fresh is not None
    await answer(update)
    tr = context.services.i18n.translator(fresh.language)
    text, markup = _screen(tr, fresh, unit_name)
    await render.edit_text(query, text, markup)
