"""/meeting: a unit leader schedules a meeting, step by step (kind, title, time, duration, place,
agenda, invited units), then confirms on a review card; only then are the invitations queued.

This module takes the answers: the command, typed text, and the wizard's buttons (dispatched here
by ``buttons.py``); ``schedule_steps.py`` asks the questions. Every button re-checks on the server
that the unit is one the leader leads and that the wizard is at the step the button belongs to.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from telegram import Update

from bot import conversation
from bot import meetings as mt
from bot.conversation import FlowState
from bot.i18n import N_
from bot.meeting_time import TimeParseError, parse_duration, parse_meeting_time
from bot.meetings import MeetingError, MeetingPlan
from handlers.access_rules import PRIVATE, Who, rule
from handlers.common import esc, inline, reply
from handlers.context import AppContext
from handlers.meetings.schedule_steps import (
    DURATIONS,
    EDITABLE,
    FLOW,
    TYPED,
    _advance,
    _pick_prompt,
    _prompt,
    _save,
)
from handlers.meetings.texts import clip, problem_text, stale, time_problem, too_long, when
from handlers.router import quote, register_flow
from storage.models import Unit
from storage.queries import units as units_q
from storage.text import nfc


@rule(
    Who.ADMIN,
    PRIVATE,
    why="schedules a meeting of a unit the leader leads",
    wrong_chat=N_("Schedule meetings in a private chat with me."),
    not_allowed=N_("Only unit leaders can schedule meetings."),
)
async def meeting_command(update: Update, context: AppContext) -> None:
    assert update.effective_chat and update.effective_user
    tr = context.tr
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


register_flow(FLOW, on_text)
