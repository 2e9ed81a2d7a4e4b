"""The /meeting wizard's draft (a typed dataclass, the kernel's state) and the screens its steps
show: the question each step asks, with its buttons, and the review card shown before anything
is sent.

Why it is apart from ``schedule.py``: these are what the user *sees* (read together they are the
whole conversation), while ``schedule.py`` reads the answers and declares the flow. Nothing here
touches Telegram: a step's screen is text and (label, action) rows, which the flow kernel
(handlers/flow) turns into buttons and callback data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot import meeting_agenda
from bot import meetings as mt
from bot.i18n import Translator
from bot.meeting_agenda import AGENDA_KINDS
from handlers.common import esc, page_buttons
from handlers.flow import Call, Screen
from handlers.labels import button_label
from handlers.meetings.agenda_texts import agenda_lines
from handlers.meetings.texts import (
    EXAMPLES,
    card_lines,
    duration_text,
    kind_label,
    problem_text,
    when,
)
from storage.models import Meeting, Unit
from storage.queries import units as units_q

FLOW = "meeting"
#: Duration buttons, in minutes.
DURATIONS = (60, 120, 240, 480)
#: What the review card offers to change, in the order of the steps.
EDITABLE = ("kind", "title", "time", "duration", "place", "agenda", "items", "invite")
PICK_PAGE = 10
INVITE_MODES = ("all", "self", "pick")


@dataclass
class MeetingDraft:
    """The meeting being scheduled, kept (as JSON in ``chat_states``) between steps."""

    unit_id: int | None = None
    #: The leader leads several units: the organising unit is asked first.
    several: bool = False
    kind: str | None = None
    title: str | None = None
    #: ISO 8601, with its time zone.
    starts_at: str | None = None
    duration: int | None = None
    place: str | None = None
    #: "" once skipped; None while not answered.
    agenda: str | None = None
    #: Recommendations waiting for a People's Committee in the organising unit's area, when
    #: the kind or the unit was chosen (issue 17): the agenda question is asked only if any.
    open_items: int = 0
    #: Put them on the agenda (None: not answered; False also when /skip was used).
    items: bool | None = None
    #: "all" direct sub-units, "self" (only the organising unit) or "pick" (chosen below).
    mode: str | None = None
    invited: list[int] = field(default_factory=list)
    #: The page of the sub-unit picker.
    page: int = 0
    #: The review card was reached (or a change chosen on it): an answer goes back to it.
    reviewing: bool = False
    #: The review card shows what can be changed instead of "Send" / "Change something".
    menu: bool = False

    def start(self) -> datetime | None:
        return datetime.fromisoformat(self.starts_at) if self.starts_at else None

    def asks_items(self) -> bool:
        """Whether the agenda of recommendations is offered: a kind where it is discussed, and
        something open to attach (``bot.meeting_agenda``)."""
        return self.kind in AGENDA_KINDS and self.open_items > 0

    def missing(self) -> str | None:
        """The first step not answered yet (None: the review can be shown)."""
        answers = {
            "unit": self.unit_id,
            "kind": self.kind,
            "title": self.title,
            "time": self.starts_at,
            "duration": self.duration,
            "place": self.place,
            "agenda": self.agenda,
            "items": self.items if self.asks_items() else False,
            "invite": self.mode,
        }
        return next((step for step, value in answers.items() if value is None), None)


async def organiser(call: Call, draft: MeetingDraft) -> Unit:
    unit = await units_q.get(call.session, draft.unit_id or 0)
    if unit is None:
        raise ValueError("the organising unit is gone")
    return unit


def led_units(call: Call) -> dict[int, Unit]:
    """The units the leader leads (one of them organises the meeting)."""
    units: dict[int, Unit] = {}
    for role in call.actor.admin_roles():
        units.setdefault(role.unit.id, role.unit)
    return units


async def children(call: Call, draft: MeetingDraft) -> list[Unit]:
    return await mt.invitable_units(call.session, call.actor, await organiser(call, draft))


# --- the questions -----------------------------------------------------------------------------


async def show_unit(call: Call, draft: MeetingDraft) -> Screen:
    rows = [[(button_label(u.name), f"o:{u.id}")] for u in led_units(call).values()]
    return Screen(call.tr._("Which unit organises the meeting?"), rows)


async def show_kind(call: Call, draft: MeetingDraft) -> Screen:
    tr = call.tr
    unit = await units_q.get(call.session, draft.unit_id or 0)
    text = tr._("New meeting of <b>{unit}</b>. What kind of meeting?").format(
        unit=esc(unit.name if unit else "?")
    )
    offered = mt.kinds_for(unit, await units_q.umbrella_orgs(call.session)) if unit else mt.KINDS
    rows = [[(kind_label(tr, k), f"k:{i}")] for i, k in enumerate(mt.KINDS) if k in offered]
    return Screen(text, rows)


async def show_title(call: Call, draft: MeetingDraft) -> Screen:
    tr = call.tr
    return Screen(
        tr._("Title of the meeting? (at most {max} characters)").format(max=tr.number(mt.MAX_TITLE))
    )


async def show_time(call: Call, draft: MeetingDraft) -> Screen:
    tr = call.tr
    text = tr._("When does it start? Type the day and time, {examples}.").format(
        examples=tr._(EXAMPLES)
    )
    start = draft.start()
    if start is not None and start <= call.now:
        # Time went by (on the review card, or while away): say why it is asked again.
        text = f"{problem_text(tr, 'past')}\n\n{text}"
    return Screen(text)


async def show_duration(call: Call, draft: MeetingDraft) -> Screen:
    tr = call.tr
    text = tr._("How long will it last? Press a button or type it (for example 1h30).")
    start = draft.start()
    if start is not None:
        text = tr._("Start: {when}.").format(when=when(tr, start)) + "\n\n" + text
    return Screen(text, [[(_duration_button(tr, m), f"d:{m}") for m in DURATIONS]])


def _duration_button(tr: Translator, minutes: int) -> str:
    if minutes == 240:
        return tr._("Half a day")
    if minutes == 480:
        return tr._("A whole day")
    return duration_text(tr, minutes)


async def show_place(call: Call, draft: MeetingDraft) -> Screen:
    tr = call.tr
    return Screen(
        tr._("Where? Type the place (at most {max} characters).").format(
            max=tr.number(mt.MAX_PLACE)
        )
    )


async def show_agenda(call: Call, draft: MeetingDraft) -> Screen:
    tr = call.tr
    text = tr._("Agenda? Type the content (at most {max} characters), or press Skip.").format(
        max=tr.number(mt.MAX_AGENDA)
    )
    return Screen(text, [[(tr._("Skip"), "sk")]])


async def refresh_items(call: Call, draft: MeetingDraft) -> None:
    """Count what the organising unit could attach (when the unit or the kind is chosen): the
    agenda question is asked only when there is something. An answer given for another unit
    or kind is asked again."""
    if draft.unit_id is None or draft.kind not in AGENDA_KINDS:
        draft.open_items, draft.items = 0, None
        return
    found = len(await meeting_agenda.open_items(call.session, await organiser(call, draft)))
    if found != draft.open_items:
        draft.items = None
    draft.open_items = found


async def show_items(call: Call, draft: MeetingDraft) -> Screen:
    tr = call.tr
    unit = await organiser(call, draft)
    items = await meeting_agenda.open_items(call.session, unit)
    count, late = meeting_agenda.counts(items, tr.local(call.now).date())
    text = "\n".join(
        [
            tr.ngettext(
                "{n} recommendation in the area of <b>{unit}</b> is waiting for a People's Committee's answer ({late} overdue).",
                "{n} recommendations in the area of <b>{unit}</b> are waiting for a People's Committee's answer ({late} overdue).",
                count,
            ).format(n=tr.number(count), unit=esc(unit.name), late=tr.number(late)),
            "",
            tr._("Put the open and overdue recommendations on the meeting's agenda?"),
            tr._(
                "The invitation then lists them (code, category, the request in short, the authority, the due date; never the citizens' names), overdue first."
            ),
        ]
    )
    return Screen(text, [[(tr._("Yes, put them on the agenda"), "y"), (tr._("No"), "n")]])


async def show_invite(call: Call, draft: MeetingDraft) -> Screen:
    tr = call.tr
    unit = await organiser(call, draft)
    below = await children(call, draft)
    text = tr._("Who is invited? The members of <b>{unit}</b> always are.").format(
        unit=esc(unit.name)
    )
    rows: list[list[tuple[str, str]]] = []
    if below:
        rows.append([(tr._("All direct sub-units ({count})").format(count=len(below)), "i:all")])
    rows.append([(tr._("Only this unit"), "i:self")])
    if below:
        rows.append([(tr._("Choose sub-units…"), "i:pick")])
    return Screen(text, rows)


async def show_pick(call: Call, draft: MeetingDraft) -> Screen:
    tr = call.tr
    below = await children(call, draft)
    chosen = set(draft.invited)
    page = draft.page
    rows = [
        [(("✓ " if c.id in chosen else "") + button_label(c.name, 58), f"t:{c.id}")]
        for c in below[page * PICK_PAGE : (page + 1) * PICK_PAGE]
    ]
    nav = page_buttons(tr, page, PICK_PAGE, len(below), lambda p: f"tp:{p}")
    if nav:
        rows.append(nav)
    rows.append([(tr._("Done"), "td")])
    text = tr._(
        "Press the sub-units to invite (✓ = invited), then “Done”. Chosen: {count}."
    ).format(count=len(chosen & {c.id for c in below}))
    return Screen(text, rows)


# --- the review card ---------------------------------------------------------------------------


def field_labels(tr: Translator) -> dict[str, str]:
    return {
        "kind": tr._("Type"),
        "title": tr._("Title"),
        "time": tr._("Time"),
        "duration": tr._("Duration"),
        "place": tr._("Place"),
        "agenda": tr._("Agenda"),
        "items": tr._("Recommendations on the agenda"),
        "invite": tr._("Invited units"),
    }


async def invited_units(call: Call, draft: MeetingDraft) -> tuple[Unit, list[Unit]]:
    """The organising unit and the other units invited (sorted by name)."""
    unit = await organiser(call, draft)
    ids = [int(i) for i in draft.invited]
    others = await units_q.by_ids(call.session, ids)
    chosen = [others[i] for i in ids if i in others and i != unit.id]
    return unit, sorted(chosen, key=lambda u: u.search_name)


async def show_review(call: Call, draft: MeetingDraft) -> Screen:
    tr = call.tr
    unit, others = await invited_units(call, draft)
    count = await mt.reachable(call.session, [unit.id, *[u.id for u in others]])
    lines = [tr._("<b>Check the meeting before the invitations go out</b>"), ""]
    lines += card_lines(tr, draft_meeting(draft), unit)
    if draft.asks_items():
        if draft.items:
            items = await meeting_agenda.open_items(call.session, unit)
            lines += agenda_lines(tr, items, tr.local(call.now).date())
        else:
            lines.append(tr._("Recommendations on the agenda: none"))
    lines.append(
        tr._("Invited: {units}").format(units=", ".join(esc(u.name) for u in [unit, *others]))
    )
    lines.append(
        tr.ngettext(
            "{count} person will be notified now (members who have started the bot).",
            "{count} people will be notified now (members who have started the bot).",
            count,
        ).format(count=tr.number(count))
    )
    if draft.menu:
        labels = field_labels(tr)
        lines += ["", tr._("What do you want to change?")]
        rows = [[(labels[f], f"ef:{f}")] for f in EDITABLE if f != "items" or draft.asks_items()]
        rows.append([("‹ " + tr._("Go back"), "eb")])
        return Screen("\n".join(lines), rows)
    rows = [[(tr._("Send the invitations"), "go")], [(tr._("Change something"), "ed")]]
    return Screen("\n".join(lines), rows)


def draft_meeting(draft: MeetingDraft) -> Meeting:
    """An unsaved meeting for showing the review card."""
    start = draft.start()
    assert start is not None
    return Meeting(
        id=0,
        uid="",
        kind=draft.kind,
        title=draft.title,
        starts_at=start,
        duration_minutes=int(draft.duration or 0),
        place=draft.place,
        agenda=draft.agenda or "",
        unit_id=draft.unit_id,
        status="scheduled",
        sequence=0,
    )
