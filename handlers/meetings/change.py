"""Changing a meeting: the organiser moves it to a new time or cancels it. Everyone invited is
told, with an updated calendar file, through the outbox (``bot.meetings.reschedule`` / ``cancel``).

The new time is a one-shot prompt on the flow kernel (``TIME``), opened by "Change the time": the
time is typed; a meeting that already started moves only after "Yes, move it" (a second step,
whose buttons the kernel checks: an old one gets an alert). /cancel keeps the meeting's time.

Only the leaders of the organising unit may change a meeting: every button loads it with
``manage=True``, "No, keep it" included, so whoever else presses is refused alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from telegram import Update

from bot import meetings as mt
from bot.i18n import N_
from bot.meeting_time import TimeParseError, parse_meeting_time
from bot.meetings import MeetingError
from handlers import flow
from handlers.access_rules import Who
from handlers.common import answer, esc, inline, reply
from handlers.context import AppContext
from handlers.flow import Call, Finish, Next, Screen, Stay, Step
from handlers.flow_units import meeting_unit
from handlers.meetings.texts import EXAMPLES, problem_text, time_problem, when

#: What /cancel says about the new-time prompt.
REOPEN = N_(
    "Cancelled. The meeting keeps its time; “Change the time” on its card (/meetings) asks again."
)
STALE = N_("This button is no longer active. Start again with /meetings.")


@dataclass
class TimeDraft:
    meeting_id: int = 0
    #: The new start (ISO) of a meeting that already started, waiting for "Yes, move it".
    starts_at: str | None = None


async def _begin(call: Call) -> TimeDraft | Stay:
    return Stay(call.tr._(REOPEN))


async def show_time(call: Call, draft: TimeDraft) -> Screen:
    tr = call.tr
    try:
        meeting = (await mt.load(call.session, call.actor, draft.meeting_id)).meeting
    except MeetingError as exc:
        return Screen(problem_text(tr, exc.code))
    return Screen(
        tr._("<b>{title}</b> now starts {when}. Type the new day and time, {examples}.").format(
            title=esc(meeting.title), when=when(tr, meeting.starts_at), examples=tr._(EXAMPLES)
        )
    )


async def typed_time(call: Call, draft: TimeDraft, text: str) -> flow.Outcome:
    try:
        starts = parse_meeting_time(text, call.now, call.services.settings.tz)
    except TimeParseError as exc:
        return Stay(time_problem(call.tr, exc))
    return await _reschedule(call, draft, starts, confirmed=False)


async def show_confirm(call: Call, draft: TimeDraft) -> Screen:
    tr = call.tr
    starts = datetime.fromisoformat(draft.starts_at or "")
    return Screen(
        tr._(
            "This meeting has already started. Move it to {when} anyway? Everyone invited will be told."
        ).format(when=when(tr, starts)),
        [[(tr._("Yes, move it"), "y")], [(tr._("No, keep it"), "n")]],
    )


async def press_confirm(call: Call, draft: TimeDraft, action: str, _: list[str]) -> flow.Outcome:
    if action == "n":
        return Finish(call.tr._("The meeting keeps its time."))
    if action != "y":
        raise ValueError(action)
    starts = datetime.fromisoformat(draft.starts_at or "")
    return await _reschedule(call, draft, starts, confirmed=True)


async def _reschedule(
    call: Call, draft: TimeDraft, starts: datetime, *, confirmed: bool
) -> flow.Outcome:
    tr = call.tr
    try:
        async with call.session.begin_nested():
            meeting = await mt.reschedule(
                call.session, call.actor, draft.meeting_id, starts, call.now, confirmed=confirmed
            )
            count = len(await mt.recipients(call.session, meeting))
    except MeetingError as exc:
        if exc.code == "started_confirm":
            draft.starts_at = starts.isoformat()
            return Next(to="confirm")
        if exc.code in ("past", "same_time"):
            return Stay(problem_text(tr, exc.code))
        return Finish(problem_text(tr, exc.code))
    return Finish(
        tr.ngettext(
            "Rescheduled: <b>{title}</b> now starts {when}. {count} person invited is being told, with an updated calendar file.",
            "Rescheduled: <b>{title}</b> now starts {when}. {count} people invited are being told, with an updated calendar file.",
            count,
        ).format(title=esc(meeting.title), when=when(tr, meeting.starts_at), count=count)
    )


TIME = flow.register(
    flow.Flow(
        name="mtg_time",
        command="meetings",
        prefix="mtime",
        title=N_("the new meeting time"),
        state=TimeDraft,
        steps=(
            Step("time", show_time, typed=typed_time),
            Step(
                "confirm",
                show_confirm,
                press=press_confirm,
                applies=lambda draft: draft.starts_at is not None,
                yes_no=("y", "n"),
            ),
        ),
        begin=_begin,
        reopen=REOPEN,
        unit=meeting_unit,
        leads=True,
    )
)
TIME_FLOW = TIME.name


async def _reschedule_button(
    update: Update, context: AppContext, meeting_id: int, _: list[str]
) -> None:
    async with context.services.db.session() as session:
        view = await mt.load(session, context.actor, meeting_id, manage=True)
        if view.meeting.status != "scheduled":
            raise MeetingError("cancelled")
        await answer(update)
        await flow.open_at(
            update, context, TIME, TimeDraft(meeting_id), flow.call_for(context, session)
        )


#: ``mtime:confirm:y|n``: move a meeting that already started, or keep its time.
on_time_button = flow.button_handler(
    TIME,
    Who.ADMIN,
    stale=STALE,
    why="the meeting of the prompt's state, re-checked by meetings.reschedule (organisers only)",
    refusals=(
        N_("Only the leaders of the organising unit can change this meeting."),
        N_("This meeting was cancelled."),
        N_("That time has already passed. Type a time in the future."),
    ),
)


async def _cancel_ask(update: Update, context: AppContext, meeting_id: int, _: list[str]) -> None:
    query = update.callback_query
    assert query is not None
    tr = context.tr
    async with context.services.db.session() as session:
        view = await mt.load(session, context.actor, meeting_id, manage=True)
    if view.meeting.status != "scheduled":
        raise MeetingError("cancelled")
    await answer(update)
    await reply(
        update,
        context,
        tr._("Cancel <b>{title}</b> ({when})? Everyone invited will be told.").format(
            title=esc(view.meeting.title), when=when(tr, view.meeting.starts_at)
        ),
        reply_markup=inline(
            [
                [(tr._("Yes, cancel the meeting"), f"mtg:cxy:{meeting_id}")],
                [(tr._("No, keep it"), f"mtg:cxn:{meeting_id}")],
            ]
        ),
    )


async def _cancel_yes(update: Update, context: AppContext, meeting_id: int, _: list[str]) -> None:
    query = update.callback_query
    assert query is not None
    tr = context.tr
    async with context.services.db.session() as session:
        meeting = await mt.cancel(session, context.actor, meeting_id, context.services.clock.now())
        count = len(await mt.recipients(session, meeting))
    await answer(update)
    await reply(
        update,
        context,
        tr.ngettext(
            "Cancelled: <b>{title}</b>. {count} person invited is being told.",
            "Cancelled: <b>{title}</b>. {count} people invited are being told.",
            count,
        ).format(title=esc(meeting.title), count=count),
    )


async def _cancel_no(update: Update, context: AppContext, meeting_id: int, _: list[str]) -> None:
    query = update.callback_query
    assert query is not None
    # Nothing changes, but the answer is the organisers': whoever else presses is refused like
    # on "Yes, cancel" (the access matrix holds every action to the rule).
    async with context.services.db.session() as session:
        await mt.load(session, context.actor, meeting_id, manage=True)
    await answer(update)
    await reply(update, context, context.tr._("The meeting stays as it is."))
