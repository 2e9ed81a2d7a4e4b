"""Proposal cards (issue 18): an activity read in a cadre's own words, offered for one tap.

A private message no flow is waiting for (handlers/router.py), or the caption of a photo sent
where no step asked for one (the photo then kept with the proposal and saved with the entry), is
read by ``bot.free_text``; for each activity found the bot answers with a card: the type, each
measure understood (and those not found, marked as asked before saving), the date, the note (the
message itself), "Photo: attached" for a caption's, and Lưu / Sửa / Không phải. The proposal is a row (``bot.proposals``), so a card pressed after a restart still
works, and its callback data names only its id, re-read and checked on every press.

- **Save** (``prp:s:<id>``) saves exactly as the guided /log does, through its save
  (``log_save.save_entry``): unit membership, the ceiling's "are you sure?", the period lock,
  rollup, history. A complete proposal is saved on the press; one its person must say more about
  (a measure not found, a value above its ceiling, a refused date) continues in the guided /log
  from the first thing not answered. Several units: the card asks which (``prp:u:<id>:<unit>``)
  and saves on that press, as the shortcut does.
- **Edit** (``prp:e:<id>``) opens the guided /log's review with the proposal filled in, on its
  "what to change" menu; saved there as any guided entry.
- **Not this** (``prp:x:<id>``) sets it aside; once every card of the message is, the message is
  answered as text the bot does not understand.

The draft carries the proposal's id and the save marks the proposal saved in its transaction
(``bot.proposals.claim``): two presses, or the card's Save and its guided copy's, save once.
"""

from __future__ import annotations

from telegram import Update

from bot import activities as acts
from bot import conversation
from bot import proposals as props
from bot.i18n import N_, Translator
from bot.proposals import Offered
from handlers import flow
from handlers.access_rules import PRIVATE, Who, rule
from handlers.common import NOT_MEMBER, answer, edit, esc, inline, reply
from handlers.context import AppContext
from handlers.entry_cards import show_value
from handlers.fallback import media_not_read, not_understood
from handlers.flow import Call, Sent
from handlers.labels import button_label
from handlers.log_questions import FLOW, NOT_YOURS, LogState, first_open
from handlers.log_save import SAVED_ALREADY, after_save, save_entry, saved_text
from storage.queries import activities as act_q

PREFIX = "prp"
STALE = N_("This button is no longer active.")
WRONG_CHAT = N_("Log activities in a private chat with me, not in a group.")
#: Edit, or a Save that needs the guided /log, while another entry is unfinished there.
UNFINISHED = N_(
    "You have another entry in /log that is not saved yet. Save or discard it there first "
    "(/log), then press this button again."
)
#: Another person's proposal, a forged id, or one deleted after ``bot.proposals.KEEP``.
PROPOSAL_GONE = N_("This proposal is no longer available. Type the activity again, or use /log.")


# --- the cards ----------------------------------------------------------------------------------


async def offer(
    update: Update, context: AppContext, call: Call, text: str, photo: str | None = None
) -> bool:
    """Text in no flow: a card per activity it reports, in the update's transaction (True), or
    nothing (False: not an activity, or a person who logs for no unit). ``photo``: the text is
    that photo's caption, kept with every proposal read from it."""
    message = update.message
    assert message is not None
    today = call.services.today()
    offered = await props.propose(
        call.session, call.actor, text, message.message_id, today, call.now, photo
    )
    units = props.logging_units(call.actor)
    unit_name = units[0].name if len(units) == 1 else None
    for number, proposal in enumerate(offered, 1):
        heading = call.tr._("Save this as an activity?")
        if len(offered) > 1:
            heading = call.tr._("Activity {number} of {count} in your message. Save it?").format(
                number=number, count=len(offered)
            )
        body = card_body(call.tr, proposal, unit_name)
        markup = inline(card_buttons(call.tr, proposal.id))
        await reply(update, context, f"{heading}\n\n{body}", reply_markup=markup)
    return bool(offered)


async def offer_photo(update: Update, context: AppContext, call: Call, sent: Sent) -> bool:
    """A photo in no flow: its caption read as ``offer`` reads text, the photo kept with each
    proposal (True). False (answered as any photo nothing asked for): a file, even of an image
    (/log's photo step takes photos only), no caption, a caption written as a command, or one
    that is not an activity."""
    message = update.message
    caption = (message.caption or "").strip() if message is not None else ""
    if sent.kind != "photo" or not sent.file_id or not caption or caption.startswith("/"):
        return False
    return await offer(update, context, call, caption, photo=sent.file_id)


def card_body(tr: Translator, proposal: Offered, unit_name: str | None) -> str:
    """The type (and the unit, when the person logs for one), each measure read, each measure
    not found (asked before saving: never guessed), the date, the note and whether a photo
    comes with it (a captioned photo's), as the entry's card says."""
    name = f"<b>{esc(proposal.kind.name(tr.locale))}</b>"
    lines = [f"{name} — {esc(unit_name)}" if unit_name else name]
    for measure in proposal.kind.measures:
        label = esc(measure.label(tr.locale))
        if measure.key in proposal.values:
            lines.append(f"{label}: {show_value(tr, measure, proposal.values[measure.key])}")
        else:
            lines.append(tr._("{label}: not found — asked before saving").format(label=label))
    lines.append(tr._("Date: {date}").format(date=tr.day(proposal.occurred_on)))
    lines.append(tr._("Note: {note}").format(note=esc(proposal.note)))
    if proposal.photo:
        lines.append(tr._("Photo: attached"))
    return "\n".join(lines)


def card_buttons(tr: Translator, proposal_id: int) -> list[list[tuple[str, str]]]:
    return [
        [
            (tr._("Save"), f"{PREFIX}:s:{proposal_id}"),
            (tr._("Edit"), f"{PREFIX}:e:{proposal_id}"),
            (tr._("Not this"), f"{PREFIX}:x:{proposal_id}"),
        ]
    ]


# --- the buttons --------------------------------------------------------------------------------


@rule(
    Who.MEMBER,
    PRIVATE,
    scoped=True,
    why="the presser's own proposal, re-read on the press; a unit chosen must be one of theirs",
    refusals=(STALE, PROPOSAL_GONE, SAVED_ALREADY, NOT_YOURS, UNFINISHED),
    wrong_chat=WRONG_CHAT,
    not_allowed=NOT_MEMBER,
)
async def on_button(update: Update, context: AppContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    tr = context.tr
    parts = query.data.split(":")
    try:
        action, ident = parts[1], int(parts[2])
        unit_id = int(parts[3]) if action == "u" and len(parts) == 4 else None
    except (IndexError, ValueError):
        await answer(update, tr._(STALE), alert=True)
        return
    if action not in ("s", "e", "x", "u") or (action == "u") != (unit_id is not None):
        await answer(update, tr._(STALE), alert=True)
        return
    async with context.services.db.session() as session:
        call = flow.call_for(context, session)
        proposal = await props.load(session, call.actor, ident)
        if proposal is None:
            await answer(update, tr._(PROPOSAL_GONE), alert=True)
            return
        if proposal.status == "saved":
            text = tr._(SAVED_ALREADY).format(id=proposal.activity_id)
            await answer(update, text, alert=True)
            return
        if action != "x" and not props.logging_units(call.actor):
            # Left every unit that logs (a People's Committee's role alone remains).
            await answer(update, tr._(NOT_YOURS), alert=True)
            return
        if action == "x":
            await _dismiss(update, context, call, proposal)
        elif action == "e":
            await _edit(update, context, call, proposal)
        else:
            await _save(update, context, call, proposal, unit_id)


async def _save(
    update: Update, context: AppContext, call: Call, proposal: Offered, unit_id: int | None
) -> None:
    """Save: at once when complete; several units: which one, on the card; anything else to
    say (a measure not found, a value above its ceiling): the guided /log, from there."""
    tr = call.tr
    units = {u.id for u in props.logging_units(call.actor)}
    if unit_id is not None and unit_id not in units:
        await answer(update, tr._(NOT_YOURS), alert=True)
        return
    if unit_id is None and len(units) == 1:
        unit_id = next(iter(units))
    draft = props.draft_of(proposal, unit_id)
    measures = [m.key for m in proposal.kind.measures]
    if acts.next_step(draft, measures) != "review":
        if unit_id is None and acts.next_step({**draft, "unit_id": 0}, measures) == "review":
            await answer(update)
            await _ask_unit(update, call, proposal)
        elif await _other_entry(update, call, proposal):
            await answer(update, tr._(UNFINISHED), alert=True)
        else:
            await answer(update)
            await _guided(update, context, call, LogState(draft, measures), proposal)
        return
    saved = await save_entry(call, draft, from_draft=False)
    if saved.closed:
        await answer(update, saved.problem, alert=True)
        return
    if saved.problem is not None:
        # Refused (a locked day, above what totals can hold...): said in a message (an alert
        # is too short for a lock's reason), then asked again in the guided /log, the rest kept
        # (unless another entry is unfinished there: the card's Save then works again later).
        await answer(update)
        await reply(update, context, saved.problem)
        if await _other_entry(update, call, proposal):
            await reply(update, context, tr._(UNFINISHED))
        else:
            await _guided(update, context, call, LogState(saved.draft, measures), proposal)
        return
    await answer(update)
    await edit(update, saved_text(tr, saved), inline(after_save(tr, saved.activity_id)))


async def _ask_unit(update: Update, call: Call, proposal: Offered) -> None:
    """A person of several units: the card asks which, the entry saved on the press (the unit
    last logged for first, as the shortcut asks)."""
    tr = call.tr
    last = await act_q.last_unit_of(call.session, call.actor.person.id)
    units = sorted(props.logging_units(call.actor), key=lambda u: u.id != last)
    rows = [[(button_label(u.name), f"{PREFIX}:u:{proposal.id}:{u.id}")] for u in units]
    text = tr._("Which unit is this for? The entry is saved as soon as you choose.")
    await edit(update, f"{card_body(tr, proposal, None)}\n\n{text}", inline(rows))


async def _other_entry(update: Update, call: Call, proposal: Offered) -> bool:
    """Whether the person has another guided /log entry begun and not saved (current, parked or
    suspended): the guided /log holds one draft, so opening the proposal there would replace
    it. Its own copy (Save or Edit pressed before) is no other entry."""
    chat_id, user_id = flow.ids(update)
    log = flow.flow_named(FLOW)
    assert log is not None
    current = await conversation.load_in(call.session, chat_id, user_id)
    kept = await conversation.kept(call.session, chat_id, user_id, FLOW)
    for copy in (current, kept[1] if kept else None):
        if copy is None or copy.flow != FLOW:
            continue
        draft = log.load(copy.data).draft
        if draft.get("proposal") != proposal.id and (draft.get("type") or draft.get("values")):
            return True
    return False


async def _guided(
    update: Update, context: AppContext, call: Call, state: LogState, proposal: Offered
) -> None:
    """The guided /log with the proposal's draft, from the first thing not answered; a copy of
    this proposal already begun there (Save pressed again) is continued, not started over."""
    log = flow.flow_named(FLOW)
    assert log is not None
    await flow.open_at(
        update,
        context,
        log,
        state,
        call,
        keep=lambda kept: kept.draft.get("proposal") == proposal.id,
    )


async def _edit(update: Update, context: AppContext, call: Call, proposal: Offered) -> None:
    """Edit: the guided /log's review of the proposal, on its "what to change" menu (or the
    first thing not answered: a measure not found, the unit of a person of several)."""
    if await _other_entry(update, call, proposal):
        await answer(update, call.tr._(UNFINISHED), alert=True)
        return
    units = props.logging_units(call.actor)
    draft = props.draft_of(proposal, units[0].id if len(units) == 1 else None)
    state = LogState(draft, [m.key for m in proposal.kind.measures])
    state.editing = first_open(state) == "review"
    await answer(update)
    await _guided(update, context, call, state, proposal)


async def _dismiss(update: Update, context: AppContext, call: Call, proposal: Offered) -> None:
    """Not this: the card says it was set aside; when every card of the message is, the
    message is answered as any text (or photo) the bot does not understand."""
    await answer(update)
    if proposal.status == "dismissed":
        return  # pressed again: said already
    await props.dismiss(call.session, proposal.id)
    tr = call.tr
    text = tr._("Not saved: you said this is not an activity.")
    await edit(update, f"{card_body(tr, proposal, None)}\n\n{text}")
    if await props.all_dismissed(call.session, call.actor, proposal.message_id):
        if proposal.photo:
            await media_not_read(update, context)
        else:
            await not_understood(update, context)
