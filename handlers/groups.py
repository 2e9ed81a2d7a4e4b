"""/link and /unlink in a group chat; the bot leaving a group; a group becoming a supergroup.

Linking needs both: the sender leads a unit in our data, and is an administrator of the group
according to Telegram (``getChatMember``).
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot import groups
from bot.groups import LinkError
from bot.i18n import N_
from handlers.access_rules import ANY_CHAT, GROUP, Who, rule
from handlers.common import answer, esc, inline, reply
from handlers.context import AppContext
from handlers.labels import button_label
from storage.queries import chats as chats_q
from storage.queries import people as people_q

log = logging.getLogger(__name__)
GROUP_ADMIN = ("creator", "administrator")


async def is_group_admin(update: Update, context: AppContext) -> bool:
    assert update.effective_chat and update.effective_user
    try:
        member = await context.bot.get_chat_member(
            update.effective_chat.id, update.effective_user.id
        )
    except TelegramError as exc:
        log.info("getChatMember failed in %s: %s", update.effective_chat.id, exc)
        return False
    return member.status in GROUP_ADMIN


def _problem(context: AppContext, error: LinkError) -> str:
    tr = context.tr
    if error.code == "linked_elsewhere" and error.unit_name is not None:
        return tr._(
            "This group is already linked to {unit}. Its leaders can /unlink it first."
        ).format(unit=esc(error.unit_name))
    if error.code == "not_linked":
        return tr._("This group is not linked to any unit.")
    return tr._("Only the leaders of the linked unit can do this.")


@rule(
    Who.ADMIN,
    GROUP,
    why="links the group to a unit the leader leads (and the sender is a group admin)",
    wrong_chat=N_("Send /link in the group chat you want to link to your unit."),
    not_allowed=N_("Only a unit's leaders can link a group. Ask your unit's leader."),
    refusals=(
        N_("Only administrators of this group can link it. Ask a group administrator."),
        N_("This group is already linked to {unit}. Its leaders can /unlink it first."),
        N_("Only the leaders of the linked unit can do this."),
        N_("This group is not linked to any unit."),
    ),
)
async def link_command(update: Update, context: AppContext) -> None:
    tr = context.tr
    units = groups.linkable_units(context.actor)
    if not await is_group_admin(update, context):
        await reply(
            update,
            context,
            tr._("Only administrators of this group can link it. Ask a group administrator."),
        )
        return
    if len(units) > 1:
        rows = [[(button_label(u.name), f"lnk:{u.id}")] for u in units]
        await reply(
            update, context, tr._("Link this group to which unit?"), reply_markup=inline(rows)
        )
        return
    await _link(update, context, units[0].id)


@rule(
    Who.ADMIN,
    GROUP,
    scoped=True,
    why="unit ids re-checked by groups.link_chat",
    # In a private chat a forged button would otherwise "link" that private chat.
    wrong_chat=N_("Send /link in the group chat you want to link to your unit."),
    not_allowed=N_("Only a unit's leaders can link a group. Ask your unit's leader."),
    refusals=(
        N_("This button is no longer active."),
        N_("Only administrators of this group can link it. Ask a group administrator."),
        N_("This group is already linked to {unit}. Its leaders can /unlink it first."),
        N_("Only the leaders of the linked unit can do this."),
        N_("This group is not linked to any unit."),
    ),
)
async def link_button(update: Update, context: AppContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    tr = context.tr
    try:
        unit_id = int(query.data.split(":")[1])
    except (IndexError, ValueError):
        await answer(update, tr._("This button is no longer active."), alert=True)
        return
    if not await is_group_admin(update, context):
        await answer(
            update,
            tr._("Only administrators of this group can link it. Ask a group administrator."),
            alert=True,
        )
        return
    await answer(update)
    await _link(update, context, unit_id)


async def _link(update: Update, context: AppContext, unit_id: int) -> None:
    chat = update.effective_chat
    assert chat is not None
    tr = context.tr
    try:
        async with context.services.db.session() as session:
            unit = await groups.link_chat(
                session,
                context.actor,
                chat_id=chat.id,
                title=chat.title or "",
                unit_id=unit_id,
                language=tr.locale,
                now=context.services.clock.now(),
            )
    except LinkError as exc:
        await reply(update, context, _problem(context, exc))
        return
    await reply(
        update,
        context,
        tr._(
            "This group is now linked to {unit}. Report rounds and meeting notices of the unit will be posted here."
        ).format(unit=esc(unit.name)),
    )


@rule(
    Who.ADMIN,
    GROUP,
    scoped=True,
    why="only leaders over the linked unit",
    wrong_chat=N_("Send /unlink in the group chat you want to unlink."),
    refusals=(
        N_("Only administrators of this group can unlink it."),
        N_("Only the leaders of the linked unit can do this."),
        N_("This group is not linked to any unit."),
    ),
)
async def unlink_command(update: Update, context: AppContext) -> None:
    tr = context.tr
    chat = update.effective_chat
    assert chat is not None
    if not await is_group_admin(update, context):
        await reply(update, context, tr._("Only administrators of this group can unlink it."))
        return
    try:
        async with context.services.db.session() as session:
            unit = await groups.unlink_chat(session, context.actor, chat.id)
    except LinkError as exc:
        await reply(update, context, _problem(context, exc))
        return
    await reply(
        update,
        context,
        tr._("This group is no longer linked to {unit}.").format(unit=esc(unit.name)),
    )


@rule(Who.SYSTEM, ANY_CHAT, why="Telegram: the bot removed from a group, or blocked")
async def on_my_chat_member(update: Update, context: AppContext) -> None:
    """The bot was removed from a group (stop posting there), or a person blocked it."""
    change = update.my_chat_member
    if change is None:
        return
    if change.chat.type == "private":
        # The person blocked (kicked) or unblocked the bot.
        blocked = change.new_chat_member.status in ("left", "kicked")
        async with context.services.db.session() as session:
            await people_q.set_blocked(session, change.chat.id, blocked)
        return
    if change.new_chat_member.status in ("left", "kicked"):
        async with context.services.db.session() as session:
            await chats_q.deactivate(session, change.chat.id)


@rule(Who.SYSTEM, GROUP, why="Telegram: a group became a supergroup")
async def on_migrate(update: Update, context: AppContext) -> None:
    """A group became a supergroup: the link follows it to the new chat id."""
    message = update.effective_message
    if message is None or message.migrate_to_chat_id is None:
        return
    async with context.services.db.session() as session:
        await chats_q.migrate_chat(session, message.chat.id, message.migrate_to_chat_id)
