"""The bot's send budget shared by every process on PostgreSQL (bot/runtime/send_budget.py).

Two ``SharedBudget`` objects on one database stand for two processes, each with its own
connection pool. What is checked is where the database put each process's slots (on its own
clock) and the order in which requests were let through, not how long anything took; the
slots are real time, so each test takes a second or two.
"""

from __future__ import annotations

import asyncio
import itertools
import logging

import pytest

from bot.runtime.send_budget import SharedBudget
from storage.db import Database
from tests.conftest import POSTGRES_URL

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="PHOIHOP_TEST_POSTGRES_URL is not set"),
    pytest.mark.parametrize("backend", ["postgresql"]),
]


def slots(*budgets: SharedBudget) -> list[float]:
    """Every slot booked by these budgets, on the database's clock, in order."""
    return sorted(
        b.first + i * budget.interval
        for budget in budgets
        for b in budget.bookings
        for i in range(b.count)
    )


async def test_two_processes_share_one_rate(db: Database) -> None:
    """Each process sends 20 messages at once; the database spaces all 40 at 1/rate, as if one
    process sent them (with a limiter per process the bot would send twice the rate)."""
    other = Database(db.url)  # the second process: its own pool
    first, second = (SharedBudget(d, rate=50, burst=0.1) for d in (db, other))
    try:
        granted: list[str] = []

        async def send(budget: SharedBudget, who: str) -> None:
            await budget.acquire(bulk=False)
            granted.append(who)

        await asyncio.gather(
            *(send(first, "a") for _ in range(20)), *(send(second, "b") for _ in range(20))
        )
        booked = slots(first, second)
        assert len(booked) >= 40
        gaps = [later - earlier for earlier, later in itertools.pairwise(booked)]
        assert min(gaps) >= first.interval * 0.999, gaps
        # A few slots per round trip, not one each.
        assert first.round_trips + second.round_trips <= 30
        assert sorted(set(granted)) == ["a", "b"]
    finally:
        await first.close()
        await second.close()
        await other.dispose()


async def test_replies_go_before_notices_waiting_in_the_same_process(db: Database) -> None:
    budget = SharedBudget(db, rate=10, burst=0.0)
    order: list[str] = []
    first = asyncio.Event()

    async def send(kind: str, bulk: bool) -> None:
        await budget.acquire(bulk=bulk)
        order.append(kind)
        first.set()

    try:
        notices = [asyncio.create_task(send(f"notice {i}", True)) for i in range(4)]
        await first.wait()
        replies = [asyncio.create_task(send(f"reply {i}", False)) for i in range(2)]
        await asyncio.gather(*notices, *replies)
    finally:
        await budget.close()
    assert order == ["notice 0", "reply 0", "reply 1", "notice 1", "notice 2", "notice 3"]


async def test_notices_of_one_process_give_way_to_replies_of_another(db: Database) -> None:
    """The scheduler's process sends a fan-out (bulk); another process's replies are booked
    ahead of it: the fan-out books only while no reply is booked ahead."""
    other = Database(db.url)
    leader, worker = SharedBudget(db, rate=4, burst=0.0), SharedBudget(other, rate=4, burst=0.0)
    order: list[str] = []
    first = asyncio.Event()

    async def send(budget: SharedBudget, kind: str, bulk: bool) -> None:
        await budget.acquire(bulk=bulk)
        order.append(kind)
        first.set()

    try:
        fan_out = [asyncio.create_task(send(leader, "notice", True)) for _ in range(6)]
        await first.wait()
        await asyncio.gather(*(send(worker, "reply", False) for _ in range(3)))
        await asyncio.gather(*fan_out)
    finally:
        await leader.close()
        await worker.close()
        await other.dispose()
    # At most the notice already booked when the replies came goes between them and the first.
    assert order.index("reply") <= 2 and order[: order.index("reply") + 3].count("reply") == 3, (
        order
    )
    gaps = [b - a for a, b in itertools.pairwise(slots(leader, worker))]
    assert min(gaps) >= leader.interval * 0.999


async def test_an_unreachable_database_leaves_the_process_pacing_alone(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    gone = Database("postgresql+asyncpg://postgres@127.0.0.1:9/none")
    budget = SharedBudget(gone, rate=50)
    try:
        await asyncio.wait_for(
            asyncio.gather(*(budget.acquire(bulk=False) for _ in range(3))), timeout=30
        )
    finally:
        await budget.close()
        await gone.dispose()
    warned = [r.getMessage() for r in caplog.records if "send budget" in r.getMessage()]
    assert len(warned) == 1 and "pacing this process alone" in warned[0]
