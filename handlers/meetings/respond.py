"""Answering an invitation: attend, absent (then the reason is typed) or send a delegate (then the
name is typed); and the organiser's reminder to those who have not answered.

The RSVP buttons come on invitations, which arrive at any moment, so answering must not lose what
the user was doing: the flow they were in (e.g. half-way through /meeting) is kept in the answer's
state and given back once the reason or name is typed (:func:`_resume`).
"""

from __future__ import annotations

from telegram import Update

from bot import conversation
from bot import meetings as mt
from bot.conversation import FlowState
from bot.meetings import MeetingError
from handlers.common import esc, reply
from handlers.context import AppContext
from handlers.meetings.schedule_steps import FLOW, _prompt
from handlers.meetings.texts import problem_text, too_long, when
from handlers.router import register_flow
from storage.text import nfc

ANSWER_FLOW = "mtg_answer"


async def _rsvp_button(update: Update, context: AppContext, meeting_id: int, answer: str) -> None:
    query = update.callback_query
    assert query is not None and update.effective_chat and update.effective_user
    tr = context.tr
    services = context.services
    async with services.db.session() as session:
        view = await mt.rsvp(session, context.actor, meeting_id, answer, services.clock.now())
    meeting = view.meeting
    head = f"<b>{esc(meeting.title)}</b> ({when(tr, meeting.starts_at)})"
    if answer == "yes":
        await query.answer(tr._("Noted: attending."))
        await reply(
            update,
            context,
            tr._("Noted: you will attend {meeting}. You can change this until it starts.").format(
                meeting=head
            ),
        )
        return
    chat_id, user_id = update.effective_chat.id, update.effective_user.id
    previous = await conversation.load(services, chat_id, user_id)
    resume = None
    if previous is not None:
        resume = (
            previous.data.get("resume")
            if previous.flow == ANSWER_FLOW
            else {"flow": previous.flow, "step": previous.step, "data": previous.data}
        )
    await conversation.save(
        services,
        chat_id,
        user_id,
        FlowState(ANSWER_FLOW, answer, {"meeting_id": meeting_id, "resume": resume}),
    )
    if answer == "no":
        await query.answer(tr._("Noted: absent."))
        text = tr._("Noted: you will be absent from {meeting}. Please type the reason.").format(
            meeting=head
        )
    else:
        await query.answer(tr._("Noted: sending a delegate."))
        text = tr._(
            "Noted: you are sending a delegate to {meeting}. Type the name (and position) of the person attending for you."
        ).format(meeting=head)
    await reply(update, context, text)


async def _yes(update: Update, context: AppContext, meeting_id: int, _: list[str]) -> None:
    await _rsvp_button(update, context, meeting_id, "yes")


async def _no(update: Update, context: AppContext, meeting_id: int, _: list[str]) -> None:
    await _rsvp_button(update, context, meeting_id, "no")


async def _delegate(update: Update, context: AppContext, meeting_id: int, _: list[str]) -> None:
    await _rsvp_button(update, context, meeting_id, "delegate")


async def on_answer_text(update: Update, context: AppContext, state: FlowState) -> None:
    """The reason for an absence, or the delegate's name."""
    assert update.message is not None and update.message.text is not None
    assert update.effective_chat and update.effective_user
    tr = context.tr
    services = context.services
    text = nfc(update.message.text.strip())
    limit = mt.MAX_REASON if state.step == "no" else mt.MAX_DELEGATE
    if len(text) > limit:
        await reply(update, context, too_long(tr, limit, len(text)))
        return
    try:
        async with services.db.session() as session:
            row = await mt.set_detail(
                session, context.actor, int(state.data["meeting_id"]), text, services.clock.now()
            )
    except MeetingError as exc:
        if exc.code == "empty":
            await reply(update, context, problem_text(tr, exc.code))
            return
        await _resume(update, context, state)
        await reply(update, context, problem_text(tr, exc.code))
        return
    if row.answer == "no":
        done = tr._("Reason noted. You can change your answer until the meeting starts: /meetings")
    else:
        done = tr._(
            "Noted: {name} will attend for you. You can change your answer until the meeting starts: /meetings"
        ).format(name=esc(row.delegate))
    resumed = await _resume(update, context, state)
    await reply(update, context, done)
    if resumed is not None and resumed.flow == FLOW:
        await _prompt(update, context, resumed.step, resumed.data)


async def _resume(update: Update, context: AppContext, state: FlowState) -> FlowState | None:
    """Back to the flow the user was in before answering (e.g. scheduling a meeting)."""
    assert update.effective_chat and update.effective_user
    stash = state.data.get("resume")
    chat_id, user_id = update.effective_chat.id, update.effective_user.id
    if not stash:
        await conversation.clear(context.services, chat_id, user_id)
        return None
    previous = FlowState(stash["flow"], stash["step"], dict(stash.get("data") or {}))
    await conversation.save(context.services, chat_id, user_id, previous)
    return previous


async def _remind(update: Update, context: AppContext, meeting_id: int, _: list[str]) -> None:
    query = update.callback_query
    assert query is not None
    tr = context.tr
    async with context.services.db.session() as session:
        queued = await mt.nudge_silent(
            session, context.actor, meeting_id, context.services.clock.now()
        )
    await query.answer()
    if queued:
        text = tr.ngettext(
            "A reminder is going to {count} person who has not answered.",
            "A reminder is going to {count} people who have not answered.",
            queued,
        ).format(count=tr.number(queued))
    else:
        text = tr._(
            "Nobody to remind now: everyone reachable has answered or was reminded within the hour."
        )
    await reply(update, context, text)


register_flow(ANSWER_FLOW, on_answer_text)
