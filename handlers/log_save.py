"""Saving a /log entry, from a finished guided draft or from the one-line shortcut
(``/log nha_dai_doan_ket 2 120tr "thôn 3"``, read by bot/log_shortcut.py), and the answer once the
transaction has committed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup, Update

from bot import activities as acts
from bot import conversation
from bot.activities import EntryError, Kind, NewEntry
from bot.i18n import Translator
from bot.log_shortcut import UnclosedQuote, assign, find_kind, split_note
from handlers.common import esc, inline, reply
from handlers.context import AppContext
from handlers.entry_cards import card, entry_problem, example, note_too_long
from handlers.log_questions import ask, set_state
from handlers.router import quote
from storage.queries import activities as act_q
from storage.queries import units as units_q
from storage.text import nfc


async def save(
    update: Update, context: AppContext, draft: dict[str, Any], *, from_draft: bool = True
) -> None:
    """Save a complete answer set as an entry; on refusal say why and ask again what must change.
    The shortcut saves without touching a guided draft the cadre may have in progress."""
    async with context.services.db.session() as session:
        saved = await save_entry(session, context, draft, from_draft=from_draft)
    await answer_saved(update, context, saved, from_draft=from_draft)


@dataclass
class Saved:
    """What ``save_entry`` did: the entry saved, or the problem and the draft to ask again from."""

    draft: dict[str, Any]
    problem: str | None = None
    activity_id: int = 0
    kind: Kind | None = None
    unit_name: str = ""
    entry: NewEntry | None = None


async def save_entry(
    session: AsyncSession, context: AppContext, draft: dict[str, Any], *, from_draft: bool
) -> Saved:
    """The save itself, in the caller's transaction (the shortcut parses and saves in one)."""
    tr, services = context.tr, context.services
    kind = await acts.kind(session, draft["type"]) if draft.get("type") else None
    if kind is None or acts.next_step(draft, kind.measures) != "review":
        return Saved(
            draft, tr._("That button belongs to an earlier step; here is the current one.")
        )
    entry = NewEntry(
        unit_id=int(draft["unit_id"]),
        type_key=kind.key,
        values=acts.values_of(draft),
        occurred_on=date.fromisoformat(draft["date"]),
        note=draft.get("note"),
        photo_file_id=draft.get("photo"),
        source=draft.get("source", "guided"),
    )
    try:
        activity = await acts.create_entry(session, context.actor, entry, services.clock.now())
    except EntryError as exc:
        if exc.code == "all_zero":
            draft = {
                **draft,
                "values": {},
                "answered": [a for a in draft.get("answered", []) if not a.startswith("m:")],
            }
        if from_draft:
            await acts.save_draft(session, context.actor.person.id, draft, services.clock.now())
        return Saved(draft, entry_problem(tr, exc.code))
    if from_draft:
        await acts.discard_draft(session, context.actor.person.id)
    unit = context.actor.unit(entry.unit_id) or await units_q.get(session, entry.unit_id)
    assert unit is not None
    return Saved(draft, None, activity.id, kind, unit.name, entry)


async def answer_saved(
    update: Update, context: AppContext, saved: Saved, *, from_draft: bool
) -> None:
    """The answer, once the transaction has committed."""
    tr = context.tr
    assert update.effective_chat and update.effective_user
    if saved.problem is not None:
        await reply(update, context, saved.problem)
        if from_draft:
            await ask(update, context, saved.draft)
        return
    kind, entry = saved.kind, saved.entry
    assert kind is not None and entry is not None
    if from_draft:
        await conversation.clear(
            context.services, update.effective_chat.id, update.effective_user.id
        )
    body = card(
        tr,
        kind,
        saved.unit_name,
        entry.values,
        entry.occurred_on,
        entry.note,
        bool(entry.photo_file_id),
    )
    text = tr._("Saved as entry #{id}.").format(id=saved.activity_id) + "\n\n" + body
    await reply(update, context, text, reply_markup=_after_save(tr, saved.activity_id))


def _after_save(tr: Translator, activity_id: int) -> InlineKeyboardMarkup:
    return inline(
        [[(tr._("Edit"), f"mine:e:{activity_id}"), (tr._("Delete"), f"mine:d:{activity_id}")]]
    )


async def shortcut(update: Update, context: AppContext, text: str) -> None:
    """``/log nha_dai_doan_ket 2 120tr "thôn 3"``: type, numbers in order, optional quoted note."""
    tr = context.tr
    try:
        tokens, note = split_note(nfc(text))
    except UnclosedQuote:
        await reply(
            update,
            context,
            tr._('A quote is not closed. Put the note between two quotes: "thôn 3".'),
        )
        return
    async with context.services.db.session() as session:
        kinds = await acts.active_kinds(session)
        kind = find_kind(kinds, tokens[0] if tokens else "")
        if kind is None:
            keys = ", ".join(k.key for k in sorted(kinds, key=lambda k: k.key))
            await reply(
                update,
                context,
                tr._(
                    "I don't know the activity “{key}”. Known codes: {keys}. Or send /log alone and choose."
                ).format(key=quote(tokens[0] if tokens else ""), keys=keys),
            )
            return
        try:
            values, day = assign(kind, tokens[1:], context.services.today())
        except ValueError:
            await reply(update, context, shortcut_form(tr, kind))
            return
        if note is not None and len(note) > acts.MAX_NOTE:
            await reply(
                update,
                context,
                note_too_long(tr, len(note)),
            )
            return
        draft: dict[str, Any] = {
            "type": kind.key,
            "values": {k: str(v) for k, v in values.items()},
            "date": day.isoformat(),
            "note": note,
            "photo": None,
            "source": "shortcut",
            "answered": [],
        }
        over = acts.first_above_ceiling(kind, values)
        if over is not None:
            draft["values"].pop(over.key)
            draft["pending"] = {"key": over.key, "value": str(values[over.key])}
        units = await acts.units_for_logging(session, context.actor)
        if len(units) == 1:
            draft["unit_id"] = units[0].id
        else:
            last = await act_q.last_unit_of(session, context.actor.person.id)
            if last in {u.id for u in units}:
                draft["unit_id"] = last
        complete = acts.next_step(draft, kind.measures) == "review"
        if complete:
            saved = await save_entry(session, context, draft, from_draft=False)
        else:
            await acts.save_draft(
                session, context.actor.person.id, draft, context.services.clock.now()
            )
    if complete:
        await answer_saved(update, context, saved, from_draft=False)
        return
    await set_state(update, context)
    await ask(update, context, draft)


def shortcut_form(tr: Translator, kind: Kind) -> str:
    parts = " ".join(f"&lt;{esc(m.label(tr.locale))}&gt;" for m in kind.measures)
    sample = " ".join(
        example(tr, m.kind).split(",")[0] if m.kind == "money" else "2" for m in kind.measures
    )
    return tr._(
        'For {name} write: /log {key} {measures} "note"\nFor example: /log {key} {sample} "thôn 3"\nNumbers are never negative; money like 120tr or 1,5 tỷ.'
    ).format(
        name=f"<b>{esc(kind.name(tr.locale))}</b>", key=kind.key, measures=parts, sample=sample
    )
