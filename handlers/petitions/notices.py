"""Renderers of the petition notices: "a new recommendation" to the leaders of the Front
committee that supervises it (``bot/petition_record.py``), and "it was answered" to the chats
following its link (``bot/petition_follow.py``). Neither carries a citizen's name or phone."""

from __future__ import annotations

from typing import Any

from bot.i18n import Translator, resolve_locale
from bot.notifications import Notice
from bot.petition_follow import ANSWER_NOTICE
from bot.petition_record import NEW_NOTICE
from bot.services import Services
from handlers.common import esc
from handlers.meetings.texts import clip
from handlers.notices import register
from handlers.petitions.texts import category_label, people_text
from storage.models import Petition, Unit


async def new_petition(
    services: Services, tr: Translator, params: dict[str, Any], chat_id: int
) -> Notice | None:
    async with services.db.session() as session:
        petition = await session.get(Petition, int(params["petition_id"]))
        place = await session.get(Unit, petition.unit_id) if petition is not None else None
    if petition is None or place is None:
        return None
    text = "\n".join(
        [
            tr._("New recommendation {code} at {place}").format(
                code=f"<b>{esc(petition.code)}</b>", place=esc(place.name)
            ),
            f"{esc(category_label(tr, petition.category))} · {people_text(tr, petition.people_count)}",
            f"“{esc(clip(petition.text, 300))}”",
            tr._("Open it: /petition {code}").format(code=esc(petition.code)),
        ]
    )
    return Notice(text)


async def answered(
    services: Services, tr: Translator, params: dict[str, Any], chat_id: int
) -> Notice | None:
    """In the language the follower opened the link in (they may have no person's settings)."""
    language = params.get("language")
    if language:
        tr = services.i18n.translator(
            resolve_locale(None, language, services.settings.default_locale)
        )
    async with services.db.session() as session:
        petition = await session.get(Petition, int(params["petition_id"]))
    if petition is None or not petition.answer:
        return None
    text = tr._("Recommendation {code} has been answered: {answer}").format(
        code=f"<b>{esc(petition.code)}</b>", answer=esc(petition.answer)
    )
    return Notice(text)


def register_renderers() -> None:
    register(NEW_NOTICE, new_petition)
    register(ANSWER_NOTICE, answered)
