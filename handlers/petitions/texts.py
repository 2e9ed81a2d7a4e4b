"""The words the petition screens and notices share: statuses, categories, sources, the lines of
an item's history, and the explanation of every refusal (``bot.petition_workflow``'s reason keys).

One wording for the card, the list and every notice, so an item reads the same wherever it
appears.
"""

from __future__ import annotations

from bot.i18n import N_, Translator
from bot.petition_workflow import MAX_TEXT, PetitionRefused
from bot.petitions import CATEGORIES, SOURCES, STATUSES
from handlers.common import esc

REFUSALS = {
    "not_found": N_("No such recommendation, or it is not yours to see."),
    "bad_code": N_("That is not a recommendation code. Codes look like KN-2026-0042."),
    "status": N_("This recommendation is “{status}” now: that can no longer be done."),
    "not_front": N_(
        "Only the leaders of the Front committee that supervises this recommendation can do that."
    ),
    "not_authority": N_(
        "Only the officers of the People's Committee it was forwarded to can do that."
    ),
    "not_recorder": N_("Only the cadre who recorded it can confirm that."),
    "not_colleague": N_("That person is not an officer of this People's Committee."),
    "merge_self": N_("A recommendation cannot be merged into itself."),
    "merge_target": N_(
        "{code} is not an open recommendation supervised by your Front committee: nothing was merged."
    ),
    "no_authority": N_(
        "{front} has no People's Committee unit in the bot, so it cannot forward. Send it up to the Front above, or ask the operator to add the People's Committee (UBND) of this area."
    ),
    "no_front_above": N_("{front} has no Front committee above it to send this to."),
    "no_extension": N_("No extension is waiting for a decision."),
    "extension_pending": N_("An extension is already waiting for the Front's decision."),
    "extension_date": N_("The new date must be after the current due date."),
    "already_informed": N_("Already noted: the citizens were told."),
    "empty_answer": N_("Type the answer, please."),
    "empty_reason": N_("Type the reason, please."),
    "empty_comment": N_("Type what is missing from the answer, please."),
    "too_long": N_("At most {limit} characters, please."),
}

#: One line per step of the history: "{who}" is the person, "{note}" what they wrote.
EVENTS = {
    "recorded": N_("recorded by {who}"),
    "merged": N_("merged by {who}: {note}"),
    "declined": N_("declined by {who}: {note}"),
    "answered_front": N_("answered by the Front ({who})"),
    "forwarded": N_("forwarded to {unit} by {who}"),
    "sent_up": N_("sent up to {unit} by {who}"),
    "acknowledged": N_("acknowledged by {who}"),
    "assigned": N_("assigned to {person} by {who}"),
    "extension_asked": N_("{who} asked for more time: {note}"),
    "extension_granted": N_("extension granted by {who}"),
    "extension_refused": N_("extension refused by {who}"),
    "answered": N_("answered by {who}"),
    "rated_ok": N_("answer rated satisfactory by {who}"),
    "rated_not_ok": N_("answer rated not satisfactory by {who}: {note}"),
    "informed": N_("citizens told the answer ({who})"),
    "reminded": N_("reminder sent"),
    "escalated": N_("escalated to the leaders"),
    "erased": N_("citizen's personal data erased"),
    "on_agenda": N_("put on the agenda of {note} by {who}"),
}


def status_label(tr: Translator, status: str) -> str:
    return tr._(STATUSES.get(status, status))


def category_label(tr: Translator, category: str) -> str:
    return tr._(CATEGORIES.get(category, category))


def source_label(tr: Translator, source: str) -> str:
    return tr._(SOURCES.get(source, source))


def refusal_text(tr: Translator, refused: PetitionRefused) -> str:
    """The refusal in the reader's language; details are escaped (unit names, typed codes)."""
    details = {k: esc(v) for k, v in refused.details.items()}
    if refused.reason == "status":
        details["status"] = esc(status_label(tr, refused.details.get("status", "")))
    if refused.reason == "too_long":
        details["limit"] = tr.number(MAX_TEXT)
    return tr._(REFUSALS.get(refused.reason, REFUSALS["not_found"])).format(**details)


STALE = N_("This button is no longer active. Open the recommendation again: /petitions")


def stale(tr: Translator) -> str:
    return tr._(STALE)
