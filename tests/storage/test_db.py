"""Sessions on the stock drivers: several open at once in one process, each on its own connection.

On SQLite every transaction takes the write lock at BEGIN (``BEGIN IMMEDIATE``), so concurrent
read-modify-writes never lose an update; the sessions of one process queue first come, first served
(the event loop runs on meanwhile), another process's writer is waited for in the connection's
thread, and either wait fails with "database is locked" only after the busy timeout.
Core statements on the session's connection commit and roll back with the ORM's work, and a
cancelled session gives its connection (and the lock) back.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime

import pytest
from sqlalchemy import insert, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError

from bot.clock import FakeClock
from storage.db import Database, after_commit, connection_of
from storage.models import Activity, ActivityHistory, HandledUpdate, Person
from storage.queries import activities as act_q
from storage.queries import people as people_q
from storage.queries import units as units_q
from storage.queries import updates as updates_q
from tests.harness import Harness, until


async def handled(db: Database, update_id: int, fingerprint: str) -> bool:
    async with db.session() as session:
        return await updates_q.was_handled(session, update_id, fingerprint)


async def test_concurrent_read_modify_writes_lose_no_update(db: Database, clock: FakeClock) -> None:
    """Twenty sessions each read a counter in Python and write it back plus one, all at once."""
    if db.dialect != "sqlite":
        pytest.skip("PostgreSQL at READ COMMITTED needs an atomic UPDATE (ENGINEERING_NOTES)")
    async with db.session() as session:
        person = await people_q.ensure(session, 5151, clock.now())

    async def bump() -> None:
        async with db.session() as s:
            name = await s.scalar(select(Person.first_name).where(Person.id == person.id))
            await asyncio.sleep(0)  # give the others every chance to read the same value
            await s.execute(
                update(Person)
                .where(Person.id == person.id)
                .values(first_name=str(int(name or "0") + 1))
            )

    await asyncio.gather(*(bump() for _ in range(20)))
    async with db.session() as s:
        assert await s.scalar(select(Person.first_name).where(Person.id == person.id)) == "20"


async def test_a_waiting_writer_does_not_hold_the_event_loop(db: Database) -> None:
    """While one session holds SQLite's write lock, another waits for it in its connection's
    thread: the loop keeps serving other work, and the waiter runs once the lock is free."""
    holding, release = asyncio.Event(), asyncio.Event()
    order: list[str] = []

    async def holder() -> None:
        async with db.session() as s:
            await s.execute(text("UPDATE people SET first_name = first_name"))
            holding.set()
            await release.wait()
            order.append("holder")

    async def waiter() -> None:
        async with db.session() as s:
            await s.execute(text("SELECT 1"))
            order.append("waiter")

    first = asyncio.create_task(holder())
    await holding.wait()
    second = asyncio.create_task(waiter())
    ticks = 0
    for _ in range(50):  # the loop is free: these steps run while the waiter waits
        await asyncio.sleep(0)
        ticks += 1
    assert ticks == 50
    if db.dialect == "sqlite":
        assert order == []  # still waiting for the lock
    release.set()
    await asyncio.gather(first, second)
    assert sorted(order) == ["holder", "waiter"]
    if db.dialect == "sqlite":
        assert order == ["holder", "waiter"]


async def test_sessions_of_one_process_take_the_lock_in_arrival_order(db: Database) -> None:
    """SQLite's busy handler alone lets whoever retries at the right instant win (a writer
    waiting since long can starve past its timeout); the process's own queue is first come,
    first served."""
    if db.dialect != "sqlite":
        pytest.skip("PostgreSQL sessions run side by side")
    holding, release = asyncio.Event(), asyncio.Event()
    order: list[int] = []

    async def holder() -> None:
        async with db.session() as s:
            await s.execute(text("SELECT 1"))
            holding.set()
            await release.wait()

    async def writer(n: int) -> None:
        async with db.session() as s:
            await s.execute(text("SELECT 1"))
            order.append(n)

    first = asyncio.create_task(holder())
    await holding.wait()
    tasks = []
    for n in range(6):
        tasks.append(asyncio.create_task(writer(n)))
        for _ in range(5):  # let it reach the queue before the next one starts
            await asyncio.sleep(0)
    release.set()
    await asyncio.gather(first, *tasks)
    assert order == list(range(6))


async def test_an_urgent_session_goes_before_the_ordinary_ones_waiting(db: Database) -> None:
    """The long poller stores each getUpdates batch in an urgent session: it waits for the
    session holding the lock, but not behind the handlers' transactions queued before it (every
    update of its batch waits for it). Among themselves, each kind is first come, first served."""
    if db.dialect != "sqlite":
        pytest.skip("PostgreSQL sessions run side by side")
    holding, release = asyncio.Event(), asyncio.Event()
    order: list[str] = []

    async def holder() -> None:
        async with db.session() as s:
            await s.execute(text("SELECT 1"))
            holding.set()
            await release.wait()
            order.append("holder")

    async def writer(name: str, urgent: bool) -> None:
        async with db.session(urgent=urgent) as s:
            await s.execute(text("SELECT 1"))
            order.append(name)

    first = asyncio.create_task(holder())
    await holding.wait()
    tasks = []
    arrivals = (("a", False), ("b", False), ("store 1", True), ("c", False), ("store 2", True))
    for name, urgent in arrivals:
        tasks.append(asyncio.create_task(writer(name, urgent)))
        for _ in range(5):  # let it reach the queue before the next one starts
            await asyncio.sleep(0)
    release.set()
    await asyncio.gather(first, *tasks)
    assert order == ["holder", "store 1", "store 2", "a", "b", "c"]


async def test_a_session_cancelled_as_the_lock_reaches_it_passes_it_on(db: Database) -> None:
    """A waiter whose turn comes in the same instant as its cancellation (its timeout) gives the
    lock to the next one instead of keeping it: the queue never stalls."""
    if db.dialect != "sqlite":
        pytest.skip("this process's queue for SQLite's lock")
    holding, release = asyncio.Event(), asyncio.Event()
    done: list[str] = []
    waiting: list[asyncio.Task[None]] = []

    async def cancel_the_next() -> None:  # runs right after the holder released the lock
        waiting[0].cancel()

    async def holder() -> None:
        async with db.session() as s:
            await s.execute(text("SELECT 1"))
            after_commit(cancel_the_next)
            holding.set()
            await release.wait()

    async def writer(name: str) -> None:
        async with db.session() as s:
            await s.execute(text("SELECT 1"))
            done.append(name)

    first = asyncio.create_task(holder())
    await holding.wait()
    for name in ("cancelled", "next"):
        waiting.append(asyncio.create_task(writer(name)))
        for _ in range(5):
            await asyncio.sleep(0)
    release.set()
    await first
    with pytest.raises(asyncio.CancelledError):
        await waiting[0]
    await waiting[1]
    async with db.session() as s:  # and free once the last one is done
        await s.execute(text("SELECT 1"))
    assert done == ["next"]


async def test_a_lock_held_past_the_busy_timeout_fails_as_locked(db: Database) -> None:
    if db.dialect != "sqlite":
        pytest.skip("SQLite's file lock")
    quick = Database(db.url, busy_timeout=0.05)
    try:
        async with quick.session() as outer:
            await outer.execute(text("SELECT 1"))  # BEGIN IMMEDIATE: the lock is taken
            with pytest.raises(OperationalError, match="database is locked"):
                async with quick.session() as inner:  # this process's queue
                    await inner.execute(text("SELECT 1"))
            other = Database(db.url, busy_timeout=0.05)  # another process: the file lock
            try:
                with pytest.raises(OperationalError, match="database is locked"):
                    async with other.session() as s:
                        await s.execute(text("SELECT 1"))
            finally:
                await other.dispose()
        async with quick.session() as s:  # the lock was given back
            assert await s.scalar(text("SELECT 1")) == 1
    finally:
        await quick.dispose()


async def test_core_statements_write_what_the_orm_would(harness: Harness) -> None:
    await harness.seed_demo()
    db, now = harness.db, harness.clock.now()
    async with db.session() as session:
        person = await people_q.ensure(session, 31337, now)
        unit = await units_q.by_code(session, "02365-t1")
        assert unit is not None
        fields = {
            "unit_id": unit.id,
            "person_id": person.id,
            "type_key": "hoa_giai",
            "occurred_on": date(2026, 11, 20),
            "note": "thôn 3",
            "photo_file_id": None,
            "source": "test",
            "created_at": now,
            "updated_at": now,
            "version": 1,
        }
        activity_id = await act_q.insert_activity(session, fields)
        await act_q.add_values(session, activity_id, {"cases": 2000, "other": 0})
        await act_q.add_history(
            session, activity_id, person.id, now, "create", None, {"values": {"x": "1"}}
        )
        await updates_q.mark(session, 9, "fp", now)
        assert await act_q.locked(session, unit, date(2026, 11, 20)) is False
    async with db.session() as session:
        activity = await session.get(Activity, activity_id)
        assert activity is not None
        assert activity.occurred_on == date(2026, 11, 20) and activity.note == "thôn 3"
        assert activity.created_at == now and activity.version == 1
        assert await act_q.values_of(session, [activity_id]) == {
            activity_id: {"cases": 2000, "other": 0}
        }
        history = (await session.scalars(select(ActivityHistory))).one()
        assert history.after == {"values": {"x": "1"}} and history.before is None
        assert history.at == now and isinstance(history.at, datetime)
        fetched = await session.get(HandledUpdate, 9)
        assert fetched is not None and fetched.fingerprint == "fp" and fetched.handled_at == now


async def test_core_and_orm_in_one_session_commit_or_roll_back_together(
    db: Database, clock: FakeClock
) -> None:
    now = clock.now()
    async with db.session() as session:
        await updates_q.mark(session, 11, "core", now)
        session.add(Person(telegram_id=777, first_name="Orm", created_at=now))
    async with db.session() as session:
        assert await session.get(HandledUpdate, 11) is not None
        assert await people_q.by_telegram_id(session, 777) is not None

    with pytest.raises(RuntimeError):
        async with db.session() as session:
            await updates_q.mark(session, 12, "core", now)
            session.add(Person(telegram_id=778, first_name="Orm", created_at=now))
            await session.flush()
            raise RuntimeError("a failure after both wrote")
    with pytest.raises(IntegrityError):
        async with db.session() as session:
            await updates_q.mark(session, 10, "kept?", now)
            conn = await connection_of(session)
            await conn.execute(
                insert(HandledUpdate), {"update_id": 10, "fingerprint": "x", "handled_at": now}
            )
    async with db.session() as session:
        assert await session.get(HandledUpdate, 12) is None
        assert await session.get(HandledUpdate, 10) is None
        assert await people_q.by_telegram_id(session, 778) is None


async def test_a_failed_or_cancelled_session_leaves_nothing_open(
    db: Database, clock: FakeClock
) -> None:
    now = clock.now()
    with pytest.raises(ValueError):
        async with db.session() as session:
            await updates_q.mark(session, 13, "refused", now)
            raise ValueError("refused")
    started = asyncio.Event()

    async def stuck() -> None:
        async with db.session() as session:
            await updates_q.mark(session, 14, "cancelled", now)
            started.set()
            await asyncio.Event().wait()  # a reply that never comes

    task = asyncio.create_task(stuck())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with db.session() as session:  # the connection and the write lock were given back
        await updates_q.mark(session, 15, "next", now)
    assert not await handled(db, 13, "refused")
    assert not await handled(db, 14, "cancelled")
    assert await handled(db, 15, "next")
    await until(lambda: db.engine.pool.checkedout() == 0)  # type: ignore[attr-defined]


async def test_known_rows_give_the_person_and_memberships(harness: Harness) -> None:
    await harness.seed_demo()
    async with harness.db.session() as session:
        rows = await people_q.known_rows(session, 1004)
        assert await people_q.known_rows(session, 999_999) == []
    known = people_q.known(rows)
    assert known is not None
    assert known.person.telegram_id == 1004 and known.person.first_name == "Nam"
    assert isinstance(known.person.created_at, datetime)
    assert isinstance(known.person.started, bool)
    assert [(role, unit.code) for role, unit in known.roles] == [("cadre", "02365-t1")]
    assert people_q.known([]) is None


async def test_another_process_writes_are_seen(db: Database, clock: FakeClock) -> None:
    """The CLI (another process, here another engine) commits: the bot's next session sees it."""
    other = Database(db.url)
    try:
        async with other.session() as session:
            await updates_q.mark(session, 77, "fp-77", clock.now())
        assert await handled(db, 77, "fp-77")
        assert not await handled(db, 77, "another update with a reused id")
    finally:
        await other.dispose()
