"""The answer to "Entry #12 was saved at 10:02 — save another one?" (issue 15).

The one-line ``/log`` sent twice within a few minutes, word for word, is most often the same
activity sent again because its answer never arrived (handlers/delivery.py tells how that answer
now gets through). So the second one is not saved at once: the person is asked
(``log_save.offer_again``). "Yes" saves a copy of the entry the question named, "No" leaves it
alone. The button names that entry, and it holds only while the entry is still the person's
latest: a second tap, or an entry saved since, finds the offer stale, so one "Yes" is one copy.
"""

from __future__ import annotations

from telegram import Update

from bot import activities as acts
from bot.i18n import N_
from handlers import flow
from handlers.access_rules import PRIVATE, Who, rule
from handlers.common import NOT_MEMBER, answer, edit, inline
from handlers.context import AppContext
from handlers.log_save import after_save, save_entry, saved_text

STALE = N_("This button is no longer active.")


@rule(
    Who.MEMBER,
    PRIVATE,
    why="copies the presser's own latest entry, re-read on the press",
    refusals=(STALE,),
    wrong_chat=N_("Log activities in a private chat with me, not in a group."),
    not_allowed=NOT_MEMBER,
)
async def on_button(update: Update, context: AppContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    tr = context.tr
    parts = query.data.split(":")
    try:
        action, ident = parts[1], int(parts[2])
    except (IndexError, ValueError):
        await answer(update, tr._(STALE), alert=True)
        return
    if action == "n":
        await answer(update)
        await edit(
            update, tr._("Not saved again: entry #{id} stays the only one.").format(id=ident)
        )
        return
    if action != "y":
        await answer(update, tr._(STALE), alert=True)
        return
    async with context.services.db.session() as session:
        entry = await acts.copy_of(session, context.actor.person.id, ident)
        if entry is None:
            await answer(update, tr._(STALE), alert=True)
            return
        draft = {
            "unit_id": entry.unit_id,
            "type": entry.type_key,
            "values": {k: str(v) for k, v in entry.values.items()},
            "date": entry.occurred_on.isoformat(),
            "note": entry.note,
            "photo": entry.photo_file_id,
            "source": entry.source,
            "answered": [],
        }
        saved = await save_entry(flow.call_for(context, session), draft, from_draft=False)
        if saved.problem is not None:
            await answer(update, saved.problem, alert=True)
            return
        await answer(update)
        await edit(
            update, saved_text(tr, saved), reply_markup=inline(after_save(tr, saved.activity_id))
        )
