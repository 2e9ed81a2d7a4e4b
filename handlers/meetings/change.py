"""Changing a meeting: the organiser moves it to a new time (typed; a meeting that already started
moves only after "Yes, move it") or cancels it. Everyone invited is told, with an updated calendar
file, through the outbox (``bot.meetings.reschedule`` / ``cancel``).

Only the leaders of the organising unit may change a meeting: every button loads it with
``manage=True``, "No, keep it" included, so whoever else presses is refused alike.
"""

from __future__ import annotations

from datetime import datetime

from telegram import Update

from bot import conversation
from bot import meetings as mt
from bot.conversation import FlowState
from bot.meeting_time import TimeParseError, parse_meeting_time
from bot.meetings import MeetingError
from handlers.common import esc, inline, reply
from handlers.context import AppContext
from handlers.meetings.texts import EXAMPLES, problem_text, stale, time_problem, when
from handlers.router import register_flow

TIME_FLOW = "mtg_time"


async def _reschedule_button(
    update: Update, context: AppContext, meeting_id: int, _: list[str]
) -> None:
    query = update.callback_query
    assert query is not None and update.effective_chat and update.effective_user
    tr = context.tr
    async with context.services.db.session() as session:
        view = await mt.load(session, context.actor, meeting_id, manage=True)
    if view.meeting.status != "scheduled":
        raise MeetingError("cancelled")
    await conversation.save(
        context.services,
        update.effective_chat.id,
        update.effective_user.id,
        FlowState(TIME_FLOW, "time", {"meeting_id": meeting_id}),
    )
    await query.answer()
    await reply(
        update,
        context,
        tr._("<b>{title}</b> now starts {when}. Type the new day and time, {examples}.").format(
            title=esc(view.meeting.title),
            when=when(tr, view.meeting.starts_at),
            examples=tr._(EXAMPLES),
        ),
    )


async def on_time_text(update: Update, context: AppContext, state: FlowState) -> None:
    assert update.message is not None and update.message.text is not None
    tr = context.tr
    services = context.services
    if state.step != "time":
        await reply(
            update, context, tr._("Please press one of the buttons above, or /cancel to stop.")
        )
        return
    text = update.message.text.strip()
    try:
        starts = parse_meeting_time(text, services.clock.now(), services.settings.tz)
    except TimeParseError as exc:
        await reply(update, context, time_problem(tr, exc))
        return
    await _do_reschedule(update, context, int(state.data["meeting_id"]), starts, confirmed=False)


async def _do_reschedule(
    update: Update, context: AppContext, meeting_id: int, starts: datetime, *, confirmed: bool
) -> None:
    assert update.effective_chat and update.effective_user
    tr = context.tr
    services = context.services
    chat_id, user_id = update.effective_chat.id, update.effective_user.id
    try:
        async with services.db.session() as session:
            meeting = await mt.reschedule(
                session,
                context.actor,
                meeting_id,
                starts,
                services.clock.now(),
                confirmed=confirmed,
            )
            count = len(await mt.recipients(session, meeting))
    except MeetingError as exc:
        if exc.code == "started_confirm":
            await conversation.save(
                services,
                chat_id,
                user_id,
                FlowState(
                    TIME_FLOW,
                    "confirm",
                    {"meeting_id": meeting_id, "starts_at": starts.isoformat()},
                ),
            )
            await reply(
                update,
                context,
                tr._(
                    "This meeting has already started. Move it to {when} anyway? Everyone invited will be told."
                ).format(when=when(tr, starts)),
                reply_markup=inline(
                    [
                        [(tr._("Yes, move it"), f"mtg:rsy:{meeting_id}")],
                        [(tr._("No, keep it"), f"mtg:rsn:{meeting_id}")],
                    ]
                ),
            )
            return
        if exc.code in ("past", "same_time"):
            await reply(update, context, problem_text(tr, exc.code))
            return
        await conversation.clear(services, chat_id, user_id)
        await reply(update, context, problem_text(tr, exc.code))
        return
    await conversation.clear(services, chat_id, user_id)
    await reply(
        update,
        context,
        tr.ngettext(
            "Rescheduled: <b>{title}</b> now starts {when}. {count} person invited is being told, with an updated calendar file.",
            "Rescheduled: <b>{title}</b> now starts {when}. {count} people invited are being told, with an updated calendar file.",
            count,
        ).format(title=esc(meeting.title), when=when(tr, meeting.starts_at), count=count),
    )


async def _reschedule_confirm(
    update: Update, context: AppContext, meeting_id: int, args: list[str], *, yes: bool
) -> None:
    query = update.callback_query
    assert query is not None and update.effective_chat and update.effective_user
    tr = context.tr
    state = await conversation.load(
        context.services, update.effective_chat.id, update.effective_user.id
    )
    if (
        state is None
        or state.flow != TIME_FLOW
        or state.step != "confirm"
        or int(state.data["meeting_id"]) != meeting_id
    ):
        await query.answer(stale(tr), show_alert=True)
        return
    await query.answer()
    if not yes:
        await conversation.clear(
            context.services, update.effective_chat.id, update.effective_user.id
        )
        await reply(update, context, tr._("The meeting keeps its time."))
        return
    starts = datetime.fromisoformat(state.data["starts_at"])
    await _do_reschedule(update, context, meeting_id, starts, confirmed=True)


async def _reschedule_yes(
    update: Update, context: AppContext, meeting_id: int, args: list[str]
) -> None:
    await _reschedule_confirm(update, context, meeting_id, args, yes=True)


async def _reschedule_no(
    update: Update, context: AppContext, meeting_id: int, args: list[str]
) -> None:
    await _reschedule_confirm(update, context, meeting_id, args, yes=False)


async def _cancel_ask(update: Update, context: AppContext, meeting_id: int, _: list[str]) -> None:
    query = update.callback_query
    assert query is not None
    tr = context.tr
    async with context.services.db.session() as session:
        view = await mt.load(session, context.actor, meeting_id, manage=True)
    if view.meeting.status != "scheduled":
        raise MeetingError("cancelled")
    await query.answer()
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
    await query.answer()
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
    await query.answer()
    await reply(update, context, context.tr._("The meeting stays as it is."))


register_flow(TIME_FLOW, on_time_text)
