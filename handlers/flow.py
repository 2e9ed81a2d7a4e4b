"""The flow kernel: every multi-step conversation is a ``Flow`` declared as data.

A flow is a typed, serialisable state (a dataclass) and a tuple of ``Step``s. A step says how it
shows itself (text and buttons), how a typed answer is read, how its buttons are read, whether
it applies to the state at hand and whether it can be skipped. The kernel gives every flow, the
same way: /back, /skip, /cancel (the answers are kept and the flow's command offers them
again), resume after a restart or a week away (the state is a database row written at every
step), a **stack** (a command that starts another flow suspends the current one; when that one
ends, the user is offered to go back), callback data it builds and checks itself (a button from
an earlier step or another person's message gets a clear alert, never a crash), and one unit of
work per update: the state is read, changed and saved in one transaction, and every answer is
sent after it commits (``handlers.common.after_commit``).

Adding a flow is one file declaring its ``Flow`` and one line in ``FLOWS`` (handlers/flows.py).
Steps get a ``Call``: the update's session, actor, translator and clock, and nothing from
Telegram beyond the typed text or the pressed button's arguments.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from bot import conversation
from bot.access import Actor
from bot.conversation import FlowState
from bot.i18n import N_, Translator
from bot.services import Services
from handlers import router
from handlers.access_rules import PRIVATE, Who, rule
from handlers.common import after_commit, answer, edit, inline, reply
from handlers.context import AppContext

S = TypeVar("S")

#: Buttons of the kernel itself: go back to a suspended flow (``flow:back|drop:<name>``).
KERNEL_PREFIX = "flow"
#: The step name of a flow's own kernel buttons: continue its kept copy, or start over.
KEPT = "~"


@dataclass(frozen=True)
class Screen:
    """What a step shows: HTML text and rows of (label, action) buttons; an action is the
    step's own word (``"u:12"``), which the kernel wraps into callback data."""

    text: str
    buttons: Sequence[Sequence[tuple[str, str]]] = ()


@dataclass(frozen=True)
class Stay:
    """The answer is refused: say why (the state and the step are kept)."""

    text: str


@dataclass(frozen=True)
class Redraw:
    """Same step, another view of it (a page, a level of a tree): show it again in place."""


@dataclass(frozen=True)
class Next:
    """The step is answered: on to the next step that applies, or to the step named ``to`` (a
    review card's "change the place" goes to ``place``; the place step then goes back to it).
    ``text``, if given, is said first (why the flow goes there: "an entry needs a number above
    0"), and the step is then shown in a new message below it."""

    to: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class Finish:
    """The flow is done: say so; its state is gone. ``buttons`` are rows of (label, callback
    data) of *other* handlers (e.g. "Open the meeting"), not steps of this flow."""

    text: str
    buttons: Sequence[Sequence[tuple[str, str]]] = ()


@dataclass(frozen=True)
class Sent:
    """A photo or file sent at a step, as the step sees it (nothing from Telegram's types):
    ``kind`` is "photo" (the largest size's id), "document" or "other" (a sticker, a voice
    note...: ``file_id`` empty)."""

    kind: str
    file_id: str = ""
    name: str | None = None


Outcome = Stay | Redraw | Next | Finish


@dataclass
class Call:
    """What a step's functions may use: the update's transaction and who is asking."""

    session: AsyncSession
    actor: Actor
    tr: Translator
    services: Services
    now: datetime
    bot_username: str


@dataclass(frozen=True)
class Step(Generic[S]):
    name: str
    show: Callable[[Call, S], Awaitable[Screen]]
    #: How typed text is read; None: this step takes only its buttons.
    typed: Callable[[Call, S, str], Awaitable[Outcome]] | None = None
    #: How a pressed button is read: (action, arguments) as the step put them on the button.
    press: Callable[[Call, S, str, list[str]], Awaitable[Outcome]] | None = None
    #: How a photo or file is read; None: the step says it wants text or a button.
    sent: Callable[[Call, S, Sent], Awaitable[Outcome]] | None = None
    #: /skip may pass it; ``skip`` then records the absence of an answer, and may name the step
    #: to go to (``Next(to="review")``: a review card's change skipped goes back to the card).
    optional: bool = False
    skip: Callable[[S], Next | None] | None = None
    #: /skip that needs the database (a report's skipped question is a stored answer) or may be
    #: refused: used instead of ``skip``, its outcome is applied like an answer's.
    skipped: Callable[[Call, S], Awaitable[Outcome]] | None = None
    #: Whether the step is asked for this state (skip logic).
    applies: Callable[[S], bool] | None = None


@dataclass(frozen=True)
class Flow(Generic[S]):
    name: str
    #: The command that starts it (without the slash) and the prefix of its buttons.
    command: str
    prefix: str
    #: What the flow makes, for "go back to …?" (a msgid, e.g. N_("the invite link")).
    title: str
    state: type[S]
    steps: tuple[Step[S], ...]
    #: The initial state, or why this person cannot start it.
    begin: Callable[[Call], Awaitable[S | Stay]]
    #: Steps that depend on the answers so far (one per question of a report's template, one
    #: per measure of the chosen activity type): the full list for a state, used instead of
    #: ``steps`` when given. Their names must not contain ":" (it separates callback data).
    expand: Callable[[S], Sequence[Step[S]]] | None = None
    #: A one-shot prompt opened by a button (``open_at``: "Can't attend" asks why), not by its
    #: command: what /cancel says about getting back to it (a msgid: "press the button again").
    #: Such a prompt is a detour: when it finishes, the flow it interrupted comes straight back
    #: (not offered), and it has no "Continue / Start over" of its own (its button reopens it).
    reopen: str | None = None
    #: Rows of the flow's own that mirror the state (the activity log's draft in ``log_drafts``,
    #: which its one-line shortcut and /log's offer read too): written whenever the kernel saves
    #: the state, in the same transaction.
    store: Callable[[Call, S], Awaitable[None]] | None = None
    #: /back for a flow whose next step is derived from the answers ("the first thing not answered
    #: yet"): forget the latest answer (False: there is none), and the kernel shows the first step
    #: that applies. None: /back shows the previous step that applies.
    undo: Callable[[S], bool] | None = None
    #: Where a begun or opened flow starts (None: the first step that applies); it may also
    #: refresh the state from the database. A report resumes at its first unanswered question.
    entry: Callable[[Call, S], Awaitable[str | None]] | None = None

    def all_steps(self, state: S) -> Sequence[Step[S]]:
        return self.steps if self.expand is None else self.expand(state)

    def step(self, name: str, state: S | None = None) -> Step[S] | None:
        steps = self.steps if state is None else self.all_steps(state)
        return next((s for s in steps if s.name == name), None)

    def applicable(self, state: S) -> list[Step[S]]:
        return [s for s in self.all_steps(state) if s.applies is None or s.applies(state)]

    def dump(self, state: S) -> dict[str, Any]:
        return dataclasses.asdict(state)  # type: ignore[call-overload]

    def load(self, data: dict[str, Any]) -> S:
        names = {f.name for f in dataclasses.fields(self.state)}  # type: ignore[arg-type]
        return self.state(**{k: v for k, v in data.items() if k in names})


AnyFlow = Flow[Any]

#: Every flow the kernel carries, by name (filled by ``register``).
_FLOWS: dict[str, AnyFlow] = {}


def register(flow: AnyFlow) -> AnyFlow:
    if flow.name in _FLOWS and _FLOWS[flow.name] is not flow:
        raise ValueError(f"two flows named {flow.name!r}")
    _FLOWS[flow.name] = flow
    router.register_flow(flow.name, on_text, on_media=on_media, on_resume=resume)
    return flow


def flow_named(name: str) -> AnyFlow | None:
    return _FLOWS.get(name)


#: What the kernel itself answers to a button it cannot take (handlers/flow.py ``on_button``).
KERNEL_REFUSALS = (
    N_("This button is no longer active. Start again with /{command}."),
    N_("This button belongs to an earlier step. The current step is shown below."),
)


def button_rule(
    flow: AnyFlow, who: Who, *, stale: str, why: str, refusals: tuple[str, ...] = ()
) -> Callable[[Any], Any]:
    """The access rule of a flow's button handler, the same for every flow: private chats, every
    step with buttons (and the kernel's own "continue / start over", which a prompt has not) for
    ``who``, ``stale`` as the refusal of a press from the wrong chat or a person below ``who``,
    and ``refusals`` for the objects the steps check themselves (a unit outside the leader's
    subtree)."""
    kept = [KEPT] if flow.reopen is None else []
    pressed = [step.name for step in flow.steps if step.press is not None]
    actions = dict.fromkeys([*pressed, *kept], who)
    return rule(
        who,
        PRIVATE,
        scoped=True,
        why=why,
        refusals=(*KERNEL_REFUSALS, *refusals),
        wrong_chat=stale,
        not_allowed=stale,
        actions=actions,
    )


def button(flow: AnyFlow, step: str, action: str) -> str:
    """Callback data of a step's button: ``prefix:step:action``. At most 64 bytes (Telegram's
    limit), which the flows' ids and short words keep far from."""
    data = f"{flow.prefix}:{step}:{action}"
    assert len(data.encode()) <= 64, data
    return data


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


async def _save(call: Call, update: Update, flow: AnyFlow, step: str, state: Any) -> None:
    chat_id, user_id = ids(update)
    await conversation.enter(
        call.session, chat_id, user_id, FlowState(flow.name, step, flow.dump(state)), call.now
    )
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
        if flow.reopen is not None:
            await _back_from_detour(update, context, call)


async def _back_from_detour(update: Update, context: AppContext, call: Call) -> None:
    """A one-shot prompt has ended: the flow it interrupted (suspended under it) is current
    again and shows its step, without asking (the user did not choose to leave it)."""
    chat_id, user_id = ids(update)
    top = await conversation.top_suspended(call.session, chat_id, user_id)
    if top is None:
        return
    kernel = _FLOWS.get(top.flow)
    if kernel is not None:
        await continue_flow(update, context, kernel, call, top)
        return
    await conversation.restore(call.session, chat_id, user_id, top, call.now)
    # A flow not yet on the kernel shows its step in its own transactions, after this commit.
    await after_commit(lambda: _resume_legacy(update, context))


async def _resume_legacy(update: Update, context: AppContext) -> None:
    if not await router.resume(update, context):
        await reply(
            update,
            context,
            context.tr._("You are back where you were: send your answer, or /cancel to stop."),
        )


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
    if flow.reopen is not None:
        await _back_from_detour(update, context, call)


# --- entry points: the command, typed text, buttons, /back, /skip, /cancel, resume -------------


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


async def on_text(update: Update, context: AppContext, state: FlowState) -> None:
    """Typed text while in a kernel flow (handlers/router.py sends it here)."""
    flow = _FLOWS[state.flow]
    assert update.message is not None and update.message.text is not None
    text = update.message.text.strip()
    async with context.services.db.session() as session:
        call = call_for(context, session)
        value = flow.load(state.data)
        step = flow.step(state.step, value)
        if step is None:
            await _advance(update, context, flow, call, value, None, in_place=False)
            return
        if step.typed is None:
            await reply(
                update,
                context,
                call.tr._("Please press one of the buttons above, or /cancel to stop."),
            )
            return
        outcome = await step.typed(call, value, text)
        await _apply(update, context, flow, call, value, step, outcome)


def sent_of(update: Update) -> Sent:
    """What a message carries besides text, in the kernel's terms."""
    message = update.message
    assert message is not None
    if message.photo:
        return Sent("photo", message.photo[-1].file_id)
    if message.document is not None:
        return Sent("document", message.document.file_id, message.document.file_name)
    return Sent("other")


async def on_media(update: Update, context: AppContext, state: FlowState) -> None:
    """A photo, file, sticker... while in a kernel flow: the step's ``sent``, or why not."""
    flow = _FLOWS[state.flow]
    async with context.services.db.session() as session:
        call = call_for(context, session)
        value = flow.load(state.data)
        step = flow.step(state.step, value)
        if step is None or step.sent is None:
            await reply(
                update,
                context,
                call.tr._(
                    "This step needs text or one of the buttons above. Nothing was lost; /cancel leaves this step."
                ),
            )
            return
        outcome = await step.sent(call, value, sent_of(update))
        await _apply(update, context, flow, call, value, step, outcome)


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


def stale_text(tr: Translator, flow: AnyFlow) -> str:
    return tr._("This button is no longer active. Start again with /{command}.").format(
        command=flow.command
    )


async def back(update: Update, context: AppContext, state: FlowState) -> None:
    flow = _FLOWS[state.flow]
    async with context.services.db.session() as session:
        call = call_for(context, session)
        value = flow.load(state.data)
        if flow.undo is not None:
            if not flow.undo(value):
                await reply(update, context, call.tr._("There is no step to go back to."))
                return
            await _advance(update, context, flow, call, value, None, in_place=False)
            return
        names = [s.name for s in flow.applicable(value)]
        index = names.index(state.step) if state.step in names else 0
        if index == 0:
            await reply(update, context, call.tr._("There is no step to go back to."))
            return
        step = flow.applicable(value)[index - 1]
        await _save(call, update, flow, step.name, value)
        await _show(update, context, flow, call, value, step, in_place=False)


async def skip(update: Update, context: AppContext, state: FlowState) -> None:
    flow = _FLOWS[state.flow]
    async with context.services.db.session() as session:
        call = call_for(context, session)
        value = flow.load(state.data)
        step = flow.step(state.step, value)
        if step is None or not step.optional:
            await reply(update, context, call.tr._("This question cannot be skipped."))
            return
        if step.skipped is not None:
            await _apply(update, context, flow, call, value, step, await step.skipped(call, value))
            return
        after = step.skip(value) if step.skip is not None else None
        if isinstance(after, Next) and after.to is not None:
            await _apply(update, context, flow, call, value, step, after)
            return
        await _advance(update, context, flow, call, value, step.name, in_place=False)


async def resume(update: Update, context: AppContext, state: FlowState) -> None:
    """Show the step the user is at (after a restart swallowed the bot's last reply)."""
    flow = _FLOWS[state.flow]
    async with context.services.db.session() as session:
        call = call_for(context, session)
        value = flow.load(state.data)
        step = flow.step(state.step, value)
        if step is None:
            await _advance(update, context, flow, call, value, None, in_place=False)
        else:
            await _show(update, context, flow, call, value, step, in_place=False)


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
