"""What one /log costs the database, counted: statements and transactions of a shortcut and of a
guided answer, the two updates issue 14's CPU targets are about (docs/benchmarks.md). Every
statement is a few hand-offs to the driver's thread and back, and on SQLite every transaction a
``BEGIN IMMEDIATE`` and a commit: a change that adds one shows here, in CI, before a benchmark.

Counted with SQLAlchemy's ``before_cursor_execute`` and ``begin`` events on the engine (SQLite's
``BEGIN IMMEDIATE`` is the begin itself, not counted as a statement). The long poller's own work
(its tasks are named ``phoihop:…``: the batch stored in the inbox, the update marked done) is
counted apart: it is per batch and per round, not per update, but in this one-at-a-time chat
each update is a batch of its own."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import event

from tests.harness import Harness, text_of


@pytest.fixture
async def h(harness: Harness) -> Harness:
    await harness.seed_demo()
    return harness


@dataclass
class Counted:
    statements: list[str] = field(default_factory=list)
    transactions: int = 0
    #: The poller's: (statements, transactions).
    poller: list[int] = field(default_factory=lambda: [0, 0])


def _pollers() -> bool:
    task = asyncio.current_task()
    return task is not None and task.get_name().startswith("phoihop:")


async def counted(h: Harness, action: Awaitable[object]) -> Counted:
    seen = Counted()

    def statement(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        if sql.startswith("BEGIN"):
            return
        if _pollers():
            seen.poller[0] += 1
        else:
            seen.statements.append(" ".join(sql.split())[:60])

    def begin(_conn: Any) -> None:
        if _pollers():
            seen.poller[1] += 1
        else:
            seen.transactions += 1

    engine = h.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "begin", begin)
    try:
        await action
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "begin", begin)
    return seen


async def test_a_shortcut_is_seven_statements_in_one_transaction(h: Harness) -> None:
    """Loading who is talking, in the update's own transaction (storage.db.hold): the person
    with their roles and whether the update was handled before, in one statement. The shortcut: the person's latest entry with its values (is it the same line
    again?), the rollup with its period-lock and exact-sum checks, the entry, its values, its
    history, the update's replay record (6). The note that the reply went out is no statement of
    the update's: it is written with the others of the same second (storage/reply_marks.py).
    It was 15 statements in 3 transactions (BEGINs counted), then 9 in 2 (the lock read apart,
    who is talking in two statements and a transaction of their own)."""
    nam = h.user(1004, "Nam")
    await nam.send("/log hoa_giai 1")  # the first message of the day refreshes the person
    seen = await counted(h, nam.send("/log hoa_giai 2"))
    assert text_of(nam.history()[-1]).startswith("Đã lưu thành mục #2.")
    assert (len(seen.statements), seen.transactions) == (7, 1), seen.statements
    # The poller: the batch stored (one insert), the update marked done (one update).
    assert seen.poller == [2, 2]
    flushed = await counted(h, h.flush_reply_marks())
    assert (len(flushed.statements), flushed.transactions) == (1, 1)


async def test_a_guided_answer_is_five_statements_in_one_transaction(h: Harness) -> None:
    """Loading who is talking (1); the step: the person's flow state, saved with the answer, the
    draft row, the replay record (4). All in the update's one transaction (6 in 2 before)."""
    nam = h.user(1004, "Nam")
    await nam.send("/log")
    await nam.press("Nhà Đại đoàn kết")
    seen = await counted(h, nam.send("2"))
    assert "Sửa chữa (căn)?" in text_of(nam.history()[-1])
    assert (len(seen.statements), seen.transactions) == (5, 1), seen.statements
    assert seen.poller == [2, 2]
