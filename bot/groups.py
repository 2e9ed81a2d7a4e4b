"""Group chats bound to units (PRODUCT §6): who may link or unlink, and what happens when Telegram
removes the bot or turns the group into a supergroup."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.access import Actor
from storage.models import Unit
from storage.queries import chats as chats_q
from storage.queries import units as units_q


class LinkError(Exception):
    def __init__(self, code: str, unit_name: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        #: A name, not the row: the session is rolled back (and its rows expired) by the raise.
        self.unit_name = unit_name


def linkable_units(actor: Actor) -> list[Unit]:
    """The units whose leaders the actor is (a group is linked to one of them)."""
    seen: dict[int, Unit] = {}
    for role in actor.admin_roles():
        seen.setdefault(role.unit.id, role.unit)
    return sorted(seen.values(), key=lambda u: u.path)


async def link_chat(
    session: AsyncSession,
    actor: Actor,
    *,
    chat_id: int,
    title: str,
    unit_id: int,
    language: str,
    now: datetime,
) -> Unit:
    unit = await units_q.get(session, unit_id)
    if unit is None or not actor.can_admin(unit):
        raise LinkError("forbidden")
    existing = await chats_q.get(session, chat_id)
    if existing is not None and existing.active and existing.unit_id != unit.id:
        other = await units_q.get(session, existing.unit_id)
        raise LinkError("linked_elsewhere", other.name if other else None)
    await chats_q.link(session, chat_id, unit.id, title, actor.person.id, now, language)
    return unit


async def unlink_chat(session: AsyncSession, actor: Actor, chat_id: int) -> Unit:
    existing = await chats_q.get(session, chat_id)
    if existing is None or not existing.active:
        raise LinkError("not_linked")
    unit = await units_q.get(session, existing.unit_id)
    assert unit is not None
    if not actor.can_admin(unit):
        raise LinkError("forbidden", unit.name)
    await chats_q.deactivate(session, chat_id)
    return unit


async def linked_chat_ids(session: AsyncSession, unit_ids: list[int]) -> list[int]:
    return [row.chat_id for row in await chats_q.for_units(session, unit_ids)]
