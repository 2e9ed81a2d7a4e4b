"""Every ``kn:`` button of a recommendation's card goes through :func:`on_button`: one access rule
and one dispatch table (:data:`ACTIONS`). The data is ``kn:<action>:<item id>[:<person id>]``.

Why one door: whatever the card showed, the press is checked again here and in
``bot.petition_workflow`` (who the person is now, the item's status now): a button pressed by
someone outside the chain, an officer of another commune, a forged id or a card gone stale gets
a clear alert and changes nothing. The actions that need words open the one-shot prompt
(handlers/petitions/prompts.py) in the press's own transaction.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from bot import petition_workflow as wf
from bot.i18n import N_
from bot.names import name_of, sort_key
from bot.petition_workflow import PetitionRefused
from bot.petitions import due_date
from handlers import flow
from handlers.access_rules import PRIVATE, Who, rule
from handlers.common import NOT_MEMBER, answer, edit, esc, inline, reply
from handlers.context import AppContext
from handlers.petitions.card import card_for, history_lines
from handlers.petitions.prompts import NOTE, NoteDraft
from handlers.petitions.texts import REFUSALS, STALE, category_label, refusal_text, stale
from storage.models import Person
from storage.queries import petitions as petitions_q

PRIVATE_ONLY = N_("Open recommendations in a private chat with me.")
FRONT = ("fw", "su", "fwy", "suy", "af", "mg", "dc", "ok", "no", "xg", "xr")


async def _redraw(
    update: Update, context: AppContext, session: AsyncSession, item: wf.Item, toast: str
) -> None:
    """Answer the press and show the card as it is now, in place (sent after the commit)."""
    text, rows = await card_for(context, session, item)
    await answer(update, toast)
    await edit(update, text, inline(rows))


async def _view(update: Update, context: AppContext, pid: int, _: list[str]) -> None:
    async with context.services.db.session() as session:
        item = await wf.load(session, context.actor, pid)
        text, rows = await card_for(context, session, item)
        await answer(update)
        await reply(update, context, text, reply_markup=inline(rows))


async def _history(update: Update, context: AppContext, pid: int, _: list[str]) -> None:
    async with context.services.db.session() as session:
        item = await wf.load(session, context.actor, pid)
        events = await petitions_q.history(session, pid)
        lines = await history_lines(session, context.tr, events)
        await answer(update)
        head = context.tr._("History of {code}:").format(code=f"<b>{esc(item.petition.code)}</b>")
        await reply(update, context, "\n".join([head, *lines]))


async def _now(update: Update, context: AppContext, pid: int, action: str) -> None:
    """The actions done by the press alone."""
    tr, services = context.tr, context.services
    now, actor = services.clock.now(), context.actor
    async with services.db.session() as session:
        if action == "fw":
            item = await wf.forward(
                session, actor, pid, now, services.today(), services.settings.petition_due_days
            )
            toast = tr._("Forwarded; its officers have been told.")
        elif action == "su":
            item = await wf.send_up(session, actor, pid, now)
            toast = tr._("Sent up; the Front above has been told.")
        elif action == "ok":
            item = await wf.rate(session, actor, pid, True, "", now)
            toast = tr._("Closed; the recorder has been told.")
        elif action in ("xg", "xr"):
            item = await wf.decide_extension(session, actor, pid, action == "xg", now)
            toast = tr._("Extension granted.") if action == "xg" else tr._("Extension refused.")
        elif action == "ak":
            item = await wf.acknowledge(session, actor, pid, now)
            toast = tr._("Acknowledged.")
        else:
            item = await wf.informed(session, actor, pid, now)
            toast = tr._("Noted: the citizens were told. Thank you!")
        await _redraw(update, context, session, item, toast)


async def _forward(update: Update, context: AppContext, pid: int, _: list[str]) -> None:
    """Forwarding is hard to undo: first say where it goes and by when, with Confirm / Back."""
    tr, services = context.tr, context.services
    async with services.db.session() as session:
        item = await wf.load(session, context.actor, pid)
        _front, authority = await wf.forward_target(session, context.actor, item)
        p = item.petition
        days = services.settings.petition_due_days
        due = due_date(p.category, services.today(), days)
        text = "\n".join(
            [
                tr._("Forward {code} to <b>{unit}</b>?").format(
                    code=f"<b>{esc(p.code)}</b>", unit=esc(authority.name)
                ),
                tr.ngettext(
                    "It will have to answer by {day} ({n} day, for {category}).",
                    "It will have to answer by {day} ({n} days, for {category}).",
                    (due - services.today()).days,
                ).format(
                    day=tr.day(due),
                    n=tr.number((due - services.today()).days),
                    category=esc(category_label(tr, p.category)),
                ),
                tr._("Its officers are told at once; a forwarded item cannot be taken back."),
            ]
        )
        rows = [[(tr._("Confirm"), f"kn:fwy:{pid}"), ("‹ " + tr._("Back"), f"kn:kb:{pid}")]]
        await answer(update)
        await edit(update, text, inline(rows))


async def _send_up(update: Update, context: AppContext, pid: int, _: list[str]) -> None:
    """Sending up hands the item to the Front above: first name it, with Confirm / Back."""
    tr = context.tr
    async with context.services.db.session() as session:
        item = await wf.load(session, context.actor, pid)
        above = await wf.send_up_target(session, context.actor, item)
        text = "\n".join(
            [
                tr._("Send {code} up to <b>{unit}</b>?").format(
                    code=f"<b>{esc(item.petition.code)}</b>", unit=esc(above.name)
                ),
                tr._(
                    "It supervises the item from then on and decides where it goes; no due date runs until it is forwarded. Your committee cannot take it back."
                ),
            ]
        )
        rows = [[(tr._("Confirm"), f"kn:suy:{pid}"), ("‹ " + tr._("Back"), f"kn:kb:{pid}")]]
        await answer(update)
        await edit(update, text, inline(rows))


async def _forward_confirmed(update: Update, context: AppContext, pid: int, _: list[str]) -> None:
    await _now(update, context, pid, "fw")


async def _send_up_confirmed(update: Update, context: AppContext, pid: int, _: list[str]) -> None:
    await _now(update, context, pid, "su")


async def _back_to_card(update: Update, context: AppContext, pid: int, _: list[str]) -> None:
    """Back from a confirmation: the card again, in place, nothing changed."""
    async with context.services.db.session() as session:
        item = await wf.load(session, context.actor, pid)
        await _redraw(update, context, session, item, context.tr._("Nothing was changed."))


async def _satisfactory(update: Update, context: AppContext, pid: int, _: list[str]) -> None:
    await _now(update, context, pid, "ok")


async def _grant(update: Update, context: AppContext, pid: int, _: list[str]) -> None:
    await _now(update, context, pid, "xg")


async def _refuse(update: Update, context: AppContext, pid: int, _: list[str]) -> None:
    await _now(update, context, pid, "xr")


async def _acknowledge(update: Update, context: AppContext, pid: int, _: list[str]) -> None:
    await _now(update, context, pid, "ak")


async def _informed(update: Update, context: AppContext, pid: int, _: list[str]) -> None:
    await _now(update, context, pid, "inf")


async def _prompt(update: Update, context: AppContext, pid: int, kind: str) -> None:
    """Check the action may be done now, then ask for its words (the same checks run again
    when they are sent)."""
    async with context.services.db.session() as session:
        call = flow.call_for(context, session)
        item = await wf.load(session, context.actor, pid)
        if kind in FRONT:
            wf.front_may(context.actor, item, "answered" if kind == "no" else "recorded")
        else:
            wf.authority_may(context.actor, item)
            if kind == "xa" and item.petition.extension_until is not None:
                raise PetitionRefused("extension_pending")
        await answer(update)
        await flow.open_at(
            update,
            context,
            NOTE,
            NoteDraft(petition_id=pid, kind=kind),
            call,
            keep=lambda draft: draft.petition_id == pid and draft.kind == kind,
        )


async def _answer_front(update: Update, context: AppContext, pid: int, _: list[str]) -> None:
    await _prompt(update, context, pid, "af")


async def _decline(update: Update, context: AppContext, pid: int, _: list[str]) -> None:
    await _prompt(update, context, pid, "dc")


async def _merge(update: Update, context: AppContext, pid: int, _: list[str]) -> None:
    await _prompt(update, context, pid, "mg")


async def _unsatisfactory(update: Update, context: AppContext, pid: int, _: list[str]) -> None:
    await _prompt(update, context, pid, "no")


async def _answer(update: Update, context: AppContext, pid: int, _: list[str]) -> None:
    await _prompt(update, context, pid, "an")


async def _ask_extension(update: Update, context: AppContext, pid: int, _: list[str]) -> None:
    await _prompt(update, context, pid, "xa")


async def _colleagues(update: Update, context: AppContext, pid: int, _: list[str]) -> None:
    """The officers of the item's UBND unit, one button each."""
    tr = context.tr
    async with context.services.db.session() as session:
        people = await wf.colleagues(session, context.actor, pid)
        item = await wf.load(session, context.actor, pid)
        rows = [[(name_of(p), f"kn:asp:{pid}:{p.id}")] for p in sorted(people, key=sort_key)]
        await answer(update)
        text = tr._("Assign {code} to:").format(code=f"<b>{esc(item.petition.code)}</b>")
        await reply(update, context, text, reply_markup=inline(rows))


async def _assign_to(update: Update, context: AppContext, pid: int, args: list[str]) -> None:
    person_id = int(args[0])
    async with context.services.db.session() as session:
        item = await wf.assign(session, context.actor, pid, person_id, context.services.clock.now())
        chosen = await session.get(Person, person_id)
        who = name_of(chosen) if chosen is not None else "…"
        toast = context.tr._("Assigned to {name}.").format(name=who)
        await _redraw(update, context, session, item, toast)


@rule(
    Who.MEMBER,
    PRIVATE,
    scoped=True,
    # Not enforced by the dispatcher: its one "not allowed" could not say both "you are not in
    # any unit" and "only the Front's leaders": on_button says which.
    why="item ids re-checked by bot.petition_workflow: in the item's chain, the Front's leaders for the Front's actions, the officers of the UBND unit it was forwarded to for theirs",
    refusals=(*REFUSALS.values(), STALE, PRIVATE_ONLY, NOT_MEMBER),
    actions={action: Who.ADMIN for action in FRONT},
)
async def on_button(update: Update, context: AppContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    tr = context.tr
    parts = query.data.split(":")
    action = parts[1] if len(parts) > 1 else ""
    chat = update.effective_chat
    if chat is None or chat.type != "private":
        await answer(update, tr._(PRIVATE_ONLY), alert=True)
        return
    if not context.actor.is_member:
        await answer(update, tr._(NOT_MEMBER), alert=True)
        return
    try:
        handler = ACTIONS[action]
        petition_id = int(parts[2])
        await handler(update, context, petition_id, parts[3:])
    except (KeyError, IndexError, ValueError):
        await answer(update, stale(tr), alert=True)
    except PetitionRefused as exc:
        await answer(update, refusal_text(tr, exc), alert=True)


ACTIONS = {
    "v": _view,
    "h": _history,
    "fw": _forward,
    "su": _send_up,
    "fwy": _forward_confirmed,
    "suy": _send_up_confirmed,
    "kb": _back_to_card,
    "af": _answer_front,
    "mg": _merge,
    "dc": _decline,
    "ok": _satisfactory,
    "no": _unsatisfactory,
    "xg": _grant,
    "xr": _refuse,
    "ak": _acknowledge,
    "an": _answer,
    "as": _colleagues,
    "asp": _assign_to,
    "xa": _ask_extension,
    "inf": _informed,
}
