"""The notes that updates were answered (``handled_updates.replied_at``) are written a second at a
time, in one transaction, and at the latest when the process stops (storage/reply_marks.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, select

from bot.clock import FakeClock
from storage.db import Database
from storage.models import HandledUpdate
from storage.queries import updates as updates_q
from storage.reply_marks import ReplyMarks


class Timers:
    """``loop.call_later`` for a test: remembers what is due, runs it when the test says."""

    def __init__(self) -> None:
        self.due: list[tuple[float, Callable[[], None]]] = []

    def later(self, delay: float, callback: Callable[[], None]) -> Any:
        self.due.append((delay, callback))
        return self  # the handle (``cancel``)

    def cancel(self) -> None:
        self.due.clear()

    def fire(self) -> None:
        due, self.due = self.due, []
        for _, callback in due:
            callback()


async def replied(db: Database) -> dict[int, bool]:
    async with db.session() as session:
        rows = (await session.scalars(select(HandledUpdate))).all()
    return {r.update_id: r.replied_at is not None for r in rows}


async def recorded(db: Database, clock: FakeClock, *update_ids: int) -> None:
    async with db.session() as session:
        for update_id in update_ids:
            await updates_q.mark(session, update_id, f"print-{update_id}", clock.now())


async def test_notes_wait_a_second_and_go_in_one_transaction(
    db: Database, clock: FakeClock
) -> None:
    await recorded(db, clock, 1, 2, 3)
    timers = Timers()
    marks = ReplyMarks(db, delay=1.0, later=timers.later)
    for update_id in (1, 2, 3):
        marks.add(update_id, f"print-{update_id}", clock.now())
    assert [delay for delay, _ in timers.due] == [1.0]  # one timer for the three
    assert await replied(db) == {1: False, 2: False, 3: False}
    begun: list[int] = []
    listener = lambda *_: begun.append(1)  # noqa: E731
    event.listen(db.engine.sync_engine, "begin", listener)
    try:
        timers.fire()
        await asyncio.gather(*marks._flushes)
    finally:
        event.remove(db.engine.sync_engine, "begin", listener)
    assert begun == [1]
    assert await replied(db) == {1: True, 2: True, 3: True}
    # The next note starts the next second's timer.
    marks.add(4, "print-4", clock.now())
    assert len(timers.due) == 1 and marks.waiting == 1


async def test_a_stop_writes_what_waits(db: Database, clock: FakeClock) -> None:
    await recorded(db, clock, 7)
    timers = Timers()
    marks = ReplyMarks(db, delay=1.0, later=timers.later)
    marks.add(7, "print-7", clock.now())
    await marks.close()
    assert await replied(db) == {7: True}
    assert marks.waiting == 0


async def test_a_reused_update_id_keeps_its_own_note(db: Database, clock: FakeClock) -> None:
    """Between the answer and the write another update may have taken the id (a Bot API server
    restored from a backup): its row is not marked answered by the note of the first."""
    await recorded(db, clock, 9)
    marks = ReplyMarks(db, delay=0)
    marks.add(9, "an-older-update", clock.now())
    marks.add(10, "pruned-meanwhile", clock.now() + timedelta(seconds=1))
    assert await marks.flush() == 2
    async with db.session() as session:
        rows = {r.update_id: r for r in (await session.scalars(select(HandledUpdate))).all()}
    assert rows[9].fingerprint == "print-9" and rows[9].replied_at is None
    assert rows[10].fingerprint == "pruned-meanwhile" and rows[10].replied_at is not None


async def test_a_failed_write_is_logged_not_raised(
    db: Database, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """The notes are lost (a replay after a crash then says "I restarted…"), the bot goes on."""
    marks = ReplyMarks(db, delay=0)
    marks.add(11, "print-11", clock.now())

    def refuse(*_: Any) -> None:
        raise RuntimeError("the database is away")

    event.listen(db.engine.sync_engine, "begin", refuse)
    try:
        assert await marks.flush() == 0
    finally:
        event.remove(db.engine.sync_engine, "begin", refuse)
    assert "could not note that 1 updates were answered" in caplog.text
    assert marks.waiting == 0
