"""Saving a /log entry: the review card that ends the guided flow (a step of the kernel), the one-line
shortcut (``/log nha_dai_doan_ket 2 120tr "thôn 3"``, read by bot/log_shortcut.py), and the save
itself, in the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from babel.dates import format_time
from telegram import InlineKeyboardMarkup, Update

from bot import activities as acts
from bot import locks
from bot import proposals as props
from bot.activities import EntryError, Kind, NewEntry
from bot.i18n import N_, Translator
from bot.log_shortcut import (
    AmountError,
    TwoNotes,
    UnclosedQuote,
    assign,
    lead_kind,
    split_note,
)
from bot.parsing import ParseError
from handlers import flow
from handlers.common import esc, inline, quote, reply
from handlers.context import AppContext
from handlers.entry_cards import (
    card,
    date_problem,
    entry_problem,
    example,
    locked_day,
    note_too_long,
    parse_problem,
)
from handlers.flow import Call, Finish, Next, Outcome, Redraw, Screen, Step
from handlers.labels import button_label
from handlers.log_questions import (
    FLOW,
    LogState,
    buttons_only,
    first_open,
    kind_of,
    press_unit,
    show_unit,
    step_of,
    titled,
)
from storage.models import Activity, Unit
from storage.queries import activities as act_q
from storage.queries import units as units_q
from storage.text import nfc

#: What the review card's "change" menu may reopen (a measure: ``m.<key>``).
CHANGEABLE = ("date", "note", "photo", "type")
#: A proposal read from a cadre's words (handlers/proposals.py) saved already.
SAVED_ALREADY = N_("This was saved already, as entry #{id}; it is not saved twice.")


@dataclass
class Saved:
    """What ``save_entry`` did: the entry saved, or the problem and the draft to ask again from."""

    draft: dict[str, Any]
    problem: str | None = None
    activity_id: int = 0
    kind: Kind | None = None
    unit_name: str = ""
    entry: NewEntry | None = None
    #: Refused because an approved report locks the date: the draft lacks its date.
    locked: bool = False
    #: The draft can never be saved: its proposal (issue 18) was saved already, by the card's
    #: Save or by another copy of it. The flow ends instead of asking again.
    closed: bool = False


async def save_entry(call: Call, draft: dict[str, Any], *, from_draft: bool) -> Saved:
    """The save itself, in the caller's transaction. A guided draft is discarded once saved (or
    its numbers cleared when they were all 0); the shortcut leaves the guided draft alone."""
    tr, session = call.tr, call.session
    kind = await acts.kind(session, draft["type"]) if draft.get("type") else None
    if kind is None or acts.next_step(draft, [m.key for m in kind.measures]) != "review":
        return Saved(
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
    proposal = int(draft["proposal"]) if draft.get("proposal") is not None else None
    if proposal is not None and not await props.claim(session, call.actor, proposal):
        earlier = await props.load(session, call.actor, proposal)
        if earlier is not None and earlier.activity_id is not None:
            # Saved already (a second press, or the card's Save and then its guided copy's).
            if from_draft:
                await acts.discard_draft(session, call.actor.person.id)
            return Saved(draft, tr._(SAVED_ALREADY).format(id=earlier.activity_id), closed=True)
        proposal = None  # its row is gone (kept a month): saved as any guided entry is
    try:
        activity = await acts.create_entry(session, call.actor, entry, call.now)
    except EntryError as exc:
        if proposal is not None:  # refused: the proposal stays open for the answer asked now
            await props.release(session, proposal)
        if exc.code == "locked":
            # Asked again at the date (the guided flow's date step says why before Save; the
            # shortcut and a date given before the unit end here): the rest of the draft is kept.
            lock = await locks.lock_on(session, await _unit(call, entry.unit_id), entry.occurred_on)
            if lock is not None:
                problem = locked_day(tr, entry.occurred_on, lock)
                return Saved(acts.forget(draft, "date"), problem, locked=True)
        if exc.code in ("all_zero", "too_large"):
            draft = {
                **draft,
                "values": {},
                "answered": [a for a in draft.get("answered", []) if not a.startswith("m:")],
            }
        elif exc.code == "bad_date":
            # A draft kept from before dates were checked at input: ask the date again, or the
            # draft fails at every save.
            draft = acts.forget(draft, "date")
        return Saved(draft, entry_problem(tr, exc.code))
    if proposal is not None:
        await props.saved(session, proposal, activity.id)
    if from_draft:
        await acts.discard_draft(session, call.actor.person.id)
    unit = await _unit(call, entry.unit_id)
    return Saved(draft, None, activity.id, kind, unit.name, entry)


async def _unit(call: Call, unit_id: int) -> Unit:
    unit = call.actor.unit(unit_id) or await units_q.get(call.session, unit_id)
    assert unit is not None
    return unit


def saved_text(tr: Translator, saved: Saved) -> str:
    kind, entry = saved.kind, saved.entry
    assert kind is not None and entry is not None
    body = card(
        tr,
        kind,
        saved.unit_name,
        entry.values,
        entry.occurred_on,
        entry.note,
        bool(entry.photo_file_id),
    )
    return tr._("Saved as entry #{id}.").format(id=saved.activity_id) + "\n\n" + body


def after_save(tr: Translator, activity_id: int) -> list[list[tuple[str, str]]]:
    """The saved entry's own buttons (handlers/mine.py)."""
    return [[(tr._("Edit"), f"mine:e:{activity_id}"), (tr._("Delete"), f"mine:d:{activity_id}")]]


# --- the review card ----------------------------------------------------------------------------


async def show_review(call: Call, state: LogState) -> Screen:
    tr, draft = call.tr, state.draft
    kind = await kind_of(call, state)
    unit = await units_q.get(call.session, int(draft["unit_id"]))
    assert kind is not None and unit is not None
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
    if state.editing:
        rows = [[(button_label(m.label(tr.locale), 40), f"f:m.{m.key}")] for m in kind.measures]
        rows.append(
            [(tr._("Date"), "f:date"), (tr._("Note"), "f:note"), (tr._("Photo"), "f:photo")]
        )
        # Back to the card with Save: a proposal's Edit opens this menu, and its reader may
        # have got everything right after all.
        rows.append([(tr._("Activity"), "f:type"), ("‹ " + tr._("Back"), "b")])
        return Screen(text, rows)
    buttons = [
        [(tr._("Save"), "s")],
        [(tr._("Change something"), "e"), (tr._("Discard"), "x")],
    ]
    return Screen(text, buttons)


async def press_review(call: Call, state: LogState, action: str, args: list[str]) -> Outcome:
    tr = call.tr
    if len(args) != (action == "f"):
        raise ValueError(args)
    if action == "s":
        kind = await kind_of(call, state)
        if kind is not None:
            state.measures = [m.key for m in kind.measures]  # the catalog may have changed
        saved = await save_entry(call, state.draft, from_draft=True)
        if saved.closed:
            return Finish(saved.problem or "")
        if saved.problem is not None:
            state.draft, state.editing = saved.draft, False
            return Next(to=first_open(state), text=saved.problem)
        return Finish(saved_text(tr, saved), buttons=after_save(tr, saved.activity_id))
    if action in ("e", "b"):
        state.editing = action == "e"
        return Redraw()
    if action == "f":
        name = args[0]
        measure = name.startswith("m.") and name[2:] in state.measures
        if name not in CHANGEABLE and not measure:
            raise ValueError(name)
        field = "m:" + name[2:] if name.startswith("m.") else name
        state.draft, state.editing = acts.forget(state.draft, field), False
        return Next(to=step_of(field))
    if action == "x":
        await acts.discard_draft(call.session, call.actor.person.id)
        return Finish(tr._("The entry was discarded."))
    raise ValueError(action)


REVIEW = Step("review", show_review, typed=buttons_only, press=press_review)


# --- the one-line shortcut ----------------------------------------------------------------------


async def shortcut(update: Update, context: AppContext, text: str) -> None:
    """``/log nha_dai_doan_ket 2 120tr "thôn 3"``: type, numbers in order, optional quoted note.
    Complete, it is saved at once; otherwise (a value above its ceiling, a unit to choose) the
    guided flow takes over from the first thing not answered."""
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
    except TwoNotes:
        await reply(
            update,
            context,
            tr._(
                'Only one note, between two quotes: "thôn 3". Numbers need no quotes: /log hoa_giai 2 "thôn 3".'
            ),
        )
        return
    async with context.services.db.session() as session:
        call = flow.call_for(context, session)
        kinds = await acts.active_kinds(session)
        kind, named = lead_kind(kinds, tokens)
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
        today = context.services.today()
        try:
            values, day = assign(kind, tokens[named:], today)
        except AmountError as error:
            label = error.measure.label(tr.locale) if error.measure else kind.name(tr.locale)
            await reply(update, context, parse_problem(tr, error.error, error.kind, label))
            return
        except ParseError as error:
            await reply(update, context, date_problem(tr, error, today))
            return
        except ValueError:
            await reply(update, context, shortcut_form(tr, kind))
            return
        if note is not None and len(note) > acts.MAX_NOTE:
            await reply(update, context, note_too_long(tr, len(note)))
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
        # Several units and none named: asked with buttons (the last one logged for first), and
        # the entry is saved as soon as one is pressed (``press_unit_then_save``), never put
        # under a unit the person did not choose for it.
        if acts.next_step(draft, [m.key for m in kind.measures]) != "review":
            state = LogState(draft, [m.key for m in kind.measures])
            log = flow.flow_named(FLOW)
            assert log is not None
            await flow.open_at(update, context, log, state, call=call)
            return
        repeat = await acts.repeat_of(
            session, context.actor.person.id, shortcut_entry(kind, draft), call.now - REPEAT_WINDOW
        )
        # A locked day is refused below with its reason: "save another?" would lead nowhere.
        unit = await _unit(call, int(draft["unit_id"]))
        if repeat is not None and await locks.lock_on(session, unit, day) is None:
            await reply(update, context, *offer_again(tr, repeat))
            return
        saved = await save_entry(call, draft, from_draft=False)
        if saved.problem is not None:
            await reply(update, context, saved.problem)
            if saved.locked:  # the numbers typed are kept: the guided flow asks another date
                await _ask_date(update, context, call, saved.draft, kind)
            return
        markup = inline(after_save(tr, saved.activity_id))
        await reply(update, context, saved_text(tr, saved), reply_markup=markup)


async def _ask_date(
    update: Update, context: AppContext, call: Call, draft: dict[str, Any], kind: Kind
) -> None:
    log = flow.flow_named(FLOW)
    assert log is not None
    await flow.open_at(update, context, log, LogState(draft, [m.key for m in kind.measures]), call)


#: The same shortcut again within this time asks before it saves a second entry: most likely the
#: answer to the first never came (Telegram away) and the person sent it again.
REPEAT_WINDOW = timedelta(minutes=10)


def shortcut_entry(kind: Kind, draft: dict[str, Any]) -> NewEntry:
    """What a complete shortcut draft would save."""
    return NewEntry(
        unit_id=int(draft["unit_id"]),
        type_key=kind.key,
        values=acts.values_of(draft),
        occurred_on=date.fromisoformat(draft["date"]),
        note=draft.get("note"),
        photo_file_id=draft.get("photo"),
        source="shortcut",
    )


def offer_again(tr: Translator, repeat: Activity) -> tuple[str, InlineKeyboardMarkup]:
    """ "Entry #12 was saved at 10:02 — save another one?", Yes / No (handlers/log_again.py)."""
    at = format_time(tr.local(repeat.created_at), "HH:mm", locale=tr.locale)
    text = tr._("Entry #{id} was saved at {time} — save another one?").format(id=repeat.id, time=at)
    buttons = [
        [
            (tr._("Yes, save another"), f"lga:y:{repeat.id}"),
            (tr._("No"), f"lga:n:{repeat.id}"),
        ]
    ]
    return text, inline(buttons)


def shortcut_form(tr: Translator, kind: Kind) -> str:
    parts = " ".join(f"&lt;{esc(m.label(tr.locale))}&gt;" for m in kind.measures)
    sample = " ".join(
        example(tr, m.kind).split(",")[0] if m.kind == "money" else "2" for m in kind.measures
    )
    return tr._(
        'For {name} write: /log {key} {measures} [date] ["note"]\nFor example: /log {key} {sample} hôm qua "thôn 3"\nThe date (dd/mm or hôm qua) may be left out: then it is today. Only the note goes between quotes; a number in quotes ("120tr") is read as a number. Numbers are never negative; money like 120tr or 1,5 tỷ.'
    ).format(
        name=f"<b>{esc(kind.name(tr.locale))}</b>", key=kind.key, measures=parts, sample=sample
    )


# --- the unit, asked when the shortcut cannot tell it -------------------------------------------


async def show_unit_for(call: Call, state: LogState) -> Screen:
    """The guided flow's unit question; for a complete shortcut it names the activity, says the
    entry is saved on the press, and puts the unit last logged for first."""
    screen = await show_unit(call, state)
    if state.draft.get("source") != "shortcut":
        return screen
    last = await act_q.last_unit_of(call.session, call.actor.person.id)
    rows = sorted(screen.buttons, key=lambda row: row[0][1] != f"u:{last}")
    text = call.tr._("Which unit is this for? The entry is saved as soon as you choose.")
    return Screen(titled(call, await kind_of(call, state), text), rows)


async def press_unit_then_save(
    call: Call, state: LogState, action: str, args: list[str]
) -> Outcome:
    """The unit; a shortcut that lacked only its unit is then saved at once (it was typed
    complete: no review card to press through)."""
    outcome = await press_unit(call, state, action, args)
    complete = first_open(state) == "review"
    if not isinstance(outcome, Next) or state.draft.get("source") != "shortcut" or not complete:
        return outcome
    saved = await save_entry(call, state.draft, from_draft=True)
    if saved.problem is not None:
        state.draft = saved.draft
        return Next(to=first_open(state), text=saved.problem)
    return Finish(saved_text(call.tr, saved), buttons=after_save(call.tr, saved.activity_id))


UNIT = Step(
    "unit",
    show_unit_for,
    typed=buttons_only,
    press=press_unit_then_save,
    applies=lambda state: "unit_id" not in state.draft,
)
