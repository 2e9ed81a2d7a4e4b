"""Chats that stop accepting the bot. Blocking users and migrated groups are covered in
tests/bot/test_outbox.py and tests/handlers/test_groups.py; this file adds a deleted group."""

from __future__ import annotations

from sqlalchemy import select

from bot.notifications import enqueue
from storage.models import LinkedChat, OutboxMessage
from storage.queries import chats as chats_q
from storage.queries import units as units_q
from tests.bot.test_outbox import render_test  # noqa: F401 - registers the "test_note" kind
from tests.harness import Harness


async def test_deleted_group_is_unlinked_and_not_retried(harness: Harness) -> None:
    """Protection: "chat not found" from Telegram marks the notice dead (never retried) and
    deactivates the linked chat, so digests and notices stop being queued for it."""
    h = harness
    await h.seed_demo()
    lan = h.user(1002, "Lan")
    group = h.emu.group(-4002, "Ban Công tác Mặt trận")
    await group.add_bot(lan)
    async with h.db.session() as session:
        commune = await units_q.by_code(session, "02365")
        assert commune is not None
        await chats_q.link(session, -4002, commune.id, "Ban Công tác", 1, h.clock.now(), "vi")
        for key in ("a", "b"):
            await enqueue(
                session,
                key=key,
                chat_id=-4002,
                kind="test_note",
                params={"vi": key, "en": key},
                now=h.clock.now(),
            )
    h.emu.delete_group(-4002)
    first = await h.dispatch()
    second = await h.dispatch()
    assert first.dead == 1 and second.dead == 1 and first.retried == second.retried == 0
    h.clock.advance(hours=2)
    assert (await h.dispatch()).sent == 0
    async with h.db.session() as session:
        row = await session.get(LinkedChat, -4002)
        statuses = {r.key: r.status for r in await session.scalars(select(OutboxMessage))}
        linked = await chats_q.for_units(session, [commune.id])
    assert row is not None and not row.active and linked == []
    assert statuses == {"a": "dead", "b": "dead"}
