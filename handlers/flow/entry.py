"""Where an update enters the kernel: a flow's command, typed text, a photo or file, a button of
a flow, /back, /skip and resume (the step shown again). Each opens the update's one transaction,
reads where the person is, and hands the answer to the step (``engine``).

handlers/router.py, handlers/steps.py and handlers/replay.py call ``on_text``/``on_media``,
``back``/``skip`` and ``resume``; each says whether the person was in a flow at all (False: the
caller answers "I did not understand" or "nothing to skip").
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from telegram import Update

from bot import conversation
from bot.conversation import FlowState
from handlers.access_rules import Who
from handlers.common import answer, edit, inline, reply
from handlers.context import AppContext
from handlers.flow.engine import (
    _advance,
    _apply,
    _save,
    _show,
    call_for,
    continue_flow,
    ids,
    read_typed,
    stale_text,
)
from handlers.flow.model import (
    KEPT,
    AnyFlow,
    Call,
    Next,
    Sent,
    Stay,
    Step,
    button,
    button_rule,
    flow_named,
)


@dataclass
class At:
    """Where the person is: their flow, its saved step and state, and the update's ``Call``."""

    call: Call
    flow: AnyFlow
    saved: FlowState
    state: Any
    step: Step[Any] | None


@asynccontextmanager
async def where(update: Update, context: AppContext) -> AsyncIterator[tuple[Call, At | None]]:
    """The update's one transaction (its ``Call``), and the flow the person is in (None: none)."""
    chat_id, user_id = ids(update)
    async with context.services.db.session() as session:
        call = call_for(context, session)
        saved = await conversation.load_in(session, chat_id, user_id)
        flow = flow_named(saved.flow) if saved is not None else None
        if saved is None or flow is None:
            yield call, None
            return
        state = flow.load(saved.data)
        yield call, At(call, flow, saved, state, flow.step(saved.step, state))


@asynccontextmanager
async def current(update: Update, context: AppContext) -> AsyncIterator[At | None]:
    """The update's one transaction, and the flow the person is in (None: none)."""
    async with where(update, context) as (_, at):
        yield at


async def _first(update: Update, context: AppContext, at: At) -> None:
    """A step this version does not have: the first one that applies."""
    await _advance(update, context, at.flow, at.call, at.state, None, in_place=False)


async def start(update: Update, context: AppContext, flow: AnyFlow) -> None:
    """The flow's command: offer a parked or current copy, else begin (suspending another)."""
    async with context.services.db.session() as session:
        call = call_for(context, session)
        if await offer_kept(update, context, flow, call):
            return
        await _begin(update, context, flow, call)


async def offer_kept(update: Update, context: AppContext, flow: AnyFlow, call: Call) -> bool:
    """If ``flow`` is current or kept aside (parked, suspended): offer "Continue / Start over"
    and say so (True). For a command that does more than start its flow (/report first shows
    the step of a current copy again)."""
    chat_id, user_id = ids(update)
    tr = call.tr
    current = await conversation.load_in(call.session, chat_id, user_id)
    kept = await conversation.kept(call.session, chat_id, user_id, flow.name)
    if (current is None or current.flow != flow.name) and kept is None:
        return False
    text = tr._("You have unfinished answers here. Continue where you left off, or start over?")
    rows = [
        [
            (tr._("Continue"), button(flow, KEPT, "go")),
            (tr._("Start over"), button(flow, KEPT, "new")),
        ]
    ]
    await reply(update, context, text, reply_markup=inline(rows))
    return True


async def open_at(
    update: Update,
    context: AppContext,
    flow: AnyFlow,
    state: Any,
    call: Call | None = None,
    *,
    keep: Callable[[Any], bool] | None = None,
) -> None:
    """Begin ``flow`` with a state its caller made (a one-shot prompt opened by a button: "Can't
    attend" asks why, for that meeting), suspending the current flow like a command would. With
    ``call`` it joins the caller's transaction (the RSVP and the prompt commit together). With
    ``keep``, the current or kept (parked, suspended) copy of ``flow`` whose state ``keep``
    accepts is continued at its step instead: the same button pressed again after /cancel gets
    back the minutes half-way done for that meeting, not an empty form."""
    if call is None:
        async with context.services.db.session() as session:
            await open_at(update, context, flow, state, call_for(context, session), keep=keep)
        return
    if keep is not None:
        chat_id, user_id = ids(update)
        current = await conversation.load_in(call.session, chat_id, user_id)
        kept = await conversation.kept(call.session, chat_id, user_id, flow.name)
        for candidate in (current, kept[1] if kept else None):
            if (
                candidate is not None
                and candidate.flow == flow.name
                and keep(flow.load(candidate.data))
            ):
                await continue_flow(update, context, flow, call, candidate)
                return
    await _advance(update, context, flow, call, state, None, in_place=False)


async def _begin(update: Update, context: AppContext, flow: AnyFlow, call: Call) -> None:
    begun = await flow.begin(call)
    if isinstance(begun, Stay):
        await reply(update, context, begun.text)
        return
    await _advance(update, context, flow, call, begun, None, in_place=False)


async def on_text(
    update: Update,
    context: AppContext,
    idle: Callable[[Call, str], Awaitable[bool]] | None = None,
) -> bool:
    """Typed text: the answer to the person's current step (handlers/router.py). In no flow,
    ``idle`` (if given) reads it in the same transaction (the free-text proposals of issue 18,
    which must never take an answer a step is waiting for); False: nothing answered it."""
    assert update.message is not None and update.message.text is not None
    text = update.message.text.strip()
    async with where(update, context) as (call, at):
        if at is None:
            return idle is not None and await idle(call, text)
        if at.step is None:
            await _first(update, context, at)
        else:
            outcome = await read_typed(at.call, at.state, at.step, text)
            await _apply(update, context, at.flow, at.call, at.state, at.step, outcome)
    return True


def sent_of(update: Update) -> Sent:
    """What a message carries besides text, in the kernel's terms."""
    message = update.message
    assert message is not None
    if message.photo:
        return Sent("photo", message.photo[-1].file_id)
    if message.document is not None:
        return Sent("document", message.document.file_id, message.document.file_name)
    return Sent("other")


async def on_media(
    update: Update,
    context: AppContext,
    idle: Callable[[Call, Sent], Awaitable[bool]] | None = None,
) -> bool:
    """A photo, file, sticker...: the step's ``sent``, or why not. In no flow, ``idle`` (if
    given) reads it in the same transaction (a captioned photo's proposals, issue 18: a photo
    sent at /log's photo step is that step's answer, never read); False: nothing answered it."""
    async with where(update, context) as (call, at):
        if at is None:
            return idle is not None and await idle(call, sent_of(update))
        if at.step is None or at.step.sent is None:
            await reply(
                update,
                context,
                at.call.tr._(
                    "This step needs text or one of the buttons above. Nothing was lost; /cancel leaves this step."
                ),
            )
        else:
            outcome = await at.step.sent(at.call, at.state, sent_of(update))
            await _apply(update, context, at.flow, at.call, at.state, at.step, outcome)
    return True


async def on_button(update: Update, context: AppContext, flow: AnyFlow) -> None:
    """A button of ``flow``: pressed at the step it belongs to, or refused with an alert."""
    query = update.callback_query
    assert query is not None and query.data is not None
    chat_id, user_id = ids(update)
    tr = context.tr
    _, _, rest = query.data.partition(":")
    step_name, _, action_text = rest.partition(":")
    action, *args = action_text.split(":")
    if step_name == KEPT and flow.reopen is None:
        await _kept_button(update, context, flow, action)
        return
    async with context.services.db.session() as session:
        call = call_for(context, session)
        current = await conversation.load_in(session, chat_id, user_id)
        if current is None or current.flow != flow.name:
            await answer(update, stale_text(tr, flow), alert=True)
            return
        state = flow.load(current.data)
        step = flow.step(current.step, state)
        if step is None or step.name != step_name or step.press is None:
            await answer(
                update,
                tr._("This button belongs to an earlier step. The current step is shown below."),
                alert=True,
            )
            if step is not None:
                await _show(update, context, flow, call, state, step, in_place=False)
            return
        try:
            outcome = await step.press(call, state, action, args)
        except (ValueError, IndexError, KeyError):
            # Forged or mangled data: nothing was changed.
            await answer(update, stale_text(tr, flow), alert=True)
            return
        await _apply(update, context, flow, call, state, step, outcome)


def button_handler(
    flow: AnyFlow, who: Who, *, stale: str, why: str, refusals: tuple[str, ...] = ()
) -> Callable[[Update, AppContext], Coroutine[Any, Any, None]]:
    """The handler of ``flow``'s buttons (registered for its prefix in bot/runtime/app.py), with
    the access rule every flow's buttons share (``button_rule``: ``who`` in private chats,
    ``stale`` for a press from elsewhere, ``refusals`` for the objects its steps re-check)."""

    @button_rule(flow, who, stale=stale, why=why, refusals=refusals)
    async def on_flow_button(update: Update, context: AppContext) -> None:
        await on_button(update, context, flow)

    on_flow_button.__name__ = on_flow_button.__qualname__ = f"{flow.name}_button"
    return on_flow_button


async def back(update: Update, context: AppContext) -> bool:
    """/back: the previous step that applies (or the flow's own ``undo``)."""
    async with current(update, context) as at:
        if at is None:
            return False
        flow, call, value = at.flow, at.call, at.state
        if flow.undo is not None:
            if not flow.undo(value):
                await reply(update, context, call.tr._("There is no step to go back to."))
            else:
                await _advance(update, context, flow, call, value, None, in_place=False)
            return True
        steps = flow.applicable(value)
        names = [s.name for s in steps]
        index = names.index(at.saved.step) if at.saved.step in names else 0
        if index == 0:
            await reply(update, context, call.tr._("There is no step to go back to."))
            return True
        await _save(call, update, flow, steps[index - 1].name, value)
        await _show(update, context, flow, call, value, steps[index - 1], in_place=False)
    return True


async def skip(update: Update, context: AppContext) -> bool:
    """/skip: an optional step passed (its ``skipped`` or ``skip`` records it)."""
    async with current(update, context) as at:
        if at is None:
            return False
        flow, call, value, step = at.flow, at.call, at.state, at.step
        if step is None or not step.optional:
            await reply(update, context, call.tr._("This question cannot be skipped."))
        elif step.skipped is not None:
            await _apply(update, context, flow, call, value, step, await step.skipped(call, value))
        else:
            after = step.skip(value) if step.skip is not None else None
            if isinstance(after, Next) and after.to is not None:
                await _apply(update, context, flow, call, value, step, after)
            else:
                await _advance(update, context, flow, call, value, step.name, in_place=False)
    return True


async def resume(update: Update, context: AppContext) -> bool:
    """Show the step the person is at (after a restart swallowed the bot's last reply)."""
    async with current(update, context) as at:
        if at is None:
            return False
        if at.step is None:
            await _first(update, context, at)
        else:
            await _show(update, context, at.flow, at.call, at.state, at.step, in_place=False)
    return True


async def _kept_button(update: Update, context: AppContext, flow: AnyFlow, action: str) -> None:
    """``<prefix>:~:go|new``: continue the kept (or current) copy of ``flow``, or start over."""
    chat_id, user_id = ids(update)
    tr = context.tr
    async with context.services.db.session() as session:
        call = call_for(context, session)
        current = await conversation.load_in(session, chat_id, user_id)
        kept = await conversation.kept(session, chat_id, user_id, flow.name)
        is_current = current is not None and current.flow == flow.name
        if action == "new":
            await conversation.forget(session, chat_id, user_id, flow.name)
            if is_current:
                await conversation.leave(session, chat_id, user_id)
            await answer(update)
            await edit(update, tr._("Starting over."))
            await _begin(update, context, flow, call)
            return
        if action != "go" or (kept is None and not is_current):
            await answer(update, stale_text(tr, flow), alert=True)
            return
        await answer(update)
        await edit(update, tr._("Back to {what}.").format(what=tr._(flow.title)))
        await continue_flow(update, context, flow, call, kept[1] if kept else current)
