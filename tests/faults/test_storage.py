"""The SQLite file under pressure: another writer holding the lock, and the disk filling up.

Both use the real bot and a real SQLite file; "disk full" is SQLite's own SQLITE_FULL, produced by
capping the file with ``PRAGMA max_page_count`` on the bot's connections (no real disk is filled).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import event, select

from bot.clock import FakeClock
from storage.db import Database
from storage.models import Activity, LogDraft
from tests.harness import Harness, text_of


@pytest.fixture
def backend() -> str:
    """SQLite only: these faults are the SQLite file's."""
    return "sqlite"


BUSY = "Tôi đang rất bận nên chưa lưu được. Bạn gửi lại sau giây lát nhé; bản nháp vẫn được giữ."
FULL = (
    "Hiện tôi không lưu được gì: máy chủ đã hết chỗ trống. Bạn thử lại sau nhé; mọi thứ đã lưu "
    "trước đó vẫn an toàn."
)


def sqlite_path(db: Database) -> str:
    return db.url.split("///", 1)[1]


@pytest.fixture
async def h(db: Database, clock: FakeClock) -> AsyncIterator[Harness]:
    async with Harness(db, clock) as harness:
        await harness.seed_demo()
        yield harness


class Writer:
    """Another process's write transaction on the same file (a CLI command, a second bot)."""

    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute("UPDATE people SET last_seen_at = last_seen_at")

    def release_after(self, seconds: float) -> threading.Timer:
        timer = threading.Timer(seconds, self.release)
        timer.start()
        return timer

    def release(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("COMMIT")
        self.conn.close()


async def draft_of(h: Harness, person_telegram_id: int) -> dict[str, Any] | None:
    from storage.queries import people as people_q

    async with h.db.session() as session:
        person = await people_q.by_telegram_id(session, person_telegram_id)
        assert person is not None
        row = await session.get(LogDraft, person.id)
        return dict(row.data) if row is not None else None


async def test_the_bot_waits_for_another_writer(h: Harness) -> None:
    """Protection: busy_timeout (PHOIHOP_DB_BUSY_TIMEOUT) plus BEGIN IMMEDIATE: the bot waits for a
    writer holding the lock instead of failing with "database is locked"; the answer is kept."""
    nam = h.user(1004, "Nam")
    await nam.send("/log")
    await nam.press("Nhà Đại đoàn kết")
    writer = Writer(sqlite_path(h.db))
    timer = writer.release_after(1.0)
    try:
        replies = await nam.send("2")
    finally:
        timer.join()
    assert "Sửa chữa (căn)?" in text_of(replies[0])
    draft = await draft_of(h, 1004)
    assert draft is not None and draft["values"] == {"built": "2"}


async def test_the_shortcut_waits_for_another_writer_too(h: Harness) -> None:
    """The shortcut (Core statements on the session's connection) waits for another process's
    lock the same way, and saves once."""
    nam = h.user(1004, "Nam")
    writer = Writer(sqlite_path(h.db))
    timer = writer.release_after(1.0)
    try:
        replies = await nam.send("/log hoa_giai 2")
    finally:
        timer.join()
    assert text_of(replies[0]).startswith("Đã lưu thành mục #")
    async with h.db.session() as session:
        assert len((await session.scalars(select(Activity))).all()) == 1


async def test_a_lock_held_too_long_asks_to_try_again_and_keeps_the_draft(
    db: Database, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """Protection: when the lock outlasts the busy timeout the error handler recognises "database
    is locked", logs one clear line and asks the user, in their language, to send it again; the
    draft is untouched and the same answer works once the lock is gone."""
    quick = Database(db.url, busy_timeout=0.2)
    try:
        async with Harness(quick, clock) as h:
            await h.seed_demo()
            nam = h.user(1004, "Nam")
            await nam.send("/log")
            await nam.press("Nhà Đại đoàn kết")
            before = await draft_of(h, 1004)
            writer = Writer(sqlite_path(quick))
            try:
                replies = await nam.send("2")
            finally:
                writer.release()
            assert [r.text for r in replies] == [BUSY]
            assert any("stayed locked" in r.getMessage() for r in caplog.records)
            assert (await draft_of(h, 1004)) == before and before is not None
            assert before["type"] == "nha_dai_doan_ket" and not before.get("values")
            assert "Sửa chữa (căn)?" in text_of((await nam.send("2"))[0])
    finally:
        await quick.dispose()


async def test_disk_full_is_reported_and_the_database_stays_sound(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """Protection: SQLITE_FULL inside a transaction rolls it back whole (the file stays consistent);
    the error handler logs one "DISK FULL" line and tells the user to try later; once space is
    back the same input works."""
    caplog.set_level(logging.INFO)
    nam = h.user(1004, "Nam")
    await nam.send("/log")
    await nam.press("Nhà Đại đoàn kết")
    await nam.send("2")
    await nam.press("0 — không có")
    await nam.send("120tr")
    assert "Ghi chú ngắn" in text_of((await nam.press("Hôm qua"))[-1])
    before = await draft_of(h, 1004)
    path = sqlite_path(h.db)
    full = {"on": True}

    def cap(dbapi_connection: Any, _record: Any) -> None:
        if full["on"]:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA page_count")
            pages = cursor.fetchone()[0]
            cursor.execute(f"PRAGMA max_page_count = {pages}")
            cursor.close()

    await h.db.engine.dispose()
    with sqlite3.connect(path) as conn:  # no free pages left: any growth needs a new page
        conn.execute("VACUUM")
    event.listen(h.db.engine.sync_engine, "connect", cap)
    note = "ệ" * 1000  # stored as JSON escapes: several pages of overflow
    replies = await nam.send(note)
    assert [r.text for r in replies] == [FULL]
    assert any("DISK FULL" in r.getMessage() for r in caplog.records)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert (await draft_of(h, 1004)) == before

    full["on"] = False  # space is back
    await h.db.engine.dispose()
    assert "Gửi một ảnh" in text_of((await nam.send(note))[0])
    await nam.send("/skip")
    assert text_of((await nam.press("Lưu"))[-1]).startswith("Đã lưu thành mục #1.")
    async with h.db.session() as session:
        saved = (await session.scalars(select(Activity))).all()
    assert len(saved) == 1 and saved[0].note == note


async def test_the_busy_answer_speaks_the_senders_language_before_they_are_known(
    db: Database, clock: FakeClock
) -> None:
    """Protection: a locked database fails first where the bot loads who is talking, so the error
    handler has no person yet; it answers in the language Telegram says the sender uses
    (handlers/errors.py), not the deployment's default."""
    quick = Database(db.url, busy_timeout=0.2)
    try:
        async with Harness(quick, clock) as h:
            await h.seed_demo()
            anna = h.user(1011, "Anna", language_code="en")
            writer = Writer(sqlite_path(quick))
            try:
                replies = await anna.send("/help")
            finally:
                writer.release()
            assert [r.text for r in replies] == [
                "I am very busy right now and could not save that. Please send it again in a "
                "moment; your draft is kept."
            ]
            assert text_of((await anna.send("/help"))[0]).startswith("What you can do:")
    finally:
        await quick.dispose()
