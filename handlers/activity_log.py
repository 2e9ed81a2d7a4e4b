"""/log ("Ghi hoạt động"): the guided flow (its questions in log_questions.py; saving and the
one-line shortcut in log_save.py).

The answers live in a draft row (``log_drafts``) written at every step, and the next question is
always "the first thing not answered yet", so /cancel, a restart or a week away resumes exactly
where the cadre stopped. ``chat_states`` only says that typed text belongs to this flow.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from telegram import Update

from bot import activities as acts
from bot import conversation
from bot.conversation import FlowState
from bot.i18n import N_
from bot.parsing import ParseError, parse_amount, parse_date
from handlers.access_rules import PRIVATE, Who, rule
from handlers.common import NOT_MEMBER, esc, inline, main_menu, reply
from handlers.context import AppContext
from handlers.entry_cards import (
    date_problem,
    note_too_long,
    parse_problem,
)
from handlers.log_questions import (
    FLOW,
    ask,
    current_draft,
    edit_menu,
    set_state,
    store_draft,
    type_question,
)
from handlers.log_save import save, shortcut
from handlers.router import register_flow
from storage.text import nfc

# --- the flow -----------------------------------------------------------------------------------


@rule(
    Who.MEMBER,
    PRIVATE,
    why="logs for the member's units",
    wrong_chat=N_("Log activities in a private chat with me, not in a group."),
    not_allowed=NOT_MEMBER,
)
async def log_command(update: Update, context: AppContext) -> None:
    actor = context.actor
    chat = update.effective_chat
    assert chat is not None
    args = " ".join(context.args or [])
    if args and update.message and update.message.text:
        await shortcut(update, context, update.message.text.split(maxsplit=1)[1])
        return
    services = context.services
    async with services.db.session() as session:
        draft = await acts.load_draft(session, actor.person.id)
    if draft and (draft.get("type") or draft.get("values")):
        await _offer_resume(update, context, draft)
        return
    await _start_new(update, context)


async def menu_log(update: Update, context: AppContext) -> None:
    """The "Ghi hoạt động" menu button: /log without arguments."""
    context.args = []
    await log_command(update, context)


async def _offer_resume(update: Update, context: AppContext, draft: dict[str, Any]) -> None:
    tr = context.tr
    async with context.services.db.session() as session:
        kind = await acts.kind(session, draft["type"]) if draft.get("type") else None
    what = esc(kind.name(tr.locale)) if kind else tr._("an activity")
    text = tr._(
        "You have an entry that is not saved yet: {what}. Continue it, or start a new one?"
    ).format(what=what)
    buttons = inline(
        [[(tr._("Continue"), "log:resume"), (tr._("Discard and start again"), "log:new")]]
    )
    await set_state(update, context)
    await reply(update, context, text, reply_markup=buttons)


async def _start_new(
    update: Update, context: AppContext, draft: dict[str, Any] | None = None
) -> None:
    draft = dict(draft or {})
    async with context.services.db.session() as session:
        units = await acts.units_for_logging(session, context.actor)
        if len(units) == 1 and "unit_id" not in draft:
            draft["unit_id"] = units[0].id  # not in "answered": /back never returns to it
        await acts.save_draft(session, context.actor.person.id, draft, context.services.clock.now())
    await set_state(update, context)
    await ask(update, context, draft)


# --- answers ------------------------------------------------------------------------------------


async def on_text(update: Update, context: AppContext, state: FlowState) -> None:
    assert update.message is not None and update.message.text is not None
    tr = context.tr
    draft = await current_draft(context)
    if draft is None:
        await conversation.clear(
            context.services, update.message.chat_id, context.actor.person.telegram_id
        )
        await reply(update, context, tr._("There is no entry in progress. Start one with /log."))
        return
    async with context.services.db.session() as session:
        kind = await acts.kind(session, draft["type"]) if draft.get("type") else None
    step = acts.next_step(draft, kind.measures if kind else ())
    text = nfc(update.message.text.strip())
    if step.startswith("m:") and kind is not None:
        measure = kind.measure(step[2:])
        assert measure is not None
        try:
            value = parse_amount(text, measure.kind)  # type: ignore[arg-type]
        except ParseError as exc:
            await reply(
                update, context, parse_problem(tr, exc, measure.kind, measure.label(tr.locale))
            )
            return
        if acts.above_ceiling(measure, value):
            draft = {**draft, "pending": {"key": measure.key, "value": str(value)}}
        else:
            draft = acts.answer(draft, step, str(value))
    elif step == "date":
        today = context.services.today()
        try:
            day = parse_date(text, today)
        except ParseError as exc:
            await reply(update, context, date_problem(tr, exc, today))
            return
        draft = acts.answer(draft, "date", day.isoformat())
    elif step == "note":
        if len(text) > acts.MAX_NOTE:
            await reply(
                update,
                context,
                note_too_long(tr, len(text)),
            )
            return
        draft = acts.answer(draft, "note", text)
    elif step == "photo":
        await reply(update, context, tr._("Send a photo, or press “No photo”."))
        return
    else:
        await reply(
            update,
            context,
            tr._("Please press one of the buttons above. /back goes one step back, /cancel stops."),
        )
        return
    await store_draft(context, draft)
    await ask(update, context, draft)


async def on_media(update: Update, context: AppContext, state: FlowState) -> None:
    """A photo is the answer to the photo step; anything else is explained."""
    tr = context.tr
    message = update.message
    assert message is not None
    draft = await current_draft(context)
    if draft is None:
        await reply(update, context, tr._("There is no entry in progress. Start one with /log."))
        return
    async with context.services.db.session() as session:
        kind = await acts.kind(session, draft["type"]) if draft.get("type") else None
    step = acts.next_step(draft, kind.measures if kind else ())
    if step == "photo" and message.photo:
        draft = acts.answer(draft, "photo", message.photo[-1].file_id)
        await store_draft(context, draft)
        await ask(update, context, draft)
        return
    if step == "photo":
        await reply(
            update,
            context,
            tr._("Send the picture as a photo (not as a file), or press “No photo”."),
        )
        return
    await reply(
        update,
        context,
        tr._(
            "This step needs text or one of the buttons above. Nothing was lost; /cancel leaves this step."
        ),
    )


async def back_command(update: Update, context: AppContext) -> None:
    assert update.effective_chat and update.effective_user
    tr = context.tr
    state = await conversation.load(
        context.services, update.effective_chat.id, update.effective_user.id
    )
    draft = await current_draft(context) if state and state.flow == FLOW else None
    if draft is None:
        await reply(update, context, tr._("There is no step to go back to."))
        return
    if not draft.get("answered") and not draft.get("pending"):
        await reply(update, context, tr._("This is the first step. /cancel stops."))
        await ask(update, context, draft)
        return
    draft = acts.back(draft)
    await store_draft(context, draft)
    await ask(update, context, draft)


async def skip_command(update: Update, context: AppContext) -> None:
    assert update.effective_chat and update.effective_user
    tr = context.tr
    state = await conversation.load(
        context.services, update.effective_chat.id, update.effective_user.id
    )
    draft = await current_draft(context) if state and state.flow == FLOW else None
    if draft is None:
        await reply(update, context, tr._("There is nothing to skip."))
        return
    async with context.services.db.session() as session:
        kind = await acts.kind(session, draft["type"]) if draft.get("type") else None
    step = acts.next_step(draft, kind.measures if kind else ())
    if step not in ("note", "photo"):
        await reply(update, context, tr._("This question cannot be skipped."))
        await ask(update, context, draft)
        return
    draft = acts.answer(draft, step, None)
    await store_draft(context, draft)
    await ask(update, context, draft)


@rule(
    Who.MEMBER,
    PRIVATE,
    scoped=True,
    own_units_only=True,
    why="unit ids re-checked against the units one may log for",
    refusals=(
        N_("This button is no longer active. Start again with /log."),
        N_("You can only log for your own units."),
    ),
)
async def on_button(update: Update, context: AppContext) -> None:
    query = update.callback_query
    assert (
        query is not None
        and query.data is not None
        and update.effective_chat
        and update.effective_user
    )
    tr = context.tr
    parts = query.data.split(":")
    action = parts[1] if len(parts) > 1 else ""
    state = await conversation.load(
        context.services, update.effective_chat.id, update.effective_user.id
    )
    draft = await current_draft(context)
    if state is None or state.flow != FLOW or draft is None or not _well_formed(parts):
        await query.answer(
            tr._("This button is no longer active. Start again with /log."), show_alert=True
        )
        return
    await query.answer()
    if action == "resume":
        await ask(update, context, draft)
        return
    if action == "new":
        await _start_new(update, context)
        return
    if action == "x":
        async with context.services.db.session() as session:
            await acts.discard_draft(session, context.actor.person.id)
        await conversation.clear(
            context.services, update.effective_chat.id, update.effective_user.id
        )
        await reply(update, context, tr._("The entry was discarded."), reply_markup=main_menu(tr))
        return
    if action == "s":
        await save(update, context, draft)
        return
    problem: str | None = None
    async with context.services.db.session() as session:
        kind = await acts.kind(session, draft["type"]) if draft.get("type") else None
        step = acts.next_step(draft, kind.measures if kind else ())
        if action == "tp" and step == "type":
            text, markup = await type_question(context, session, max(int(parts[2]), 0))
        elif action == "e" and step == "review" and kind is not None:
            markup = edit_menu(tr, kind)
        else:
            draft, problem = await _apply(context, session, draft, step, parts)
            await acts.save_draft(
                session, context.actor.person.id, draft, context.services.clock.now()
            )
    if action == "tp" and step == "type":
        await query.edit_message_text(text, reply_markup=markup)
        return
    if action == "e" and step == "review":
        await query.edit_message_reply_markup(reply_markup=markup)
        return
    if problem:
        await reply(update, context, problem)
    await ask(update, context, draft)


def _well_formed(parts: list[str]) -> bool:
    """Buttons carry small numbers we made; forged data must not reach int() or date arithmetic."""
    action = parts[1] if len(parts) > 1 else ""
    if action == "t":
        return len(parts) > 2
    if action in ("tp", "u", "d"):
        arg = parts[2] if len(parts) > 2 else ""
        return arg.isdecimal() and len(arg) <= 9 and (action != "d" or int(arg) <= 3660)
    return True


async def _apply(
    context: AppContext, session: Any, draft: dict[str, Any], step: str, parts: list[str]
) -> tuple[dict[str, Any], str | None]:
    """A button's answer to the current step; a button of an earlier step is explained."""
    tr = context.tr
    action = parts[1]
    if action == "u":
        # The unit id is checked whatever the step: a forged id is refused as such.
        units = {u.id for u in await acts.units_for_logging(session, context.actor)}
        if int(parts[2]) not in units:
            return draft, tr._("You can only log for your own units.")
        if step == "unit":
            return acts.answer(draft, "unit_id", int(parts[2])), None
    if action == "t" and step == "type":
        chosen = await acts.kind(session, parts[2])
        if chosen is None or chosen.retired:
            return draft, tr._("This activity is no longer in the catalog. Choose another.")
        return acts.answer(draft, "type", chosen.key), None
    if action == "z" and step.startswith("m:"):
        return acts.answer(draft, step, "0"), None
    if action == "d" and step == "date":
        return acts.answer(
            draft, "date", (context.services.today() - timedelta(days=int(parts[2]))).isoformat()
        ), None
    if action == "n" and step == "note":
        return acts.answer(draft, "note", None), None
    if action == "p" and step == "photo":
        return acts.answer(draft, "photo", None), None
    if action in ("cy", "cn") and step == "confirm":
        draft = dict(draft)
        pending = draft.pop("pending")
        if action == "cy":
            draft = acts.answer(draft, f"m:{pending['key']}", pending["value"])
        return draft, None
    if action == "f" and step == "review":
        return acts.forget(draft, ":".join(parts[2:])), None
    return draft, tr._("That button belongs to an earlier step; here is the current one.")


async def on_resume(update: Update, context: AppContext, state: FlowState) -> None:
    """Ask the draft's next question again (the reply to the last answer may have been lost)."""
    draft = await current_draft(context)
    if draft is not None:
        await ask(update, context, draft)


register_flow(FLOW, on_text, on_media, on_resume)
