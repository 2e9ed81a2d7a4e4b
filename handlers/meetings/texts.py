"""The texts the meeting screens and the meeting notices share: kind labels, the weekday-and-time
line (:func:`when`), a meeting's card, the RSVP buttons, the calendar file in the recipient's language, and the explanation of every refusal
(:func:`problem_text`, :func:`time_problem`).

Why a module of its own: the same meeting is shown by /meetings, by the wizard's review card and by
every notice (``handlers/meeting_notices.py``); one wording of each keeps them alike, and the flows
beside this module hold only what they do.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from babel.dates import format_date, format_time

from bot import meetings as mt
from bot.i18n import N_, Translator
from bot.meeting_agenda import AgendaItem
from bot.meeting_ics import build_ics, ics_filename
from bot.meeting_time import TimeParseError
from bot.names import name_of
from bot.services import Services
from handlers.common import esc
from handlers.meetings.agenda_texts import plain_lines
from handlers.router import quote
from storage.models import Meeting, MeetingRsvp, Person, Unit

KIND_LABELS = {
    "giao_ban": N_("Briefing (giao ban)"),
    "so_ket": N_("Mid-term review"),
    "tong_ket": N_("Final review"),
    "hiep_thuong": N_("Consultative conference"),
    "tiep_xuc_cu_tri": N_("Meeting with voters"),
    "ban_cong_tac": N_("Front Working Committee meeting"),
    "other": N_("Other meeting"),
}
NAMES_SHOWN = 30

Buttons = tuple[tuple[tuple[str, str], ...], ...]


def kind_label(tr: Translator, kind: str) -> str:
    return tr._(KIND_LABELS.get(kind, KIND_LABELS["other"]))


def when(tr: Translator, moment: datetime) -> str:
    """Thứ Hai, 21/12/2026 08:30"""
    weekday = format_date(tr.local(moment).date(), "EEEE", locale=tr.locale)
    return f"{weekday}, {tr.moment(moment)}"


def duration_text(tr: Translator, minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(tr.ngettext("{n} hour", "{n} hours", hours).format(n=tr.number(hours)))
    if rest or not hours:
        parts.append(tr.ngettext("{n} minute", "{n} minutes", rest).format(n=tr.number(rest)))
    return " ".join(parts)


def answer_label(tr: Translator, row: MeetingRsvp | None) -> str:
    if row is None or row.answer == mt.NO_ANSWER:
        return tr._("not answered yet")
    if row.answer == "yes":
        return tr._("attending")
    if row.answer == "no":
        label = tr._("absent")
        return f"{label} ({esc(row.reason)})" if row.reason else label
    label = tr._("sending a delegate")
    return f"{label}: {esc(row.delegate)}" if row.delegate else label


def rsvp_rows(tr: Translator, meeting_id: int) -> list[list[tuple[str, str]]]:
    return [
        [
            (tr._("Attend"), f"mtg:y:{meeting_id}"),
            (tr._("Absent"), f"mtg:n:{meeting_id}"),
            (tr._("Send a delegate"), f"mtg:dl:{meeting_id}"),
        ]
    ]


def as_buttons(rows: list[list[tuple[str, str]]]) -> Buttons:
    return tuple(tuple(row) for row in rows)


def clip(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: max(limit - 1, 0)].rstrip() + "…"


def card_lines(
    tr: Translator, meeting: Meeting, unit: Unit, *, agenda_limit: int | None = None
) -> list[str]:
    """Title, type and organiser, time, place, agenda (HTML)."""
    lines = [
        f"<b>{esc(meeting.title)}</b>",
        tr._("{kind} · organised by {unit}").format(
            kind=esc(kind_label(tr, meeting.kind)), unit=esc(unit.name)
        ),
        tr._("Time: {when} ({duration})").format(
            when=when(tr, meeting.starts_at),
            duration=duration_text(tr, meeting.duration_minutes),
        ),
    ]
    if meeting.place:
        lines.append(tr._("Place: {place}").format(place=esc(meeting.place)))
    agenda = meeting.agenda or ""
    if agenda and agenda_limit is not None:
        agenda = clip(agenda, agenda_limit) if agenda_limit > 20 else ""
    if agenda:
        lines.append(tr._("Agenda: {agenda}").format(agenda=esc(agenda)))
    return lines


def ics_document(
    tr: Translator,
    services: Services,
    meeting: Meeting,
    unit: Unit,
    items: Sequence[AgendaItem] = (),
) -> tuple[str, bytes]:
    """The calendar file, in the recipient's language; the recommendations on the agenda are
    listed in its description, cut like the notice's list."""
    today = tr.local(services.clock.now()).date()
    description = "\n\n".join(
        part
        for part in (
            kind_label(tr, meeting.kind),
            meeting.agenda or "",
            "\n".join(plain_lines(tr, items, today)),
            tr._("Answer and see the details in Phối hợp: /meetings"),
        )
        if part
    )
    data = build_ics(
        meeting,
        tz=services.settings.tz,
        organiser=unit.name,
        description=description,
        now=services.clock.now(),
        categories=kind_label(tr, meeting.kind),
    )
    return ics_filename(meeting), data


def problem_text(tr: Translator, code: str) -> str:
    return {
        "forbidden": tr._("You are not invited to this meeting."),
        "not_invited": tr._("You are not invited to this meeting."),
        "not_organiser": tr._("Only the leaders of the organising unit can change this meeting."),
        "not_found": tr._("This meeting no longer exists."),
        "cancelled": tr._("This meeting was cancelled."),
        "started": tr._("This meeting has already started; answers can no longer change."),
        "past": tr._("That time has already passed. Type a time in the future."),
        "ended": tr._("This meeting has already ended."),
        "not_started": tr._("Conclusions can be recorded once the meeting has started."),
        "same_time": tr._("That is already the meeting's time. Type another one."),
        "empty": tr._("Please type some text."),
    }.get(code, tr._("This cannot be done now."))


EXAMPLES = N_("for example 21/12 8h30, “mai 14h” (tomorrow) or “thứ 2 8h” (Monday)")


def time_problem(tr: Translator, error: TimeParseError) -> str:
    text = quote(error.text)
    examples = tr._(EXAMPLES)
    if error.code == "no_time":
        return tr._("Add the hour too, for example “{text} 8h30”.").format(text=text)
    if error.code == "bad_date":
        return tr._("“{text}” names a day that does not exist. Check the day and month.").format(
            text=text
        )
    if error.code == "bad_hour":
        return tr._("“{text}”: hours go from 0 to 23 and minutes from 0 to 59.").format(text=text)
    if error.code == "weekday_mismatch" and error.day is not None:
        weekday = format_date(error.day, "EEEE", locale=tr.locale)
        return tr._(
            "{day} is a {weekday}, not the day of the week you typed. Check the date."
        ).format(day=tr.day(error.day), weekday=weekday)
    if error.code == "past" and error.day is not None and error.clock is not None:
        suggestion = f"{tr.day(error.day)} {format_time(error.clock, 'HH:mm', locale=tr.locale)}"
        return tr._(
            "“{text}” has already passed. Did you mean {date}? Then type “{suggestion}”; otherwise type a time still to come, {examples}."
        ).format(text=text, date=tr.day(error.day), suggestion=suggestion, examples=examples)
    if error.code == "past":
        return tr._("“{text}” has already passed. Type a time in the future, {examples}.").format(
            text=text, examples=examples
        )
    if error.code == "too_far":
        return tr._("“{text}” is more than two years away. Check the year.").format(text=text)
    return tr._("I cannot read “{text}” as a day and time. Type it {examples}.").format(
        text=text, examples=examples
    )


def too_long(tr: Translator, limit: int, count: int) -> str:
    return tr._(
        "At most {max} characters, please; yours has {count}. Shorten it and send it again."
    ).format(max=tr.number(limit), count=tr.number(count))


def stale(tr: Translator) -> str:
    return tr._("This button is no longer active. Start again with /meeting.")


def names(tr: Translator, people: list[str]) -> str:
    shown = ", ".join(people[:NAMES_SHOWN])
    if len(people) > NAMES_SHOWN:
        shown += " " + tr._("and {count} more").format(count=len(people) - NAMES_SHOWN)
    return shown


def person_name(person: Person) -> str:
    return esc(name_of(person) or str(person.telegram_id))
