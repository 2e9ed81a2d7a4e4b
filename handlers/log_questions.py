"""The questions of the guided /log, as steps of the flow kernel (handlers/flow): the unit, the
activity, one step per measure of it (``m.<key>``), the "are you sure?" of a value above its
ceiling, the date, a note and a photo (the review card before saving is in log_save.py).

The answers are a draft (``LogState.draft``, the dict ``bot/activities/drafts.py`` reads, mirrored in
``log_drafts``). A step applies while its answer is missing, so the step asked is always the
first thing not answered yet (``acts.next_step``): after /back, /cancel, a restart, a week away
or a "change the date" on the review card, the same question comes back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from bot import activities as acts
from bot import locks
from bot.activities import Kind, Measure
from bot.date_parsing import parse_date
from bot.i18n import N_
from bot.parsing import ParseError, parse_amount
from handlers.common import esc, page_buttons
from handlers.entry_cards import (
    ceiling_question,
    date_problem,
    example,
    locked_day,
    measure_prompt_label,
    note_too_long,
    parse_problem,
)
from handlers.flow import Call, Next, Outcome, Redraw, Screen, Sent, Stay, Step
from handlers.labels import button_label
from storage.queries import units as units_q
from storage.text import nfc

FLOW = "log"
TYPES_PER_PAGE = 8
#: Dates further back than this are not a button any /log step makes.
MAX_DAYS_BACK = 3660

NOT_YOURS = N_("You can only log for your own units.")
NEEDS_A_NUMBER = N_(
    "An entry needs at least one number above 0. Type a number above 0, or /back to change an earlier answer."
)
BUTTONS_ONLY = N_("Please press one of the buttons above. /back goes one step back, /cancel stops.")


@dataclass
class LogState:
    """The flow's state: the draft, and what the steps need to know without the database."""

    #: The answers as the draft row holds them: ``unit_id``, ``type``, ``values`` (measure key ->
    #: decimal text), ``date``, ``note``, ``photo`` (None: answered "none"), ``answered`` (their
    #: order, for /back), ``pending`` (a value above its ceiling waiting for "are you sure?").
    draft: dict[str, Any] = field(default_factory=dict)
    #: The chosen activity's measures, one step each (set when the activity is chosen).
    measures: list[str] = field(default_factory=list)
    #: The page of the activity list shown.
    page: int = 0
    #: The review card shows its "what to change" menu instead of Save.
    editing: bool = False


def choose(state: LogState, kind: Kind) -> None:
    """The activity is chosen: its measures become steps."""
    state.draft = acts.answer(state.draft, "type", kind.key)
    state.measures = [m.key for m in kind.measures]
    state.page = 0


def step_of(field_name: str) -> str:
    """The step asking a draft field (``acts.next_step``'s ``m:<key>`` is step ``m.<key>``)."""
    return "m." + field_name[2:] if field_name.startswith("m:") else field_name


async def kind_of(call: Call, state: LogState) -> Kind | None:
    key = state.draft.get("type")
    return await acts.kind(call.session, key) if key else None


def titled(call: Call, kind: Kind | None, text: str) -> str:
    """A question about a chosen activity says which one it is."""
    return f"<b>{esc(kind.name(call.tr.locale))}</b>\n{text}" if kind is not None else text


async def buttons_only(call: Call, state: LogState, text: str) -> Outcome:
    return Stay(call.tr._(BUTTONS_ONLY))


def answered(state: LogState, name: str, value: Any) -> Outcome:
    state.draft = acts.answer(state.draft, name, value)
    return Next()


# --- the unit -----------------------------------------------------------------------------------


async def show_unit(call: Call, state: LogState) -> Screen:
    units = await acts.units_for_logging(call.session, call.actor)
    rows = [[(button_label(u.name), f"u:{u.id}")] for u in units]
    return Screen(call.tr._("Which unit is this for?"), rows)


async def press_unit(call: Call, state: LogState, action: str, args: list[str]) -> Outcome:
    if action != "u" or len(args) != 1:
        raise ValueError(action)
    unit_id = int(args[0])
    if unit_id not in {u.id for u in await acts.units_for_logging(call.session, call.actor)}:
        return Stay(call.tr._(NOT_YOURS))
    return answered(state, "unit_id", unit_id)


# --- the activity -------------------------------------------------------------------------------


async def show_type(call: Call, state: LogState) -> Screen:
    tr = call.tr
    kinds = await acts.offered_kinds(call.session, call.actor.person.id)
    page = state.page
    shown = kinds[page * TYPES_PER_PAGE : (page + 1) * TYPES_PER_PAGE]
    rows = [[(button_label(k.name(tr.locale)), f"t:{k.key}")] for k in shown]
    nav = page_buttons(tr, page, TYPES_PER_PAGE, len(kinds), lambda p: f"p:{p}")
    if nav:
        rows.append(nav)
    return Screen(tr._("What did you do? Choose the activity:"), rows)


async def press_type(call: Call, state: LogState, action: str, args: list[str]) -> Outcome:
    if action == "p":
        state.page = max(int(args[0]), 0)
        return Redraw()
    if action != "t":
        raise ValueError(action)
    chosen = await acts.kind(call.session, args[0])
    if chosen is None or chosen.retired:
        return Stay(call.tr._("This activity is no longer in the catalog. Choose another."))
    choose(state, chosen)
    return Next()


# --- one step per measure, and the ceiling's "are you sure?" ------------------------------------


async def _measure(call: Call, state: LogState, key: str) -> tuple[Kind, Measure]:
    kind = await kind_of(call, state)
    measure = kind.measure(key) if kind is not None else None
    if kind is None or measure is None:
        raise ValueError(key)  # the catalog lost it under a draft: the step cannot be asked
    return kind, measure


def zero_useless(state: LogState, kind: Kind, key: str) -> bool:
    """Whether 0 for measure ``key`` would leave the entry without a number above 0 (which it
    cannot be saved without): the activity's only measure, or the last one after zeros. Then
    "0 — none" is not offered, and a typed 0 is refused at once rather than at Save."""
    values = state.draft.get("values", {})
    others = [m.key for m in kind.measures if m.key != key]
    return all(k in values and Decimal(str(values[k])) == 0 for k in others)


def measure_step(key: str) -> Step[LogState]:
    """The step asking the value of the chosen activity's measure ``key``."""

    async def show(call: Call, state: LogState) -> Screen:
        tr = call.tr
        kind, measure = await _measure(call, state, key)
        label = measure_prompt_label(tr, measure)
        text = tr._("{label}? Type a number, for example {example}.").format(
            label=label, example=example(tr, measure.kind)
        )
        text += "\n" + tr._("/back goes one step back.")
        if zero_useless(state, kind, key):
            return Screen(titled(call, kind, text))
        return Screen(titled(call, kind, text), [[(tr._("0 — none"), "z")]])

    async def typed(call: Call, state: LogState, text: str) -> Outcome:
        tr = call.tr
        kind, measure = await _measure(call, state, key)
        try:
            value = parse_amount(nfc(text), measure.kind)  # type: ignore[arg-type]
        except ParseError as exc:
            return Stay(parse_problem(tr, exc, measure.kind, measure.label(tr.locale)))
        if value == 0 and zero_useless(state, kind, key):
            return Stay(tr._(NEEDS_A_NUMBER))
        if acts.above_ceiling(measure, value):
            state.draft = {**state.draft, "pending": {"key": key, "value": str(value)}}
            return Next(to="confirm")
        return answered(state, f"m:{key}", str(value))

    async def press(call: Call, state: LogState, action: str, args: list[str]) -> Outcome:
        if action != "z" or args:
            raise ValueError(action)
        kind, _ = await _measure(call, state, key)
        if zero_useless(state, kind, key):  # an old button, from before the other answers
            return Stay(call.tr._(NEEDS_A_NUMBER))
        return answered(state, f"m:{key}", "0")

    return Step(
        f"m.{key}",
        show,
        typed=typed,
        press=press,
        applies=lambda s: key not in s.draft.get("values", {}),
    )


def is_pending(state: LogState) -> bool:
    return bool(state.draft.get("pending"))


async def show_confirm(call: Call, state: LogState) -> Screen:
    tr = call.tr
    pending = state.draft["pending"]
    kind, measure = await _measure(call, state, pending["key"])
    text = ceiling_question(tr, measure, Decimal(pending["value"]))
    buttons = [[(tr._("Yes, it is right"), "y"), (tr._("No, type again"), "n")]]
    return Screen(titled(call, kind, text), buttons)


async def press_confirm(call: Call, state: LogState, action: str, args: list[str]) -> Outcome:
    if action not in ("y", "n") or args:
        raise ValueError(action)
    draft = dict(state.draft)
    pending = draft.pop("pending")
    state.draft = draft
    if action == "y":
        state.draft = acts.answer(draft, f"m:{pending['key']}", pending["value"])
    # On to the first thing not answered: the next measure, or this one again after "no".
    return Next()


def first_open(state: LogState) -> str:
    """The name of the first step not answered yet (the review card when all are)."""
    return step_of(acts.next_step(state.draft, state.measures))


# --- the date, a note, a photo ------------------------------------------------------------------


async def show_date(call: Call, state: LogState) -> Screen:
    tr = call.tr
    text = tr._("When did it take place? Type the date (dd/mm/yyyy) or press a button.")
    buttons = [[(tr._("Today"), "d:0"), (tr._("Yesterday"), "d:1")]]
    return Screen(titled(call, await kind_of(call, state), text), buttons)


async def typed_date(call: Call, state: LogState, text: str) -> Outcome:
    today = call.services.today()
    try:
        day = parse_date(nfc(text), today)
    except ParseError as exc:
        return Stay(date_problem(call.tr, exc, today))
    return await dated(call, state, day)


async def press_date(call: Call, state: LogState, action: str, args: list[str]) -> Outcome:
    days = int(args[0])
    if action != "d" or not 0 <= days <= MAX_DAYS_BACK:
        raise ValueError(action)
    return await dated(call, state, call.services.today() - timedelta(days=days))


async def dated(call: Call, state: LogState, day: date) -> Outcome:
    """The date, unless an approved report locks it for the draft's unit: refused here, at the
    date, with the report that locked it (not at Save, after every other answer), the draft kept."""
    unit_id = state.draft.get("unit_id")
    unit = await units_q.get(call.session, int(unit_id)) if unit_id is not None else None
    lock = await locks.lock_on(call.session, unit, day) if unit is not None else None
    if lock is not None:  # a message, not an alert (too long for one), and the question again
        return Next(to="date", text=locked_day(call.tr, day, lock))
    return answered(state, "date", day.isoformat())


async def show_note(call: Call, state: LogState) -> Screen:
    tr = call.tr
    text = tr._("A short note (optional, at most {max} characters)?").format(
        max=tr.number(acts.MAX_NOTE)
    )
    return Screen(titled(call, await kind_of(call, state), text), [[(tr._("No note"), "n")]])


async def typed_note(call: Call, state: LogState, text: str) -> Outcome:
    text = nfc(text)
    if len(text) > acts.MAX_NOTE:
        return Stay(note_too_long(call.tr, len(text)))
    return answered(state, "note", text)


async def press_note(call: Call, state: LogState, action: str, args: list[str]) -> Outcome:
    if action != "n" or args:
        raise ValueError(action)
    return answered(state, "note", None)


def skip_note(state: LogState) -> None:
    state.draft = acts.answer(state.draft, "note", None)


async def show_photo(call: Call, state: LogState) -> Screen:
    tr = call.tr
    text = tr._("Send a photo (optional).")
    return Screen(titled(call, await kind_of(call, state), text), [[(tr._("No photo"), "p")]])


async def typed_photo(call: Call, state: LogState, text: str) -> Outcome:
    return Stay(call.tr._("Send a photo, or press “No photo”."))


async def sent_photo(call: Call, state: LogState, sent: Sent) -> Outcome:
    if sent.kind != "photo":
        return Stay(call.tr._("Send the picture as a photo (not as a file), or press “No photo”."))
    return answered(state, "photo", sent.file_id)


async def press_photo(call: Call, state: LogState, action: str, args: list[str]) -> Outcome:
    if action != "p" or args:
        raise ValueError(action)
    return answered(state, "photo", None)


def skip_photo(state: LogState) -> None:
    state.draft = acts.answer(state.draft, "photo", None)


def unanswered(name: str) -> Any:
    return lambda state: name not in state.draft


# The unit step is in log_save.py: a shortcut that lacked only its unit is saved on the press.
TYPE = Step("type", show_type, typed=buttons_only, press=press_type, applies=unanswered("type"))
CONFIRM = Step("confirm", show_confirm, press=press_confirm, applies=is_pending, yes_no=("y", "n"))
DATE = Step("date", show_date, typed=typed_date, press=press_date, applies=unanswered("date"))
NOTE = Step(
    "note",
    show_note,
    typed=typed_note,
    press=press_note,
    optional=True,
    skip=skip_note,
    applies=unanswered("note"),
)
PHOTO = Step(
    "photo",
    show_photo,
    typed=typed_photo,
    press=press_photo,
    sent=sent_photo,
    optional=True,
    skip=skip_photo,
    applies=unanswered("photo"),
)
