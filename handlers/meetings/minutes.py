"""After the meeting: the organiser types the conclusions, sends the minutes as a file or a photo
(or skips), then marks who was present (answers pre-fill it: attending and delegates); and anyone
invited fetches the minutes file.

Each step's buttons are bound to the meeting of the flow state: an attendance button of another
meeting is refused as stale, whoever presses it.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardMarkup, Update

from bot import conversation
from bot import meetings as mt
from bot.conversation import FlowState
from bot.i18n import Translator
from bot.meetings import MeetingError
from handlers.common import display_name, esc, inline, page_buttons, reply
from handlers.context import AppContext
from handlers.meetings.listing import _all_people
from handlers.meetings.texts import clip, problem_text, stale, too_long
from handlers.router import register_flow
from storage.text import nfc

MINUTES_FLOW = "mtg_minutes"
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
    await query.answer()
    caption = f"<b>{esc(clip(meeting.title, 200))}</b>"
    ref = meeting.minutes_file_id
    if ref.startswith("photo:"):
        await context.bot.send_photo(update.effective_chat.id, ref[6:], caption=caption)
    else:
        await context.bot.send_document(update.effective_chat.id, ref, caption=caption)


async def _minutes_button(
    update: Update, context: AppContext, meeting_id: int, _: list[str]
) -> None:
    query = update.callback_query
    assert query is not None and update.effective_chat and update.effective_user
    tr = context.tr
    now = context.services.clock.now()
    async with context.services.db.session() as session:
        view = await mt.load(session, context.actor, meeting_id, manage=True)
        if view.meeting.status == "cancelled":
            raise MeetingError("cancelled")
        if view.meeting.starts_at > now:
            raise MeetingError("not_started")
    await conversation.save(
        context.services,
        update.effective_chat.id,
        update.effective_user.id,
        FlowState(MINUTES_FLOW, "text", {"meeting_id": meeting_id}),
    )
    await query.answer()
    text = tr._("Type the conclusions of <b>{title}</b> (at most {max} characters).").format(
        title=esc(view.meeting.title), max=tr.number(mt.MAX_CONCLUSIONS)
    )
    if view.meeting.conclusions:
        text += "\n" + tr._("They replace the conclusions recorded before.")
    await reply(update, context, text)


async def on_minutes_text(update: Update, context: AppContext, state: FlowState) -> None:
    assert update.message is not None and update.message.text is not None
    tr = context.tr
    services = context.services
    meeting_id = int(state.data["meeting_id"])
    if state.step == "file":
        await reply(update, context, _file_prompt(tr))
        return
    if state.step != "text":
        await reply(
            update, context, tr._("Please press one of the buttons above, or /cancel to stop.")
        )
        return
    text = nfc(update.message.text.strip())
    if len(text) > mt.MAX_CONCLUSIONS:
        await reply(update, context, too_long(tr, mt.MAX_CONCLUSIONS, len(text)))
        return
    try:
        async with services.db.session() as session:
            await mt.record_conclusions(
                session, context.actor, meeting_id, text, services.clock.now()
            )
    except MeetingError as exc:
        await reply(update, context, problem_text(tr, exc.code))
        return
    await _save_minutes(update, context, "file", state.data)
    await reply(
        update,
        context,
        tr._("Conclusions saved.") + "\n" + _file_prompt(tr),
        reply_markup=inline([[(tr._("Skip"), f"mtg:mf:{meeting_id}")]]),
    )


def _file_prompt(tr: Translator) -> str:
    return tr._("Send the minutes as a file or a photo, or press Skip.")


async def _save_minutes(
    update: Update, context: AppContext, step: str, data: dict[str, Any]
) -> None:
    assert update.effective_chat and update.effective_user
    await conversation.save(
        context.services,
        update.effective_chat.id,
        update.effective_user.id,
        FlowState(MINUTES_FLOW, step, data),
    )


async def on_minutes_media(update: Update, context: AppContext, state: FlowState) -> None:
    assert update.message is not None
    tr = context.tr
    services = context.services
    message = update.message
    if state.step != "file":
        await reply(update, context, tr._("This step needs text, not a file or picture."))
        return
    if message.document is not None:
        ref = message.document.file_id
    elif message.photo:
        ref = "photo:" + message.photo[-1].file_id
    else:
        await reply(update, context, _file_prompt(tr))
        return
    meeting_id = int(state.data["meeting_id"])
    try:
        async with services.db.session() as session:
            await mt.attach_minutes(session, context.actor, meeting_id, ref, services.clock.now())
    except MeetingError as exc:
        await reply(update, context, problem_text(tr, exc.code))
        return
    await _ask_attendance(update, context, meeting_id, note=tr._("Minutes saved."))


async def _skip_file(update: Update, context: AppContext, meeting_id: int, _: list[str]) -> None:
    query = update.callback_query
    assert query is not None
    state = await _minutes_state(update, context, meeting_id, "file")
    if state is None:
        return
    await query.answer()
    await _ask_attendance(update, context, meeting_id)


async def _minutes_state(
    update: Update, context: AppContext, meeting_id: int, step: str
) -> FlowState | None:
    query = update.callback_query
    assert query is not None and update.effective_chat and update.effective_user
    state = await conversation.load(
        context.services, update.effective_chat.id, update.effective_user.id
    )
    if (
        state is None
        or state.flow != MINUTES_FLOW
        or state.step != step
        or int(state.data["meeting_id"]) != meeting_id
    ):
        await query.answer(stale(context.tr), show_alert=True)
        return None
    return state


async def _ask_attendance(
    update: Update, context: AppContext, meeting_id: int, note: str | None = None
) -> None:
    async with context.services.db.session() as session:
        meeting = (await mt.load(session, context.actor, meeting_id, manage=True)).meeting
        att = await mt.attendance(session, meeting)
    if att.recorded:
        present = sorted(att.attended)
    else:
        present = sorted(p.id for p, _ in att.yes + att.delegate)
    data = {"meeting_id": meeting_id, "present": present}
    await _save_minutes(update, context, "attendance", data)
    text, markup = await _attendance_picker(context, data, 0)
    if note:
        text = f"{note}\n\n{text}"
    await reply(update, context, text, reply_markup=markup)


async def _attendance_picker(
    context: AppContext, data: dict[str, Any], page: int
) -> tuple[str, InlineKeyboardMarkup]:
    tr = context.tr
    meeting_id = int(data["meeting_id"])
    present = set(data.get("present", []))
    async with context.services.db.session() as session:
        meeting = (await mt.load(session, context.actor, meeting_id, manage=True)).meeting
        people = _all_people(await mt.attendance(session, meeting))
    people.sort(key=lambda p: (p.first_name, p.id))
    rows = [
        [
            (
                ("✓ " if p.id in present else "")
                + clip(display_name(p.first_name, p.last_name), 56),
                f"mtg:at:{meeting_id}:{p.id}:{page}",
            )
        ]
        for p in people[page * ATTEND_PAGE : (page + 1) * ATTEND_PAGE]
    ]
    nav = page_buttons(tr, page, ATTEND_PAGE, len(people), lambda p: f"mtg:ap:{meeting_id}:{p}")
    if nav:
        rows.append(nav)
    rows.append([(tr._("Save the attendance"), f"mtg:as:{meeting_id}")])
    text = tr._(
        "Who was there? Press names to mark them present (✓); a delegate counts for the person invited. Present: {count} of {total}."
    ).format(count=len(present & {p.id for p in people}), total=len(people))
    return text, inline(rows)


async def _toggle_present(
    update: Update, context: AppContext, meeting_id: int, args: list[str]
) -> None:
    query = update.callback_query
    assert query is not None
    state = await _minutes_state(update, context, meeting_id, "attendance")
    if state is None:
        return
    data = dict(state.data)
    person_id, page = int(args[0]), int(args[1])
    present = [int(i) for i in data.get("present", [])]
    data["present"] = (
        [i for i in present if i != person_id] if person_id in present else [*present, person_id]
    )
    await _save_minutes(update, context, "attendance", data)
    await query.answer()
    text, markup = await _attendance_picker(context, data, page)
    await query.edit_message_text(text, reply_markup=markup)


async def _attendance_page(
    update: Update, context: AppContext, meeting_id: int, args: list[str]
) -> None:
    query = update.callback_query
    assert query is not None
    state = await _minutes_state(update, context, meeting_id, "attendance")
    if state is None:
        return
    await query.answer()
    text, markup = await _attendance_picker(context, dict(state.data), max(int(args[0]), 0))
    await query.edit_message_text(text, reply_markup=markup)


async def _save_attendance(
    update: Update, context: AppContext, meeting_id: int, _: list[str]
) -> None:
    query = update.callback_query
    assert query is not None and update.effective_chat and update.effective_user
    tr = context.tr
    state = await _minutes_state(update, context, meeting_id, "attendance")
    if state is None:
        return
    present = {int(i) for i in state.data.get("present", [])}
    async with context.services.db.session() as session:
        count = await mt.record_attendance(
            session, context.actor, meeting_id, present, context.services.clock.now()
        )
        meeting = (await mt.load(session, context.actor, meeting_id)).meeting
        total = (await mt.attendance(session, meeting)).total
    await conversation.clear(context.services, update.effective_chat.id, update.effective_user.id)
    await query.answer()
    await reply(
        update,
        context,
        tr._(
            "Saved: the conclusions of <b>{title}</b> and its attendance ({count} of {total} present). The invited units see them with /meetings past."
        ).format(title=esc(meeting.title), count=count, total=total),
    )


register_flow(MINUTES_FLOW, on_minutes_text, on_minutes_media)
