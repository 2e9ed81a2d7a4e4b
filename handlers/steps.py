"""/back and /skip go to the flow the user is in: every flow is on the kernel (handlers/flow)."""

from __future__ import annotations

from telegram import Update

from handlers import flow
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
    if await (flow.skip if skip else flow.back)(update, context):
        return
    tr = context.tr
    text = tr._("There is nothing to skip.") if skip else tr._("There is no step to go back to.")
    await reply(update, context, text)
