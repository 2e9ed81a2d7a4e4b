"""The flow stack: /cancel parks a flow, and a flow that ends offers the one it suspended.

handlers/flow.py keeps one flow current per person and chat; this module is what happens around
it. /cancel keeps the current flow's answers aside (*parked*: its command offers "Continue /
Start over"). When a flow ends (finished or cancelled) and another was suspended under it, the
person is asked whether to go back to that one (``flow:back|drop:<flow>`` buttons). Flows not yet
on the kernel take part too: their state goes through the same ``bot/conversation`` functions,
and going back shows their step through handlers/router.py's resume.
"""

from __future__ import annotations

from telegram import Update

from bot import conversation
from bot.i18n import N_, Translator
from handlers import router
from handlers.access_rules import PRIVATE, Who, rule
from handlers.common import answer, edit, inline, main_menu, reply
from handlers.context import AppContext
from handlers.flow import KERNEL_PREFIX, call_for, continue_flow, flow_named, ids


def title_of(tr: Translator, name: str) -> str:
    flow = flow_named(name)
    if flow is not None:
        return tr._(flow.title)
    return tr._(LEGACY_TITLES.get(name, N_("what you were doing")))


#: What the flows not yet on the kernel make, for "go back to …?" (none left: every flow is a
#: kernel Flow with its own title; kept for a state saved by an older version).
LEGACY_TITLES: dict[str, str] = {}


async def cancel(update: Update, context: AppContext) -> None:
    """/cancel: leave the current flow with its answers kept (parked)."""
    chat_id, user_id = ids(update)
    tr = context.tr
    async with context.services.db.session() as session:
        parked = await conversation.park(session, chat_id, user_id, context.services.clock.now())
    kernel = flow_named(parked.flow) if parked is not None else None
    if parked is None:
        text = tr._("There is nothing to cancel.")
    elif kernel is not None and kernel.reopen is not None:
        text = tr._(kernel.reopen)
    elif kernel is not None:
        text = tr._("Cancelled. Your answers are kept: /{command} offers to continue.").format(
            command=kernel.command
        )
    else:
        text = tr._("Cancelled. Anything you had saved stays saved.")
    await reply(
        update, context, text, reply_markup=main_menu(tr) if context.actor.is_member else None
    )


async def offer_return(update: Update, context: AppContext) -> None:
    """After a flow ended in this update: offer the one it had suspended, if any."""
    if update.effective_chat is None or update.effective_user is None:
        return
    chat_id, user_id = ids(update)
    tr = context.tr
    async with context.services.db.session() as session:
        if await conversation.load_in(session, chat_id, user_id) is not None:
            return  # already in another flow (e.g. went straight back to a detour's origin)
        top = await conversation.top_suspended(session, chat_id, user_id)
        if top is None:
            return
        text = tr._("You were in the middle of {what}. Go back to it?").format(
            what=title_of(tr, top.flow)
        )
        rows = [
            [
                (tr._("Go back"), f"{KERNEL_PREFIX}:back:{top.flow}"),
                (tr._("Not now"), f"{KERNEL_PREFIX}:drop:{top.flow}"),
            ]
        ]
        await reply(update, context, text, reply_markup=inline(rows))


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
        if kept is None or kept[0] != conversation.SUSPENDED or action not in ("back", "drop"):
            await answer(update, tr._("This button is no longer active."), alert=True)
            return
        await answer(update)
        if action == "drop":
            await conversation.park_kept(session, chat_id, user_id, name, call.now)
            await edit(
                update,
                tr._("Kept for later: {what} waits for you.").format(what=title_of(tr, name)),
            )
            return
        await edit(update, tr._("Back to {what}.").format(what=title_of(tr, name)))
        if flow is not None:
            await continue_flow(update, context, flow, call, kept[1])
            return
        await conversation.restore(session, chat_id, user_id, kept[1], call.now)
    # After the commit: a flow not yet on the kernel shows its step in its own transactions.
    if not await router.resume(update, context):
        await reply(
            update,
            context,
            tr._("You are back where you were: send your answer, or /cancel to stop."),
        )
