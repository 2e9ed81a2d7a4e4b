"""``Database.read``: the reads every update starts with, outside any transaction. They must give
what a session gives (typed the same way), see the last commit and nothing uncommitted, and not
wait for a writer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, text

from bot.clock import FakeClock
from storage.db import Database
from storage.models import Person
from storage.queries import people as people_q
from storage.queries import updates as updates_q
from tests.harness import Harness


async def test_a_read_gives_what_a_session_gives(harness: Harness) -> None:
    await harness.seed_demo()
    db = harness.db
    rows = await people_q.known_rows(db, 1004)
    async with db.session() as session:
        expected = [
            tuple(r) for r in (await session.execute(people_q._KNOWN, {"telegram_id": 1004}))
        ]
    assert db.typed_rows(people_q._KNOWN, rows) == expected and rows
    known = people_q.known(db, rows)
    assert known is not None
    assert known.person.telegram_id == 1004 and known.person.first_name == "Nam"
    assert isinstance(known.person.created_at, datetime)
    assert isinstance(known.person.started, bool)
    assert [(role, unit.code) for role, unit in known.roles] == [("cadre", "02365-t1")]
    assert await people_q.known_rows(db, 999_999) == []
    assert people_q.known(db, []) is None


async def test_a_read_sees_the_last_commit_only(db: Database, clock: FakeClock) -> None:
    async with db.session() as session:
        person = await people_q.ensure(session, 4242, clock.now())
        await updates_q.mark(session, 77, "fp-77", clock.now())
    assert await updates_q.was_handled(db, 77, "fp-77")
    assert not await updates_q.was_handled(db, 77, "another update with a reused id")
    if db.dialect == "sqlite":
        # A transaction still open (another task's, waiting on the network) is not seen, and the
        # read does not wait for it: on SQLite it holds the only write lock.
        async with db.session() as session:
            await updates_q.mark(session, 78, "fp-78", clock.now())
            await session.execute(
                text("UPDATE people SET first_name = 'Changed' WHERE id = :id"), {"id": person.id}
            )
            assert not await updates_q.was_handled(db, 78, "fp-78")
            [row] = await people_q.known_rows(db, 4242)
            assert row[list(Person.__table__.c.keys()).index("first_name")] == ""
        assert await updates_q.was_handled(db, 78, "fp-78")
        [row] = await people_q.known_rows(db, 4242)
        assert row[list(Person.__table__.c.keys()).index("first_name")] == "Changed"


async def test_a_read_is_not_blocked_by_another_process_writing(
    db: Database, clock: FakeClock
) -> None:
    """WAL: the CLI (another process, here another engine) holding the write lock does not stop
    the bot from reading."""
    if db.dialect != "sqlite":
        return
    other = Database(db.url)
    try:
        async with other.session() as session:
            await session.execute(select(1))  # BEGIN IMMEDIATE: the write lock is held
            assert await people_q.known_rows(db, 1) == []
    finally:
        await other.dispose()
