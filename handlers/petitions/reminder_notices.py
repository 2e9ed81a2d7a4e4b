"""Renderers of the follow-up notices queued by ``bot/petition_reminders.py``: the reminder before
the due date, the overdue reminders and the escalation. Each checks at send time that the item is
still waiting for the same authority's answer by the same date, and drops itself otherwise (it
was answered or its date extended meanwhile). Each names the code (``/petition CODE``) and
carries the card's "Open" button, as the handling's notices do."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot import petitions
from bot.i18n import N_, Translator
from bot.notifications import Notice
from bot.services import Services
from handlers.common import esc
from handlers.notices import register
from storage.models import Petition, Unit

#: Characters of the item's text quoted in a notice.
SNIPPET = 120


@dataclass(frozen=True)
class Loaded:
    petition: Petition
    authority: str  # escaped
    snippet: str  # escaped
    late_days: int


async def _load(services: Services, params: dict[str, Any]) -> Loaded | None:
    async with services.db.session() as session:
        item = await session.get(Petition, int(params["petition_id"]))
        if (
            item is None
            or item.status not in petitions.AT_AUTHORITY
            or item.due_on is None
            or str(item.due_on) != params.get("due_on")
            or item.authority_unit_id is None
        ):
            return None
        unit = await session.get(Unit, item.authority_unit_id)
    if unit is None:
        return None
    today = services.clock.now().astimezone(services.settings.tz).date()
    text = item.text if len(item.text) <= SNIPPET else item.text[: SNIPPET - 1].rstrip() + "…"
    return Loaded(item, esc(unit.name), esc(text), max((today - item.due_on).days, 0))


def _open(tr: Translator, got: Loaded) -> tuple[tuple[tuple[str, str], ...], ...]:
    """The button that opens the item's card (``kn:v``, checked again when pressed)."""
    return (((tr._("Open the recommendation"), f"kn:v:{got.petition.id}"),),)


#: Each notice's words; ``{late}`` is "N days overdue".
REMINDER = N_(
    "Reminder: recommendation <b>{code}</b> forwarded to {authority} is due {due}.\n“{text}”\nOpen it with /petition {code}."
)
OVERDUE = N_(
    "Overdue: recommendation <b>{code}</b> forwarded to {authority} was due {due} ({late}) and is not answered yet.\n“{text}”\nOpen it with /petition {code}."
)
ESCALATED = N_(
    "Escalation: recommendation <b>{code}</b> forwarded to {authority} was due {due} ({late}); three reminders went unanswered.\n“{text}”\nOpen it with /petition {code}."
)


async def _notice(
    services: Services, tr: Translator, params: dict[str, Any], words: str
) -> Notice | None:
    got = await _load(services, params)
    if got is None:
        return None
    assert got.petition.due_on is not None
    late = tr.ngettext("{n} day overdue", "{n} days overdue", got.late_days).format(
        n=tr.number(got.late_days)
    )
    text = tr._(words).format(
        code=got.petition.code,
        authority=got.authority,
        due=tr.day(got.petition.due_on),
        late=late,
        text=got.snippet,
    )
    return Notice(text, _open(tr, got))


async def due_soon(
    services: Services, tr: Translator, params: dict[str, Any], chat_id: int
) -> Notice | None:
    return await _notice(services, tr, params, REMINDER)


async def overdue(
    services: Services, tr: Translator, params: dict[str, Any], chat_id: int
) -> Notice | None:
    return await _notice(services, tr, params, OVERDUE)


async def escalated(
    services: Services, tr: Translator, params: dict[str, Any], chat_id: int
) -> Notice | None:
    return await _notice(services, tr, params, ESCALATED)


def register_renderers() -> None:
    """Called by the composition root: the outbox kinds of ``bot/petition_reminders.py``."""
    register("petition_due_soon", due_soon)
    register("petition_overdue", overdue)
    register("petition_escalated", escalated)
