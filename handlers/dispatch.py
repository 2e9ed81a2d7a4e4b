"""What happens around every handler: the kernel's part of an update.

Every registered callback is wrapped once (``handled``), at assembly (bot/runtime/app.py).
Before it: the access rule the handler declares is enforced (the wrong kind of chat, a person
below the rule's role for the pressed action) with the rule's own refusal, so the handler does
not write it again. (What follows a flow's end, "go back to …?", is the kernel's, in the flow's
own transaction: handlers/flow/engine.py.) The wrapper keeps the callback's name, module and access rule
(``functools.wraps`` copies ``__dict__``), so the access-matrix test reads the same rule.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update

from handlers import delivery
from handlers.access_rules import refusal, rule_of_callback
from handlers.common import answer, reply
from handlers.context import AppContext

Callback = Callable[[Any, AppContext], Coroutine[Any, Any, Any]]


def handled(callback: Callback) -> Callback:
    if getattr(callback, "__wrapped__", None) is not None:
        return callback  # wrapped already
    declared = rule_of_callback(callback)

    @functools.wraps(callback)
    async def run(update: Any, context: AppContext) -> Any:
        if declared is not None and isinstance(update, Update):
            refused = refusal(declared, *_who_where(update, context))
            if refused is not None:
                await _refuse(update, context, context.tr._(refused))
                return None
        result = await callback(update, context)
        # Its replies are out: a replay of the update after a crash will say nothing.
        delivery.settle()
        return result

    return run


def _who_where(update: Update, context: AppContext) -> tuple[str | None, int, str | None]:
    """The chat's type, the person's rank and the pressed button's action, for ``refusal``."""
    chat = update.effective_chat
    rank = 0
    if context.has_actor:
        actor = context.actor
        rank = 2 if actor.is_admin else 1 if actor.is_member else 0
    query = update.callback_query
    action = None
    if query is not None and query.data:
        parts = query.data.split(":")
        action = parts[1] if len(parts) > 1 else None
    return (chat.type if chat is not None else None), rank, action


async def _refuse(update: Update, context: AppContext, text: str) -> None:
    if update.callback_query is not None:
        await answer(update, text, alert=True)
    else:
        await reply(update, context, text)
