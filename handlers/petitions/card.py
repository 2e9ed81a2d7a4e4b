"""One recommendation's card (``/petition KN-2026-0042``, a press in /petitions, a notice's
button): its code, status, category, source, place, people, dates ("quá hạn N ngày" when the
authority is late), the answer, the citizen's name and phone (only ever shown here, and the card
only to people in the item's chain: ``bot.petition_workflow.load``), the last steps of its
history, and the buttons the viewer may use now. Every button is checked again on the server
when pressed (handlers/petitions/actions.py): the card only leaves out what would be refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from bot import petition_workflow as wf
from bot.access import Actor
from bot.i18n import N_, Translator
from bot.meeting_agenda import EVENT as AGENDA_EVENT
from bot.meeting_agenda import parse_note
from bot.names import name_of
from bot.petition_workflow import PetitionRefused
from bot.petitions import AT_AUTHORITY, acts_for_front, is_authority, is_recorder
from handlers.access_rules import PRIVATE, Who, rule
from handlers.common import NOT_MEMBER, esc, inline, reply
from handlers.context import AppContext
from handlers.meetings.texts import kind_label
from handlers.petitions.card_basic import link_button as follow_link_row
from handlers.petitions.texts import (
    EVENTS,
    REFUSALS,
    category_label,
    refusal_text,
    source_label,
    status_label,
)
from storage.models import Person, PetitionEvent
from storage.queries import people as people_q
from storage.queries import petitions as petitions_q
from storage.queries import units as units_q

Rows = list[list[tuple[str, str]]]
#: History lines on the card; the rest is one button away.
RECENT = 3


async def _names(session: AsyncSession, ids: set[int | None]) -> dict[int, str]:
    people: Sequence[Person] = await people_q.by_ids(session, [i for i in ids if i is not None])
    return {p.id: name_of(p) for p in people}


async def history_lines(
    session: AsyncSession, tr: Translator, events: Sequence[PetitionEvent]
) -> list[str]:
    """ "16/11/2026 08:30 — forwarded to UBND xã Yên Nguyên by Nguyễn Thị Lan", oldest first."""
    names = await _names(session, {e.by_id for e in events} | {e.person_id for e in events})
    units = await units_q.by_ids(session, [e.unit_id for e in events if e.unit_id is not None])
    lines = []
    for event in events:
        template = tr._(EVENTS.get(event.action, event.action))
        unit = units.get(event.unit_id) if event.unit_id is not None else None
        note = event.note or ""
        meeting = parse_note(note) if event.action == AGENDA_EVENT else None
        if meeting is not None:
            # "put on the agenda of the giao ban meeting of 20/11/2026": kind and day, in the
            # reader's language (the note keeps them as data).
            kind, start = meeting
            label = kind_label(tr, kind)
            note = tr._("the {kind} meeting of {day}").format(
                kind=label[:1].lower() + label[1:], day=tr.day(start)
            )
        text = template.format(
            who=esc(names.get(event.by_id, "…") if event.by_id else tr._("the bot")),
            note=esc(note),
            unit=esc(unit.name if unit else ""),
            person=esc(names.get(event.person_id, "…") if event.person_id else ""),
        )
        lines.append(f"{tr.moment(event.at)} — {text}")
    return lines


def _due_line(tr: Translator, item: wf.Item, today: date) -> str | None:
    p = item.petition
    if p.due_on is None:
        return None
    line = tr._("Due: {day}").format(day=tr.day(p.due_on))
    if p.status in AT_AUTHORITY and today > p.due_on:
        late = (today - p.due_on).days
        line += " · " + tr.ngettext(
            "<b>overdue by {n} day</b>", "<b>overdue by {n} days</b>", late
        ).format(n=tr.number(late))
    if p.extension_until is not None:
        line += "\n" + tr._("Extension asked until {day}, waiting for the Front.").format(
            day=tr.day(p.extension_until)
        )
    return line


def card_buttons(tr: Translator, actor: Actor, item: wf.Item) -> Rows:
    """The buttons this viewer may use now (the server checks each again when pressed)."""
    p, pid = item.petition, item.petition.id
    rows: Rows = []
    if acts_for_front(actor, item.front):
        if p.status == "recorded":
            rows += [
                [(tr._("Forward to the People's Committee"), f"kn:fw:{pid}")],
                [(tr._("Send up to the Front above"), f"kn:su:{pid}")],
                [
                    (tr._("Answer directly"), f"kn:af:{pid}"),
                    (tr._("Merge"), f"kn:mg:{pid}"),
                    (tr._("Decline"), f"kn:dc:{pid}"),
                ],
            ]
        elif p.status == "answered":
            rows.append(
                [
                    (tr._("Satisfactory"), f"kn:ok:{pid}"),
                    (tr._("Not satisfactory"), f"kn:no:{pid}"),
                ]
            )
        if p.status in AT_AUTHORITY and p.extension_until is not None:
            rows.append(
                [
                    (tr._("Grant the extension"), f"kn:xg:{pid}"),
                    (tr._("Refuse the extension"), f"kn:xr:{pid}"),
                ]
            )
    if is_authority(actor, p) and p.status in AT_AUTHORITY:
        if p.status == "forwarded":
            rows.append([(tr._("Acknowledge receipt"), f"kn:ak:{pid}")])
        rows.append(
            [
                (tr._("Answer"), f"kn:an:{pid}"),
                (tr._("Assign to a colleague"), f"kn:as:{pid}"),
            ]
        )
        if p.extension_until is None:
            rows.append([(tr._("Ask for more time"), f"kn:xa:{pid}")])
    if (
        p.status == "closed"
        and p.answer is not None
        and p.informed_at is None
        and (is_recorder(actor, p) or acts_for_front(actor, item.front))
    ):
        rows.append([(tr._("Citizens have been told"), f"kn:inf:{pid}")])
    rows.append([(tr._("Full history"), f"kn:h:{pid}")])
    if p.status != "merged" and (is_recorder(actor, p) or acts_for_front(actor, item.front)):
        rows += follow_link_row(tr, p)
    return rows


async def render_card(
    session: AsyncSession, tr: Translator, actor: Actor, item: wf.Item, today: date
) -> tuple[str, Rows]:
    """The card's HTML text and buttons, for a viewer ``wf.load`` has let see the item."""
    p = item.petition
    lines = [
        f"<b>{esc(p.code)}</b> · {esc(status_label(tr, p.status))}",
        tr._("Category: {category} · Source: {source}").format(
            category=esc(category_label(tr, p.category)), source=esc(source_label(tr, p.source))
        ),
        tr._("Place: {place}").format(place=esc(item.place.name)),
    ]
    if p.people_count > 1:
        lines.append(
            tr.ngettext(
                "{n} citizen raised it", "{n} citizens raised it together", p.people_count
            ).format(n=tr.number(p.people_count))
        )
    lines.append(tr._("Received: {day}").format(day=tr.day(p.received_on)))
    if item.front.id != p.unit_id:
        lines.append(tr._("Supervised by: {front}").format(front=esc(item.front.name)))
    if item.authority is not None:
        lines.append(tr._("Forwarded to: {unit}").format(unit=esc(item.authority.name)))
    due = _due_line(tr, item, today)
    if due:
        lines.append(due)
    lines.append("“" + esc(p.text) + "”")
    if p.consent and p.erased_at is None and (p.citizen_name or p.citizen_phone):
        citizen = ", ".join(esc(v) for v in (p.citizen_name, p.citizen_phone) if v)
        lines.append(tr._("Citizen: {citizen}").format(citizen=citizen))
    if p.answer:
        lines.append(tr._("Answer: {answer}").format(answer=esc(p.answer)))
    if p.merged_into_id is not None:
        into = await petitions_q.get(session, p.merged_into_id)
        if into is not None:
            lines.append(tr._("Merged into {code}").format(code=esc(into.code)))
    if p.informed_at is not None:
        lines.append(tr._("Citizens told on {day}").format(day=tr.day(p.informed_at)))
    events = await petitions_q.history(session, p.id)
    recent = await history_lines(session, tr, events[-RECENT:])
    lines.append("")
    lines.append(tr._("History:"))
    lines += recent
    return "\n".join(lines), card_buttons(tr, actor, item)


async def card_for(context: AppContext, session: AsyncSession, item: wf.Item) -> tuple[str, Rows]:
    return await render_card(session, context.tr, context.actor, item, context.services.today())


@rule(
    Who.MEMBER,
    PRIVATE,
    scoped=True,
    why="an item's card, only to people in its chain (bot.petitions.can_see)",
    refusals=(REFUSALS["not_found"], REFUSALS["bad_code"]),
    wrong_chat=N_("Open recommendations in a private chat with me."),
    not_allowed=NOT_MEMBER,
)
async def petition_code_command(update: Update, context: AppContext) -> None:
    """``/petition KN-2026-0042``: the item's card. Registered only for /petition with an
    argument (``has_args``): /petition alone records a new item (the recording flow)."""
    code = " ".join(context.args or [])
    async with context.services.db.session() as session:
        try:
            item = await wf.load_code(session, context.actor, code)
        except PetitionRefused as exc:
            await reply(update, context, refusal_text(context.tr, exc))
            return
        text, rows = await card_for(context, session, item)
        await reply(update, context, text, reply_markup=inline(rows))
