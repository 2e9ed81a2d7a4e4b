"""Renderers of the notices ``bot/petition_workflow.py`` queues: to the officers of the People's
Committee an item is forwarded to, to the Front above an item is sent up to, to the Front's
leaders an answer or an extension request waits for, to an officer assigned, to the authority
when the answer was not satisfactory or its extension decided, and to the recorder when the item
is closed (with the answer and "Citizens have been told") or declined.

Each names the item's code, its category and place, never the citizen (their name and phone are
on the card only), and each is checked at send time: a notice whose moment has passed (the item
moved on meanwhile) is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.i18n import Translator
from bot.notifications import Notice
from bot.services import Services
from handlers.common import esc
from handlers.notices import register
from handlers.petitions.texts import category_label
from storage.models import Petition, PetitionEvent, Unit

Buttons = tuple[tuple[tuple[str, str], ...], ...]


@dataclass(frozen=True)
class Loaded:
    petition: Petition
    event: PetitionEvent
    place: Unit
    head: str  # "<b>KN-2026-0042</b> (Hạ tầng – giao thông, Xã Yên Nguyên)"


async def _load(
    services: Services, tr: Translator, params: dict[str, Any], statuses: tuple[str, ...]
) -> Loaded | None:
    async with services.db.session() as session:
        petition = await session.get(Petition, int(params["petition_id"]))
        event = await session.get(PetitionEvent, int(params["event_id"]))
        if petition is None or event is None or petition.status not in statuses:
            return None
        place = await session.get(Unit, petition.unit_id)
    if place is None:
        return None
    head = f"<b>{esc(petition.code)}</b> ({esc(category_label(tr, petition.category))}, {esc(place.name)})"
    return Loaded(petition, event, place, head)


def _open(tr: Translator, got: Loaded) -> Buttons:
    return (((tr._("Open the recommendation"), f"kn:v:{got.petition.id}"),),)


async def forwarded(
    services: Services, tr: Translator, params: dict[str, Any], chat_id: int
) -> Notice | None:
    got = await _load(services, tr, params, ("forwarded",))
    if got is None or got.petition.due_on is None:
        return None
    text = tr._(
        "The Front forwarded a recommendation to your People's Committee: {item}. Please acknowledge it and answer by {day}."
    ).format(item=got.head, day=tr.day(got.petition.due_on))
    return Notice(text, _open(tr, got))


async def sent_up(
    services: Services, tr: Translator, params: dict[str, Any], chat_id: int
) -> Notice | None:
    got = await _load(services, tr, params, ("recorded",))
    if got is None or got.petition.front_unit_id != got.event.unit_id:
        return None
    text = tr._(
        "A recommendation was sent up to your Front committee for a higher authority: {item}."
    ).format(item=got.head)
    return Notice(text, _open(tr, got))


async def answered(
    services: Services, tr: Translator, params: dict[str, Any], chat_id: int
) -> Notice | None:
    got = await _load(services, tr, params, ("answered",))
    if got is None:
        return None
    text = tr._(
        "The People's Committee answered {item}: “{answer}”. Please rate the answer."
    ).format(item=got.head, answer=esc(got.event.note or ""))
    return Notice(text, _open(tr, got))


async def assigned(
    services: Services, tr: Translator, params: dict[str, Any], chat_id: int
) -> Notice | None:
    got = await _load(services, tr, params, ("forwarded", "acknowledged"))
    due = got.petition.due_on if got is not None else None
    if got is None or due is None or got.petition.assignee_id != got.event.person_id:
        return None
    text = tr._("{item} was assigned to you. Please answer it by {day}.").format(
        item=got.head, day=tr.day(due)
    )
    return Notice(text, _open(tr, got))


async def rated_not_ok(
    services: Services, tr: Translator, params: dict[str, Any], chat_id: int
) -> Notice | None:
    got = await _load(services, tr, params, ("acknowledged",))
    if got is None:
        return None
    text = tr._(
        "The Front rated the answer to {item} not satisfactory: “{comment}”. Please answer again."
    ).format(item=got.head, comment=esc(got.event.note or ""))
    return Notice(text, _open(tr, got))


async def extension_asked(
    services: Services, tr: Translator, params: dict[str, Any], chat_id: int
) -> Notice | None:
    got = await _load(services, tr, params, ("forwarded", "acknowledged"))
    if got is None or got.petition.extension_until is None:
        return None
    text = tr._(
        "The People's Committee asks for more time on {item}, until {day}: “{reason}”. Grant or refuse it on the card."
    ).format(
        item=got.head,
        day=tr.day(date.fromisoformat(str(params["until"]))),
        reason=esc(got.event.note or ""),
    )
    return Notice(text, _open(tr, got))


async def extension(
    services: Services, tr: Translator, params: dict[str, Any], chat_id: int
) -> Notice | None:
    got = await _load(services, tr, params, ("forwarded", "acknowledged"))
    if got is None or got.petition.due_on is None:
        return None
    if got.event.action == "extension_granted":
        text = tr._("The Front granted more time on {item}: answer by {day}.")
    else:
        text = tr._("The Front refused more time on {item}: the answer is due {day}.")
    return Notice(text.format(item=got.head, day=tr.day(got.petition.due_on)), _open(tr, got))


async def closed(
    services: Services, tr: Translator, params: dict[str, Any], chat_id: int
) -> Notice | None:
    got = await _load(services, tr, params, ("closed",))
    if got is None or got.petition.answer is None:
        return None
    text = tr._(
        "The recommendation you recorded is answered and closed: {item}.\nAnswer: “{answer}”\nPlease tell the citizens, then press the button."
    ).format(item=got.head, answer=esc(got.petition.answer))
    if got.petition.informed_at is not None:
        return Notice(text, _open(tr, got))
    buttons: Buttons = (
        ((tr._("Citizens have been told"), f"kn:inf:{got.petition.id}"),),
        *_open(tr, got),
    )
    return Notice(text, buttons)


async def declined(
    services: Services, tr: Translator, params: dict[str, Any], chat_id: int
) -> Notice | None:
    got = await _load(services, tr, params, ("declined",))
    if got is None:
        return None
    text = tr._("The Front declined the recommendation you recorded, {item}: “{reason}”.").format(
        item=got.head, reason=esc(got.event.note or "")
    )
    return Notice(text, _open(tr, got))


def register_renderers() -> None:
    """Called by the composition root: the outbox kinds queued by bot/petition_workflow.py."""
    register("petition_forwarded", forwarded)
    register("petition_sent_up", sent_up)
    register("petition_answered", answered)
    register("petition_assigned", assigned)
    register("petition_rated_not_ok", rated_not_ok)
    register("petition_extension_asked", extension_asked)
    register("petition_extension", extension)
    register("petition_closed", closed)
    register("petition_declined", declined)
