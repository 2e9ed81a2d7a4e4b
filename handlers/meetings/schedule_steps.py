"""The steps of the /meeting wizard: their order, the question each step asks (with its buttons),
the draft kept between steps, and the review card shown before anything is sent.

Why it is apart from ``schedule.py``: the questions are asked from several places (the wizard
itself, a change from the review, and ``respond.py`` when an RSVP typed in the middle of the
wizard hands the user back to it), while ``schedule.py`` takes the answers. The draft is in the
flow state (database), so a bad input, a restart or a day away loses nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from telegram import InlineKeyboardMarkup, Update

from bot import conversation
from bot import meetings as mt
from bot.conversation import FlowState
from bot.i18n import Translator
from handlers.common import esc, inline, page_buttons, reply
from handlers.context import AppContext
from handlers.meetings.texts import EXAMPLES, card_lines, clip, duration_text, kind_label
from storage.models import Meeting, Unit
from storage.queries import units as units_q

FLOW = "meeting"
#: Duration buttons, in minutes.
DURATIONS = (60, 120, 240, 480)
#: The scheduling steps in order; a change from the review goes back to the review.
ORDER = ("kind", "title", "time", "duration", "place", "agenda", "invite", "review")
TYPED = ("title", "time", "duration", "place", "agenda")
EDITABLE = ("kind", "title", "time", "duration", "place", "agenda", "invite")
PICK_PAGE = 10


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
