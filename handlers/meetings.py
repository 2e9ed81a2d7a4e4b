"""/meeting (a unit leader schedules a meeting), /meetings (upcoming or past meetings: answer,
attendance, conclusions) and every ``mtg:`` button.

The scheduling steps keep their answers in the flow state (database), so a bad input, a restart or
a day away loses nothing; a review card comes before anything is sent. Buttons carry small ids
and every one is re-checked on the server (``bot.meetings.load``): a forged callback for a meeting
of another subtree gets a refusal, never the meeting. Database work is one short session per
step; replies go out after it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from babel.dates import format_date
from telegram import InlineKeyboardMarkup, Update

from bot import conversation
from bot import meetings as mt
from bot.conversation import FlowState
from bot.i18n import N_, Translator
from bot.meeting_ics import build_ics, ics_filename
from bot.meeting_time import TimeParseError, parse_duration, parse_meeting_time
from bot.meetings import MeetingError, MeetingPlan
from bot.services import Services
from handlers.access_rules import ANY_CHAT, PRIVATE, Who, rule
from handlers.common import display_name, esc, inline, page_buttons, reply, require_member
from handlers.context import AppContext
from handlers.router import quote, register_flow
from storage.models import Meeting, MeetingRsvp, Person, Unit
from storage.queries import units as units_q
from storage.text import fold, nfc

FLOW = "meeting"
ANSWER_FLOW = "mtg_answer"
TIME_FLOW = "mtg_time"
MINUTES_FLOW = "mtg_minutes"

KIND_LABELS = {
    "giao_ban": N_("Briefing (giao ban)"),
    "so_ket": N_("Mid-term review"),
    "tong_ket": N_("Final review"),
    "hiep_thuong": N_("Consultative conference"),
    "tiep_xuc_cu_tri": N_("Meeting with voters"),
    "ban_cong_tac": N_("Front Working Committee meeting"),
    "other": N_("Other meeting"),
}
#: Duration buttons, in minutes.
DURATIONS = (60, 120, 240, 480)
#: The scheduling steps in order; a change from the review goes back to the review.
ORDER = ("kind", "title", "time", "duration", "place", "agenda", "invite", "review")
TYPED = ("title", "time", "duration", "place", "agenda")
EDITABLE = ("kind", "title", "time", "duration", "place", "agenda", "invite")
PICK_PAGE = 10
ATTEND_PAGE = 12
NAMES_SHOWN = 30
PAST_WORDS = ("past", "cu", "qua", "da qua", "truoc")
CAPTION = 1024

Buttons = tuple[tuple[tuple[str, str], ...], ...]


# --- texts shared with the notices ----------------------------------------------------------


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


def fit_caption(
    tr: Translator, head: list[str], meeting: Meeting, unit: Unit, tail: list[str]
) -> str:
    """A document caption (at most 1.024 characters): the agenda is shortened to fit; the whole
    agenda is in the calendar file and in /meetings."""
    limit = len(meeting.agenda or "")
    while True:
        text = "\n".join([*head, *card_lines(tr, meeting, unit, agenda_limit=limit), *tail])
        if len(text) <= CAPTION:
            return text
        if limit <= 0:
            break
        limit = min(limit - (len(text) - CAPTION) - 1, limit - 20)
    short = [
        f"<b>{esc(clip(meeting.title, 100))}</b>",
        tr._("Time: {when} ({duration})").format(
            when=when(tr, meeting.starts_at),
            duration=duration_text(tr, meeting.duration_minutes),
        ),
    ]
    return "\n".join([*head, *short, *tail])


def ics_document(
    tr: Translator, services: Services, meeting: Meeting, unit: Unit
) -> tuple[str, bytes]:
    """The calendar file, in the recipient's language."""
    description = "\n\n".join(
        part
        for part in (
            kind_label(tr, meeting.kind),
            meeting.agenda or "",
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
    return esc(display_name(person.first_name, person.last_name) or str(person.telegram_id))


# --- /meeting: scheduling -------------------------------------------------------------------


@rule(
    Who.ADMIN,
    PRIVATE,
    why="schedules a meeting of a unit the leader leads",
    refusals=(
        N_("Schedule meetings in a private chat with me."),
        N_("Only unit leaders can schedule meetings."),
    ),
)
async def meeting_command(update: Update, context: AppContext) -> None:
    assert update.effective_chat and update.effective_user
    tr = context.tr
    if update.effective_chat.type != "private":
        await reply(update, context, tr._("Schedule meetings in a private chat with me."))
        return
    if not context.actor.is_admin:
        await reply(update, context, tr._("Only unit leaders can schedule meetings."))
        return
    units: dict[int, Unit] = {}
    for role in context.actor.admin_roles():
        units.setdefault(role.unit.id, role.unit)
    if len(units) == 1:
        data: dict[str, Any] = {"unit_id": next(iter(units))}
        await _save(update, context, "kind", data)
        await _prompt(update, context, "kind", data)
        return
    await _save(update, context, "unit", {})
    rows = [[(clip(u.name, 60), f"mtg:o:{u.id}")] for u in units.values()]
    await reply(
        update, context, tr._("Which unit organises the meeting?"), reply_markup=inline(rows)
    )


async def _save(update: Update, context: AppContext, step: str, data: dict[str, Any]) -> None:
    assert update.effective_chat and update.effective_user
    await conversation.save(
        context.services,
        update.effective_chat.id,
        update.effective_user.id,
        FlowState(FLOW, step, data),
    )


def _next_step(step: str, data: dict[str, Any]) -> str:
    if data.get("editing"):
        return "review"
    return ORDER[ORDER.index(step) + 1]


async def _advance(
    update: Update, context: AppContext, step: str, data: dict[str, Any], note: str | None = None
) -> None:
    """Keep what was entered at ``step`` and ask the next question."""
    following = _next_step(step, data)
    await _save(update, context, following, data)
    await _prompt(update, context, following, data, note)


async def _prompt(
    update: Update,
    context: AppContext,
    step: str,
    data: dict[str, Any],
    note: str | None = None,
) -> None:
    tr = context.tr
    rows: list[list[tuple[str, str]]] = []
    if step == "kind":
        async with context.services.db.session() as session:
            unit = await units_q.get(session, int(data["unit_id"]))
        text = tr._("New meeting of <b>{unit}</b>. What kind of meeting?").format(
            unit=esc(unit.name if unit else "?")
        )
        rows = [[(kind_label(tr, k), f"mtg:k:{i}")] for i, k in enumerate(mt.KINDS)]
    elif step == "title":
        text = tr._("Title of the meeting? (at most {max} characters)").format(
            max=tr.number(mt.MAX_TITLE)
        )
    elif step == "time":
        text = tr._("When does it start? Type the day and time, {examples}.").format(
            examples=tr._(EXAMPLES)
        )
    elif step == "duration":
        text = tr._("How long will it last? Press a button or type it (for example 1h30).")
        rows = [[(_duration_button(tr, m), f"mtg:d:{m}") for m in DURATIONS]]
    elif step == "place":
        text = tr._("Where? Type the place (at most {max} characters).").format(
            max=tr.number(mt.MAX_PLACE)
        )
    elif step == "agenda":
        text = tr._("Agenda? Type the content (at most {max} characters), or press Skip.").format(
            max=tr.number(mt.MAX_AGENDA)
        )
        rows = [[(tr._("Skip"), "mtg:sk")]]
    elif step == "invite":
        text, rows = await _invite_prompt(context, data)
    elif step == "pick":
        text, markup = await _pick_prompt(context, data, 0)
        await reply(update, context, text, reply_markup=markup)
        return
    elif step == "review":
        text, rows = await _review(context, data)
    else:  # "edit"
        text = tr._("What do you want to change?")
        labels = {
            "kind": tr._("Type"),
            "title": tr._("Title"),
            "time": tr._("Time"),
            "duration": tr._("Duration"),
            "place": tr._("Place"),
            "agenda": tr._("Agenda"),
            "invite": tr._("Invited units"),
        }
        rows = [[(labels[f], f"mtg:ef:{f}")] for f in EDITABLE]
    if note:
        text = f"{note}\n\n{text}"
    await reply(update, context, text, reply_markup=inline(rows) if rows else None)


def _duration_button(tr: Translator, minutes: int) -> str:
    if minutes == 240:
        return tr._("Half a day")
    if minutes == 480:
        return tr._("A whole day")
    return duration_text(tr, minutes)


async def _invite_prompt(
    context: AppContext, data: dict[str, Any]
) -> tuple[str, list[list[tuple[str, str]]]]:
    tr = context.tr
    async with context.services.db.session() as session:
        unit = await units_q.get(session, int(data["unit_id"]))
        assert unit is not None
        children = await mt.invitable_units(session, context.actor, unit)
    text = tr._("Who is invited? The members of <b>{unit}</b> always are.").format(
        unit=esc(unit.name)
    )
    rows = []
    if children:
        rows.append(
            [
                (
                    tr._("All direct sub-units ({count})").format(count=len(children)),
                    "mtg:i:all",
                )
            ]
        )
    rows.append([(tr._("Only this unit"), "mtg:i:self")])
    if children:
        rows.append([(tr._("Choose sub-units…"), "mtg:i:pick")])
    return text, rows


async def _pick_prompt(
    context: AppContext, data: dict[str, Any], page: int
) -> tuple[str, InlineKeyboardMarkup]:
    tr = context.tr
    chosen = set(data.get("invited", []))
    async with context.services.db.session() as session:
        unit = await units_q.get(session, int(data["unit_id"]))
        assert unit is not None
        children = await mt.invitable_units(session, context.actor, unit)
    rows = [
        [(("✓ " if c.id in chosen else "") + clip(c.name, 58), f"mtg:t:{c.id}:{page}")]
        for c in children[page * PICK_PAGE : (page + 1) * PICK_PAGE]
    ]
    nav = page_buttons(tr, page, PICK_PAGE, len(children), lambda p: f"mtg:tp:{p}")
    if nav:
        rows.append(nav)
    rows.append([(tr._("Done"), "mtg:td")])
    text = tr._(
        "Press the sub-units to invite (✓ = invited), then “Done”. Chosen: {count}."
    ).format(count=len(chosen & {c.id for c in children}))
    return text, inline(rows)


async def _invited(context: AppContext, data: dict[str, Any]) -> tuple[Unit, list[Unit]]:
    async with context.services.db.session() as session:
        unit = await units_q.get(session, int(data["unit_id"]))
        assert unit is not None
        ids = [int(i) for i in data.get("invited", [])]
        others = await units_q.by_ids(session, ids)
    chosen = [others[i] for i in ids if i in others and i != unit.id]
    return unit, sorted(chosen, key=lambda u: u.search_name)


async def _review(
    context: AppContext, data: dict[str, Any]
) -> tuple[str, list[list[tuple[str, str]]]]:
    tr = context.tr
    unit, others = await _invited(context, data)
    async with context.services.db.session() as session:
        count = await mt.reachable(session, [unit.id, *[u.id for u in others]])
    draft = _draft_meeting(data)
    lines = [tr._("<b>Check the meeting before the invitations go out</b>"), ""]
    lines += card_lines(tr, draft, unit)
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
    rows = [
        [(tr._("Send the invitations"), "mtg:go")],
        [(tr._("Change something"), "mtg:ed")],
    ]
    return "\n".join(lines), rows


def _draft_meeting(data: dict[str, Any]) -> Meeting:
    """An unsaved meeting for showing the review card."""
    return Meeting(
        id=0,
        uid="",
        kind=data["kind"],
        title=data["title"],
        starts_at=datetime.fromisoformat(data["starts_at"]),
        duration_minutes=int(data["duration"]),
        place=data["place"],
        agenda=data.get("agenda") or "",
        unit_id=int(data["unit_id"]),
        status="scheduled",
        sequence=0,
    )


async def on_text(update: Update, context: AppContext, state: FlowState) -> None:
    """Typed text in the scheduling flow: the steps that are typed; the others want a button."""
    assert update.message is not None and update.message.text is not None
    tr = context.tr
    services = context.services
    step = state.step
    data = dict(state.data)
    text = nfc(update.message.text.strip())
    if step not in TYPED:
        await reply(
            update, context, tr._("Please press one of the buttons above, or /cancel to stop.")
        )
        return
    note = None
    if step == "time":
        try:
            starts = parse_meeting_time(text, services.clock.now(), services.settings.tz)
        except TimeParseError as exc:
            await reply(update, context, time_problem(tr, exc))
            return
        data["starts_at"] = starts.isoformat()
        note = tr._("Start: {when}.").format(when=when(tr, starts))
    elif step == "duration":
        try:
            data["duration"] = parse_duration(text)
        except TimeParseError:
            await reply(
                update,
                context,
                tr._(
                    "“{text}” is not a duration from 15 minutes to 24 hours. Type for example 1h30 or 90 phút, or press a button."
                ).format(text=quote(text)),
            )
            return
    else:
        limit = {"title": mt.MAX_TITLE, "place": mt.MAX_PLACE, "agenda": mt.MAX_AGENDA}[step]
        if len(text) > limit:
            await reply(update, context, too_long(tr, limit, len(text)))
            return
        if not text:
            await reply(update, context, problem_text(tr, "empty"))
            return
        data[step] = text
    await _advance(update, context, step, data, note)


async def _create_button(update: Update, context: AppContext, action: str, args: list[str]) -> None:
    query = update.callback_query
    assert query is not None and update.effective_chat and update.effective_user
    tr = context.tr
    state = await conversation.load(
        context.services, update.effective_chat.id, update.effective_user.id
    )
    if state is None or state.flow != FLOW or not context.actor.is_admin:
        await query.answer(stale(tr), show_alert=True)
        return
    data = dict(state.data)
    step = state.step
    if action == "o" and step == "unit":
        async with context.services.db.session() as session:
            unit = await units_q.get(session, int(args[0]))
        if unit is None or not any(r.unit.id == unit.id for r in context.actor.admin_roles()):
            await query.answer(stale(tr), show_alert=True)
            return
        await query.answer()
        data = {"unit_id": unit.id}
        await _save(update, context, "kind", data)
        await _prompt(update, context, "kind", data)
        return
    expected = {
        "k": "kind",
        "d": "duration",
        "sk": "agenda",
        "i": "invite",
        "t": "pick",
        "tp": "pick",
        "td": "pick",
        "go": "review",
        "ed": "review",
        "ef": "edit",
    }
    if expected.get(action) != step:
        await query.answer(
            tr._("Please answer the last question, or /cancel to stop."), show_alert=True
        )
        return
    if action == "k":
        data["kind"] = mt.KINDS[int(args[0])]
        await query.answer()
        await _advance(update, context, step, data)
    elif action == "d":
        minutes = int(args[0])
        if minutes not in DURATIONS:
            raise ValueError(minutes)
        data["duration"] = minutes
        await query.answer()
        await _advance(update, context, step, data)
    elif action == "sk":
        data["agenda"] = ""
        await query.answer()
        await _advance(update, context, step, data)
    elif action == "i":
        await _invite_mode(update, context, data, args[0])
    elif action in ("t", "tp"):
        await _toggle_unit(update, context, data, action, args)
    elif action == "td":
        await query.answer()
        await _advance(update, context, "invite", data)
    elif action == "go":
        await _create(update, context, data)
    elif action == "ed":
        await query.answer()
        await _save(update, context, "edit", data)
        await _prompt(update, context, "edit", data)
    elif action == "ef":
        field = args[0]
        if field not in EDITABLE:
            raise ValueError(field)
        await query.answer()
        data["editing"] = True
        await _save(update, context, field, data)
        await _prompt(update, context, field, data)


async def _invite_mode(
    update: Update, context: AppContext, data: dict[str, Any], mode: str
) -> None:
    query = update.callback_query
    assert query is not None
    if mode not in ("all", "self", "pick"):
        raise ValueError(mode)
    async with context.services.db.session() as session:
        unit = await units_q.get(session, int(data["unit_id"]))
        assert unit is not None
        children = await mt.invitable_units(session, context.actor, unit)
    await query.answer()
    if mode == "all":
        data["invited"] = [c.id for c in children]
    elif mode == "self":
        data["invited"] = []
    else:
        data["invited"] = [i for i in data.get("invited", []) if i in {c.id for c in children}]
        await _save(update, context, "pick", data)
        await _prompt(update, context, "pick", data)
        return
    data.pop("editing", None)
    await _save(update, context, "review", data)
    await _prompt(update, context, "review", data)


async def _toggle_unit(
    update: Update, context: AppContext, data: dict[str, Any], action: str, args: list[str]
) -> None:
    query = update.callback_query
    assert query is not None
    tr = context.tr
    if action == "t":
        unit_id, page = int(args[0]), int(args[1])
        async with context.services.db.session() as session:
            unit = await units_q.get(session, int(data["unit_id"]))
            assert unit is not None
            allowed = {c.id for c in await mt.invitable_units(session, context.actor, unit)}
        if unit_id not in allowed:
            await query.answer(stale(tr), show_alert=True)
            return
        chosen = list(data.get("invited", []))
        chosen = [i for i in chosen if i != unit_id] if unit_id in chosen else [*chosen, unit_id]
        data["invited"] = chosen
        await _save(update, context, "pick", data)
    else:
        page = max(int(args[0]), 0)
    await query.answer()
    text, markup = await _pick_prompt(context, data, page)
    await query.edit_message_text(text, reply_markup=markup)


async def _create(update: Update, context: AppContext, data: dict[str, Any]) -> None:
    query = update.callback_query
    assert query is not None and update.effective_chat and update.effective_user
    tr = context.tr
    services = context.services
    try:
        async with services.db.session() as session:
            unit = await units_q.get(session, int(data["unit_id"]))
            if unit is None:
                raise MeetingError("not_found")
            invited = await units_q.by_ids(session, [int(i) for i in data.get("invited", [])])
            meeting = await mt.create_meeting(
                session,
                context.actor,
                unit=unit,
                plan=MeetingPlan(
                    kind=data["kind"],
                    title=data["title"],
                    starts_at=datetime.fromisoformat(data["starts_at"]),
                    duration_minutes=int(data["duration"]),
                    place=data["place"],
                    agenda=data.get("agenda") or "",
                ),
                invited=list(invited.values()),
                now=services.clock.now(),
            )
            count = len(await mt.recipients(session, meeting))
    except MeetingError as exc:
        await query.answer()
        if exc.code == "past":
            # Time went by on the review card: ask for the start again, keeping the rest.
            data["editing"] = True
            await _save(update, context, "time", data)
            await _prompt(update, context, "time", data, note=problem_text(tr, "past"))
            return
        await reply(update, context, problem_text(tr, exc.code))
        return
    await query.answer()
    await conversation.clear(services, update.effective_chat.id, update.effective_user.id)
    await reply(
        update,
        context,
        "\n".join(
            [
                tr._("Meeting scheduled: <b>{title}</b>, {when}.").format(
                    title=esc(meeting.title), when=when(tr, meeting.starts_at)
                ),
                tr.ngettext(
                    "The invitation is going to {count} person.",
                    "Invitations are going to {count} people.",
                    count,
                ).format(count=tr.number(count)),
                tr._("/meetings shows who has answered."),
            ]
        ),
    )


# --- /meetings ------------------------------------------------------------------------------


@rule(
    Who.MEMBER,
    PRIVATE,
    why="meetings the member is invited to or organises",
    refusals=(N_("See your meetings in a private chat with me."),),
)
async def meetings_command(update: Update, context: AppContext) -> None:
    tr = context.tr
    if update.effective_chat is None or update.effective_chat.type != "private":
        await reply(update, context, tr._("See your meetings in a private chat with me."))
        return
    if not await require_member(update, context):
        return
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
            [(clip(f"{n}. {local:%d/%m %H:%M} {meeting.title}", 60), f"mtg:v:{meeting.id}")]
        )
    lines.append("")
    if past:
        lines.append(tr._("Press a meeting to see its conclusions and attendance."))
    else:
        lines.append(tr._("Press a meeting to see it and answer. Past meetings: /meetings past"))
    text = "\n".join(lines)
    return (clip(text, 4000), inline(rows))


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
    started = meeting.starts_at <= now
    ended = mt.ends_at(meeting) <= now
    lines = card_lines(tr, meeting, unit)
    lines.append(tr._("Invited: {units}").format(units=", ".join(esc(u.name) for u in invited)))
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
                for p in sorted(_all_people(att), key=lambda p: (p.first_name, p.id))
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
    return clip("\n".join(lines), 4000), inline(rows) if rows else None


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


# --- buttons --------------------------------------------------------------------------------

CREATE_ACTIONS = ("o", "k", "d", "sk", "i", "t", "tp", "td", "go", "ed", "ef")


@rule(
    Who.MEMBER,
    ANY_CHAT,
    scoped=True,
    own_units_actions=("o", "y", "n", "dl"),
    why="meeting ids re-checked by meetings.load (invited, or organiser for changes); RSVP buttons are also posted in linked groups",
    refusals=(
        N_("You are not invited to this meeting."),
        N_("Only the leaders of the organising unit can change this meeting."),
        N_("This button is no longer active. Start again with /meeting."),
        N_("Please answer the last question, or /cancel to stop."),
    ),
    actions={
        "o": Who.ADMIN,
        "k": Who.ADMIN,
        "d": Who.ADMIN,
        "sk": Who.ADMIN,
        "i": Who.ADMIN,
        "t": Who.ADMIN,
        "tp": Who.ADMIN,
        "td": Who.ADMIN,
        "go": Who.ADMIN,
        "ed": Who.ADMIN,
        "ef": Who.ADMIN,
        "rm": Who.ADMIN,
        "rs": Who.ADMIN,
        "rsy": Who.ADMIN,
        "rsn": Who.ADMIN,
        "cx": Who.ADMIN,
        "cxy": Who.ADMIN,
        "cxn": Who.ADMIN,
        "mn": Who.ADMIN,
        "mf": Who.ADMIN,
        "at": Who.ADMIN,
        "ap": Who.ADMIN,
        "as": Who.ADMIN,
    },
)
async def on_button(update: Update, context: AppContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    tr = context.tr
    parts = query.data.split(":")
    action = parts[1] if len(parts) > 1 else ""
    try:
        if action in CREATE_ACTIONS:
            await _create_button(update, context, action, parts[2:])
            return
        handler = MEETING_ACTIONS[action]
        meeting_id = int(parts[2])
        await handler(update, context, meeting_id, parts[3:])
    except (KeyError, IndexError, ValueError):
        await query.answer(stale(tr), show_alert=True)
    except MeetingError as exc:
        await query.answer(problem_text(tr, exc.code), show_alert=True)


async def _view_button(update: Update, context: AppContext, meeting_id: int, _: list[str]) -> None:
    query = update.callback_query
    assert query is not None
    text, markup = await _view(context, meeting_id)
    await query.answer()
    await reply(update, context, text, reply_markup=markup)


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


# --- after the meeting: conclusions, minutes, attendance -------------------------------------


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


MEETING_ACTIONS = {
    "v": _view_button,
    "y": _yes,
    "n": _no,
    "dl": _delegate,
    "rm": _remind,
    "rs": _reschedule_button,
    "rsy": _reschedule_yes,
    "rsn": _reschedule_no,
    "cx": _cancel_ask,
    "cxy": _cancel_yes,
    "cxn": _cancel_no,
    "doc": _minutes_document,
    "mn": _minutes_button,
    "mf": _skip_file,
    "at": _toggle_present,
    "ap": _attendance_page,
    "as": _save_attendance,
}


register_flow(FLOW, on_text)
register_flow(ANSWER_FLOW, on_answer_text)
register_flow(TIME_FLOW, on_time_text)
register_flow(MINUTES_FLOW, on_minutes_text, on_minutes_media)
