"""Exactly one process runs the scheduled jobs (a PostgreSQL advisory lock), another takes over when
the leader's connection dies, and outbox claims skip rows another dispatcher has locked."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import text
from telegram.ext import ApplicationBuilder

from bot.clock import FakeClock
from bot.notifications import Dispatcher, Notice, enqueue
from bot.runtime.scheduler import JobSpec, Scheduler
from storage.db import Database
from storage.locks import LeaderLock
from storage.queries import outbox as outbox_q


async def _noop(context: object) -> None:
    return None


@pytest.fixture
async def schedulers(db: Database) -> AsyncIterator[list[Scheduler]]:
    """Two "processes": each an Application's real JobQueue (not started: jobs only listed)."""
    made: list[Scheduler] = []
    for n in range(2):
        app = ApplicationBuilder().token("123:abcdefghijklmnopqrstuvwxyz").build()
        assert app.job_queue is not None
        made.append(
            Scheduler(
                app.job_queue,
                LeaderLock(db, name=f"phoihop test {n}"),
                [JobSpec("outbox", _noop, interval=1, first=1)],
                retry=3600,  # the tests ask with check(), the background loop stays idle
            )
        )
    try:
        yield made
    finally:
        for scheduler in made:
            await scheduler.stop()


def job_names(scheduler: Scheduler) -> list[str]:
    return [job.name or "" for job in scheduler.job_queue.jobs()]


async def test_sqlite_has_one_process_which_just_runs_the_jobs(
    db: Database, schedulers: list[Scheduler]
) -> None:
    if db.dialect != "sqlite":
        pytest.skip("SQLite only")
    first = schedulers[0]
    await first.start()
    assert first.leading and job_names(first) == ["outbox"]
    await first.stop()
    assert not first.leading and job_names(first) == []


async def test_one_leader_and_a_takeover_when_its_connection_dies(
    db: Database, schedulers: list[Scheduler]
) -> None:
    if db.dialect != "postgresql":
        pytest.skip("PostgreSQL only")
    first, second = schedulers
    await first.start()
    await second.start()
    assert first.leading and job_names(first) == ["outbox"]
    assert not second.leading and job_names(second) == []
    assert not await second.check()  # asking again changes nothing

    # The leader's process dies: PostgreSQL ends its connection, and the lock goes with it.
    # pg_terminate_backend alone only signals the backend; with a timeout (PostgreSQL 14+) it
    # returns once the backend has exited, so its advisory lock is really gone when we ask.
    async with db.engine.connect() as conn:
        killed = await conn.scalar(
            text(
                "SELECT count(pg_terminate_backend(pid, 10000)) FROM pg_stat_activity "
                "WHERE application_name = :name"
            ),
            {"name": first.lock.name},
        )
    assert killed == 1
    assert await second.check()
    assert job_names(second) == ["outbox"]
    assert not await first.check()  # had it survived, it would stop its jobs at its next check
    assert job_names(first) == []

    # A clean stop hands over at once.
    await second.stop()
    assert await first.check()


class RecordingSender:
    def __init__(self) -> None:
        self.sent: list[int] = []

    async def send(self, chat_id: int, notice: Notice) -> int:
        await asyncio.sleep(0)  # let the other dispatchers run in between
        self.sent.append(chat_id)
        return len(self.sent)

    def parts(self, notice: Notice) -> int:
        return 1


async def render(kind: str, params: dict[str, object], chat_id: int) -> Notice:
    return Notice(text=str(params["n"]))


async def test_outbox_claims_skip_locked_rows_and_three_dispatchers_never_double(
    db: Database, clock: FakeClock
) -> None:
    if db.dialect != "postgresql":
        pytest.skip("FOR UPDATE SKIP LOCKED is PostgreSQL's; SQLite has one writer at a time")
    async with db.session() as session:
        for n in range(60):
            await enqueue(
                session,
                key=f"k{n}",
                chat_id=5000 + n,
                kind="x",
                params={"n": n},
                now=clock.now(),
            )
    sender = RecordingSender()
    # One dispatcher has claimed ten rows and has not committed yet: the others skip those rows
    # instead of waiting for them (without SKIP LOCKED this would block until the timeout).
    async with db.session() as session:
        held = await outbox_q.claim(
            session, clock.now(), limit=10, worker="slow:1", lease=timedelta(minutes=2)
        )
        other = Dispatcher(db, clock, sender, render, batch=100, worker="quick:2")
        async with asyncio.timeout(10):
            report = await other.run_once()
        assert report.sent > 0 and len(held) == 10
        assert not {r.chat_id for r in held} & set(sender.sent)
    # The slow one died after its claim; after the lease, three dispatchers with small batches race
    # until everything is out.
    clock.advance(timedelta(minutes=3))
    dispatchers = [
        Dispatcher(db, clock, sender, render, batch=3, worker=f"w:{n}") for n in range(3)
    ]

    async def drain(dispatcher: Dispatcher) -> None:
        while (await dispatcher.run_once()).sent:
            pass

    await asyncio.gather(*(drain(d) for d in dispatchers))
    assert sorted(sender.sent) == [5000 + n for n in range(60)]  # each exactly once
    async with db.session() as session:
        assert await outbox_q.counts(session) == {"sent": 60}


async def test_stopping_while_a_self_scheduling_job_runs_stops_cleanly(db: Database) -> None:
    """SIGTERM while the outbox job is sending: APScheduler has already dropped a fired one-off
    job, and stopping used to raise JobLookupError there, skipping the rest of the shutdown."""
    running, finish = asyncio.Event(), asyncio.Event()

    async def outbox(context: object) -> None:
        running.set()
        await finish.wait()

    app = ApplicationBuilder().token("123:abcdefghijklmnopqrstuvwxyz").build()
    assert app.job_queue is not None
    scheduler = Scheduler(
        app.job_queue,
        LeaderLock(db, name="phoihop test stop"),
        [JobSpec("outbox", outbox, interval=1, first=0, repeat=False)],
        retry=3600,
    )
    await app.job_queue.start()  # the real scheduler, without a Bot API (no initialize)
    try:
        await scheduler.start()
        await asyncio.wait_for(running.wait(), 10)
        await scheduler.stop()  # the job is mid-run: nothing left to unschedule, no error
        assert job_names(scheduler) == []
    finally:
        finish.set()
        await app.job_queue.stop(wait=True)
