"""/petition (menu: "Kiến nghị"): a cadre records a citizens' recommendation, step by step.

A flow on the flow kernel (handlers/flow): what is asked → category → place (only when there
are several: the cadre's unit or an area below it) → source → how many citizens (optional, 1)
→ the day it was received (optional, today) → photos and documents (optional, several) → the
citizen's consent to keep their name and phone (its own yes/no) → name and phone (only with
consent) → a review card → Save. /back, /skip, /cancel (the draft is kept; /petition offers
"Continue / Start over") and resume come from the kernel. Saving stores the item with its code
and first history step and queues the notice to its Front leaders, in the step's transaction
(bot/petition_record.py). ``/petition KN-…`` opens an item's card instead (card.py).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from bot import petition_record as pr
from bot import petition_workflow as wf
from bot import petitions
from bot.date_parsing import parse_date
from bot.i18n import N_
from bot.parsing import ParseError
from handlers import flow
from handlers.access_rules import PRIVATE, Who, rule
from handlers.common import NOT_MEMBER, esc
from handlers.context import AppContext
from handlers.entry_cards import date_problem
from handlers.flow import Call, Finish, Next, Redraw, Sent, Stay, Step
from handlers.petitions.card import render_card
from handlers.petitions.record_steps import (
    PetitionDraft,
    show_category,
    show_consent,
    show_files,
    show_name,
    show_people,
    show_phone,
    show_place,
    show_received,
    show_review,
    show_source,
    show_text,
    today,
)
from handlers.petitions.record_texts import (
    NOT_A_RECORDER,
    NOT_FOUND,
    STALE,
    WRONG_CHAT,
    problem,
)


def onward(draft: PetitionDraft) -> Next:
    if not draft.reviewing:
        return Next()
    return Next(to=draft.missing() or "review")


async def via_unit(session: AsyncSession, draft: PetitionDraft) -> int | None:
    """The membership unit that lets the cadre record for the chosen place: when it ends, the
    draft is closed with it (bot/members.py)."""
    return draft.via_id


async def begin(call: Call) -> PetitionDraft | Stay:
    if not pr.can_record(call.actor):
        return Stay(call.tr._(NOT_A_RECORDER))
    places = await pr.places(call.session, call.actor)
    if not places:
        return Stay(call.tr._(NOT_A_RECORDER))
    if len(places) == 1:
        return PetitionDraft(place_id=places[0].unit.id, via_id=places[0].via.id)
    return PetitionDraft(several=True)


async def needs_text(call: Call, draft: PetitionDraft, sent: Sent) -> flow.Outcome:
    return Stay(call.tr._("This step needs text, not a file or picture."))


# --- what is asked ------------------------------------------------------------------------------


async def typed_text(call: Call, draft: PetitionDraft, text: str) -> flow.Outcome:
    try:
        draft.text = pr.check_text(text)
    except pr.RecordError as exc:
        return Stay(problem(call.tr, exc.code))
    return onward(draft)


async def press_category(
    call: Call, draft: PetitionDraft, action: str, args: list[str]
) -> flow.Outcome:
    if action != "c" or args[0] not in petitions.CATEGORIES:
        raise ValueError(args)
    draft.category = args[0]
    return onward(draft)


async def press_place(
    call: Call, draft: PetitionDraft, action: str, args: list[str]
) -> flow.Outcome:
    if action != "p":
        raise ValueError(action)
    unit_id = int(args[0])
    chosen = next(
        (p for p in await pr.places(call.session, call.actor) if p.unit.id == unit_id), None
    )
    if chosen is None:
        return Stay(call.tr._(STALE))
    draft.place_id, draft.via_id = chosen.unit.id, chosen.via.id
    return onward(draft)


async def press_source(
    call: Call, draft: PetitionDraft, action: str, args: list[str]
) -> flow.Outcome:
    if action != "s" or args[0] not in petitions.SOURCES:
        raise ValueError(args)
    draft.source = args[0]
    return onward(draft)


# --- how many, when, files ----------------------------------------------------------------------


def skip_people(draft: PetitionDraft) -> Next:
    draft.people = 1
    return onward(draft)


async def typed_people(call: Call, draft: PetitionDraft, text: str) -> flow.Outcome:
    try:
        draft.people = pr.parse_count(text)
    except pr.RecordError as exc:
        return Stay(problem(call.tr, exc.code))
    return onward(draft)


async def press_people(
    call: Call, draft: PetitionDraft, action: str, args: list[str]
) -> flow.Outcome:
    if action != "sk":
        raise ValueError(action)
    return skip_people(draft)


def skip_received(draft: PetitionDraft) -> Next:
    draft.received = ""  # today, as of saving
    return onward(draft)


async def typed_received(call: Call, draft: PetitionDraft, text: str) -> flow.Outcome:
    day_today = today(call)
    try:
        day = parse_date(text, day_today)
    except ParseError as exc:
        if exc.code == "future_date":
            return Stay(problem(call.tr, "future"))
        return Stay(date_problem(call.tr, exc, day_today))
    draft.received = day.isoformat()
    return onward(draft)


async def press_received(
    call: Call, draft: PetitionDraft, action: str, args: list[str]
) -> flow.Outcome:
    if action != "sk":
        raise ValueError(action)
    return skip_received(draft)


async def sent_file(call: Call, draft: PetitionDraft, sent: Sent) -> flow.Outcome:
    if sent.kind not in ("photo", "document"):
        return Stay(call.tr._("Send a photo or a document, or press Done."))
    if len(draft.files) >= pr.FILES_MAX:
        return Stay(problem(call.tr, "files"))
    draft.files.append([sent.kind, sent.file_id])
    return Redraw()


async def typed_file(call: Call, draft: PetitionDraft, text: str) -> flow.Outcome:
    return Stay(call.tr._("Send a photo or a document, or press Done."))


def skip_files(draft: PetitionDraft) -> Next:
    draft.files_done = True
    return onward(draft)


async def press_files(
    call: Call, draft: PetitionDraft, action: str, args: list[str]
) -> flow.Outcome:
    if action != "d":
        raise ValueError(action)
    return skip_files(draft)


# --- the citizen --------------------------------------------------------------------------------


def _consent(draft: PetitionDraft, given: bool) -> Next:
    draft.consent = given
    if not given:
        draft.name = draft.phone = None  # nothing of the citizen is kept without consent
    draft.reviewing = draft.reviewing or not given
    return onward(draft)


async def press_consent(
    call: Call, draft: PetitionDraft, action: str, args: list[str]
) -> flow.Outcome:
    if action not in ("y", "n"):
        raise ValueError(action)
    return _consent(draft, action == "y")


async def typed_name(call: Call, draft: PetitionDraft, text: str) -> flow.Outcome:
    try:
        draft.name = pr.check_name(text)
    except pr.RecordError as exc:
        return Stay(problem(call.tr, exc.code))
    return onward(draft)


async def typed_phone(call: Call, draft: PetitionDraft, text: str) -> flow.Outcome:
    try:
        draft.phone = pr.check_phone(text)
    except pr.RecordError as exc:
        return Stay(problem(call.tr, exc.code))
    draft.reviewing = True
    return onward(draft)


def skip_phone(draft: PetitionDraft) -> Next:
    draft.phone = ""
    draft.reviewing = True
    return onward(draft)


# --- review and save ----------------------------------------------------------------------------


async def press_review(
    call: Call, draft: PetitionDraft, action: str, args: list[str]
) -> flow.Outcome:
    if action != "go":
        raise ValueError(action)
    missing = draft.missing()
    if missing is not None:
        return Next(to=missing)
    day_today = today(call)
    new = pr.NewPetition(
        text=draft.text or "",
        category=draft.category or "",
        source=draft.source or "",
        place_id=draft.place_id or 0,
        received_on=date.fromisoformat(draft.received) if draft.received else day_today,
        people_count=draft.people or 1,
        consent=bool(draft.consent),
        citizen_name=draft.name if draft.consent else None,
        citizen_phone=(draft.phone or None) if draft.consent else None,
        files=[(kind, file_id) for kind, file_id in draft.files],
    )
    try:
        async with call.session.begin_nested():
            petition = await pr.record(call.session, call.actor, new, call.now, day_today)
    except pr.RecordError as exc:
        step = {"place": "place", "future": "received", "category": "category"}.get(exc.code)
        if step is not None:
            return Next(to=step, text=problem(call.tr, exc.code))
        return Stay(problem(call.tr, exc.code))
    # The full card, as /petition CODE shows it, with the buttons the recorder may use now
    # (a leader recording can forward it at once; everyone gets the citizen's link).
    tr = call.tr
    item = await wf.load(call.session, call.actor, petition.id)
    card, rows = await render_card(call.session, tr, call.actor, item, day_today)
    text = "\n\n".join(
        [tr._("Recommendation recorded: {code}").format(code=f"<b>{esc(petition.code)}</b>"), card]
    )
    return Finish(text, rows)


RECORD = flow.register(
    flow.Flow(
        name="petition",
        command="petition",
        prefix="pet",
        title=N_("the new recommendation"),
        state=PetitionDraft,
        steps=(
            Step("text", show_text, typed=typed_text, sent=needs_text),
            Step("category", show_category, press=press_category),
            Step("place", show_place, press=press_place, applies=lambda d: d.several),
            Step("source", show_source, press=press_source),
            Step(
                "people",
                show_people,
                typed=typed_people,
                press=press_people,
                optional=True,
                skip=skip_people,
            ),
            Step(
                "received",
                show_received,
                typed=typed_received,
                press=press_received,
                optional=True,
                skip=skip_received,
            ),
            Step(
                "files",
                show_files,
                typed=typed_file,
                press=press_files,
                sent=sent_file,
                optional=True,
                skip=skip_files,
            ),
            Step("consent", show_consent, press=press_consent, yes_no=("y", "n")),
            Step("name", show_name, typed=typed_name, applies=lambda d: bool(d.consent)),
            Step(
                "phone",
                show_phone,
                typed=typed_phone,
                optional=True,
                skip=skip_phone,
                applies=lambda d: bool(d.consent),
            ),
            Step("review", show_review, press=press_review),
        ),
        begin=begin,
        unit=via_unit,
    )
)


@rule(
    Who.MEMBER,
    PRIVATE,
    scoped=True,
    why="records for the member's own units and the areas below; a code opens an item of the asker's chain",
    refusals=(NOT_A_RECORDER, NOT_FOUND),
    wrong_chat=WRONG_CHAT,
    not_allowed=NOT_MEMBER,
)
async def petition_command(update: Update, context: AppContext) -> None:
    """``/petition`` alone: record a new item (with a code it is ``card.petition_code_command``'s,
    registered ahead of this one)."""
    await flow.start(update, context, RECORD)


on_button = flow.button_handler(
    RECORD,
    Who.MEMBER,
    stale=STALE,
    why="the place is re-checked among the units the cadre may record for",
    refusals=(NOT_A_RECORDER,),
)
