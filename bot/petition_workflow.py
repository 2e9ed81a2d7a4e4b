"""The Front's and the People's Committee's handling of a recommendation (issue 17, PRODUCT §10).

One function per action. Each loads the item, checks who may do it (``bot.petitions``: the Front
leaders over the committee that supervises it now, the officers of the UBND unit it was
forwarded to, the cadre who recorded it) and the status it may start from, changes the item,
keeps the step in its history and queues the notices to the people who act next, all in the
caller's transaction: a refusal (``PetitionRefused``, with a reason key the handler words)
raises before anything is written, so it changes nothing.

Notices name the item's code, never the citizen: a citizen's name and phone are shown only on
the card, to the people in the chain (``bot.petitions.can_see``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.access import Actor
from bot.notifications import enqueue
from bot.petition_follow import notify_followers
from bot.petitions import (
    AT_AUTHORITY,
    OPEN_STATUSES,
    acts_for_front,
    can_see,
    due_date,
    is_authority,
    is_recorder,
    parse_code,
)
from storage.models import Person, Petition, PetitionEvent, PetitionFile, Unit
from storage.queries import petition_handling as handling_q
from storage.queries import petitions as petitions_q
from storage.queries import units as units_q

#: The longest answer, reason or comment kept (a Telegram message is 4,096 characters; the card
#: quotes the answer beside the rest).
MAX_TEXT = 2000


class PetitionRefused(Exception):
    """An action cannot be done now; ``reason`` selects the localized explanation and
    ``details`` fills it (a unit's name, a code)."""

    def __init__(self, reason: str, **details: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


@dataclass(frozen=True)
class Item:
    """An item with the units it names, as the checks and the card need them."""

    petition: Petition
    place: Unit
    front: Unit
    authority: Unit | None


async def load(session: AsyncSession, actor: Actor, petition_id: int) -> Item:
    """The item, for someone in its chain; anyone else (or a forged id) is refused alike, so a
    guessed id does not tell whether an item exists."""
    petition = await petitions_q.get(session, petition_id)
    if petition is None:
        raise PetitionRefused("not_found")
    units = await units_q.by_ids(
        session,
        [
            u
            for u in (petition.unit_id, petition.front_unit_id, petition.authority_unit_id)
            if u is not None
        ],
    )
    place, front = units[petition.unit_id], units[petition.front_unit_id]
    if not can_see(actor, petition, place, front):
        raise PetitionRefused("not_found")
    authority = units.get(petition.authority_unit_id) if petition.authority_unit_id else None
    return Item(petition, place, front, authority)


async def load_code(session: AsyncSession, actor: Actor, text: str) -> Item:
    """The item a typed code names (``KN-2026-0042``, ``kn 2026 42``), for someone in its chain."""
    parsed = parse_code(text)
    if parsed is None:
        raise PetitionRefused("bad_code")
    petition = await petitions_q.by_code(session, *parsed)
    if petition is None:
        raise PetitionRefused("not_found")
    return await load(session, actor, petition.id)


def _status(item: Item, *allowed: str) -> None:
    if item.petition.status not in allowed:
        raise PetitionRefused("status", status=item.petition.status)


def front_may(actor: Actor, item: Item, *allowed: str) -> None:
    """Refuse unless the actor leads the Front committee supervising the item and its status
    is one of ``allowed`` (also asked before a prompt opens, so nobody types in vain)."""
    if not acts_for_front(actor, item.front):
        raise PetitionRefused("not_front")
    _status(item, *allowed)


def authority_may(actor: Actor, item: Item, *allowed: str) -> None:
    """Refuse unless the actor is an officer of the UBND unit the item was forwarded to and
    its status is one of ``allowed`` (waiting for the authority, when none is named)."""
    if not is_authority(actor, item.petition):
        raise PetitionRefused("not_authority")
    _status(item, *(allowed or AT_AUTHORITY))


def _text(text: str, reason: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise PetitionRefused(reason)
    if len(cleaned) > MAX_TEXT:
        raise PetitionRefused("too_long", limit=str(MAX_TEXT))
    return cleaned


async def _tell(
    session: AsyncSession,
    people: list[Person] | tuple[Person, ...],
    event: PetitionEvent,
    kind: str,
    now: datetime,
    **params: Any,
) -> int:
    """Queue ``kind`` for each person (once each, keyed by the event, so a retried transaction
    cannot double it); the renderer reads the item again at send time."""
    queued, seen = 0, set()
    for person in people:
        if person.telegram_id in seen or person.blocked:
            continue
        seen.add(person.telegram_id)
        queued += await enqueue(
            session,
            key=f"petition:{event.petition_id}:{event.id}:{person.telegram_id}",
            chat_id=person.telegram_id,
            kind=kind,
            params={"petition_id": event.petition_id, "event_id": event.id, **params},
            now=now,
        )
    return queued


async def _recorder(session: AsyncSession, petition: Petition) -> list[Person]:
    if petition.recorded_by is None:
        return []
    found = await handling_q.person(session, petition.recorded_by)
    return [found] if found is not None else []


async def _authority_people(session: AsyncSession, petition: Petition) -> list[Person]:
    """Who at the UBND unit should hear of the Front's decision: the officer it is assigned to,
    or every officer of the unit while nobody is."""
    if petition.assignee_id is not None:
        found = await handling_q.person(session, petition.assignee_id)
        if found is not None:
            return [found]
    if petition.authority_unit_id is None:
        return []
    return list(await handling_q.people_of_unit(session, petition.authority_unit_id))


async def _front_leaders(session: AsyncSession, front: Unit) -> list[Person]:
    return list(await handling_q.people_of_unit(session, front.id, leaders_only=True))


# --- the Front ------------------------------------------------------------------------------


async def merge(
    session: AsyncSession, actor: Actor, petition_id: int, into_code: str, now: datetime
) -> Item:
    """A duplicate goes into another open item of the same chain: its people count adds to the
    other's, and it is closed as merged (the citizens are followed up through the other)."""
    item = await load(session, actor, petition_id)
    front_may(actor, item, "recorded")
    try:
        target = await load_code(session, actor, into_code)
    except PetitionRefused as exc:
        raise PetitionRefused("merge_target", code=into_code.strip()) from exc
    if target.petition.id == item.petition.id:
        raise PetitionRefused("merge_self")
    if target.petition.status not in OPEN_STATUSES or not acts_for_front(actor, target.front):
        raise PetitionRefused("merge_target", code=target.petition.code)
    p, into = item.petition, target.petition
    into.people_count += p.people_count
    p.status, p.merged_into_id, p.closed_at = "merged", into.id, now
    await petitions_q.add_event(session, p, "merged", now, actor.person.id, note=into.code)
    await petitions_q.add_event(session, into, "merged", now, actor.person.id, note=p.code)
    return item


async def answer_directly(
    session: AsyncSession, actor: Actor, petition_id: int, text: str, now: datetime
) -> Item:
    """What is within the Front's own competence is answered by the Front: the item is closed
    and the recorder is told, to tell the citizens."""
    item = await load(session, actor, petition_id)
    front_may(actor, item, "recorded")
    answer = _text(text, "empty_answer")
    p = item.petition
    p.status, p.answer, p.answered_by, p.answered_at, p.closed_at = (
        "closed",
        answer,
        actor.person.id,
        now,
        now,
    )
    event = await petitions_q.add_event(
        session, p, "answered_front", now, actor.person.id, note=answer
    )
    await _tell(session, await _recorder(session, p), event, "petition_closed", now)
    await notify_followers(session, p, now)
    return item


async def decline(
    session: AsyncSession, actor: Actor, petition_id: int, reason: str, now: datetime
) -> Item:
    """Declined with a reason (outside every authority's competence, already settled...); the
    recorder is told the reason."""
    item = await load(session, actor, petition_id)
    front_may(actor, item, "recorded")
    why = _text(reason, "empty_reason")
    p = item.petition
    p.status, p.closed_at = "declined", now
    event = await petitions_q.add_event(session, p, "declined", now, actor.person.id, note=why)
    await _tell(session, await _recorder(session, p), event, "petition_declined", now)
    return item


async def forward_target(session: AsyncSession, actor: Actor, item: Item) -> tuple[Unit, Unit]:
    """Where :func:`forward` would send the item: the Front committee that will supervise it
    and the People's Committee unit, or a refusal. Asked before the confirmation too, so the
    leader sees the authority and the due date before anything is written."""
    front_may(actor, item, "recorded")
    front: Unit | None = item.front
    authority = None
    while front is not None and actor.can_admin(front):
        authority = await handling_q.authority_of_area(session, front)
        if authority is not None:
            break
        front = await handling_q.front_above(session, front)
    if authority is None or front is None:
        raise PetitionRefused("no_authority", front=item.front.name)
    return front, authority


async def send_up_target(session: AsyncSession, actor: Actor, item: Item) -> Unit:
    """The Front committee :func:`send_up` would hand the item to, or a refusal (asked before
    the confirmation too)."""
    front_may(actor, item, "recorded")
    above = await handling_q.front_above(session, item.front)
    if above is None:
        raise PetitionRefused("no_front_above", front=item.front.name)
    return above


async def forward(
    session: AsyncSession,
    actor: Actor,
    petition_id: int,
    now: datetime,
    today: date,
    days_by_category: dict[str, int],
) -> Item:
    """To the People's Committee of the Front committee's area, with a due date per category
    (settings); its officers are told. A residential area has no People's Committee: a commune
    leader forwarding a thôn's item sends it to the commune's, and the commune's Front committee
    supervises it from then on (as if it had been sent up first). A leader of the thôn alone
    cannot: they send it up."""
    item = await load(session, actor, petition_id)
    front, authority = await forward_target(session, actor, item)
    p = item.petition
    if front.id != item.front.id:
        p.front_unit_id = front.id
        await petitions_q.add_event(session, p, "sent_up", now, actor.person.id, unit_id=front.id)
        item = Item(p, item.place, front, None)
    p.status, p.authority_unit_id, p.assignee_id = "forwarded", authority.id, None
    p.forwarded_by, p.forwarded_at = actor.person.id, now
    p.due_on = due_date(p.category, today, days_by_category)
    p.extension_until, p.reminders_sent, p.escalated_at, p.rating = None, 0, None, None
    event = await petitions_q.add_event(
        session, p, "forwarded", now, actor.person.id, unit_id=authority.id
    )
    officers = list(await handling_q.people_of_unit(session, authority.id))
    await _tell(session, officers, event, "petition_forwarded", now)
    return Item(p, item.place, item.front, authority)


async def send_up(session: AsyncSession, actor: Actor, petition_id: int, now: datetime) -> Item:
    """For a higher authority: the Front committee of the area above supervises it from now on
    (the item stays "new" there) and its leaders are told."""
    item = await load(session, actor, petition_id)
    above = await send_up_target(session, actor, item)
    p = item.petition
    p.front_unit_id = above.id
    event = await petitions_q.add_event(
        session, p, "sent_up", now, actor.person.id, unit_id=above.id
    )
    await _tell(session, await _front_leaders(session, above), event, "petition_sent_up", now)
    return Item(p, item.place, above, item.authority)


async def rate(
    session: AsyncSession,
    actor: Actor,
    petition_id: int,
    satisfactory: bool,
    comment: str,
    now: datetime,
) -> Item:
    """The Front's rating of the authority's answer. Satisfactory closes the item and tells the
    recorder (who then tells the citizens); not satisfactory sends it back to the authority with
    the comment, and the Front keeps supervising."""
    item = await load(session, actor, petition_id)
    front_may(actor, item, "answered")
    p = item.petition
    if satisfactory:
        p.status, p.rating, p.closed_at = "closed", "satisfactory", now
        event = await petitions_q.add_event(session, p, "rated_ok", now, actor.person.id)
        await _tell(session, await _recorder(session, p), event, "petition_closed", now)
        # Citizens following the link hear the answer once the Front accepted it, not before:
        # an answer rated not satisfactory goes back to the authority.
        await notify_followers(session, p, now)
        return item
    why = _text(comment, "empty_comment")
    p.status, p.rating = "acknowledged", "unsatisfactory"
    event = await petitions_q.add_event(session, p, "rated_not_ok", now, actor.person.id, note=why)
    await _tell(session, await _authority_people(session, p), event, "petition_rated_not_ok", now)
    return item


async def decide_extension(
    session: AsyncSession, actor: Actor, petition_id: int, grant: bool, now: datetime
) -> Item:
    """The Front grants (the due date moves, reminders start afresh) or refuses the extension
    the authority asked for; the authority is told."""
    item = await load(session, actor, petition_id)
    front_may(actor, item, *AT_AUTHORITY)
    p = item.petition
    if p.extension_until is None:
        raise PetitionRefused("no_extension")
    until = p.extension_until
    if grant:
        p.due_on, p.reminders_sent, p.escalated_at = until, 0, None
    p.extension_until = None
    action = "extension_granted" if grant else "extension_refused"
    event = await petitions_q.add_event(
        session, p, action, now, actor.person.id, note=until.isoformat()
    )
    await _tell(session, await _authority_people(session, p), event, "petition_extension", now)
    return item


async def informed(session: AsyncSession, actor: Actor, petition_id: int, now: datetime) -> Item:
    """The recording cadre (or a Front leader for them) told the citizens the answer."""
    item = await load(session, actor, petition_id)
    p = item.petition
    if not (is_recorder(actor, p) or acts_for_front(actor, item.front)):
        raise PetitionRefused("not_recorder")
    _status(item, "closed")
    if p.answer is None:
        raise PetitionRefused("status", status=p.status)
    if p.informed_at is not None:
        raise PetitionRefused("already_informed")
    p.informed_at = now
    await petitions_q.add_event(session, p, "informed", now, actor.person.id)
    return item


# --- the People's Committee -----------------------------------------------------------------


async def acknowledge(session: AsyncSession, actor: Actor, petition_id: int, now: datetime) -> Item:
    """The UBND unit took the item in (đã tiếp nhận)."""
    item = await load(session, actor, petition_id)
    authority_may(actor, item, "forwarded")
    item.petition.status = "acknowledged"
    await petitions_q.add_event(session, item.petition, "acknowledged", now, actor.person.id)
    return item


async def assign(
    session: AsyncSession, actor: Actor, petition_id: int, colleague_id: int, now: datetime
) -> Item:
    """To an officer of the same UBND unit, who is told."""
    item = await load(session, actor, petition_id)
    authority_may(actor, item, *AT_AUTHORITY)
    p = item.petition
    assert p.authority_unit_id is not None  # forwarded: is_authority checked it
    colleague = await handling_q.person(session, colleague_id)
    if colleague is None or not await handling_q.is_member_of(
        session, colleague_id, p.authority_unit_id
    ):
        raise PetitionRefused("not_colleague")
    p.assignee_id = colleague.id
    event = await petitions_q.add_event(
        session, p, "assigned", now, actor.person.id, person_id=colleague.id
    )
    if colleague.id != actor.person.id:
        await _tell(session, [colleague], event, "petition_assigned", now)
    return item


async def answer(
    session: AsyncSession,
    actor: Actor,
    petition_id: int,
    text: str,
    now: datetime,
    document: tuple[str, str] | None = None,
) -> Item:
    """The authority's answer (text, and a document as ``(kind, Telegram file id)``): the Front
    leaders are asked to rate it."""
    item = await load(session, actor, petition_id)
    authority_may(actor, item, *AT_AUTHORITY)
    written = _text(text, "empty_answer")
    p = item.petition
    p.status, p.answer, p.answered_by, p.answered_at = "answered", written, actor.person.id, now
    p.rating, p.extension_until = None, None
    if document is not None:
        kind, file_id = document
        await handling_q.add_file(
            session,
            PetitionFile(
                petition_id=p.id,
                kind=kind,
                file_id=file_id,
                stage="answer",
                added_by=actor.person.id,
                added_at=now,
            ),
        )
    event = await petitions_q.add_event(session, p, "answered", now, actor.person.id, note=written)
    await _tell(session, await _front_leaders(session, item.front), event, "petition_answered", now)
    return item


async def ask_extension(
    session: AsyncSession,
    actor: Actor,
    petition_id: int,
    until: date,
    reason: str,
    now: datetime,
    today: date,
) -> Item:
    """More time, to a date after the current due date, with a reason; the Front decides."""
    item = await load(session, actor, petition_id)
    authority_may(actor, item, *AT_AUTHORITY)
    p = item.petition
    if p.extension_until is not None:
        raise PetitionRefused("extension_pending")
    if until <= max(today, p.due_on or today):
        raise PetitionRefused("extension_date")
    why = _text(reason, "empty_reason")
    p.extension_until = until
    event = await petitions_q.add_event(
        session, p, "extension_asked", now, actor.person.id, note=why
    )
    await _tell(
        session,
        await _front_leaders(session, item.front),
        event,
        "petition_extension_asked",
        now,
        until=until.isoformat(),
    )
    return item


async def colleagues(session: AsyncSession, actor: Actor, petition_id: int) -> list[Person]:
    """The officers of the item's UBND unit, for the assign buttons (only its officers ask)."""
    item = await load(session, actor, petition_id)
    authority_may(actor, item, *AT_AUTHORITY)
    assert item.petition.authority_unit_id is not None
    return list(await handling_q.people_of_unit(session, item.petition.authority_unit_id))
