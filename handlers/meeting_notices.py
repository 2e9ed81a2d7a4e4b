"""Renderers of the meeting notices queued by ``bot/meetings.py`` and ``bot/meeting_reminders.py``:
the invitation, a reschedule and a cancellation (each with its ``.ics`` file), reminders and the
organiser's nudge.

A notice with its ``.ics`` carries the whole text: what does not fit the file's caption follows it
as a message (``handlers/render.py``, through the outbox's sender), the answer buttons under it.

Each re-checks at send time that it still applies: a notice of an older ``sequence`` was
superseded by a later change and is dropped, as is a reminder for someone who has declined since,
or anything about a meeting that has started. Chats with negative ids are group chats (issue 6):
they get the notice without the personal answer line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot import meeting_agenda
from bot.i18n import Translator
from bot.meeting_agenda import AgendaItem
from bot.notifications import Notice
from bot.services import Services
from handlers.common import esc
from handlers.meetings.agenda_texts import agenda_lines
from handlers.meetings.texts import (
    answer_label,
    as_buttons,
    card_lines,
    duration_text,
    ics_document,
    rsvp_rows,
    when,
)
from handlers.notices import register
from storage.models import Meeting, MeetingRsvp, Unit
from storage.queries import people as people_q


@dataclass(frozen=True)
class Loaded:
    meeting: Meeting
    unit: Unit
    #: The recipient's answer (None: not answered, or a group chat).
    answer: MeetingRsvp | None
    now: datetime
    #: The recommendations on its agenda (issue 17), as they are now.
    items: list[AgendaItem]

    def agenda(self, tr: Translator) -> list[str]:
        """The agenda's lines, after a blank line (none without items)."""
        lines = agenda_lines(tr, self.items, tr.local(self.now).date())
        return ["", *lines] if lines else []


async def _load(
    services: Services, params: dict[str, Any], chat_id: int, *, status: str = "scheduled"
) -> Loaded | None:
    """The meeting as it is now, if this notice (its ``sequence``) is still the latest word."""
    async with services.db.session() as session:
        meeting = await session.get(Meeting, int(params["meeting_id"]))
        if meeting is None:
            return None
        unit = await session.get(Unit, meeting.unit_id)
        answer = None
        if chat_id > 0:
            person = await people_q.by_telegram_id(session, chat_id)
            if person is not None:
                answer = await session.get(MeetingRsvp, (meeting.id, person.id))
        items = await meeting_agenda.agenda(session, meeting.id)
    if unit is None or meeting.status != status:
        return None
    if meeting.sequence != int(params.get("sequence", meeting.sequence)):
        return None
    return Loaded(meeting, unit, answer, services.clock.now(), items)


def _answered(loaded: Loaded) -> bool:
    return loaded.answer is not None and loaded.answer.answer != "none"


async def invitation(
    services: Services, tr: Translator, params: dict[str, Any], chat_id: int
) -> Notice | None:
    loaded = await _load(services, params, chat_id)
    if loaded is None or loaded.meeting.starts_at <= loaded.now:
        return None
    meeting, unit = loaded.meeting, loaded.unit
    text = "\n".join(
        [
            tr._("<b>Meeting invitation</b>"),
            *card_lines(tr, meeting, unit),
            *loaded.agenda(tr),
            "",
            tr._(
                "Will you attend? The attached .ics file adds the meeting to your phone's calendar."
            ),
        ]
    )
    return Notice(
        text,
        as_buttons(rsvp_rows(tr, meeting.id)),
        document=ics_document(tr, services, meeting, unit, loaded.items),
    )


async def rescheduled(
    services: Services, tr: Translator, params: dict[str, Any], chat_id: int
) -> Notice | None:
    loaded = await _load(services, params, chat_id)
    if loaded is None or loaded.meeting.starts_at <= loaded.now:
        return None
    meeting, unit = loaded.meeting, loaded.unit
    head = [tr._("<b>Meeting rescheduled</b>: a new time.")]
    if params.get("old"):
        head.append(
            tr._("It was planned for {when}.").format(
                when=when(tr, datetime.fromisoformat(str(params["old"])))
            )
        )
    text = "\n".join(
        [
            *head,
            *card_lines(tr, meeting, unit),
            *loaded.agenda(tr),
            "",
            tr._(
                "Answers given for the old time were cleared: will you attend at the new time? The attached .ics file updates your phone's calendar."
            ),
        ]
    )
    return Notice(
        text,
        as_buttons(rsvp_rows(tr, meeting.id)),
        document=ics_document(tr, services, meeting, unit, loaded.items),
    )


async def cancelled(
    services: Services, tr: Translator, params: dict[str, Any], chat_id: int
) -> Notice | None:
    loaded = await _load(services, params, chat_id, status="cancelled")
    if loaded is None:
        return None
    meeting, unit = loaded.meeting, loaded.unit
    lines = [
        tr._("<b>Meeting cancelled</b>"),
        tr._("<b>{title}</b> ({when}), organised by {unit}, will not take place.").format(
            title=esc(meeting.title), when=when(tr, meeting.starts_at), unit=esc(unit.name)
        ),
        "",
        tr._("Open the attached .ics file to remove it from your phone's calendar."),
    ]
    return Notice("\n".join(lines), document=ics_document(tr, services, meeting, unit))


async def reminder(
    services: Services, tr: Translator, params: dict[str, Any], chat_id: int
) -> Notice | None:
    loaded = await _load(services, params, chat_id)
    if loaded is None or loaded.meeting.starts_at <= loaded.now:
        return None
    if loaded.answer is not None and loaded.answer.answer == "no":
        return None  # declined since the reminder was planned
    meeting, unit = loaded.meeting, loaded.unit
    left = max(int((meeting.starts_at - loaded.now).total_seconds() // 60), 1)
    if left >= 90:
        left = round(left / 60) * 60
    lines = [
        tr._("Reminder: <b>{title}</b> starts {when} (in {left}).").format(
            title=esc(meeting.title), when=when(tr, meeting.starts_at), left=duration_text(tr, left)
        )
    ]
    if meeting.place:
        lines.append(tr._("Place: {place}").format(place=esc(meeting.place)))
    lines.append(tr._("Organised by {unit}.").format(unit=esc(unit.name)))
    if chat_id > 0:
        if _answered(loaded):
            lines.append(
                tr._("Your answer: {answer}").format(answer=answer_label(tr, loaded.answer))
            )
        else:
            lines.append(tr._("You have not answered yet: will you attend?"))
    lines += loaded.agenda(tr)
    return Notice("\n".join(lines), as_buttons(rsvp_rows(tr, meeting.id)))


async def nudge(
    services: Services, tr: Translator, params: dict[str, Any], chat_id: int
) -> Notice | None:
    loaded = await _load(services, params, chat_id)
    if loaded is None or loaded.meeting.starts_at <= loaded.now or _answered(loaded):
        return None
    meeting, unit = loaded.meeting, loaded.unit
    lines = [
        tr._("{unit} asks: will you attend this meeting? You have not answered yet.").format(
            unit=esc(unit.name)
        ),
        "",
        *card_lines(tr, meeting, unit, agenda_limit=300),
        *loaded.agenda(tr),
    ]
    return Notice("\n".join(lines), as_buttons(rsvp_rows(tr, meeting.id)))


def register_renderers() -> None:
    """Called by the composition root: the outbox kinds queued by ``bot/meetings.py`` and
    ``bot/meeting_reminders.py``."""
    register("meeting_invite", invitation)
    register("meeting_update", rescheduled)
    register("meeting_cancel", cancelled)
    register("meeting_reminder", reminder)
    register("meeting_nudge", nudge)
