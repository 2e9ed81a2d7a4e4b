"""SIGKILL of ``phoihop run`` at any point: nothing lost, nothing doubled after the restart.

The bot runs as a real process polling the emulator over HTTP, on a SQLite file; it is killed
with SIGKILL (no clean-up runs) and started again on the same database.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.demo import Demo, DemoPerson, seed_demo_round
from bot.emulator import BotApiEmulator
from bot.notifications import enqueue
from storage.db import Database
from storage.models import Activity, ActivityValue, HandledUpdate, OutboxMessage, ReportAnswer
from tests.faults.botproc import TZ_NAME, BotProcess, demo_database
from tests.harness import text_of


async def entries(url: str) -> list[dict[str, int]]:
    db = Database(url)
    try:
        async with db.session() as session:
            activities = (await session.scalars(select(Activity).order_by(Activity.id))).all()
            values = (await session.scalars(select(ActivityValue))).all()
    finally:
        await db.dispose()
    return [
        {v.measure_key: v.value_milli for v in values if v.activity_id == a.id} for a in activities
    ]


async def finish_entry(emu: BotApiEmulator) -> None:
    nam = emu.user(1004, "Nam", language_code="vi")
    assert "Ngày diễn ra?" in text_of((await nam.send("120tr"))[0])
    assert "Ghi chú ngắn" in text_of((await nam.press("Hôm qua"))[-1])
    assert "Gửi một ảnh" in text_of((await nam.send("/skip"))[0])
    assert text_of((await nam.send("/skip"))[0]).startswith("Kiểm tra rồi lưu:")
    assert text_of((await nam.press("Lưu"))[-1]).startswith("Đã lưu thành mục #1.")


async def test_log_flow_resumes_after_sigkill_between_steps(tmp_path: Path) -> None:
    """Protection: every step of /log is written to the database when it is taken (draft and
    chat state rows), not kept in process memory or PTB's periodic persistence."""
    url = await demo_database(tmp_path / "kill.db")
    async with BotApiEmulator() as emu:
        bot = BotProcess(emu, url, tmp_path)
        await bot.start()
        try:
            nam = emu.user(1004, "Nam", language_code="vi")
            await nam.send("/log")
            await nam.press("Nhà Đại đoàn kết")
            assert "Sửa chữa (căn)?" in text_of((await nam.send("2"))[0])
            await bot.kill()
            await bot.start()
            assert "Giá trị (đồng)?" in text_of((await nam.send("0"))[0])
            await finish_entry(emu)
        finally:
            await bot.stop()
    assert await entries(url) == [{"built": 2000, "repaired": 0, "value": 120_000_000_000}]


async def test_update_in_flight_at_sigkill_is_handled_once(tmp_path: Path) -> None:
    """Protection: the bot confirms an update to the Bot API only after handling it (bot/runtime/polling.py),
    so the answer being handled when the process died arrives again; and the replay guard
    (handlers/replay.py) sees its effect was committed, so it is not applied a second time (the
    "2" for "built" must not also become the answer to "repaired"). The user is told, and gets the
    question the crash swallowed."""
    url = await demo_database(tmp_path / "kill.db")
    async with BotApiEmulator() as emu:
        bot = BotProcess(emu, url, tmp_path)
        await bot.start()
        try:
            nam = emu.user(1004, "Nam", language_code="vi")
            await nam.send("/log")
            await nam.press("Nhà Đại đoàn kết")
            before = len(nam.history())
            emu.hold_next("sendMessage")  # the answer is saved, the reply is on its way...
            # Its confirmation waits for a restart: 12 s on a 2-core VM loaded by other work.
            emu.deliver_timeout = 60.0
            answer = asyncio.create_task(nam.send("2"))
            await emu.wait_for(lambda: emu.held.get("sendmessage", 0) == 1, timeout=30)
            await bot.kill()  # ... and the process dies
            await bot.start()
            await asyncio.wait_for(answer, timeout=30)
            texts = [m.text or "" for m in nam.history()[before:]]
            assert texts[0].startswith("Tôi vừa khởi động lại"), texts
            assert "Sửa chữa (căn)?" in texts[1] and len(texts) == 2, texts
            assert "Giá trị (đồng)?" in text_of((await nam.send("0"))[0])
            await finish_entry(emu)
        finally:
            await bot.stop()
    assert await entries(url) == [{"built": 2000, "repaired": 0, "value": 120_000_000_000}]


async def replied_updates(url: str) -> int:
    db = Database(url)
    try:
        async with db.session() as session:
            rows = (await session.scalars(select(HandledUpdate))).all()
    finally:
        await db.dispose()
    return sum(r.replied_at is not None for r in rows)


def crash_before_the_done_mark(url: str) -> None:
    """Make the killed process's last stored update unfinished in its inbox, as if the kill came
    between the reply and the inbox's done mark (bot/runtime/inbox.py writes it right after the
    update is handled: too short a window to hit with a signal): the restart runs it again."""
    path = url.split("///", 1)[1]
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        conn.execute(
            "UPDATE inbox SET done_at = NULL WHERE update_id = (SELECT max(update_id) FROM inbox)"
        )


async def test_a_replayed_update_whose_reply_was_sent_stays_silent(tmp_path: Path) -> None:
    """Protection: once an update's replies are out, its ``handled_updates`` row says so
    (``replied_at``, handlers/delivery.py; written with the other notes of the same second,
    storage/reply_marks.py). A process killed after that and before confirming the update gets
    it again after the restart and says nothing: no "I restarted…" to a person who has their
    answer, and the question is not asked twice."""
    url = await demo_database(tmp_path / "kill.db")
    async with BotApiEmulator() as emu:
        bot = BotProcess(emu, url, tmp_path)
        await bot.start()
        try:
            nam = emu.user(1004, "Nam", language_code="vi")
            await nam.send("/log")
            await nam.press("Nhà Đại đoàn kết")
            before, answered = len(nam.history()), await replied_updates(url)
            # The next getUpdates, which would confirm the answer to Telegram, never gets through.
            emu.hold_next("getUpdates")
            # Its confirmation waits for a restart: 12 s on a 2-core VM loaded by other work.
            emu.deliver_timeout = 60.0
            answer = asyncio.create_task(nam.send("2"))
            await emu.wait_for(lambda: len(nam.history()) > before, timeout=30)
            for _ in range(150):  # the reply is out; wait for the note that says so (~1 s)
                if await replied_updates(url) > answered:
                    break
                await asyncio.sleep(0.1)
            await bot.kill()  # ... before the update was marked done: it runs again
            crash_before_the_done_mark(url)
            await bot.start()
            await asyncio.wait_for(answer, timeout=30)
            texts = [m.text or "" for m in nam.history()[before:]]
            assert len(texts) == 1 and "Sửa chữa (căn)?" in texts[0], texts
            assert "Giá trị (đồng)?" in text_of((await nam.send("0"))[0])
            await finish_entry(emu)
        finally:
            await bot.stop()
    assert await entries(url) == [{"built": 2000, "repaired": 0, "value": 120_000_000_000}]


async def test_a_sigkill_before_the_replied_note_is_written_says_it_restarted(
    tmp_path: Path,
) -> None:
    """Protection, and the price of writing the notes a second at a time: the note of an update
    answered just before a SIGKILL was not written yet (here the process would wait an hour), so
    the replay is not applied again but says "I restarted…" and shows the step, as every replay
    did before the note existed. Nothing is lost or doubled."""
    url = await demo_database(tmp_path / "kill.db")
    async with BotApiEmulator() as emu:
        bot = BotProcess(emu, url, tmp_path, reply_marks_delay="3600")
        await bot.start()
        try:
            nam = emu.user(1004, "Nam", language_code="vi")
            await nam.send("/log")
            await nam.press("Nhà Đại đoàn kết")
            before = len(nam.history())
            emu.hold_next("getUpdates")  # the answer is never confirmed to Telegram
            # Its confirmation waits for a restart: 12 s on a 2-core VM loaded by other work.
            emu.deliver_timeout = 60.0
            answer = asyncio.create_task(nam.send("2"))
            await emu.wait_for(lambda: len(nam.history()) > before, timeout=30)
            assert await replied_updates(url) == 0  # the notes wait in the process
            await bot.kill()
            crash_before_the_done_mark(url)
            await bot.start()
            await asyncio.wait_for(answer, timeout=30)
            texts = [m.text or "" for m in nam.history()[before:]]
            assert "Sửa chữa (căn)?" in texts[0], texts
            assert texts[1].startswith("Tôi vừa khởi động lại"), texts
            assert "Sửa chữa (căn)?" in texts[2] and len(texts) == 3, texts
            assert "Giá trị (đồng)?" in text_of((await nam.send("0"))[0])
            await finish_entry(emu)
        finally:
            await bot.stop()
    assert await entries(url) == [{"built": 2000, "repaired": 0, "value": 120_000_000_000}]


async def test_a_stopping_process_writes_the_replied_notes(tmp_path: Path) -> None:
    """Protection: SIGTERM (a deploy, ``systemctl stop``) loses no note: the process writes the
    notes still waiting once its last update is handled."""
    url = await demo_database(tmp_path / "kill.db")
    async with BotApiEmulator() as emu:
        bot = BotProcess(emu, url, tmp_path, reply_marks_delay="3600")
        await bot.start()
        try:
            nam = emu.user(1004, "Nam", language_code="vi")
            await nam.send("/log")
            await nam.press("Nhà Đại đoàn kết")
            assert await replied_updates(url) == 0
        finally:
            await bot.stop()
    assert await replied_updates(url) == 2


async def test_report_draft_survives_sigkill(tmp_path: Path) -> None:
    """Protection: each report answer is stored the moment it is given, and the flow's position is
    a database row, so a killed bot asks the next unanswered question after the restart."""
    url = await demo_database(tmp_path / "kill.db", with_round=True)
    async with BotApiEmulator() as emu:
        bot = BotProcess(emu, url, tmp_path)
        await bot.start()
        try:
            nam = emu.user(1004, "Nam", language_code="vi")
            # The thôn's report (its Ban Công tác Mặt trận's), not the commune's.
            first = (await nam.send("/report"))[-1].text or ""
            assert "Ban Công tác Mặt trận có họp định kỳ" in first, first
            asked = (await nam.press("Có"))[-1].text or ""
            assert "Số cuộc họp của Ban Công tác Mặt trận" in asked, asked
            await bot.kill()
            await bot.start()
            again = (await nam.send("/report"))[-1].text or ""
            # where it stopped, not the first question
            assert "Số cuộc họp của Ban Công tác Mặt trận" in again, again
            nxt = (await nam.send("3"))[-1].text or ""
            assert "tuyên truyền" in nxt, nxt
        finally:
            await bot.stop()
    db = Database(url)
    async with db.session() as session:
        answers = {a.question_key: a.value for a in (await session.scalars(select(ReportAnswer)))}
    await db.dispose()
    assert answers["committee_meetings"] == {"v": 3} and "committee_met" in answers, answers


async def outbox_rows(url: str) -> list[OutboxMessage]:
    db = Database(url)
    try:
        async with db.session() as session:
            return list((await session.scalars(select(OutboxMessage))).all())
    finally:
        await db.dispose()


async def test_outbox_send_in_flight_at_sigkill_is_sent_once(tmp_path: Path) -> None:
    """Protection: outbox rows are marked sent only after Telegram accepted them, and a process
    that starts sending takes over the claims of the one that died (``Dispatcher.take_over``):
    the notice whose send died with the process is sent at once by the next process — not after
    the two-minute lease, which this test does not wait for — and notices already sent are not
    sent again."""
    url = await demo_database(tmp_path / "kill.db")
    async with BotApiEmulator() as emu:
        bot = BotProcess(emu, url, tmp_path)
        await bot.start()
        try:
            for uid in range(1001, 1013):
                await emu.user(uid, f"U{uid}", language_code="vi").send("/start")
            db = Database(url)
            lan = DemoPerson(1002, "Lan", "Nguyễn Thị", "vi", "02365", "admin")
            demo = Demo(province=None, people=[lan])  # type: ignore[arg-type]
            async with db.session() as session:  # a leader opens a round: Nam is told
                await seed_demo_round(session, demo, datetime.now(UTC), ZoneInfo(TZ_NAME))
            await emu.wait_for(lambda: round_notices(emu, 1004) == 1, timeout=30)
            [first] = await outbox_rows(url)
            emu.hold_next("sendMessage")
            async with db.session() as session:  # the same notice for Hoa: its send will hang
                await enqueue(
                    session,
                    key="again:1005",
                    chat_id=1005,
                    kind=first.kind,
                    params=first.params,
                    now=datetime.now(UTC),
                )
            await db.dispose()
            await emu.wait_for(lambda: emu.held.get("sendmessage", 0) == 1, timeout=30)
            await bot.kill()
            await bot.start()
            for _ in range(100):
                rows = await outbox_rows(url)
                if rows and all(r.status == "sent" for r in rows):
                    break
                await asyncio.sleep(0.2)
        finally:
            await bot.stop()
    rows = await outbox_rows(url)
    assert len(rows) == 2 and {r.status for r in rows} == {"sent"}, [
        (r.key, r.status) for r in rows
    ]
    assert round_notices(emu, 1004) == 1 and round_notices(emu, 1005) == 1


async def test_a_sigkill_mid_fan_out_doubles_only_the_sends_under_way(tmp_path: Path) -> None:
    """Protection: a notice is marked ``sending`` in a transaction of its own just before the Bot
    API call (bot/notifications.py). Killed while three sends were accepted by Telegram and their
    answers had not come back, the process leaves exactly those three ``sending``; the next one
    sends every notice, doubles those three and no other, and says how many may have arrived
    twice."""
    url = await demo_database(tmp_path / "kill.db")
    async with BotApiEmulator() as emu:
        # Telegram's answers are held until the kill: the bot must not give up on them first.
        bot = BotProcess(emu, url, tmp_path, api_timeout="60")
        await bot.start()
        try:
            for uid in range(1001, 1013):
                await emu.user(uid, f"U{uid}", language_code="vi").send("/start")
            db = Database(url)
            lan = DemoPerson(1002, "Lan", "Nguyễn Thị", "vi", "02365", "admin")
            demo = Demo(province=None, people=[lan])  # type: ignore[arg-type]
            async with db.session() as session:
                await seed_demo_round(session, demo, datetime.now(UTC), ZoneInfo(TZ_NAME))
            await emu.wait_for(lambda: round_notices(emu, 1004) == 1, timeout=30)
            for _ in range(150):
                rows = await outbox_rows(url)
                if all(r.status == "sent" for r in rows):
                    break
                await asyncio.sleep(0.1)
            # Everyone the round has not told yet (the others rest a second after theirs).
            chats = sorted(set(range(1001, 1013)) - {r.chat_id for r in rows})
            assert len(chats) >= 6, chats
            # Telegram takes the next three sends; their answers do not come back.
            emu.hold_next("sendMessage", count=3, answered=True)
            async with db.session() as session:  # the announcement to everyone
                for uid in chats:
                    await enqueue(
                        session,
                        key=f"fan:{uid}",
                        chat_id=uid,
                        kind=rows[0].kind,
                        params=rows[0].params,
                        now=datetime.now(UTC),
                    )
            await db.dispose()
            await emu.wait_for(lambda: emu.held.get("sendmessage", 0) == 3, timeout=30)
            for _ in range(150):
                fan = [r for r in await outbox_rows(url) if r.key.startswith("fan:")]
                if sum(r.status == "sent" for r in fan) == len(chats) - 3:
                    break
                await asyncio.sleep(0.1)
            assert sorted(r.status for r in fan) == ["sending"] * 3 + ["sent"] * (len(chats) - 3)
            in_flight = {r.chat_id for r in fan if r.status == "sending"}
            await bot.kill()
            await bot.start()
            for _ in range(150):
                if all(r.status == "sent" for r in await outbox_rows(url)):
                    break
                await asyncio.sleep(0.2)
        finally:
            await bot.stop()
    assert all(r.status == "sent" for r in await outbox_rows(url))
    got = {uid: round_notices(emu, uid) for uid in chats}
    assert got == {uid: 2 if uid in in_flight else 1 for uid in chats}, got
    assert "3 notices were being sent when the previous process stopped" in bot.logs[-1]


def round_notices(emu: BotApiEmulator, chat_id: int) -> int:
    return sum((m.text or "").startswith("Đợt báo cáo mới") for m in emu.messages(chat_id))
