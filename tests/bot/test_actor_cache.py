"""The actor cache (bot/access.py): a hit is exactly as fresh as a rebuild, because it is keyed on
the rows read on every update. A membership revoked by another process takes effect on the very
next update."""

from __future__ import annotations

from sqlalchemy import delete

from bot.access import Actor, ActorCache
from storage.db import Database
from storage.models import Membership, Person
from storage.queries import people as people_q
from tests.harness import Harness, text_of


def _actor(name: str) -> Actor:
    return Actor(person=Person(first_name=name), roles=[])


def test_equal_rows_hit_and_changed_rows_forget() -> None:
    cache = ActorCache(size=2)
    a = _actor("a")
    cache.put(1, [(1, "a")], a)
    assert cache.get(1, [(1, "a")]) is a
    assert cache.get(1, [(1, "a", "new membership")]) is None
    assert len(cache) == 0  # the stale actor is not kept
    assert cache.get(2, []) is None


def test_the_least_recently_used_goes_first() -> None:
    cache = ActorCache(size=2)
    cache.put(1, [(1,)], _actor("1"))
    cache.put(2, [(2,)], _actor("2"))
    assert cache.get(1, [(1,)]) is not None  # 1 is now the most recent
    cache.put(3, [(3,)], _actor("3"))
    assert cache.get(2, [(2,)]) is None
    assert cache.get(1, [(1,)]) is not None and cache.get(3, [(3,)]) is not None


async def test_a_membership_revoked_elsewhere_counts_at_the_next_update(harness: Harness) -> None:
    h = harness
    await h.seed_demo()
    nam = h.user(1004, "Nam")
    await nam.send("/log hoa_giai 1")
    assert text_of((await nam.send("/log hoa_giai 2"))[0]).startswith("Đã lưu thành mục #")
    assert h.services is not None and len(h.services.actors) >= 1  # his actor is cached now
    # The CLI, another process: its own engine on the same database.
    other = Database(h.db.url)
    try:
        async with other.session() as session:
            person = await people_q.by_telegram_id(session, 1004)
            assert person is not None
            await session.execute(delete(Membership).where(Membership.person_id == person.id))
    finally:
        await other.dispose()
    refused = text_of((await nam.send("/log hoa_giai 3"))[0])
    assert not refused.startswith("Đã lưu")
    assert "chưa thuộc đơn vị nào" in refused


async def test_a_refreshed_person_is_cached_with_the_rows_written(harness: Harness) -> None:
    """The first message refreshes the stored profile; the actor built then is cached with the
    rows of that same transaction, so the second message is already a hit."""
    h = harness
    await h.seed_demo()
    nam = h.user(1004, "Nam")
    assert text_of((await nam.send("/log hoa_giai 1"))[0]).startswith("Đã lưu thành mục #")
    assert h.services is not None
    async with h.db.session() as session:
        rows = await people_q.known_rows(session, 1004)
    cached = h.services.actors.get(1004, rows)
    assert cached is not None and cached.person.first_name == "Nam" and cached.person.started
    assert [r.unit.code for r in cached.roles] == ["02365-t1"]
