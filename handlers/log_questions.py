"""The questions of the guided /log: each step's prompt and buttons, and the review card before
saving. The step is always derived from the draft (``acts.next_step``), so asking again after a
restart or a week away asks the same question."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from telegram import InlineKeyboardMarkup, Update

from bot import activities as acts
from bot import conversation
from bot.activities import Kind
from bot.conversation import FlowState
from bot.i18n import Translator
from handlers.common import esc, inline, page_buttons, reply
from handlers.context import AppContext
from handlers.entry_cards import card, ceiling_question, example
from storage.queries import units as units_q

FLOW = "log"
TYPES_PER_PAGE = 8


async def set_state(update: Update, context: AppContext) -> None:
    assert update.effective_chat and update.effective_user
    await conversation.save(
        context.services,
        update.effective_chat.id,
        update.effective_user.id,
        FlowState(FLOW, "draft"),
    )


async def current_draft(context: AppContext) -> dict[str, Any] | None:
    async with context.services.db.session() as session:
        return await acts.load_draft(session, context.actor.person.id)


async def store_draft(context: AppContext, draft: dict[str, Any]) -> None:
    async with context.services.db.session() as session:
        await acts.save_draft(session, context.actor.person.id, draft, context.services.clock.now())


async def ask(update: Update, context: AppContext, draft: dict[str, Any]) -> None:
    """Send the question for the draft's next step."""
    tr = context.tr
    services = context.services
    async with services.db.session() as session:
        kind = await acts.kind(session, draft["type"]) if draft.get("type") else None
        measures = kind.measures if kind else ()
        step = acts.next_step(draft, measures)
        text, markup = await _question(context, session, draft, kind, step)
    if step != "unit" and step != "type" and kind is not None and step != "review":
        text = f"<b>{esc(kind.name(tr.locale))}</b>\n{text}"
    await reply(update, context, text, reply_markup=markup)


async def _question(
    context: AppContext, session: Any, draft: dict[str, Any], kind: Kind | None, step: str
) -> tuple[str, InlineKeyboardMarkup | None]:
    tr = context.tr
    if step == "unit":
        units = await acts.units_for_logging(session, context.actor)
        rows = [
            [(u.name if len(u.name) <= 60 else u.name[:59] + "…", f"log:u:{u.id}")] for u in units
        ]
        return tr._("Which unit is this for?"), inline(rows)
    if step == "type":
        return await type_question(context, session, 0)
    assert kind is not None
    if step == "confirm":
        pending = draft["pending"]
        measure = kind.measure(pending["key"])
        assert measure is not None
        text = ceiling_question(tr, measure, Decimal(pending["value"]))
        return text, inline(
            [[(tr._("Yes, it is right"), "log:cy"), (tr._("No, type again"), "log:cn")]]
        )
    if step.startswith("m:"):
        measure = kind.measure(step[2:])
        assert measure is not None
        unit = measure.unit(tr.locale)
        label = esc(measure.label(tr.locale)) + (f" ({esc(unit)})" if unit else "")
        text = tr._("{label}? Type a number, for example {example}.").format(
            label=label, example=example(tr, measure.kind)
        )
        return text + "\n" + tr._("/back goes one step back."), inline(
            [[(tr._("0 — none"), "log:z")]]
        )
    if step == "date":
        text = tr._("When did it take place? Type the date (dd/mm/yyyy) or press a button.")
        return text, inline([[(tr._("Today"), "log:d:0"), (tr._("Yesterday"), "log:d:1")]])
    if step == "note":
        text = tr._("A short note (optional, at most {max} characters)?").format(
            max=tr.number(acts.MAX_NOTE)
        )
        return text, inline([[(tr._("No note"), "log:n")]])
    if step == "photo":
        return tr._("Send a photo (optional)."), inline([[(tr._("No photo"), "log:p")]])
    return await _review(context, session, draft, kind)


async def type_question(
    context: AppContext, session: Any, page: int
) -> tuple[str, InlineKeyboardMarkup]:
    tr = context.tr
    kinds = await acts.offered_kinds(session, context.actor.person.id)
    shown = kinds[page * TYPES_PER_PAGE : (page + 1) * TYPES_PER_PAGE]
    rows = [[(k.name(tr.locale)[:60], f"log:t:{k.key}")] for k in shown]
    nav = page_buttons(tr, page, TYPES_PER_PAGE, len(kinds), lambda p: f"log:tp:{p}")
    if nav:
        rows.append(nav)
    return tr._("What did you do? Choose the activity:"), inline(rows)


async def _review(
    context: AppContext, session: Any, draft: dict[str, Any], kind: Kind
) -> tuple[str, InlineKeyboardMarkup]:
    tr = context.tr
    unit = await units_q.get(session, int(draft["unit_id"]))
    assert unit is not None
    occurred = date.fromisoformat(draft["date"]) if draft.get("date") else None
    body = card(
        tr,
        kind,
        unit.name,
        acts.values_of(draft),
        occurred,
        draft.get("note"),
        bool(draft.get("photo")),
    )
    text = tr._("Check and save:") + "\n\n" + body
    buttons = [
        [(tr._("Save"), "log:s")],
        [(tr._("Change something"), "log:e"), (tr._("Discard"), "log:x")],
    ]
    return text, inline(buttons)


def edit_menu(tr: Translator, kind: Kind) -> InlineKeyboardMarkup:
    rows = [[(m.label(tr.locale)[:40], f"log:f:m:{m.key}")] for m in kind.measures]
    rows.append(
        [(tr._("Date"), "log:f:date"), (tr._("Note"), "log:f:note"), (tr._("Photo"), "log:f:photo")]
    )
    rows.append([(tr._("Activity"), "log:f:type")])
    return inline(rows)
