"""The flow stack's commands and buttons: /cancel parks a flow, and ``flow:back|drop:<flow>``
goes back to (or keeps for later) a flow another one had suspended.

The kernel keeps one flow current per person and chat. /cancel keeps the current flow's answers
aside (*parked*: its command offers "Continue / Start over"; a one-shot prompt says which button
opens it again). When a flow ends and another was suspended under it, the person is asked
whether to go back to that one (``engine.offer_return``, in the same transaction).
"""

from __future__ import annotations

from telegram import Update

from bot import conversation
from bot.i18n import N_
from handlers.access_rules import PRIVATE, Who, rule
from handlers.common import answer, edit, main_menu, reply
from handlers.context import AppContext
from handlers.flow.engine import call_for, continue_flow, ids, offer_return, title_of
from handlers.flow.model import flow_named


async def cancel(update: Update, context: AppContext) -> None:
    """/cancel: leave the current flow with its answers kept (parked)."""
    chat_id, user_id = ids(update)
    tr = context.tr
    async with context.services.db.session() as session:
        call = call_for(context, session)
        parked = await conversation.park(session, chat_id, user_id, call.now)
        flow = flow_named(parked.flow) if parked is not None else None
        if parked is None:
            text = tr._("There is nothing to cancel.")
        elif flow is None:  # a flow this version no longer has
            text = tr._("Cancelled. Anything you had saved stays saved.")
        elif flow.reopen is not None:
            text = tr._(flow.reopen)
        else:
            text = tr._("Cancelled. Your answers are kept: /{command} offers to continue.").format(
                command=flow.command
            )
        markup = main_menu(tr) if context.actor.is_member else None
        await reply(update, context, text, reply_markup=markup)
        if parked is not None:
            await offer_return(update, context, call)


@rule(
    Who.MEMBER,
    PRIVATE,
    why="goes back to (or keeps for later) the sender's own suspended flow",
    wrong_chat=N_("This button is no longer active."),
    not_allowed=N_("This button is no longer active."),
)
async def on_kernel_button(update: Update, context: AppContext) -> None:
    """``flow:back|drop:<flow>``: go back to a flow that another one had suspended, or keep it
    for later (parked: its command offers it again)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    chat_id, user_id = ids(update)
    tr = context.tr
    parts = query.data.split(":")
    action, name = (parts[1], parts[2]) if len(parts) == 3 else ("", "")
    flow = flow_named(name)
    async with context.services.db.session() as session:
        call = call_for(context, session)
        kept = await conversation.kept(session, chat_id, user_id, name)
        if (
            kept is None
            or kept[0] != conversation.SUSPENDED
            or action not in ("back", "drop")
            or flow is None
        ):
            await answer(update, tr._("This button is no longer active."), alert=True)
            return
        await answer(update)
        what = title_of(tr, name)
        if action == "drop":
            await conversation.park_kept(session, chat_id, user_id, name, call.now)
            await edit(update, tr._("Kept for later: {what} waits for you.").format(what=what))
            return
        await edit(update, tr._("Back to {what}.").format(what=what))
        await continue_flow(update, context, flow, call, kept[1])
