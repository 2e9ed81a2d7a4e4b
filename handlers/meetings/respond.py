"""Answering an invitation: attend, absent (then the reason is typed) or send a delegate (then the
name is typed); and the organiser's reminder to those who have not answered.

The reason (or the delegate's name) is a one-shot prompt on the flow kernel (``ANSWER``): the
answer is recorded and the prompt opened in one transaction. The RSVP buttons come on invitations,
which arrive at any moment, so the prompt is a detour: the flow the user was in (e.g. half-way
through /meeting) is suspended under it and comes straight back once the reason is typed; /cancel
keeps the answer, and the same button asks again.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Update

from bot import meetings as mt
from bot.i18n import N_
from bot.meetings import MeetingError
from handlers import flow
from handlers.common import answer, esc, reply
from handlers.context import AppContext
from handlers.flow import Call, Finish, Screen, Stay, Step
from handlers.meetings.texts import problem_text, too_long, when
from storage.text import nfc

#: What /cancel says about the reason prompt (the answer itself stays recorded).
REOPEN = N_(
    "Cancelled. Your answer stays recorded; press the same button on the invitation again to add the details."
)


@dataclass
class AnswerDraft:
    meeting_id: int = 0
    #: "no" (the reason is asked) or "delegate" (the delegate's name).
    answer: str = "no"


async def _begin(call: Call) -> AnswerDraft | Stay:
    return Stay(call.tr._(REOPEN))


async def show_detail(call: Call, draft: AnswerDraft) -> Screen:
    tr = call.tr
    try:
        meeting = (await mt.load(call.session, call.actor, draft.meeting_id)).meeting
        head = f"<b>{esc(meeting.title)}</b> ({when(tr, meeting.starts_at)})"
    except MeetingError:
        head = "…"
    if draft.answer == "no":
        text = tr._("Noted: you will be absent from {meeting}. Please type the reason.")
    else:
        text = tr._(
            "Noted: you are sending a delegate to {meeting}. Type the name (and position) of the person attending for you."
        )
    return Screen(text.format(meeting=head))


async def typed_detail(call: Call, draft: AnswerDraft, text: str) -> flow.Outcome:
    """The reason for an absence, or the delegate's name."""
    tr = call.tr
    text = nfc(text)
    limit = mt.MAX_REASON if draft.answer == "no" else mt.MAX_DELEGATE
    if len(text) > limit:
        return Stay(too_long(tr, limit, len(text)))
    try:
        async with call.session.begin_nested():
            row = await mt.set_detail(call.session, call.actor, draft.meeting_id, text, call.now)
    except MeetingError as exc:
        if exc.code == "empty":
            return Stay(problem_text(tr, exc.code))
        return Finish(problem_text(tr, exc.code))
    if row.answer == "no":
        return Finish(
            tr._("Reason noted. You can change your answer until the meeting starts: /meetings")
        )
    return Finish(
        tr._(
            "Noted: {name} will attend for you. You can change your answer until the meeting starts: /meetings"
        ).format(name=esc(row.delegate))
    )


ANSWER = flow.register(
    flow.Flow(
        name="mtg_answer",
        command="meetings",
        prefix="mans",
        title=N_("your answer to the meeting"),
        state=AnswerDraft,
        steps=(Step("detail", show_detail, typed=typed_detail),),
        begin=_begin,
        reopen=REOPEN,
    )
)
ANSWER_FLOW = ANSWER.name


async def _rsvp_button(update: Update, context: AppContext, meeting_id: int, choice: str) -> None:
    tr = context.tr
    services = context.services
    async with services.db.session() as session:
        call = flow.call_for(context, session)
        view = await mt.rsvp(session, context.actor, meeting_id, choice, call.now)
        chat = update.effective_chat
        if choice != "yes" and chat is not None and chat.type != "private":
            # Pressed on the invitation posted in a group, where nobody's typed text is read:
            # the answer is recorded, and the reason (or the delegate) is for a private chat.
            if choice == "no":
                text = tr._("Noted: absent. To add the reason, send /meetings to me privately.")
            else:
                text = tr._(
                    "Noted: sending a delegate. To name them, send /meetings to me privately."
                )
            await answer(update, text, alert=True)
            return
        if choice != "yes":
            await answer(
                update,
                tr._("Noted: absent.") if choice == "no" else tr._("Noted: sending a delegate."),
            )
            await flow.open_at(update, context, ANSWER, AnswerDraft(meeting_id, choice), call)
            return
        meeting = view.meeting
        head = f"<b>{esc(meeting.title)}</b> ({when(tr, meeting.starts_at)})"
        await answer(update, tr._("Noted: attending."))
        await reply(
            update,
            context,
            tr._("Noted: you will attend {meeting}. You can change this until it starts.").format(
                meeting=head
            ),
        )
        # A reason asked for this meeting is moot now (what it interrupted comes back).
        await flow.close(
            update, context, ANSWER, call, only=lambda draft: draft.meeting_id == meeting_id
        )


async def _yes(update: Update, context: AppContext, meeting_id: int, _: list[str]) -> None:
    await _rsvp_button(update, context, meeting_id, "yes")


async def _no(update: Update, context: AppContext, meeting_id: int, _: list[str]) -> None:
    await _rsvp_button(update, context, meeting_id, "no")


async def _delegate(update: Update, context: AppContext, meeting_id: int, _: list[str]) -> None:
    await _rsvp_button(update, context, meeting_id, "delegate")


async def _remind(update: Update, context: AppContext, meeting_id: int, _: list[str]) -> None:
    query = update.callback_query
    assert query is not None
    tr = context.tr
    async with context.services.db.session() as session:
        queued = await mt.nudge_silent(
            session, context.actor, meeting_id, context.services.clock.now()
        )
    await answer(update)
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
