"""/back and /skip go to whichever flow the user is in: a flow on the kernel (handlers/flow.py), or
the report, which derives its steps from its draft rows."""

from __future__ import annotations

from telegram import Update

from bot import conversation
from handlers import flow, reports
from handlers.access_rules import ANY_CHAT, Who, rule
from handlers.common import reply
from handlers.context import AppContext


@rule(Who.ANYONE, ANY_CHAT, why="steps back in the sender's own flow")
async def back_command(update: Update, context: AppContext) -> None:
    await _route(update, context, skip=False)


@rule(Who.ANYONE, ANY_CHAT, why="skips in the sender's own flow")
async def skip_command(update: Update, context: AppContext) -> None:
    await _route(update, context, skip=True)


async def _route(update: Update, context: AppContext, *, skip: bool) -> None:
    assert update.effective_chat and update.effective_user
    state = await conversation.load(
        context.services, update.effective_chat.id, update.effective_user.id
    )
    if state is not None and flow.flow_named(state.flow) is not None:
        await (flow.skip if skip else flow.back)(update, context, state)
    elif state is not None and state.flow == reports.FLOW:
        await reports.back_or_skip(update, context, state, skip=skip)
    else:
        tr = context.tr
        await reply(
            update,
            context,
            tr._("There is nothing to skip.") if skip else tr._("There is no step to go back to."),
        )
