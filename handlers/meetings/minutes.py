"""After the meeting: the organiser types the conclusions, sends the minutes as a file or a photo
(or skips), then marks who was present (answers pre-fill it: attending and delegates); and anyone
invited fetches the minutes file.

The three steps are a one-shot prompt on the flow kernel (``MINUTES``), opened by the meeting
card's button: /back goes to the step before, /skip passes the file, /cancel keeps what was saved
(the same button continues at the step where it stopped). The buttons carry no meeting: the
meeting is the prompt's, and a name pressed must be one of its invitees.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Update

from bot import meetings as mt
from bot.i18n import N_, Translator
from bot.meetings import MeetingError
from bot.names import name_of, sort_key
from handlers import flow, render
from handlers.access_rules import Who
from handlers.common import answer, esc, page_buttons
from handlers.context import AppContext
from handlers.flow import Call, Finish, Next, Redraw, Screen, Sent, Stay, Step
from handlers.flow_units import meeting_unit
from handlers.labels import button_label
from handlers.meetings.listing import _all_people
from handlers.meetings.texts import clip, problem_text, too_long
from storage.models import Meeting, Person
from storage.text import nfc

ATTEND_PAGE = 12


async def _minutes_document(
    update: Update, context: AppContext, meeting_id: int, _: list[str]
) -> None:
    query = update.callback_query
    assert query is not None and update.effective_chat
    async with context.services.db.session() as session:
        meeting = (await mt.load(session, context.actor, meeting_id)).meeting
    if not meeting.minutes_file_id:
        raise MeetingError("not_found")
    await answer(update)
    caption = f"<b>{esc(clip(meeting.title, 200))}</b>"
    ref = meeting.minutes_file_id
    photo = ref.startswith("photo:")
    await render.send_document(
        context.bot,
        update.effective_chat.id,
        ref[6:] if photo else ref,
        caption=caption,
        photo=photo,
    )


#: What /cancel says about the minutes prompt.
REOPEN = N_(
    "Cancelled. What you saved stays saved; the same button on the meeting's card (/meetings past) continues where you stopped."
)
STALE = N_("This button is no longer active. Start again with /meetings.")


@dataclass
class MinutesDraft:
    meeting_id: int = 0
    #: Who is marked present; None until a name is pressed: those who answered yes or sent a
    #: delegate (or the attendance recorded before).
    present: list[int] | None = None
    page: int = 0
    #: The minutes were just saved: the attendance step says so once.
    file_saved: bool = False


async def _begin(call: Call) -> MinutesDraft | Stay:
    return Stay(call.tr._(REOPEN))


async def _meeting(call: Call, draft: MinutesDraft) -> Meeting:
    return (await mt.load(call.session, call.actor, draft.meeting_id, manage=True)).meeting


def _refused(tr: Translator, exc: MeetingError) -> flow.Outcome:
    """A refusal the user can answer (type again) keeps the step; any other ends the prompt."""
    if exc.code in ("empty", "too_long"):
        return Stay(problem_text(tr, exc.code))
    return Finish(problem_text(tr, exc.code))


async def show_text(call: Call, draft: MinutesDraft) -> Screen:
    tr = call.tr
    try:
        meeting = await _meeting(call, draft)
    except MeetingError as exc:
        return Screen(problem_text(tr, exc.code))
    text = tr._("Type the conclusions of <b>{title}</b> (at most {max} characters).").format(
        title=esc(meeting.title), max=tr.number(mt.MAX_CONCLUSIONS)
    )
    if meeting.conclusions:
        text += "\n" + tr._("They replace the conclusions recorded before.")
    return Screen(text)


async def typed_text(call: Call, draft: MinutesDraft, text: str) -> flow.Outcome:
    text = nfc(text)
    if len(text) > mt.MAX_CONCLUSIONS:
        return Stay(too_long(call.tr, mt.MAX_CONCLUSIONS, len(text)))
    try:
        async with call.session.begin_nested():
            await mt.record_conclusions(call.session, call.actor, draft.meeting_id, text, call.now)
    except MeetingError as exc:
        return _refused(call.tr, exc)
    return Next()


async def sent_text(call: Call, draft: MinutesDraft, sent: Sent) -> flow.Outcome:
    return Stay(call.tr._("This step needs text, not a file or picture."))


def _file_prompt(tr: Translator) -> str:
    return tr._("Send the minutes as a file or a photo, or press Skip.")


async def show_file(call: Call, draft: MinutesDraft) -> Screen:
    tr = call.tr
    return Screen(tr._("Conclusions saved.") + "\n" + _file_prompt(tr), [[(tr._("Skip"), "s")]])


async def typed_file(call: Call, draft: MinutesDraft, text: str) -> flow.Outcome:
    return Stay(_file_prompt(call.tr))


async def sent_file(call: Call, draft: MinutesDraft, sent: Sent) -> flow.Outcome:
    if sent.kind == "document":
        ref = sent.file_id
    elif sent.kind == "photo":
        ref = "photo:" + sent.file_id
    else:
        return Stay(_file_prompt(call.tr))
    try:
        async with call.session.begin_nested():
            await mt.attach_minutes(call.session, call.actor, draft.meeting_id, ref, call.now)
    except MeetingError as exc:
        return _refused(call.tr, exc)
    draft.file_saved = True
    return Next()


async def press_file(call: Call, draft: MinutesDraft, action: str, _: list[str]) -> flow.Outcome:
    if action != "s":
        raise ValueError(action)
    draft.file_saved = False
    return Next()


def _skip_file(draft: MinutesDraft) -> None:
    draft.file_saved = False


async def _people(call: Call, meeting: Meeting) -> tuple[list[Person], mt.Attendance]:
    att = await mt.attendance(call.session, meeting)
    people = _all_people(att)
    people.sort(key=lambda p: (*sort_key(p), p.id))
    return people, att


def _present(draft: MinutesDraft, att: mt.Attendance) -> set[int]:
    if draft.present is not None:
        return set(draft.present)
    if att.recorded:
        return set(att.attended)
    return {p.id for p, _ in att.yes + att.delegate}


async def show_attendance(call: Call, draft: MinutesDraft) -> Screen:
    tr = call.tr
    try:
        meeting = await _meeting(call, draft)
    except MeetingError as exc:
        return Screen(problem_text(tr, exc.code))
    people, att = await _people(call, meeting)
    present = _present(draft, att)
    page = draft.page
    rows = [
        [
            (
                ("✓ " if p.id in present else "") + button_label(name_of(p), 56),
                f"t:{p.id}",
            )
        ]
        for p in people[page * ATTEND_PAGE : (page + 1) * ATTEND_PAGE]
    ]
    nav = page_buttons(tr, page, ATTEND_PAGE, len(people), lambda p: f"p:{p}")
    if nav:
        rows.append(nav)
    rows.append([(tr._("Save the attendance"), "s")])
    text = tr._(
        "Who was there? Press names to mark them present (✓); a delegate counts for the person invited. Present: {count} of {total}."
    ).format(count=len(present & {p.id for p in people}), total=len(people))
    if draft.file_saved:
        text = tr._("Minutes saved.") + "\n\n" + text
    return Screen(text, rows)


async def press_attendance(
    call: Call, draft: MinutesDraft, action: str, args: list[str]
) -> flow.Outcome:
    tr = call.tr
    try:
        meeting = await _meeting(call, draft)
    except MeetingError as exc:
        return _refused(tr, exc)
    people, att = await _people(call, meeting)
    present = _present(draft, att)
    draft.file_saved = False
    if action == "t":
        person_id = int(args[0])
        if person_id not in {p.id for p in people}:
            raise ValueError(person_id)  # not invited to this meeting: a forged or old button
        present ^= {person_id}
        draft.present = sorted(present)
        return Redraw()
    if action == "p":
        draft.page = max(0, min(int(args[0]), (len(people) - 1) // ATTEND_PAGE))
        return Redraw()
    if action != "s":
        raise ValueError(action)
    try:
        async with call.session.begin_nested():
            count = await mt.record_attendance(
                call.session, call.actor, draft.meeting_id, present, call.now
            )
    except MeetingError as exc:
        return _refused(tr, exc)
    return Finish(
        tr._(
            "Saved: the conclusions of <b>{title}</b> and its attendance ({count} of {total} present). The invited units see them with /meetings past."
        ).format(title=esc(meeting.title), count=count, total=att.total)
    )


MINUTES = flow.register(
    flow.Flow(
        name="mtg_minutes",
        command="meetings",
        prefix="mmin",
        title=N_("the meeting minutes"),
        state=MinutesDraft,
        steps=(
            Step("text", show_text, typed=typed_text, sent=sent_text),
            Step(
                "file",
                show_file,
                typed=typed_file,
                press=press_file,
                sent=sent_file,
                optional=True,
                skip=_skip_file,
            ),
            Step("att", show_attendance, press=press_attendance),
        ),
        begin=_begin,
        reopen=REOPEN,
        unit=meeting_unit,
        leads=True,
    )
)
MINUTES_FLOW = MINUTES.name


async def _minutes_button(
    update: Update, context: AppContext, meeting_id: int, _: list[str]
) -> None:
    async with context.services.db.session() as session:
        call = flow.call_for(context, session)
        view = await mt.load(session, context.actor, meeting_id, manage=True)
        if view.meeting.status == "cancelled":
            raise MeetingError("cancelled")
        if view.meeting.starts_at > call.now:
            raise MeetingError("not_started")
        await answer(update)
        await flow.open_at(
            update,
            context,
            MINUTES,
            MinutesDraft(meeting_id),
            call,
            keep=lambda draft: draft.meeting_id == meeting_id,
        )


#: ``mmin:file:s`` (no minutes file), ``mmin:att:t|p|s`` (mark present, page, save).
on_minutes_button = flow.button_handler(
    MINUTES,
    Who.ADMIN,
    stale=STALE,
    why="the meeting of the prompt's state, re-checked with manage=True; people of that meeting only",
    refusals=(
        N_("Only the leaders of the organising unit can change this meeting."),
        N_("This meeting was cancelled."),
    ),
)
