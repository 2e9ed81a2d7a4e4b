"""Proposals: entries read in a cadre's own words (issue 18), offered for one-tap saving.

A private message that no flow is waiting for is read by ``bot.free_text``; each activity it
finds becomes a stored proposal (``proposals``), shown as a card (handlers/proposals.py). Saving
one is the guided /log's save (handlers/log_save.py ``save_entry``) on the draft ``draft_of``
makes: same checks, ceiling question, period lock, rollup and history. The draft carries the
proposal's id, and the save marks it saved in its own transaction (``claim``): of two presses,
or of Save on the card and Save at the end of its guided copy, only one saves.

Who is offered proposals: a member of some unit that logs activities, i.e. not only of a
People's Committee (UBND officers answer petitions; they keep no activity log of the Front).

A photo whose caption reports an activity (the usual report from the field: a picture of the
visit, "thăm 5 hộ nghèo, tặng quà 2 triệu" under it) is read the same way, and the photo is kept
with each proposal: saved, the entry has it, as a guided entry whose photo step got one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot import activities as acts
from bot.access import Actor
from bot.activities import Catalog, Kind, Measure
from bot.free_text import Reader
from storage.models import Proposal, Unit
from storage.queries import proposals as proposals_q
from storage.text import nfc

#: A proposal older than this is deleted when its person gets a new one: its card then answers
#: "no longer available" (a month-old "thăm 5 hộ" is better typed again than saved blind).
KEEP = timedelta(days=30)
#: The People's Committee's organisation: its officers get no proposals (see the docstring).
AUTHORITY_ORG = "ubnd"
#: ``Activity.source`` of an entry saved from a proposal.
SOURCE = "free_text"


@dataclass(frozen=True)
class Offered:
    """A proposal as a card shows it."""

    id: int
    kind: Kind
    values: dict[str, Decimal]
    occurred_on: date
    note: str
    #: The person's message it was read from.
    message_id: int
    status: str = "open"
    activity_id: int | None = None
    #: The photo the caption was under (Telegram's file id); None: read from text.
    photo: str | None = None

    @property
    def missing(self) -> tuple[Measure, ...]:
        """The type's measures the text did not give: asked before saving, never guessed."""
        return tuple(m for m in self.kind.measures if m.key not in self.values)


def logging_units(actor: Actor) -> list[Unit]:
    """The units the person could log a proposal for: those of ``acts.units_for_logging``
    that are not a People's Committee."""
    seen: dict[int, Unit] = {}
    for role in actor.roles:
        if role.unit.org != AUTHORITY_ORG:
            seen.setdefault(role.unit.id, role.unit)
    return sorted(seen.values(), key=lambda u: u.path)


#: The reader and the catalog it was built from (compared by identity: ``acts.catalog`` keeps
#: one object per catalog version).
_kept: dict[str, tuple[Catalog, Reader]] = {}


async def reader(session: AsyncSession) -> Reader:
    """The reader of the current catalog, built again only when the catalog changed (building
    it compiles every word of the catalog; reading a line is then well under a millisecond)."""
    catalog = await acts.catalog(session)
    kept = _kept.get("reader")
    if kept is None or kept[0] is not catalog:
        kept = _kept["reader"] = (catalog, Reader(catalog.kinds))
    return kept[1]


async def propose(
    session: AsyncSession,
    actor: Actor,
    text: str,
    message_id: int,
    today: date,
    now: datetime,
    photo: str | None = None,
) -> list[Offered]:
    """The activities ``text`` reports, stored as open proposals (none: not an activity, or a
    person who logs for no unit). Dated today unless the text says when. ``photo``: the text is
    a photo's caption, and every proposal read from it keeps that photo."""
    if not logging_units(actor):
        return []
    text = nfc(text).strip()
    reading = (await reader(session)).read(text, today)
    if not reading.activities:
        return []
    await proposals_q.forget_before(session, actor.person.id, now - KEEP)
    catalog = await acts.catalog(session)
    offered: list[Offered] = []
    for found in reading.activities:
        kind = catalog.get(found.type)
        if kind is None or kind.retired:
            continue
        values = {k: v for k, v in found.measures.items() if kind.measure(k) is not None}
        day = found.date or today
        note = reading.note[: acts.MAX_NOTE]
        stored = {k: str(v) for k, v in values.items()}
        new_id = await proposals_q.add(
            session, actor.person.id, message_id, kind.key, stored, day, note, now, photo
        )
        offered.append(Offered(new_id, kind, values, day, note, message_id, photo=photo))
    return offered


async def load(session: AsyncSession, actor: Actor, proposal_id: int) -> Offered | None:
    """The person's own proposal, with its type as the catalog has it now (None: gone, another
    person's, or of a type no longer in the catalog)."""
    row = await proposals_q.get(session, actor.person.id, proposal_id)
    if row is None:
        return None
    kind = await acts.kind(session, row.type_key)
    if kind is None:
        return None
    return _offered(row, kind)


def _offered(row: Proposal, kind: Kind) -> Offered:
    values = {k: Decimal(v) for k, v in row.values.items() if kind.measure(k) is not None}
    return Offered(
        row.id,
        kind,
        values,
        row.occurred_on,
        row.note,
        row.message_id,
        row.status,
        row.activity_id,
        row.photo_file_id,
    )


def draft_of(offered: Offered, unit_id: int | None) -> dict[str, Any]:
    """The guided /log's draft of the proposal (``bot.activities`` draft form): what the text
    gave, today or its date, its words as the note, the photo it was the caption of (or none:
    either way the photo step is answered); the unit if known. A value above
    its measure's ceiling waits for "are you sure?" (``pending``), as the shortcut's does."""
    values = {k: str(v) for k, v in offered.values.items()}
    draft: dict[str, Any] = {
        "type": offered.kind.key,
        "values": values,
        "date": offered.occurred_on.isoformat(),
        "note": offered.note,
        "photo": offered.photo,
        "source": SOURCE,
        "answered": [],
        "proposal": offered.id,
    }
    if unit_id is not None:
        draft["unit_id"] = unit_id
    over = acts.first_above_ceiling(offered.kind, offered.values)
    if over is not None:
        draft["pending"] = {"key": over.key, "value": values.pop(over.key)}
    return draft


async def claim(session: AsyncSession, actor: Actor, proposal_id: int) -> bool:
    """Mark the proposal saved, in the transaction that saves its entry; False: it was saved
    already (a second press, or its other copy)."""
    return await proposals_q.claim(session, actor.person.id, proposal_id)


async def release(session: AsyncSession, proposal_id: int) -> None:
    """The save was refused (a locked day, a problem to fix): the proposal is open again."""
    await proposals_q.set_status(session, proposal_id, "open")


async def saved(session: AsyncSession, proposal_id: int, activity_id: int) -> None:
    await proposals_q.set_status(session, proposal_id, "saved", activity_id)


async def dismiss(session: AsyncSession, proposal_id: int) -> None:
    await proposals_q.set_status(session, proposal_id, "dismissed")


async def all_dismissed(session: AsyncSession, actor: Actor, message_id: int) -> bool:
    """Whether every proposal read from the message was dismissed ("Not this" on each card):
    the message is then answered as any text the bot does not understand."""
    statuses = await proposals_q.of_message(session, actor.person.id, message_id)
    return all(s == "dismissed" for s in statuses)
