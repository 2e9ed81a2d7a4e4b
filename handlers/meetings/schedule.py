"""/meeting: a unit leader schedules a meeting, step by step, then confirms on a review card; only
then is the meeting made and are the invitations queued (in the same transaction).

A flow on the flow kernel (handlers/flow): the organising unit (only when the leader leads
several) → kind → title → time → duration → place → agenda (optional: "Skip" or /skip) → the
recommendations waiting for a People's Committee in the area, put on the agenda or not (issue 17;
asked only for the kinds of ``bot.meeting_agenda.AGENDA_KINDS`` and when there are some) → who is
invited (all direct sub-units, only this unit, or chosen in a picker) → the review card, whose
"Change something" lists the answers: each jumps to its step, and the answer goes back to the
card. /back, /cancel (the draft is kept; /meeting offers "Continue / Start over"), resume after
a restart and old buttons come from the kernel. Every unit in a button is checked again when
pressed: one the leader leads (the organiser), or a direct sub-unit they lead (the invited).

This module reads the answers and declares the flow; ``schedule_steps.py`` holds the draft and
the screens.
"""

from __future__ import annotations

from telegram import Update

from bot import meeting_agenda
from bot import meetings as mt
from bot.i18n import N_
from bot.meeting_time import TimeParseError, parse_duration, parse_meeting_time
from bot.meetings import MeetingError, MeetingPlan
from handlers import flow
from handlers.access_rules import PRIVATE, Who, rule
from handlers.common import esc
from handlers.context import AppContext
from handlers.flow import Call, Finish, Next, Redraw, Stay, Step
from handlers.flow_units import chosen_unit
from handlers.meetings.schedule_steps import (
    DURATIONS,
    EDITABLE,
    FLOW,
    INVITE_MODES,
    PICK_PAGE,
    MeetingDraft,
    children,
    invited_units,
    led_units,
    refresh_items,
    show_agenda,
    show_duration,
    show_invite,
    show_items,
    show_kind,
    show_pick,
    show_place,
    show_review,
    show_time,
    show_title,
    show_unit,
)
from handlers.meetings.texts import problem_text, stale, time_problem, too_long, when
from handlers.router import quote
from storage.queries import units as units_q
from storage.text import nfc

STALE = N_("This button is no longer active. Start again with /meeting.")
NOT_LEADER = N_("Only unit leaders can schedule meetings.")


async def kinds_of(call: Call, unit_id: int | None) -> tuple[str, ...]:
    """The meeting types the organising unit convenes (``bot.meetings.kinds_for``)."""
    unit = await units_q.get(call.session, unit_id or 0)
    if unit is None:
        return ()
    return mt.kinds_for(unit, await units_q.umbrella_orgs(call.session))


def onward(draft: MeetingDraft) -> Next:
    """The next step; once the review card was reached, back to it (or to an answer a change
    left missing: a new organising unit asks again who is invited)."""
    if not draft.reviewing:
        return Next()
    return Next(to=draft.missing() or "review")


async def begin(call: Call) -> MeetingDraft | Stay:
    units = led_units(call)
    if not units:
        return Stay(call.tr._(NOT_LEADER))
    if len(units) == 1:
        return MeetingDraft(unit_id=next(iter(units)))
    return MeetingDraft(several=True)


async def press_unit(call: Call, draft: MeetingDraft, action: str, args: list[str]) -> flow.Outcome:
    if action != "o":
        raise ValueError(action)
    unit_id = int(args[0])
    if unit_id not in led_units(call):
        return Stay(stale(call.tr))
    if unit_id != draft.unit_id:
        # Another organiser has other sub-units: who is invited is asked again.
        draft.unit_id, draft.mode, draft.invited, draft.page = unit_id, None, [], 0
        if draft.kind is not None and draft.kind not in await kinds_of(call, unit_id):
            draft.kind = None  # a People's Committee holds no hiệp thương: the type is asked again
        await refresh_items(call, draft)
    return onward(draft)


async def press_kind(call: Call, draft: MeetingDraft, action: str, args: list[str]) -> flow.Outcome:
    if action != "k":
        raise ValueError(action)
    kind = mt.KINDS[int(args[0])]
    if kind not in await kinds_of(call, draft.unit_id):
        return Stay(stale(call.tr))  # a type this unit does not convene: an old or forged button
    draft.kind = kind
    await refresh_items(call, draft)
    return onward(draft)


def _text(call: Call, text: str, limit: int) -> str | Stay:
    text = nfc(text)
    if len(text) > limit:
        return Stay(too_long(call.tr, limit, len(text)))
    if not text:
        return Stay(problem_text(call.tr, "empty"))
    return text


async def typed_title(call: Call, draft: MeetingDraft, text: str) -> flow.Outcome:
    title = _text(call, text, mt.MAX_TITLE)
    if isinstance(title, Stay):
        return title
    draft.title = title
    return onward(draft)


async def typed_time(call: Call, draft: MeetingDraft, text: str) -> flow.Outcome:
    try:
        starts = parse_meeting_time(nfc(text), call.now, call.services.settings.tz)
    except TimeParseError as exc:
        return Stay(time_problem(call.tr, exc))
    draft.starts_at = starts.isoformat()
    return onward(draft)


async def typed_duration(call: Call, draft: MeetingDraft, text: str) -> flow.Outcome:
    try:
        draft.duration = parse_duration(nfc(text))
    except TimeParseError:
        return Stay(
            call.tr._(
                "“{text}” is not a duration from 15 minutes to 24 hours. Type for example 1h30 or 90 phút, or press a button."
            ).format(text=quote(text))
        )
    return onward(draft)


async def press_duration(
    call: Call, draft: MeetingDraft, action: str, args: list[str]
) -> flow.Outcome:
    minutes = int(args[0])
    if action != "d" or minutes not in DURATIONS:
        raise ValueError(args)
    draft.duration = minutes
    return onward(draft)


async def typed_place(call: Call, draft: MeetingDraft, text: str) -> flow.Outcome:
    place = _text(call, text, mt.MAX_PLACE)
    if isinstance(place, Stay):
        return place
    draft.place = place
    return onward(draft)


async def typed_agenda(call: Call, draft: MeetingDraft, text: str) -> flow.Outcome:
    agenda = _text(call, text, mt.MAX_AGENDA)
    if isinstance(agenda, Stay):
        return agenda
    draft.agenda = agenda
    return onward(draft)


def skip_agenda(draft: MeetingDraft) -> Next:
    draft.agenda = ""
    return onward(draft)


async def press_agenda(
    call: Call, draft: MeetingDraft, action: str, args: list[str]
) -> flow.Outcome:
    if action != "sk":
        raise ValueError(action)
    return skip_agenda(draft)


async def press_items(
    call: Call, draft: MeetingDraft, action: str, args: list[str]
) -> flow.Outcome:
    """Yes or no to the agenda of recommendations; the list itself is read again when the
    meeting is made (``bot.meeting_agenda.attach_open_items``)."""
    if action not in ("y", "n"):
        raise ValueError(action)
    draft.items = action == "y"
    return onward(draft)


def skip_items(draft: MeetingDraft) -> Next:
    draft.items = False
    return onward(draft)


async def press_invite(
    call: Call, draft: MeetingDraft, action: str, args: list[str]
) -> flow.Outcome:
    mode = args[0]
    if action != "i" or mode not in INVITE_MODES:
        raise ValueError(args)
    below = [c.id for c in await children(call, draft)]
    draft.mode = mode
    if mode == "all":
        draft.invited = below
    elif mode == "self":
        draft.invited = []
    else:
        draft.invited = [i for i in draft.invited if i in below]
        draft.page = 0
        return Next(to="pick")
    return to_review(draft)


def to_review(draft: MeetingDraft) -> Next:
    """Who is invited is known: from now on every answer goes back to the review card (after
    /back a few steps, the answer changed is not followed by the questions already answered)."""
    draft.reviewing = True
    return onward(draft)


async def press_pick(call: Call, draft: MeetingDraft, action: str, args: list[str]) -> flow.Outcome:
    if action == "t":
        unit_id = int(args[0])
        if unit_id not in {c.id for c in await children(call, draft)}:
            return Stay(stale(call.tr))
        chosen = draft.invited
        draft.invited = (
            [i for i in chosen if i != unit_id] if unit_id in chosen else [*chosen, unit_id]
        )
        return Redraw()
    if action == "tp":
        pages = max(len(await children(call, draft)) - 1, 0) // PICK_PAGE
        draft.page = min(max(int(args[0]), 0), pages)
        return Redraw()
    if action == "td":
        return to_review(draft)
    raise ValueError(action)


async def press_review(
    call: Call, draft: MeetingDraft, action: str, args: list[str]
) -> flow.Outcome:
    if action == "go":
        return await create(call, draft)
    if action in ("ed", "eb"):
        draft.menu = action == "ed"
        return Redraw()
    if action == "ef":
        step = args[0]
        if step not in EDITABLE or (step == "items" and not draft.asks_items()):
            raise ValueError(step)
        draft.menu, draft.reviewing = False, True
        return Next(to=step)
    raise ValueError(action)


async def create(call: Call, draft: MeetingDraft) -> flow.Outcome:
    """The meeting and its invitations (the outbox rows), in the update's one transaction."""
    tr, session = call.tr, call.session
    start = draft.start()
    if draft.missing() is not None or start is None:
        return Next(to=draft.missing() or "time")
    try:
        # A refused meeting leaves nothing behind, while the flow's step is still saved.
        async with session.begin_nested():
            unit, others = await invited_units(call, draft)
            meeting = await mt.create_meeting(
                session,
                call.actor,
                unit=unit,
                plan=MeetingPlan(
                    kind=draft.kind or "",
                    title=draft.title or "",
                    starts_at=start,
                    duration_minutes=int(draft.duration or 0),
                    place=draft.place or "",
                    agenda=draft.agenda or "",
                ),
                invited=others,
                now=call.now,
            )
            attached = 0
            if draft.items and draft.asks_items():
                attached = await meeting_agenda.attach_open_items(
                    session, call.actor, meeting, unit, call.now
                )
            count = len(await mt.recipients(session, meeting))
    except MeetingError as exc:
        if exc.code == "past":
            # Time went by on the review card: ask for the start again, keeping the rest.
            draft.menu, draft.reviewing = False, True
            return Next(to="time")
        return Stay(problem_text(tr, exc.code))
    return Finish(
        "\n".join(
            [
                tr._("Meeting scheduled: <b>{title}</b>, {when}.").format(
                    title=esc(meeting.title), when=when(tr, meeting.starts_at)
                ),
                tr.ngettext(
                    "The invitation is going to {count} person.",
                    "Invitations are going to {count} people.",
                    count,
                ).format(count=tr.number(count)),
                *(
                    [
                        tr.ngettext(
                            "{n} recommendation is on its agenda.",
                            "{n} recommendations are on its agenda.",
                            attached,
                        ).format(n=tr.number(attached))
                    ]
                    if attached
                    else []
                ),
                tr._("/meetings shows who has answered."),
            ]
        )
    )


MEETING = flow.register(
    flow.Flow(
        name=FLOW,
        command="meeting",
        prefix="mts",
        title=N_("the new meeting"),
        state=MeetingDraft,
        steps=(
            Step("unit", show_unit, press=press_unit, applies=lambda d: d.several),
            Step("kind", show_kind, press=press_kind),
            Step("title", show_title, typed=typed_title),
            Step("time", show_time, typed=typed_time),
            Step("duration", show_duration, typed=typed_duration, press=press_duration),
            Step("place", show_place, typed=typed_place),
            Step(
                "agenda",
                show_agenda,
                typed=typed_agenda,
                press=press_agenda,
                optional=True,
                skip=skip_agenda,
            ),
            Step(
                "items",
                show_items,
                press=press_items,
                optional=True,
                skip=skip_items,
                applies=lambda d: d.asks_items(),
                yes_no=("y", "n"),
            ),
            Step("invite", show_invite, press=press_invite),
            Step("pick", show_pick, press=press_pick, applies=lambda d: d.mode == "pick"),
            Step("review", show_review, press=press_review),
        ),
        begin=begin,
        unit=chosen_unit,
        leads=True,
    )
)


@rule(
    Who.ADMIN,
    PRIVATE,
    why="schedules a meeting of a unit the leader leads",
    wrong_chat=N_("Schedule meetings in a private chat with me."),
    not_allowed=NOT_LEADER,
)
async def meeting_command(update: Update, context: AppContext) -> None:
    await flow.start(update, context, MEETING)


on_button = flow.button_handler(
    MEETING,
    Who.ADMIN,
    stale=STALE,
    why="unit ids re-checked: the organiser among the units the leader leads, the invited among its direct sub-units they lead",
)
