"""The read-only card of a recommendation, and opening one by its code (``/petition KN-…``).

Why it is apart: the Front's and the UBND's handling (issue 17, part 2) replaces this card with
one carrying their buttons; the recording flow, the follow link and ``/petition CODE`` only call
``card_text`` and ``open_by_code``, so the replacement is this one file.

A code that is forged, unknown, or names an item outside the asker's chain gets one and the
same answer: whether an item exists is not told to people who may not see it.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from bot import petitions
from bot.i18n import Translator
from bot.petition_record import place_and_front
from bot.profile import format_phone
from handlers.common import esc, inline, reply
from handlers.context import AppContext
from handlers.petitions.texts import (
    NOT_FOUND,
    category_label,
    people_text,
    source_label,
    status_label,
)
from storage.models import Petition, Unit
from storage.queries import petitions as petitions_q

#: The button under a card that makes the citizen's follow link (handlers/petitions/follow.py).
LINK_PREFIX = "pcl"


def link_button(tr: Translator, petition: Petition) -> list[list[tuple[str, str]]]:
    return [[(tr._("Link for the citizen"), f"{LINK_PREFIX}:l:{petition.id}")]]


def card_text(tr: Translator, petition: Petition, place: Unit) -> str:
    """What the chain sees of an item (the citizen's name and phone only when kept)."""
    lines = [
        f"<b>{esc(petition.code)}</b> — {esc(status_label(tr, petition.status))}",
        tr._("Category: {category}").format(category=esc(category_label(tr, petition.category))),
        tr._("Place: {place}").format(place=esc(place.name)),
        f"“{esc(petition.text)}”",
        people_text(tr, petition.people_count),
        tr._("Received: {day} ({source})").format(
            day=tr.day(petition.received_on), source=esc(source_label(tr, petition.source))
        ),
    ]
    if petition.citizen_name or petition.citizen_phone:
        who = ", ".join(
            part
            for part in (
                esc(petition.citizen_name or ""),
                format_phone(petition.citizen_phone) if petition.citizen_phone else "",
            )
            if part
        )
        lines.append(tr._("Citizen (with consent): {who}").format(who=who))
    return "\n".join(lines)


async def visible(session: AsyncSession, context: AppContext, text: str) -> Petition | None:
    """The item a typed code names, if the asker is in its chain."""
    parsed = petitions.parse_code(text)
    if parsed is None:
        return None
    petition = await petitions_q.by_code(session, *parsed)
    if petition is None:
        return None
    place, front = await place_and_front(session, petition)
    return petition if petitions.can_see(context.actor, petition, place, front) else None


async def open_by_code(update: Update, context: AppContext, text: str) -> None:
    """``/petition KN-2026-0042``: the card, for people in the item's chain only."""
    tr = context.tr
    async with context.services.db.session() as session:
        petition = await visible(session, context, text)
        if petition is None:
            await reply(update, context, tr._(NOT_FOUND))
            return
        place, _ = await place_and_front(session, petition)
        await reply(
            update,
            context,
            card_text(tr, petition, place),
            reply_markup=inline(link_button(tr, petition)),
        )
