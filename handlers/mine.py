"""/mine: a cadre's recent entries (an admin's: ``/mine all`` for their subtree), paged, with
edit, delete and the change history of each. Every button re-checks the right on the server."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from telegram import InlineKeyboardMarkup, Update

from bot import activities as acts
from bot import conversation
from bot.activities import EntryError, Kind, Measure
from bot.conversation import FlowState
from bot.i18n import N_
from bot.parsing import ParseError, parse_amount, parse_date
from handlers.access_rules import PRIVATE, Who, rule
from handlers.common import (
    NOT_MEMBER,
    display_name,
    esc,
    inline,
    not_member_text,
    page_buttons,
    reply,
)
from handlers.context import AppContext
from handlers.entry_cards import (
    card,
    ceiling_question,
    date_problem,
    entry_problem,
    note_too_long,
    parse_problem,
    show_value,
)
from handlers.router import register_flow
from storage.models import Person
from storage.queries import activities as act_q
from storage.queries.units import EVERYTHING
from storage.text import nfc

FLOW = "edit"
PAGE = 5


@rule(
    Who.MEMBER,
    PRIVATE,
    why="the member's entries (a leader: the subtree's)",
    wrong_chat=N_("See your entries in a private chat with me."),
    not_allowed=NOT_MEMBER,
)
async def mine_command(update: Update, context: AppContext) -> None:
    args = context.args or []
    everyone = bool(args) and args[0].lower() in ("all", "tatca") and context.actor.is_admin
    text, markup = await _page(context, 0, everyone)
    await reply(update, context, text, reply_markup=markup)


async def _page(
    context: AppContext, page: int, everyone: bool
) -> tuple[str, InlineKeyboardMarkup | None]:
    tr = context.tr
    actor = context.actor
    async with context.services.db.session() as session:
        if everyone:
            scopes = [EVERYTHING] if actor.is_owner else [r.scope for r in actor.admin_roles()]
            rows, total = await act_q.recent(session, scopes=scopes, limit=PAGE, offset=page * PAGE)
        else:
            rows, total = await act_q.recent(
                session, person_id=actor.person.id, limit=PAGE, offset=page * PAGE
            )
        values = await act_q.values_of(session, [a.id for a, _ in rows])
        kinds = {a.type_key: await acts.kind(session, a.type_key) for a, _ in rows}
    if not rows:
        return (
            tr._("No entries yet. Log one with /log.") if page == 0 else tr._("No more entries.")
        ), None
    title = tr._("Entries of your units") if everyone else tr._("Your recent entries")
    lines = [
        f"<b>{title}</b> ({tr.number(page * PAGE + 1)}–{tr.number(page * PAGE + len(rows))} / {tr.number(total)})"
    ]
    buttons: list[list[tuple[str, str]]] = []
    for activity, unit in rows:
        kind = kinds[activity.type_key]
        assert kind is not None
        shown = " · ".join(
            f"{esc(m.label(tr.locale))} {show_value(tr, m, acts.from_milli(values[activity.id][m.key]))}"
            for m in kind.measures
            if values[activity.id].get(m.key)
        )
        lines.append(
            f"\n#{activity.id} · {tr.day(activity.occurred_on)} · <b>{esc(kind.name(tr.locale))}</b> — {esc(unit.name)}\n{shown}"
        )
        buttons.append(
            [
                (tr._("Edit") + f" #{activity.id}", f"mine:e:{activity.id}"),
                (tr._("Delete") + f" #{activity.id}", f"mine:d:{activity.id}"),
                (tr._("History") + f" #{activity.id}", f"mine:h:{activity.id}"),
            ]
        )
    flag = "a" if everyone else "m"
    nav = page_buttons(tr, page, PAGE, total, lambda p: f"mine:p:{p}:{flag}")
    if nav:
        buttons.append(nav)
    return "\n".join(lines), inline(buttons)


@rule(
    Who.MEMBER,
    PRIVATE,
    scoped=True,
    why="entry ids re-checked by activities.editable",
    refusals=(
        N_("See your entries in a private chat with me."),
        N_("This button is no longer active."),
        N_("You can only change entries of your own units."),
    ),
)
async def on_button(update: Update, context: AppContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    tr = context.tr
    if update.effective_chat is None or update.effective_chat.type != "private":
        await query.answer(tr._("See your entries in a private chat with me."), show_alert=True)
        return
    if not context.actor.is_member:
        # The list pages ("p") check nothing else: without this a person with no unit could page
        # through an empty list of entries that /mine refuses them.
        await query.answer(not_member_text(tr), show_alert=True)
        return
    parts = query.data.split(":")
    try:
        action, ident = parts[1], int(parts[2])
    except (IndexError, ValueError):
        await query.answer(tr._("This button is no longer active."), show_alert=True)
        return
    if action == "p":
        everyone = len(parts) > 3 and parts[3] == "a" and context.actor.is_admin
        await query.answer()
        page_text, page_markup = await _page(context, max(ident, 0), everyone)
        await query.edit_message_text(page_text, reply_markup=page_markup)
        return
    markup: InlineKeyboardMarkup | None = None
    try:
        async with context.services.db.session() as session:
            activity, _unit = await acts.editable(session, context.actor, ident)
            kind = await acts.kind(session, activity.type_key)
            assert kind is not None
            if action == "h":
                text = await _history(context, session, ident, kind)
            elif action == "e":
                text = tr._("What do you want to change in entry #{id}?").format(id=ident)
                markup = _fields(tr, ident, kind)
            elif action == "d":
                text = tr._("Delete entry #{id}? Its history is kept.").format(id=ident)
                markup = inline(
                    [
                        [
                            (tr._("Yes, delete it"), f"mine:dy:{ident}"),
                            (tr._("No, keep it"), f"mine:dn:{ident}"),
                        ]
                    ]
                )
            elif action == "dy":
                await acts.delete_entry(session, context.actor, ident, context.services.clock.now())
                text = tr._("Entry #{id} was deleted.").format(id=ident)
            elif action == "dn":
                text = tr._("Entry #{id} was kept.").format(id=ident)
            elif action not in ("f", "cy", "cn"):
                raise EntryError("not_found")
    except EntryError as exc:
        await query.answer(entry_problem(tr, exc.code), show_alert=True)
        return
    if action in ("cy", "cn"):
        await _confirmed(update, context, ident, kind, yes=action == "cy")
        return
    await query.answer()
    if action == "f":
        await _ask_field(update, context, ident, ":".join(parts[3:]), kind)
        return
    await reply(update, context, text, reply_markup=markup)


def _fields(tr: Any, ident: int, kind: Kind) -> InlineKeyboardMarkup:
    rows = [[(m.label(tr.locale)[:40], f"mine:f:{ident}:m:{m.key}")] for m in kind.measures]
    rows.append([(tr._("Date"), f"mine:f:{ident}:date"), (tr._("Note"), f"mine:f:{ident}:note")])
    return inline(rows)


async def _ask_field(
    update: Update, context: AppContext, ident: int, field: str, kind: Kind
) -> None:
    assert update.effective_chat and update.effective_user
    tr = context.tr
    if field == "m":
        field = ""
    parts = field
    measure = (
        kind.measure(parts.split(":", 1)[1]) if parts.startswith("m") and ":" in parts else None
    )
    if measure is None and parts not in ("date", "note"):
        await reply(update, context, tr._("This button is no longer active."))
        return
    state = FlowState(FLOW, "value", {"id": ident, "field": field})
    await conversation.save(
        context.services, update.effective_chat.id, update.effective_user.id, state
    )
    if measure is not None:
        prompt = tr._("Type the new value for “{label}”.").format(
            label=esc(measure.label(tr.locale))
        )
    elif field == "date":
        prompt = tr._("Type the new date (dd/mm/yyyy).")
    else:
        prompt = tr._("Type the new note, or send a single dash (-) to remove it.")
    await reply(update, context, prompt + "\n" + tr._("/cancel keeps the entry as it is."))


async def on_text(update: Update, context: AppContext, state: FlowState) -> None:
    """The new value of the field being edited (also while a confirmation is pending: a value
    typed then replaces the one in question)."""
    assert update.message is not None and update.message.text is not None and update.effective_chat
    tr = context.tr
    ident, field = int(state.data["id"]), str(state.data["field"])
    text = nfc(update.message.text.strip())
    try:
        async with context.services.db.session() as session:
            activity, _unit = await acts.editable(session, context.actor, ident)
            kind = await acts.kind(session, activity.type_key)
    except EntryError as exc:
        await conversation.clear(
            context.services, update.effective_chat.id, context.actor.person.telegram_id
        )
        await reply(update, context, entry_problem(tr, exc.code))
        return
    assert kind is not None
    change, problem = _parse_change(context, kind, field, text)
    if problem is not None:
        await reply(update, context, problem)
        return
    measure = kind.measure(field[2:]) if field.startswith("m:") else None
    if measure is not None and acts.above_ceiling(measure, change["values"][measure.key]):
        await _ask_confirm(update, context, ident, field, measure, change["values"][measure.key])
        return
    await _save_change(update, context, ident, change)


def _parse_change(
    context: AppContext, kind: Kind, field: str, text: str
) -> tuple[dict[str, Any], str | None]:
    """The typed text as ``acts.edit_entry``'s arguments, or the problem with it."""
    tr = context.tr
    if field.startswith("m:"):
        measure = kind.measure(field[2:])
        assert measure is not None
        try:
            value = parse_amount(text, measure.kind)  # type: ignore[arg-type]
        except ParseError as exc:
            return {}, parse_problem(tr, exc, measure.kind, measure.label(tr.locale))
        return {"values": {measure.key: value}}, None
    if field == "date":
        today = context.services.today()
        try:
            return {"occurred_on": parse_date(text, today)}, None
        except ParseError as exc:
            return {}, date_problem(tr, exc, today)
    if len(text) > acts.MAX_NOTE:
        return {}, note_too_long(tr, len(text))
    return {"note": None if text == "-" else text, "change_note": True}, None


async def _ask_confirm(
    update: Update, context: AppContext, ident: int, field: str, measure: Measure, value: Decimal
) -> None:
    """The ceiling rule (``acts.above_ceiling``): the value waits in the flow state until the
    cadre confirms it, as in the guided /log."""
    assert update.effective_chat and update.effective_user
    tr = context.tr
    state = FlowState(FLOW, "confirm", {"id": ident, "field": field, "value": str(value)})
    await conversation.save(
        context.services, update.effective_chat.id, update.effective_user.id, state
    )
    buttons = inline(
        [
            [
                (tr._("Yes, it is right"), f"mine:cy:{ident}"),
                (tr._("No, type again"), f"mine:cn:{ident}"),
            ]
        ]
    )
    await reply(update, context, ceiling_question(tr, measure, value), reply_markup=buttons)


async def _confirmed(
    update: Update, context: AppContext, ident: int, kind: Kind, *, yes: bool
) -> None:
    """ "Yes, it is right" saves the value in question; "No, type again" asks for it again."""
    query = update.callback_query
    assert query is not None and update.effective_chat and update.effective_user
    state = await conversation.load(
        context.services, update.effective_chat.id, update.effective_user.id
    )
    if (
        state is None
        or state.flow != FLOW
        or state.step != "confirm"
        or state.data.get("id") != ident
    ):
        await query.answer(context.tr._("This button is no longer active."), show_alert=True)
        return
    await query.answer()
    field = str(state.data["field"])
    if not yes:
        await _ask_field(update, context, ident, field, kind)
        return
    value = Decimal(str(state.data["value"]))
    await _save_change(update, context, ident, {"values": {field[2:]: value}})


async def _save_change(
    update: Update, context: AppContext, ident: int, change: dict[str, Any]
) -> None:
    assert update.effective_chat is not None
    tr = context.tr
    services = context.services
    try:
        async with services.db.session() as session:
            activity, unit = await acts.editable(session, context.actor, ident)
            kind = await acts.kind(session, activity.type_key)
            assert kind is not None
            await acts.edit_entry(session, context.actor, ident, services.clock.now(), **change)
            values = (await act_q.values_of(session, [ident]))[ident]
            body = card(
                tr,
                kind,
                unit.name,
                {k: acts.from_milli(v) for k, v in values.items()},
                activity.occurred_on,
                activity.note,
                bool(activity.photo_file_id),
            )
    except EntryError as exc:
        await conversation.clear(
            services, update.effective_chat.id, context.actor.person.telegram_id
        )
        await reply(update, context, entry_problem(tr, exc.code))
        return
    await conversation.clear(services, update.effective_chat.id, context.actor.person.telegram_id)
    await reply(update, context, tr._("Entry #{id} was changed.").format(id=ident) + "\n\n" + body)


async def _history(context: AppContext, session: Any, ident: int, kind: Kind) -> str:
    tr = context.tr
    rows = await act_q.history(session, ident)
    names: dict[int, str] = {}
    lines = [tr._("History of entry #{id}:").format(id=ident)]
    labels = {
        "create": tr._("created"),
        "edit": tr._("changed"),
        "delete": tr._("deleted"),
    }
    for row in rows:
        who = "?"
        if row.person_id is not None:
            if row.person_id not in names:
                person = await session.get(Person, row.person_id)
                names[row.person_id] = (
                    display_name(person.first_name, person.last_name) if person else "?"
                )
            who = names[row.person_id]
        line = f"• {tr.moment(row.at)} · {esc(who)} · {labels.get(row.action, row.action)}"
        if row.action == "edit" and row.before and row.after:
            line += ": " + "; ".join(_diff(tr, kind, row.before, row.after))
        lines.append(line)
    return "\n".join(lines)


def _diff(tr: Any, kind: Kind, before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    changes = []
    for m in kind.measures:
        old, new = before.get("values", {}).get(m.key), after.get("values", {}).get(m.key)
        if old != new:
            changes.append(
                f"{esc(m.label(tr.locale))} {show_value(tr, m, Decimal(old or 0))} → {show_value(tr, m, Decimal(new or 0))}"
            )
    if before.get("occurred_on") != after.get("occurred_on"):
        changes.append(
            tr._("date")
            + f" {tr.day(date.fromisoformat(before['occurred_on']))} → {tr.day(date.fromisoformat(after['occurred_on']))}"
        )
    if before.get("note") != after.get("note"):
        changes.append(tr._("note"))
    return changes


register_flow(FLOW, on_text)
