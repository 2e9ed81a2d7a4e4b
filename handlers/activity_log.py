"""/log ("Ghi hoạt động"): a flow on the kernel (handlers/flow). Its questions are in
log_questions.py, the review card, the save and the one-line shortcut in log_save.py.

The answers are a draft: the flow's state, mirrored in ``log_drafts`` (one per person, written
with every step in the kernel's transaction: ``Flow.store``), which the shortcut and /log's offer
read too. Each step applies while its answer is missing, so the next question is always the first
thing not answered yet; /back forgets the latest answer (``Flow.undo``) and asks it again.
/skip, /cancel (the draft is kept and /log offers it), resume after a restart, stale buttons and
the flow stack come from the kernel.
"""

from __future__ import annotations

from collections.abc import Sequence

from telegram import Update

from bot import activities as acts
from bot import conversation
from bot.conversation import FlowState
from bot.i18n import N_
from handlers import flow
from handlers.access_rules import PRIVATE, Who, rule
from handlers.common import NOT_MEMBER, esc, inline, reply
from handlers.context import AppContext
from handlers.flow import KEPT, Call, Outcome, Screen, Sent, Stay, Step
from handlers.flow_units import log_unit
from handlers.log_questions import (
    CONFIRM,
    DATE,
    FLOW,
    NOT_YOURS,
    NOTE,
    PHOTO,
    TYPE,
    LogState,
    first_open,
    measure_step,
)
from handlers.log_save import REVIEW, UNIT, shortcut

STALE = N_("This button is no longer active. Start again with /log.")


async def begin(call: Call) -> LogState:
    """A new draft; a person who logs for one unit is not asked which (nor sent back to it)."""
    units = await acts.units_for_logging(call.session, call.actor)
    return LogState({"unit_id": units[0].id} if len(units) == 1 else {})


async def from_row(call: Call) -> LogState | None:
    """The state of the draft row, if there is one."""
    draft = await acts.load_draft(call.session, call.actor.person.id)
    if not draft:
        return None
    kind = await acts.kind(call.session, draft["type"]) if draft.get("type") else None
    return LogState(draft, [m.key for m in kind.measures] if kind else [])


# --- a step saved before /log ran on the kernel -------------------------------------------------
# Its chat state said only ``log``/``draft`` (the answers were in the draft row alone). Such a
# state, current or kept, is taken over at its first use: the draft row becomes the state and the
# first thing not answered is asked, its buttons and answers read by that step.


async def _adopted(call: Call, state: LogState) -> Step[LogState]:
    if not state.draft:
        row = await from_row(call)
        if row is not None:
            state.draft, state.measures = row.draft, row.measures
        else:
            state.draft = (await begin(call)).draft
    step = LOG.step(first_open(state), state)
    assert step is not None
    return step


async def _show_adopted(call: Call, state: LogState) -> Screen:
    return await (await _adopted(call, state)).show(call, state)


async def _typed_adopted(call: Call, state: LogState, text: str) -> Outcome:
    return await flow.read_typed(call, state, await _adopted(call, state), text)


async def _press_adopted(call: Call, state: LogState, action: str, args: list[str]) -> Outcome:
    step = await _adopted(call, state)
    assert step.press is not None
    return await step.press(call, state, action, args)


async def _sent_adopted(call: Call, state: LogState, sent: Sent) -> Outcome:
    step = await _adopted(call, state)
    if step.sent is None:
        return Stay(
            call.tr._(
                "This step needs text or one of the buttons above. Nothing was lost; /cancel leaves this step."
            )
        )
    return await step.sent(call, state, sent)


ADOPTED = Step(
    "draft",
    _show_adopted,
    typed=_typed_adopted,
    press=_press_adopted,
    sent=_sent_adopted,
    applies=lambda state: False,
)


def expand(state: LogState) -> Sequence[Step[LogState]]:
    # "confirm" first: while a value waits for "are you sure?", it is the first step that applies.
    return (
        ADOPTED,
        CONFIRM,
        UNIT,
        TYPE,
        *(measure_step(key) for key in state.measures),
        DATE,
        NOTE,
        PHOTO,
        REVIEW,
    )


async def store(call: Call, state: LogState) -> None:
    await acts.save_draft(call.session, call.actor.person.id, state.draft, call.now)


def undo(state: LogState) -> bool:
    if not state.draft.get("answered") and not state.draft.get("pending"):
        return False
    state.draft, state.editing = acts.back(state.draft), False
    return True


LOG = flow.register(
    flow.Flow(
        name=FLOW,
        command="log",
        prefix="log",
        title=N_("the activity entry"),
        state=LogState,
        steps=(ADOPTED, CONFIRM, UNIT, TYPE, DATE, NOTE, PHOTO, REVIEW),
        begin=begin,
        expand=expand,
        store=store,
        undo=undo,
        unit=log_unit,
    )
)


@rule(
    Who.MEMBER,
    PRIVATE,
    why="logs for the member's units",
    wrong_chat=N_("Log activities in a private chat with me, not in a group."),
    not_allowed=NOT_MEMBER,
)
async def log_command(update: Update, context: AppContext) -> None:
    args = " ".join(context.args or [])
    if args and update.message and update.message.text:
        await shortcut(update, context, update.message.text.split(maxsplit=1)[1])
        return
    await start(update, context)


async def menu_log(update: Update, context: AppContext) -> None:
    """The "Ghi hoạt động" menu button: /log without arguments."""
    context.args = []
    await log_command(update, context)


async def start(update: Update, context: AppContext) -> None:
    """/log: an entry begun and not saved (current, suspended or parked) is offered, naming its
    activity; an entry with nothing in it yet is simply begun again."""
    chat_id, user_id = flow.ids(update)
    tr = context.tr
    async with context.services.db.session() as session:
        call = flow.call_for(context, session)
        current = await conversation.load_in(session, chat_id, user_id)
        kept = await conversation.kept(session, chat_id, user_id, FLOW)
        copy: LogState | None = None
        if current is not None and current.flow == FLOW:
            copy = LOG.load(current.data)
        elif kept is not None:
            copy = LOG.load(kept[1].data)
        if copy is None or not copy.draft:
            # No state, or one from before /log ran on the kernel: the draft row, made the current
            # flow so that "Continue" finds it.
            copy = await from_row(call)
            if copy is not None:
                state = FlowState(
                    FLOW, first_open(copy), LOG.dump(copy), await log_unit(session, copy)
                )
                await conversation.enter(session, chat_id, user_id, state, call.now)
        if copy is not None and (copy.draft.get("type") or copy.draft.get("values")):
            kind = await acts.kind(session, copy.draft["type"]) if copy.draft.get("type") else None
            what = esc(kind.name(tr.locale)) if kind else tr._("an activity")
            text = tr._(
                "You have an entry that is not saved yet: {what}. Continue it, or start a new one?"
            ).format(what=what)
            rows = [
                [
                    (tr._("Continue"), flow.button(LOG, KEPT, "go")),
                    (tr._("Discard and start again"), flow.button(LOG, KEPT, "new")),
                ]
            ]
            await reply(update, context, text, reply_markup=inline(rows))
            return
        await flow.open_at(update, context, LOG, await begin(call), call=call)


on_button = flow.button_handler(
    LOG,
    Who.MEMBER,
    stale=STALE,
    why="unit ids re-checked against the units one may log for",
    refusals=(NOT_YOURS,),
)
