"""/log ("Ghi hoạt động"): the guided flow and the one-line shortcut.

The answers live in a draft row (``log_drafts``) written at every step, and the next question is
always "the first thing not answered yet", so /cancel, a restart or a week away resumes exactly
where the cadre stopped. ``chat_states`` only says that typed text belongs to this flow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup, Update

from bot import activities as acts
from bot import conversation
from bot.activities import EntryError, Kind, NewEntry
from bot.conversation import FlowState
from bot.i18n import N_, Translator
from bot.log_shortcut import UnclosedQuote, assign, find_kind, split_note
from bot.parsing import ParseError, parse_amount, parse_date
from handlers.access_rules import PRIVATE, Who, rule
from handlers.common import esc, inline, main_menu, page_buttons, reply, require_member
from handlers.context import AppContext
from handlers.entry_cards import (
    card,
    ceiling_question,
    date_problem,
    entry_problem,
    example,
    note_too_long,
    parse_problem,
)
from handlers.router import quote, register_flow
from storage.queries import activities as act_q
from storage.queries import units as units_q
from storage.text import nfc

FLOW = "log"
TYPES_PER_PAGE = 8


# --- rendering ----------------------------------------------------------------------------------


# --- the flow -----------------------------------------------------------------------------------


@rule(
    Who.MEMBER,
    PRIVATE,
    why="logs for the member's units",
    refusals=(N_("Log activities in a private chat with me, not in a group."),),
)
async def log_command(update: Update, context: AppContext) -> None:
    tr = context.tr
    actor = context.actor
    chat = update.effective_chat
    assert chat is not None
    if chat.type != "private":
        await reply(
            update, context, tr._("Log activities in a private chat with me, not in a group.")
        )
        return
    if not await require_member(update, context):
        return
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
    await _set_state(update, context)
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
    await _set_state(update, context)
    await ask(update, context, draft)


async def _set_state(update: Update, context: AppContext) -> None:
    assert update.effective_chat and update.effective_user
    await conversation.save(
        context.services,
        update.effective_chat.id,
        update.effective_user.id,
        FlowState(FLOW, "draft"),
    )


async def _draft(context: AppContext) -> dict[str, Any] | None:
    async with context.services.db.session() as session:
        return await acts.load_draft(session, context.actor.person.id)


async def _store(context: AppContext, draft: dict[str, Any]) -> None:
    async with context.services.db.session() as session:
        await acts.save_draft(session, context.actor.person.id, draft, context.services.clock.now())


async def ask(update: Update, context: AppContext, draft: dict[str, Any]) -> None:
    """Send the question for the draft's next step."""
    tr = context.tr
    services = context.services
    async with services.db.session() as session:
        kind = await acts.kind(session, draft["type"]) if draft.get("type") else None
        measures = kind.measures if kind else ()
        step = acts.next_step(draft, measures)
        text, markup = await _question(context, session, draft, kind, step)
    if step != "unit" and step != "type" and kind is not None and step != "review":
        text = f"<b>{esc(kind.name(tr.locale))}</b>\n{text}"
    await reply(update, context, text, reply_markup=markup)


async def _question(
    context: AppContext, session: Any, draft: dict[str, Any], kind: Kind | None, step: str
) -> tuple[str, InlineKeyboardMarkup | None]:
    tr = context.tr
    if step == "unit":
        units = await acts.units_for_logging(session, context.actor)
        rows = [
            [(u.name if len(u.name) <= 60 else u.name[:59] + "…", f"log:u:{u.id}")] for u in units
        ]
        return tr._("Which unit is this for?"), inline(rows)
    if step == "type":
        return await _type_question(context, session, 0)
    assert kind is not None
    if step == "confirm":
        pending = draft["pending"]
        measure = kind.measure(pending["key"])
        assert measure is not None
        text = ceiling_question(tr, measure, Decimal(pending["value"]))
        return text, inline(
            [[(tr._("Yes, it is right"), "log:cy"), (tr._("No, type again"), "log:cn")]]
        )
    if step.startswith("m:"):
        measure = kind.measure(step[2:])
        assert measure is not None
        unit = measure.unit(tr.locale)
        label = esc(measure.label(tr.locale)) + (f" ({esc(unit)})" if unit else "")
        text = tr._("{label}? Type a number, for example {example}.").format(
            label=label, example=example(tr, measure.kind)
        )
        return text + "\n" + tr._("/back goes one step back."), inline(
            [[(tr._("0 — none"), "log:z")]]
        )
    if step == "date":
        text = tr._("When did it take place? Type the date (dd/mm/yyyy) or press a button.")
        return text, inline([[(tr._("Today"), "log:d:0"), (tr._("Yesterday"), "log:d:1")]])
    if step == "note":
        text = tr._("A short note (optional, at most {max} characters)?").format(
            max=tr.number(acts.MAX_NOTE)
        )
        return text, inline([[(tr._("No note"), "log:n")]])
    if step == "photo":
        return tr._("Send a photo (optional)."), inline([[(tr._("No photo"), "log:p")]])
    return await _review(context, session, draft, kind)


async def _type_question(
    context: AppContext, session: Any, page: int
) -> tuple[str, InlineKeyboardMarkup]:
    tr = context.tr
    kinds = await acts.offered_kinds(session, context.actor.person.id)
    shown = kinds[page * TYPES_PER_PAGE : (page + 1) * TYPES_PER_PAGE]
    rows = [[(k.name(tr.locale)[:60], f"log:t:{k.key}")] for k in shown]
    nav = page_buttons(tr, page, TYPES_PER_PAGE, len(kinds), lambda p: f"log:tp:{p}")
    if nav:
        rows.append(nav)
    return tr._("What did you do? Choose the activity:"), inline(rows)


async def _review(
    context: AppContext, session: Any, draft: dict[str, Any], kind: Kind
) -> tuple[str, InlineKeyboardMarkup]:
    tr = context.tr
    unit = await units_q.get(session, int(draft["unit_id"]))
    assert unit is not None
    occurred = date.fromisoformat(draft["date"]) if draft.get("date") else None
    body = card(
        tr,
        kind,
        unit.name,
        acts.values_of(draft),
        occurred,
        draft.get("note"),
        bool(draft.get("photo")),
    )
    text = tr._("Check and save:") + "\n\n" + body
    buttons = [
        [(tr._("Save"), "log:s")],
        [(tr._("Change something"), "log:e"), (tr._("Discard"), "log:x")],
    ]
    return text, inline(buttons)


# --- answers ------------------------------------------------------------------------------------


async def on_text(update: Update, context: AppContext, state: FlowState) -> None:
    assert update.message is not None and update.message.text is not None
    tr = context.tr
    draft = await _draft(context)
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
    await _store(context, draft)
    await ask(update, context, draft)


async def on_media(update: Update, context: AppContext, state: FlowState) -> None:
    """A photo is the answer to the photo step; anything else is explained."""
    tr = context.tr
    message = update.message
    assert message is not None
    draft = await _draft(context)
    if draft is None:
        await reply(update, context, tr._("There is no entry in progress. Start one with /log."))
        return
    async with context.services.db.session() as session:
        kind = await acts.kind(session, draft["type"]) if draft.get("type") else None
    step = acts.next_step(draft, kind.measures if kind else ())
    if step == "photo" and message.photo:
        draft = acts.answer(draft, "photo", message.photo[-1].file_id)
        await _store(context, draft)
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
    draft = await _draft(context) if state and state.flow == FLOW else None
    if draft is None:
        await reply(update, context, tr._("There is no step to go back to."))
        return
    if not draft.get("answered") and not draft.get("pending"):
        await reply(update, context, tr._("This is the first step. /cancel stops."))
        await ask(update, context, draft)
        return
    draft = acts.back(draft)
    await _store(context, draft)
    await ask(update, context, draft)


async def skip_command(update: Update, context: AppContext) -> None:
    assert update.effective_chat and update.effective_user
    tr = context.tr
    state = await conversation.load(
        context.services, update.effective_chat.id, update.effective_user.id
    )
    draft = await _draft(context) if state and state.flow == FLOW else None
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
    await _store(context, draft)
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
    draft = await _draft(context)
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
        await _save(update, context, draft)
        return
    problem: str | None = None
    async with context.services.db.session() as session:
        kind = await acts.kind(session, draft["type"]) if draft.get("type") else None
        step = acts.next_step(draft, kind.measures if kind else ())
        if action == "tp" and step == "type":
            text, markup = await _type_question(context, session, max(int(parts[2]), 0))
        elif action == "e" and step == "review" and kind is not None:
            markup = _edit_menu(tr, kind)
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


def _edit_menu(tr: Translator, kind: Kind) -> InlineKeyboardMarkup:
    rows = [[(m.label(tr.locale)[:40], f"log:f:m:{m.key}")] for m in kind.measures]
    rows.append(
        [(tr._("Date"), "log:f:date"), (tr._("Note"), "log:f:note"), (tr._("Photo"), "log:f:photo")]
    )
    rows.append([(tr._("Activity"), "log:f:type")])
    return inline(rows)


async def _save(
    update: Update, context: AppContext, draft: dict[str, Any], *, from_draft: bool = True
) -> None:
    """Save a complete answer set as an entry; on refusal say why and ask again what must change.
    The shortcut saves without touching a guided draft the cadre may have in progress."""
    async with context.services.db.session() as session:
        saved = await _save_entry(session, context, draft, from_draft=from_draft)
    await _answer_saved(update, context, saved, from_draft=from_draft)


@dataclass
class _Saved:
    """What ``_save_entry`` did: the entry saved, or the problem and the draft to ask again from."""

    draft: dict[str, Any]
    problem: str | None = None
    activity_id: int = 0
    kind: Kind | None = None
    unit_name: str = ""
    entry: NewEntry | None = None


async def _save_entry(
    session: AsyncSession, context: AppContext, draft: dict[str, Any], *, from_draft: bool
) -> _Saved:
    """The save itself, in the caller's transaction (the shortcut parses and saves in one)."""
    tr, services = context.tr, context.services
    kind = await acts.kind(session, draft["type"]) if draft.get("type") else None
    if kind is None or acts.next_step(draft, kind.measures) != "review":
        return _Saved(
            draft, tr._("That button belongs to an earlier step; here is the current one.")
        )
    entry = NewEntry(
        unit_id=int(draft["unit_id"]),
        type_key=kind.key,
        values=acts.values_of(draft),
        occurred_on=date.fromisoformat(draft["date"]),
        note=draft.get("note"),
        photo_file_id=draft.get("photo"),
        source=draft.get("source", "guided"),
    )
    try:
        activity = await acts.create_entry(session, context.actor, entry, services.clock.now())
    except EntryError as exc:
        if exc.code == "all_zero":
            draft = {
                **draft,
                "values": {},
                "answered": [a for a in draft.get("answered", []) if not a.startswith("m:")],
            }
        if from_draft:
            await acts.save_draft(session, context.actor.person.id, draft, services.clock.now())
        return _Saved(draft, entry_problem(tr, exc.code))
    if from_draft:
        await acts.discard_draft(session, context.actor.person.id)
    unit = context.actor.unit(entry.unit_id) or await units_q.get(session, entry.unit_id)
    assert unit is not None
    return _Saved(draft, None, activity.id, kind, unit.name, entry)


async def _answer_saved(
    update: Update, context: AppContext, saved: _Saved, *, from_draft: bool
) -> None:
    """The answer, once the transaction has committed."""
    tr = context.tr
    assert update.effective_chat and update.effective_user
    if saved.problem is not None:
        await reply(update, context, saved.problem)
        if from_draft:
            await ask(update, context, saved.draft)
        return
    kind, entry = saved.kind, saved.entry
    assert kind is not None and entry is not None
    if from_draft:
        await conversation.clear(
            context.services, update.effective_chat.id, update.effective_user.id
        )
    body = card(
        tr,
        kind,
        saved.unit_name,
        entry.values,
        entry.occurred_on,
        entry.note,
        bool(entry.photo_file_id),
    )
    text = tr._("Saved as entry #{id}.").format(id=saved.activity_id) + "\n\n" + body
    await reply(update, context, text, reply_markup=_after_save(tr, saved.activity_id))


def _after_save(tr: Translator, activity_id: int) -> InlineKeyboardMarkup:
    return inline(
        [[(tr._("Edit"), f"mine:e:{activity_id}"), (tr._("Delete"), f"mine:d:{activity_id}")]]
    )


# --- the one-line shortcut ----------------------------------------------------------------------


async def shortcut(update: Update, context: AppContext, text: str) -> None:
    """``/log nha_dai_doan_ket 2 120tr "thôn 3"``: type, numbers in order, optional quoted note."""
    tr = context.tr
    try:
        tokens, note = split_note(nfc(text))
    except UnclosedQuote:
        await reply(
            update,
            context,
            tr._('A quote is not closed. Put the note between two quotes: "thôn 3".'),
        )
        return
    async with context.services.db.session() as session:
        kinds = await acts.active_kinds(session)
        kind = find_kind(kinds, tokens[0] if tokens else "")
        if kind is None:
            keys = ", ".join(k.key for k in sorted(kinds, key=lambda k: k.key))
            await reply(
                update,
                context,
                tr._(
                    "I don't know the activity “{key}”. Known codes: {keys}. Or send /log alone and choose."
                ).format(key=quote(tokens[0] if tokens else ""), keys=keys),
            )
            return
        try:
            values, day = assign(kind, tokens[1:], context.services.today())
        except ValueError:
            await reply(update, context, _shortcut_form(tr, kind))
            return
        if note is not None and len(note) > acts.MAX_NOTE:
            await reply(
                update,
                context,
                note_too_long(tr, len(note)),
            )
            return
        draft: dict[str, Any] = {
            "type": kind.key,
            "values": {k: str(v) for k, v in values.items()},
            "date": day.isoformat(),
            "note": note,
            "photo": None,
            "source": "shortcut",
            "answered": [],
        }
        over = acts.first_above_ceiling(kind, values)
        if over is not None:
            draft["values"].pop(over.key)
            draft["pending"] = {"key": over.key, "value": str(values[over.key])}
        units = await acts.units_for_logging(session, context.actor)
        if len(units) == 1:
            draft["unit_id"] = units[0].id
        else:
            last = await act_q.last_unit_of(session, context.actor.person.id)
            if last in {u.id for u in units}:
                draft["unit_id"] = last
        complete = acts.next_step(draft, kind.measures) == "review"
        if complete:
            saved = await _save_entry(session, context, draft, from_draft=False)
        else:
            await acts.save_draft(
                session, context.actor.person.id, draft, context.services.clock.now()
            )
    if complete:
        await _answer_saved(update, context, saved, from_draft=False)
        return
    await _set_state(update, context)
    await ask(update, context, draft)


def _shortcut_form(tr: Translator, kind: Kind) -> str:
    parts = " ".join(f"&lt;{esc(m.label(tr.locale))}&gt;" for m in kind.measures)
    sample = " ".join(
        example(tr, m.kind).split(",")[0] if m.kind == "money" else "2" for m in kind.measures
    )
    return tr._(
        'For {name} write: /log {key} {measures} "note"\nFor example: /log {key} {sample} "thôn 3"\nNumbers are never negative; money like 120tr or 1,5 tỷ.'
    ).format(
        name=f"<b>{esc(kind.name(tr.locale))}</b>", key=kind.key, measures=parts, sample=sample
    )


async def on_resume(update: Update, context: AppContext, state: FlowState) -> None:
    """Ask the draft's next question again (the reply to the last answer may have been lost)."""
    draft = await _draft(context)
    if draft is not None:
        await ask(update, context, draft)


register_flow(FLOW, on_text, on_media, on_resume)
