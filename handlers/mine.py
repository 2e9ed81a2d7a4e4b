"""/mine: a cadre's recent entries (an admin's: ``/mine all`` for their subtree), paged, with
edit, delete and the change history of each. Every button re-checks the right on the server. The
prompt for a field's new value is a flow on the kernel (handlers/mine_edit.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from telegram import InlineKeyboardMarkup, Update

from bot import activities as acts
from bot.activities import EntryError, Kind
from bot.i18n import N_
from bot.names import name_of
from handlers import flow, mine_edit, render
from handlers.access_rules import PRIVATE, Who, rule
from handlers.common import (
    NOT_MEMBER,
    answer,
    esc,
    inline,
    not_member_text,
    page_buttons,
    reply,
)
from handlers.context import AppContext
from handlers.entry_cards import entry_problem, figure, show_value
from handlers.labels import button_label
from storage.models import Person
from storage.queries import activities as act_q
from storage.queries.units import EVERYTHING

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
            # Only entries of units the person may still touch: those of a unit they left are
            # the unit's now (bot/members.py).
            rows, total = await act_q.recent(
                session,
                person_id=actor.person.id,
                scopes=[EVERYTHING] if actor.is_owner else [r.scope for r in actor.admin_roles()],
                unit_ids=[r.unit.id for r in actor.roles],
                limit=PAGE,
                offset=page * PAGE,
            )
        values = await act_q.values_of(session, [a.id for a, _ in rows])
        kinds = {a.type_key: await acts.kind(session, a.type_key) for a, _ in rows}
        # Entries an approved report locks keep only History (issue 16).
        locked = {a.id for a, u in rows if await act_q.locked(session, u, a.occurred_on)}
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
        shown = ", ".join(
            figure(tr, kind, m, acts.from_milli(values[activity.id][m.key]), exact=True)
            for m in kind.measures
            if values[activity.id].get(m.key)
        )
        # 📷: the entry carries a photo of the activity (a cadre finds the visit she photographed).
        photo = " · 📷" if activity.photo_file_id else ""
        lines.append(
            f"\n#{activity.id} · {tr.day(activity.occurred_on)} · <b>{esc(kind.name(tr.locale))}</b> — {esc(unit.name)}{photo}\n{shown}"
        )
        history = (tr._("History") + f" #{activity.id}", f"mine:h:{activity.id}")
        if activity.id in locked:
            lines[-1] += "\n🔒 " + tr._("locked: its period's report was approved")
            buttons.append([history])
            continue
        buttons.append(
            [
                (tr._("Edit") + f" #{activity.id}", f"mine:e:{activity.id}"),
                (tr._("Delete") + f" #{activity.id}", f"mine:d:{activity.id}"),
                history,
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
        await answer(update, tr._("See your entries in a private chat with me."), alert=True)
        return
    if not context.actor.is_member:
        # The list pages ("p") check nothing else: without this a person with no unit could page
        # through an empty list of entries that /mine refuses them.
        await answer(update, not_member_text(tr), alert=True)
        return
    parts = query.data.split(":")
    try:
        action, ident = parts[1], int(parts[2])
    except (IndexError, ValueError):
        await answer(update, tr._("This button is no longer active."), alert=True)
        return
    if action == "p":
        everyone = len(parts) > 3 and parts[3] == "a" and context.actor.is_admin
        await answer(update)
        page_text, page_markup = await _page(context, max(ident, 0), everyone)
        await render.edit_text(query, page_text, page_markup)
        return
    markup: InlineKeyboardMarkup | None = None
    stale = False
    #: The page of a history asked by its « / » button (shown in place of the pressed message).
    paged = (
        int(parts[3])
        if action == "h" and parts[3:] and parts[3].isascii() and parts[3].isdecimal()
        else 0
    )
    turning = action == "h" and len(parts) > 3
    try:
        async with context.services.db.session() as session:
            if action == "h":  # a locked entry's history stays visible
                activity = await acts.viewable(session, context.actor, ident)
            else:
                activity, _unit = await acts.editable(session, context.actor, ident)
            kind = await acts.kind(session, activity.type_key)
            assert kind is not None
            if action == "h":
                # An entry edited 70 times has a history longer than a message: paged.
                shown = render.page(tr, await _history(context, session, ident, kind), paged)
                text = shown.text
                markup = render.keyboard(
                    render.page_rows(tr, shown, lambda n: f"mine:h:{ident}:{n}")
                )
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
            elif action == "f":
                field = ":".join(parts[3:])
                if not mine_edit.changeable(kind, field):
                    stale = True
                    raise EntryError("not_found")
                # The prompt is a flow of its own (handlers/mine_edit.py), begun in this
                # transaction: the check above and the prompt's state commit together.
                state = mine_edit.EditState(ident, field)
                await flow.open_at(
                    update, context, mine_edit.EDIT, state, call=flow.call_for(context, session)
                )
            else:
                stale = True
                raise EntryError("not_found")
    except EntryError as exc:
        problem = tr._("This button is no longer active.") if stale else entry_problem(tr, exc.code)
        await answer(update, problem, alert=True)
        return
    await answer(update)
    if turning:
        await render.edit_text(query, text, markup)
    elif action != "f":
        await reply(update, context, text, reply_markup=markup)


def _fields(tr: Any, ident: int, kind: Kind) -> InlineKeyboardMarkup:
    rows = [
        [(button_label(m.label(tr.locale), 40), f"mine:f:{ident}:m:{m.key}")] for m in kind.measures
    ]
    rows.append([(tr._("Date"), f"mine:f:{ident}:date"), (tr._("Note"), f"mine:f:{ident}:note")])
    return inline(rows)


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
                names[row.person_id] = name_of(person) if person else "?"
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
