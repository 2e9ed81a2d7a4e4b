"""How a flow runs: a step shown (in place of the pressed message, or below), the state saved
with the step's own work, an outcome applied, the end of a flow (a prompt's origin comes back,
or the flow suspended under it is offered), all on the update's one transaction (``Call``).
Every answer goes through ``handlers.common``, which sends it after the commit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from bot import conversation
from bot.conversation import FlowState
from bot.i18n import N_, Translator
from bot.yes_no import parse_yes_no
from handlers.common import answer, edit, inline, reply
from handlers.context import AppContext
from handlers.flow.model import (
    BUTTONS_ONLY,
    KERNEL_PREFIX,
    YES_NO_ONLY,
    AnyFlow,
    Call,
    Next,
    Outcome,
    Redraw,
    Stay,
    Step,
    button,
    flow_named,
)


def call_for(context: AppContext, session: AsyncSession) -> Call:
    services = context.services
    return Call(
        session=session,
        actor=context.actor,
        tr=context.tr,
        services=services,
        now=services.clock.now(),
        bot_username=services.bot_username or context.bot.username or "",
    )


def ids(update: Update) -> tuple[int, int]:
    assert update.effective_chat is not None and update.effective_user is not None
    return update.effective_chat.id, update.effective_user.id


async def _show(
    update: Update,
    context: AppContext,
    flow: AnyFlow,
    call: Call,
    state: Any,
    step: Step[Any],
    *,
    in_place: bool,
) -> None:
    screen = await step.show(call, state)
    rows = [
        [(label, button(flow, step.name, action)) for label, action in row]
        for row in screen.buttons
    ]
    markup = inline(rows) if rows else None
    if in_place and update.callback_query is not None:
        await edit(update, screen.text, markup)
    else:
        await reply(update, context, screen.text, markup)


async def read_typed(call: Call, state: Any, step: Step[Any], text: str) -> Outcome:
    """What typed text is at ``step``: at a yes/no question a typed yes or no is the press of
    its button (``Step.yes_no``), other text the step's ``typed`` or, when it has none, why not
    (press a button, or type yes or no); at any other step, its ``typed`` or "press a button"."""
    if step.yes_no is not None:
        said = parse_yes_no(text)
        if said is not None:
            assert step.press is not None
            action, *args = step.yes_no[0 if said else 1].split(":")
            return await step.press(call, state, action, args)
        if step.typed is None:
            return Stay(call.tr._(YES_NO_ONLY))
    if step.typed is None:
        return Stay(call.tr._(BUTTONS_ONLY))
    return await step.typed(call, state, text)


async def placed(call: Call, flow: AnyFlow, step: str, state: Any) -> FlowState:
    """The state as stored: with the unit it works for and whether that needs leader rights."""
    unit_id = await flow.unit(call.session, state) if flow.unit is not None else None
    return FlowState(flow.name, step, flow.dump(state), unit_id, flow.leads)


async def _save(call: Call, update: Update, flow: AnyFlow, step: str, state: Any) -> None:
    chat_id, user_id = ids(update)
    stored = await placed(call, flow, step, state)
    await conversation.enter(call.session, chat_id, user_id, stored, call.now)
    if flow.store is not None:
        await flow.store(call, state)


async def _advance(
    update: Update,
    context: AppContext,
    flow: AnyFlow,
    call: Call,
    state: Any,
    after: str | None,
    *,
    in_place: bool,
) -> None:
    """Save and show the first applicable step after ``after`` (None: from the start)."""
    if after is None and flow.entry is not None:
        name = await flow.entry(call, state)
        target = flow.step(name, state) if name is not None else None
        if target is not None:
            await _save(call, update, flow, target.name, state)
            await _show(update, context, flow, call, state, target, in_place=in_place)
            return
    steps = flow.applicable(state)
    names = [s.name for s in steps]
    index = names.index(after) + 1 if after in names else 0
    if index >= len(steps):
        raise RuntimeError(f"flow {flow.name} ran out of steps after {after}")
    await _save(call, update, flow, steps[index].name, state)
    await _show(update, context, flow, call, state, steps[index], in_place=in_place)


async def _apply(
    update: Update,
    context: AppContext,
    flow: AnyFlow,
    call: Call,
    state: Any,
    step: Step[Any],
    outcome: Outcome,
) -> None:
    pressed = update.callback_query is not None
    if isinstance(outcome, Stay):
        if pressed:
            await answer(update, outcome.text, alert=True)
        else:
            await reply(update, context, outcome.text)
        return
    if pressed:
        await answer(update)
    if isinstance(outcome, Next) and outcome.text is not None:
        await reply(update, context, outcome.text)
        pressed = False  # the step goes below what was said, not in place of the pressed message
    if isinstance(outcome, Redraw):
        await _save(call, update, flow, step.name, state)
        await _show(update, context, flow, call, state, step, in_place=pressed)
    elif isinstance(outcome, Next) and outcome.to is not None:
        target = flow.step(outcome.to, state)
        if target is None:
            raise RuntimeError(f"flow {flow.name} has no step {outcome.to}")
        await _save(call, update, flow, target.name, state)
        await _show(update, context, flow, call, state, target, in_place=pressed)
    elif isinstance(outcome, Next):
        await _advance(update, context, flow, call, state, step.name, in_place=pressed)
    else:
        chat_id, user_id = ids(update)
        await conversation.leave(call.session, chat_id, user_id)
        markup = inline([list(row) for row in outcome.buttons]) if outcome.buttons else None
        if pressed:
            await edit(update, outcome.text, markup)
        else:
            await reply(update, context, outcome.text, markup)
        await ended(update, context, flow, call)


async def _back_from_detour(update: Update, context: AppContext, call: Call) -> None:
    """A one-shot prompt has ended: the flow it interrupted (suspended under it) is current
    again and shows its step, without asking (the user did not choose to leave it)."""
    chat_id, user_id = ids(update)
    top = await conversation.top_suspended(call.session, chat_id, user_id)
    if top is None:
        return
    kernel = flow_named(top.flow)
    if kernel is None:  # a flow this version no longer has: nothing to go back to
        await conversation.forget(call.session, chat_id, user_id, top.flow)
        return
    await continue_flow(update, context, kernel, call, top)


async def close(
    update: Update,
    context: AppContext,
    flow: AnyFlow,
    call: Call,
    *,
    only: Callable[[Any], bool] | None = None,
) -> None:
    """End ``flow`` if it is the current one (and ``only`` accepts its state), saying nothing:
    what ended it says why ("Attend" pressed while asked why one cannot attend). A prompt's
    interrupted flow comes back."""
    chat_id, user_id = ids(update)
    current = await conversation.load_in(call.session, chat_id, user_id)
    if current is None or current.flow != flow.name:
        return
    if only is not None and not only(flow.load(current.data)):
        return
    await conversation.leave(call.session, chat_id, user_id)
    await ended(update, context, flow, call)


async def ended(update: Update, context: AppContext, flow: AnyFlow, call: Call) -> None:
    """``flow`` has just ended (finished, closed): a prompt's interrupted flow comes straight
    back; otherwise the person is offered the flow suspended under it. In the same transaction."""
    if flow.reopen is not None:
        await _back_from_detour(update, context, call)
    await offer_return(update, context, call)


async def offer_return(update: Update, context: AppContext, call: Call) -> None:
    """After a flow ended (finished or cancelled): offer the one it had suspended, if any, with
    ``flow:back|drop:<flow>`` buttons (handlers/flow/stack.py takes them)."""
    chat_id, user_id = ids(update)
    if await conversation.load_in(call.session, chat_id, user_id) is not None:
        return  # already in another flow (e.g. went straight back to a detour's origin)
    top = await conversation.top_suspended(call.session, chat_id, user_id)
    if top is None:
        return
    tr = call.tr
    what = title_of(tr, top.flow)
    text = tr._("You were in the middle of {what}. Go back to it?").format(what=what)
    rows = [
        [
            (tr._("Go back"), f"{KERNEL_PREFIX}:back:{top.flow}"),
            (tr._("Not now"), f"{KERNEL_PREFIX}:drop:{top.flow}"),
        ]
    ]
    await reply(update, context, text, reply_markup=inline(rows))


def title_of(tr: Translator, name: str) -> str:
    """What a flow makes, for "go back to …?" (a flow this version no longer has: vaguely)."""
    flow = flow_named(name)
    return tr._(flow.title if flow is not None else N_("what you were doing"))


def stale_text(tr: Translator, flow: AnyFlow) -> str:
    return tr._("This button is no longer active. Start again with /{command}.").format(
        command=flow.command
    )


async def continue_flow(
    update: Update, context: AppContext, flow: AnyFlow, call: Call, state: FlowState | None
) -> None:
    """Make ``state`` current again (if it was kept aside) and show its step."""
    assert state is not None
    chat_id, user_id = ids(update)
    await conversation.restore(call.session, chat_id, user_id, state, call.now)
    value = flow.load(state.data)
    step = flow.step(state.step, value)
    if step is None:
        await _advance(update, context, flow, call, value, None, in_place=False)
    else:
        await _show(update, context, flow, call, value, step, in_place=False)
