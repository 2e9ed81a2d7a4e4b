"""Changing one field of a saved entry: a one-shot flow on the kernel (handlers/flow), opened by
its button in /mine (``mine:f:<id>:<field>``, handlers/mine.py) with ``flow.open_at`` in the same
transaction as the check that the entry may change.

The new value is typed (or "Keep it as it is" pressed); a value above its measure's ceiling waits
in the state until the cadre confirms it, as in /log, and a value typed instead replaces it.
/cancel keeps the entry as it is; a button of a prompt already answered gets an alert.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bot import activities as acts
from bot.activities import EntryError, Kind, Measure
from bot.date_parsing import parse_date
from bot.i18n import N_
from bot.parsing import ParseError, parse_amount
from handlers import flow
from handlers.access_rules import Who
from handlers.common import esc
from handlers.entry_cards import (
    card,
    ceiling_question,
    date_problem,
    entry_problem,
    note_too_long,
    parse_problem,
)
from handlers.flow import Call, Finish, Next, Outcome, Redraw, Screen, Stay, Step
from handlers.flow_units import entry_unit
from storage.models import Activity
from storage.queries import activities as act_q
from storage.text import nfc

FLOW = "edit"
FORBIDDEN = N_("You can only change entries of your own units.")


@dataclass
class EditState:
    #: The entry, and the field changed: ``m:<measure key>``, ``date`` or ``note``.
    id: int = 0
    field: str = ""
    #: A value above its ceiling, waiting for "are you sure?".
    value: str | None = None


def measure_of(kind: Kind, field: str) -> Measure | None:
    return kind.measure(field[2:]) if field.startswith("m:") else None


def changeable(kind: Kind, field: str) -> bool:
    return field in ("date", "note") or measure_of(kind, field) is not None


async def _kind(call: Call, state: EditState) -> Kind | None:
    activity = await call.session.get(Activity, state.id)
    return await acts.kind(call.session, activity.type_key) if activity is not None else None


async def begin(call: Call) -> Stay:
    """Only a button opens it (for one entry and field)."""
    return Stay(call.tr._("Open /mine and press Edit on the entry to change."))


async def show_value(call: Call, state: EditState) -> Screen:
    tr = call.tr
    kind = await _kind(call, state)
    measure = measure_of(kind, state.field) if kind is not None else None
    if measure is not None:
        prompt = tr._("Type the new value for “{label}”.").format(
            label=esc(measure.label(tr.locale))
        )
    elif state.field == "date":
        prompt = tr._("Type the new date (dd/mm/yyyy).")
    else:
        prompt = tr._("Type the new note, or send a single dash (-) to remove it.")
    text = prompt + "\n" + tr._("/cancel keeps the entry as it is.")
    return Screen(text, [[(tr._("Keep it as it is"), "k")]])


async def typed_value(call: Call, state: EditState, text: str) -> Outcome:
    return await _typed(call, state, text, asking=False)


async def typed_confirm(call: Call, state: EditState, text: str) -> Outcome:
    """A value typed while "are you sure?" is open replaces the one in question (a typed yes or
    no is its buttons' press: ``Step.yes_no``)."""
    return await _typed(call, state, text, asking=True)


async def _typed(call: Call, state: EditState, text: str, *, asking: bool) -> Outcome:
    tr = call.tr
    try:
        activity, _unit = await acts.editable(call.session, call.actor, state.id)
    except EntryError as exc:
        return Finish(entry_problem(tr, exc.code))
    kind = await acts.kind(call.session, activity.type_key)
    assert kind is not None
    change, problem = _parse_change(call, kind, state.field, nfc(text))
    if problem is not None:  # at "are you sure?", neither a value nor a yes or a no
        return Stay(problem + "\n" + tr._(flow.YES_NO_ONLY) if asking else problem)
    measure = measure_of(kind, state.field)
    if measure is not None and acts.above_ceiling(measure, change["values"][measure.key]):
        state.value = str(change["values"][measure.key])
        return Redraw() if asking else Next(to="confirm")
    return await _save_change(call, state.id, change)


async def press_value(call: Call, state: EditState, action: str, args: list[str]) -> Outcome:
    if action != "k":
        raise ValueError(action)
    return Finish(call.tr._("Entry #{id} was kept.").format(id=state.id))


def _parse_change(
    call: Call, kind: Kind, field: str, text: str
) -> tuple[dict[str, Any], str | None]:
    """The typed text as ``acts.edit_entry``'s arguments, or the problem with it."""
    tr = call.tr
    measure = measure_of(kind, field)
    if measure is not None:
        try:
            value = parse_amount(text, measure.kind)  # type: ignore[arg-type]
        except ParseError as exc:
            return {}, parse_problem(tr, exc, measure.kind, measure.label(tr.locale))
        return {"values": {measure.key: value}}, None
    if field == "date":
        today = call.services.today()
        try:
            return {"occurred_on": parse_date(text, today)}, None
        except ParseError as exc:
            return {}, date_problem(tr, exc, today)
    if len(text) > acts.MAX_NOTE:
        return {}, note_too_long(tr, len(text))
    return {"note": None if text == "-" else text, "change_note": True}, None


async def show_confirm(call: Call, state: EditState) -> Screen:
    tr = call.tr
    kind = await _kind(call, state)
    measure = measure_of(kind, state.field) if kind is not None else None
    if measure is None or state.value is None:
        raise ValueError(state.field)
    buttons = [[(tr._("Yes, it is right"), "y"), (tr._("No, type again"), "n")]]
    return Screen(ceiling_question(tr, measure, Decimal(state.value)), buttons)


async def press_confirm(call: Call, state: EditState, action: str, args: list[str]) -> Outcome:
    """ "Yes, it is right" saves the value in question; "No, type again" asks for it again."""
    if action == "n":
        state.value = None
        return Next(to="value")
    if action != "y" or state.value is None:
        raise ValueError(action)
    return await _save_change(call, state.id, {"values": {state.field[2:]: Decimal(state.value)}})


async def _save_change(call: Call, ident: int, change: dict[str, Any]) -> Outcome:
    tr, session = call.tr, call.session
    try:
        # A refused change leaves nothing behind (the entry's row may have been touched).
        async with session.begin_nested():
            activity, unit = await acts.editable(session, call.actor, ident)
            kind = await acts.kind(session, activity.type_key)
            assert kind is not None
            await acts.edit_entry(session, call.actor, ident, call.now, **change)
            values = (await act_q.values_of(session, [ident]))[ident]
            body = card(
                tr,
                kind,
                unit.name,
                {k: acts.from_milli(v) for k, v in values.items()},
                activity.occurred_on,
                activity.note,
                bool(activity.photo_file_id),
            )
    except EntryError as exc:
        return Finish(entry_problem(tr, exc.code))
    return Finish(tr._("Entry #{id} was changed.").format(id=ident) + "\n\n" + body)


EDIT = flow.register(
    flow.Flow(
        name=FLOW,
        command="mine",
        prefix="ed",
        title=N_("the change to your entry"),
        state=EditState,
        steps=(
            Step("value", show_value, typed=typed_value, press=press_value),
            Step(
                "confirm",
                show_confirm,
                typed=typed_confirm,
                press=press_confirm,
                applies=lambda s: s.value is not None,
                yes_no=("y", "n"),
            ),
        ),
        begin=begin,
        reopen=N_("Cancelled. The entry stays as it was."),
        unit=entry_unit,
    )
)


on_button = flow.button_handler(
    EDIT,
    Who.MEMBER,
    stale=N_("This button is no longer active."),
    why="the entry re-checked by activities.editable at every answer",
    refusals=(FORBIDDEN,),
)
