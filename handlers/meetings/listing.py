"""/meetings: the upcoming (or, with ``/meetings past``, the past) meetings the member is invited to
or organises, and one meeting's card: the member's answer, and for the organiser the answers and
the actions (remind, change the time, cancel, record conclusions).

Every meeting shown is loaded through ``bot.meetings.load``, which checks the member is invited or
leads the organising unit: a forged ``mtg:v:<id>`` gets a refusal, never the meeting.
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bot import meeting_agenda
from bot import meetings as mt
from bot.i18n import N_, Translator
from bot.names import sort_key
from handlers.access_rules import PRIVATE, Who, rule
from handlers.common import NOT_MEMBER, answer, esc, inline, reply
from handlers.context import AppContext
from handlers.labels import button_label
from handlers.meetings.agenda_texts import agenda_lines
from handlers.meetings.texts import (
    answer_label,
    card_lines,
    names,
    person_name,
    rsvp_rows,
    when,
)
from storage.models import Meeting, Person, Unit
from storage.queries import units as units_q
from storage.text import fold

PAST_WORDS = ("past", "cu", "qua", "da qua", "truoc")


@rule(
    Who.MEMBER,
    PRIVATE,
    why="meetings the member is invited to or organises",
    wrong_chat=N_("See your meetings in a private chat with me."),
    not_allowed=NOT_MEMBER,
)
async def meetings_command(update: Update, context: AppContext) -> None:
    past = bool(context.args) and fold(" ".join(context.args or [])) in PAST_WORDS
    text, markup = await _list(context, past)
    await reply(update, context, text, reply_markup=markup)


async def _list(context: AppContext, past: bool) -> tuple[str, InlineKeyboardMarkup | None]:
    tr = context.tr
    actor = context.actor
    now = context.services.clock.now()
    entries: list[tuple[Meeting, Unit, str]] = []
    async with context.services.db.session() as session:
        for meeting in await mt.visible_meetings(session, actor, now, past=past):
            unit = await units_q.get(session, meeting.unit_id)
            assert unit is not None
            unit_ids = await mt.invited_unit_ids(session, meeting.id)
            parts = []
            if past:
                parts.append(
                    tr._("conclusions recorded")
                    if meeting.conclusions
                    else tr._("no conclusions yet")
                )
            else:
                if mt.is_invited(actor, unit_ids):
                    own = await mt.answer_of(session, meeting.id, actor.person.id)
                    parts.append(tr._("you: {answer}").format(answer=answer_label(tr, own)))
                if actor.can_admin(unit):
                    att = await mt.attendance(session, meeting)
                    parts.append(
                        tr._("answered {answered}/{total}").format(
                            answered=att.total - len(att.silent), total=att.total
                        )
                    )
            entries.append((meeting, unit, "; ".join(parts)))
    if not entries:
        if past:
            return tr._("No past meetings yet."), None
        text = tr._("You have no upcoming meetings.")
        if actor.is_admin:
            text += " " + tr._("Schedule one with /meeting.")
        return text, None
    title = tr._("Past meetings") if past else tr._("Upcoming meetings")
    lines = [f"<b>{title}</b>"]
    rows = []
    for n, (meeting, unit, status) in enumerate(entries, start=1):
        lines.append(
            f"{n}. {when(tr, meeting.starts_at)} — <b>{esc(meeting.title)}</b> · "
            f"{esc(unit.name)} — {status}"
        )
        local = tr.local(meeting.starts_at)
        rows.append(
            [(button_label(f"{n}. {local:%d/%m %H:%M} {meeting.title}"), f"mtg:v:{meeting.id}")]
        )
    lines.append("")
    if past:
        lines.append(tr._("Press a meeting to see its conclusions and attendance."))
    else:
        lines.append(tr._("Press a meeting to see it and answer. Past meetings: /meetings past"))
    # Too long for one message (many meetings, long names): handlers/render.py splits it.
    return "\n".join(lines), inline(rows)


async def _view(context: AppContext, meeting_id: int) -> tuple[str, InlineKeyboardMarkup | None]:
    """One meeting: the card, your answer; for the organiser the answers and their actions."""
    tr = context.tr
    actor = context.actor
    now = context.services.clock.now()
    async with context.services.db.session() as session:
        view = await mt.load(session, actor, meeting_id)
        meeting, unit = view.meeting, view.unit
        own = await mt.answer_of(session, meeting.id, actor.person.id) if view.invited else None
        att = await mt.attendance(session, meeting)
        invited = sorted(
            await mt.invited_units(session, meeting.id),
            key=lambda u: (u.id != meeting.unit_id, u.search_name),
        )
        items = await meeting_agenda.agenda(session, meeting.id)
    started = meeting.starts_at <= now
    ended = mt.ends_at(meeting) <= now
    lines = card_lines(tr, meeting, unit)
    lines.append(tr._("Invited: {units}").format(units=", ".join(esc(u.name) for u in invited)))
    agenda = agenda_lines(tr, items, tr.local(now).date())
    if agenda:
        lines += ["", *agenda]
    if meeting.status == "cancelled":
        lines.append("<b>" + tr._("This meeting was cancelled.") + "</b>")
    if view.invited and meeting.status != "cancelled" and not started:
        lines.append(tr._("Your answer: {answer}").format(answer=answer_label(tr, own)))
    if started and meeting.status != "cancelled":
        lines.append("")
        if meeting.conclusions:
            lines.append(tr._("<b>Conclusions</b>: {text}").format(text=esc(meeting.conclusions)))
        else:
            lines.append(tr._("No conclusions recorded yet."))
        if att.recorded:
            present = [
                person_name(p)
                for p in sorted(_all_people(att), key=lambda p: (*sort_key(p), p.id))
                if p.id in att.attended
            ]
            lines.append(
                tr._("Present ({count} of {total}): {names}").format(
                    count=len(present), total=att.total, names=names(tr, present) or "—"
                )
            )
    if view.organiser and meeting.status != "cancelled" and not att.recorded:
        lines.append("")
        lines += _attendance_lines(tr, att)
    rows: list[list[tuple[str, str]]] = []
    if view.invited and meeting.status == "scheduled" and not started:
        rows += rsvp_rows(tr, meeting.id)
    if meeting.minutes_file_id and meeting.status != "cancelled":
        rows.append([(tr._("Minutes"), f"mtg:doc:{meeting.id}")])
    if view.organiser and meeting.status == "scheduled":
        if not started and att.silent:
            rows.append([(tr._("Remind those who have not answered"), f"mtg:rm:{meeting.id}")])
        rows.append([(tr._("Change the time"), f"mtg:rs:{meeting.id}")])
        if not ended:
            rows.append([(tr._("Cancel the meeting"), f"mtg:cx:{meeting.id}")])
        if started:
            rows.append([(tr._("Record conclusions and attendance"), f"mtg:mn:{meeting.id}")])
    return "\n".join(lines), inline(rows) if rows else None


def _all_people(att: mt.Attendance) -> list[Person]:
    return [p for p, _ in att.yes + att.no + att.delegate] + att.silent


def _attendance_lines(tr: Translator, att: mt.Attendance) -> list[str]:
    lines = [
        tr._("<b>Answers</b> ({answered} of {total}):").format(
            answered=att.total - len(att.silent), total=att.total
        )
    ]
    yes = [person_name(p) for p, _ in att.yes]
    no = [person_name(p) + (f" ({esc(r.reason)})" if r.reason else "") for p, r in att.no]
    delegates = [
        person_name(p) + (f" → {esc(r.delegate)}" if r.delegate else "") for p, r in att.delegate
    ]
    silent = [person_name(p) for p in att.silent]
    lines.append(
        tr._("Attending ({count}): {names}").format(count=len(yes), names=names(tr, yes) or "—")
    )
    lines.append(
        tr._("Absent ({count}): {names}").format(count=len(no), names=names(tr, no) or "—")
    )
    lines.append(
        tr._("Sending a delegate ({count}): {names}").format(
            count=len(delegates), names=names(tr, delegates) or "—"
        )
    )
    lines.append(
        tr._("No answer yet ({count}): {names}").format(
            count=len(silent), names=names(tr, silent) or "—"
        )
    )
    return lines


async def _view_button(update: Update, context: AppContext, meeting_id: int, _: list[str]) -> None:
    query = update.callback_query
    assert query is not None
    text, markup = await _view(context, meeting_id)
    await answer(update)
    await reply(update, context, text, reply_markup=markup)
