"""Sessions on SQLite take turns in the process: concurrent transactions never meet SQLite's busy
handler, a nested session still fails the way SQLite would instead of hanging, and urgent sessions
(the outbox's outcome writes) go before the ordinary ones waiting."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

import storage.db
from storage.db import Database, Turns
from tests.harness import until


async def test_concurrent_sessions_take_turns(db: Database) -> None:
    if db.dialect != "sqlite":
        pytest.skip("PostgreSQL sessions run side by side")
    inside = 0
    most = 0

    async def bump(n: int) -> None:
        nonlocal inside, most
        async with db.session() as s:
            inside += 1
            most = max(most, inside)
            await s.execute(text("SELECT 1"))
            await asyncio.sleep(0)  # give the others every chance to barge in
            inside -= 1

    await asyncio.gather(*(bump(n) for n in range(20)))
    assert most == 1


async def test_a_nested_session_fails_like_a_locked_database(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    if db.dialect != "sqlite":
        pytest.skip("PostgreSQL sessions do not take turns")
    monkeypatch.setattr(storage.db, "SQLITE_TURN_TIMEOUT", 0.05)
    async with db.session():
        with pytest.raises(OperationalError, match="database is locked"):
            async with db.session():
                pass
    async with db.session() as s:  # the turn was given back
        assert await s.scalar(text("SELECT 1")) == 1


async def test_urgent_sessions_go_before_waiting_ordinary_ones(db: Database) -> None:
    """The outbox's outcome writes (mark_sent) are urgent: they must not queue behind renders."""
    if db.dialect != "sqlite":
        pytest.skip("PostgreSQL sessions do not take turns")
    order: list[str] = []
    holding, release = asyncio.Event(), asyncio.Event()

    async def holder() -> None:
        async with db.session():
            holding.set()
            await release.wait()

    async def one(name: str, urgent: bool) -> None:
        async with db.session(urgent=urgent) as s:
            await s.execute(text("SELECT 1"))
            order.append(name)

    first = asyncio.create_task(holder())
    await holding.wait()
    tasks = []
    for name, urgent in (
        ("render 1", False),
        ("render 2", False),
        ("sent 1", True),
        ("render 3", False),
        ("sent 2", True),
    ):
        tasks.append(asyncio.create_task(one(name, urgent)))
        await until(lambda: db.turns().waiting == len(tasks))  # queued in this order
    release.set()
    await asyncio.gather(first, *tasks)
    assert order == ["sent 1", "sent 2", "render 1", "render 2", "render 3"]


async def test_a_waiter_cancelled_in_the_queue_does_not_stall_the_others() -> None:
    turns = Turns()
    await turns.acquire()
    gone = asyncio.create_task(turns.acquire(urgent=True))
    nxt = asyncio.create_task(turns.acquire())
    await until(lambda: turns.waiting == 2)
    gone.cancel()
    await until(gone.done)
    turns.release()
    await nxt  # the turn went to the ordinary waiter, past the cancelled urgent one
    # Handed the turn and cancelled before it ran: the turn is passed on, not kept.
    late = asyncio.create_task(turns.acquire())
    last = asyncio.create_task(turns.acquire())
    await until(lambda: turns.waiting == 2)
    turns.release()  # to ``late``, which is cancelled before it resumes
    late.cancel()
    await last
    turns.release()
    await turns.acquire()  # free again: taken at once
    turns.release()
