"""Scale-out on PostgreSQL with real processes: three `phoihop run --webhook` subprocesses on one
database, the emulator in front of them as the load balancer (round robin, retry on the next
backend). Users go through multi-step conversations (/round, /report, the guided /log) whose steps
land on all three processes; half-way the process that runs the scheduler is killed with SIGKILL.
Every conversation still ends, another process takes the scheduler over, and every outbox notice
reaches Telegram exactly once. And the three send within one budget (Telegram's limit is per bot).

Determinism: the kill happens at a barrier (no webhook request in flight), and only once the
leader, stopped with SIGSTOP, holds no claimed outbox row (a send in flight when a process dies is
the crash-between-send-and-record case, tested in tests/bot/test_outbox.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text

from bot import reports as rep
from bot.demo import seed_demo
from bot.emulator import BotApiEmulator, BotMessage, UserClient
from bot.notifications import enqueue
from bot.periods import period_containing
from bot.template_files import parse_template
from storage.db import Database
from storage.models import OutboxMessage
from tests.conftest import POSTGRES_URL
from tests.handlers.test_reports import TEMPLATE
from tests.harness import unit_of

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="PHOIHOP_TEST_POSTGRES_URL is not set"),
    pytest.mark.parametrize("backend", ["postgresql"]),
]

SECRET = "scaleout_test-secret"
HOOK = "https://bot.example.org/tg/hook"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class BotProcess:
    proc: asyncio.subprocess.Process
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/tg/hook"

    @property
    def pid(self) -> int:
        return self.proc.pid


async def spawn(
    emu: BotApiEmulator, db_url: str, workdir: Path, n: int, extra: dict[str, str] | None = None
) -> BotProcess:
    port = free_port()
    env = {
        **os.environ,
        **(extra or {}),
        "PHOIHOP_DATABASE_URL": db_url,
        "PHOIHOP_BOT_TOKEN": emu.token,
        "PHOIHOP_BOT_API_URL": emu.base_url,
        "PHOIHOP_WEBHOOK_SECRET": SECRET,
        "PHOIHOP_OUTBOX_INTERVAL": "0.2",
        "PHOIHOP_SCHEDULER_RETRY": "0.5",
    }
    log = workdir / f"bot{n}.log"
    with log.open("wb") as sink:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            "--webhook",
            HOOK,
            "--listen",
            f"127.0.0.1:{port}",
            env=env,
            cwd=workdir,
            stdout=sink,
            stderr=sink,
        )
    return BotProcess(proc, port, log)


async def leader_pid(db: Database) -> int | None:
    """The OS pid of the process holding the scheduler lock (from its application_name)."""
    async with db.engine.connect() as conn:
        name = await conn.scalar(
            text(
                "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database() "
                "AND a.application_name LIKE 'phoihop scheduler %'"
            )
        )
    return int(name.rsplit(":", 1)[1]) if name else None


async def until(predicate: Callable[[], Awaitable[bool]], seconds: float, what: str) -> None:
    """Re-check a database condition (no event to wait on in another process) until it holds."""
    deadline = time.monotonic() + seconds
    while not await predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds} s waiting for {what}")
        await asyncio.sleep(0.05)


class Talk:
    """One user's conversation: each step must produce a message containing ``expect``; buttons
    are pressed on the prompt of the previous step (notices may arrive in the chat meanwhile)."""

    def __init__(self, user: UserClient) -> None:
        self.user = user
        self.prompt: BotMessage | None = None

    async def send(self, text: str, expect: str) -> BotMessage:
        return self._pick(await self.user.send(text), expect, text)

    async def press(self, button: str | int, expect: str) -> BotMessage:
        return self._pick(await self.user.press(button, message=self.prompt), expect, button)

    def _pick(self, messages: list[BotMessage], expect: str, action: object) -> BotMessage:
        for message in reversed(messages):
            if expect in (message.text or ""):
                self.prompt = message
                return message
        seen = [m.text for m in messages]
        raise AssertionError(f"{self.user.first_name}: {action!r} -> {seen}, wanted {expect!r}")


def today(offset_days: int = 0) -> str:
    return (datetime.now(TZ) + timedelta(days=offset_days)).strftime("%d/%m/%Y")


async def open_round(lan: Talk) -> None:
    await lan.send("/round", "")
    await lan.press("Báo cáo thử (v1)", "Cho kỳ nào?")
    await lan.press(1, "Các đơn vị trực thuộc đơn vị nào phải báo cáo?")
    await lan.press("Ủy ban MTTQ xã Yên Nguyên", "Những đơn vị nào phải báo cáo?")
    await lan.press("Các đơn vị trực thuộc", "Tổ chức nào?")
    await lan.press("Mọi tổ chức", "")
    # Past the quarter's cut-off, whatever today is: an earlier deadline asks to confirm it.
    quarter = period_containing(datetime.now(TZ).date(), "quarter")
    await lan.send(f"{quarter.end + timedelta(days=20):%d/%m/%Y}", "Đã mở đợt #1")


async def log_first_half(talk: Talk) -> None:
    await talk.send("/log", "Chọn hoạt động:")
    await talk.press("Nhà Đại đoàn kết", "Xây mới (căn)?")
    await talk.send("2", "Sửa chữa (căn)?")


async def log_second_half(talk: Talk) -> None:
    await talk.send("1", "Giá trị (đồng)?")
    await talk.send("120tr", "Ngày diễn ra?")
    await talk.press("Hôm qua", "Ghi chú ngắn")
    await talk.send("/skip", "Gửi một ảnh")
    await talk.send("/skip", "Kiểm tra rồi lưu:")
    await talk.press("Lưu", "Đã lưu thành mục #")


async def report(talk: Talk, houses: str) -> None:
    await talk.send("/report", "Câu 1/4")
    await talk.send(houses, "Có giao ban")
    await talk.press("Có", "Ngày giao ban")
    await talk.send(today(-1), "Tự đánh giá")
    await talk.press("Hoàn thành tốt", "Khó khăn, kiến nghị")
    await talk.send("/skip", "Tình trạng: chưa nộp")
    await talk.press("Nộp báo cáo", "Đã nộp:")


async def stop_then_kill_when_idle(db: Database, bot: BotProcess) -> None:
    """SIGKILL the scheduler's process at a moment it holds no claimed outbox row (nor one it is
    sending: those may arrive twice, docs/faults.md)."""
    worker = f"{socket.gethostname()}:{bot.pid}"
    while True:
        os.kill(bot.pid, signal.SIGSTOP)
        async with db.session() as session:
            claimed = await session.scalar(
                select(OutboxMessage.id).where(
                    OutboxMessage.status.in_(("claimed", "sending")),
                    OutboxMessage.claimed_by == worker,
                )
            )
        if claimed is None:
            os.kill(bot.pid, signal.SIGKILL)
            await bot.proc.wait()
            return
        os.kill(bot.pid, signal.SIGCONT)  # a send is in flight: let it finish first
        await asyncio.sleep(0.05)


@pytest.fixture
async def cluster(
    db: Database, tmp_path: Path
) -> AsyncIterator[tuple[BotApiEmulator, list[BotProcess]]]:
    async with running_cluster(db, tmp_path) as running:
        yield running


@contextlib.asynccontextmanager
async def running_cluster(
    db: Database, tmp_path: Path, extra: dict[str, str] | None = None
) -> AsyncIterator[tuple[BotApiEmulator, list[BotProcess]]]:
    """Three webhook processes (with ``extra`` settings) behind the emulator, the demo seeded."""
    now = datetime.now(UTC)
    async with db.session() as session:
        await seed_demo(session, now)
        await rep.store_template(session, parse_template(TEMPLATE), now)
    async with BotApiEmulator() as emu:
        emu.deliver_timeout = 60  # three bots, PostgreSQL and this test share two busy cores
        bots = [await spawn(emu, db.url, tmp_path, n, extra) for n in range(3)]
        try:
            await emu.wait_for(
                lambda: sum(1 for m, _ in emu.calls if m.lower() == "setwebhook") == 3,
                timeout=60,
            )
            emu.route_webhook([b.url for b in bots])
            yield emu, bots
        finally:
            for bot in bots:
                if bot.proc.returncode is None:
                    bot.proc.kill()
                    await bot.proc.wait()


async def test_three_processes_one_killed_nothing_lost_nothing_doubled(
    db: Database, cluster: tuple[BotApiEmulator, list[BotProcess]]
) -> None:
    emu, bots = cluster
    await until(lambda: _has_leader(db), 30, "a scheduler leader")
    users = {
        uid: emu.user(uid, name, language_code="vi")
        for uid, name in [
            (1002, "Lan"),
            (1003, "Mai"),
            (1004, "Nam"),
            (1005, "Hoa"),
            (1006, "Tuấn"),
            (1007, "Bình"),
            (1009, "Đức"),
        ]
    }
    await asyncio.gather(*(u.send("/start") for u in users.values()))
    talks = {uid: Talk(u) for uid, u in users.items()}

    # First half: Lan opens a round (its notices go out through the outbox); three cadres start /log.
    await asyncio.gather(
        open_round(talks[1002]), *(log_first_half(talks[uid]) for uid in (1005, 1009, 1003))
    )
    served = {a.target for a in emu.webhook_attempts if a.status == 200}
    assert served == {b.url for b in bots}, "every process served part of the conversations"

    # Kill the scheduler's process.
    pid = await leader_pid(db)
    [victim] = [b for b in bots if b.pid == pid]
    await stop_then_kill_when_idle(db, victim)
    killed_at = time.monotonic()
    await until(lambda: _has_leader(db, other_than=victim.pid), 60, "another scheduler leader")
    takeover = time.monotonic() - killed_at
    assert takeover < 60

    # Second half, with one backend dead: the /log flows go on where they were; four reports.
    await asyncio.gather(
        *(log_second_half(talks[uid]) for uid in (1005, 1009, 1003)),
        report(talks[1004], "2"),
        report(talks[1006], "0"),
        report(talks[1007], "1"),
    )
    assert any(a.target == victim.url and a.status is None for a in emu.webhook_attempts)

    # Every notice (the round's, and Lan's three "submitted") is sent exactly once.
    async def outbox_done() -> bool:
        async with db.session() as session:
            rows = (await session.scalars(select(OutboxMessage))).all()
        return len(rows) > 3 and all(
            r.status not in ("pending", "claimed", "sending") for r in rows
        )

    await until(outbox_done, 30, "the outbox to drain")
    async with db.session() as session:
        rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    assert {r.status for r in rows} == {"sent"}, [(r.key, r.status, r.last_error) for r in rows]
    submitted = [r for r in rows if r.chat_id == 1002]
    assert len(submitted) == 3
    for row in rows:
        texts = [m.text for m in emu.messages(row.chat_id)]
        [notice] = [m for m in emu.messages(row.chat_id) if m.message_id == row.message_id]
        assert texts.count(notice.text) == 1, (row.key, notice.text)

    # The survivors stop cleanly on SIGTERM.
    for bot in bots:
        if bot is not victim:
            bot.proc.send_signal(signal.SIGTERM)
    for bot in bots:
        if bot is not victim:
            assert await asyncio.wait_for(bot.proc.wait(), 30) == 0, bot.log.read_text()
            assert "Traceback" not in bot.log.read_text(), bot.log.read_text()
    print(f"\nscheduler takeover after SIGKILL: {takeover:.2f} s")


async def _has_leader(db: Database, other_than: int | None = None) -> bool:
    pid = await leader_pid(db)
    return pid is not None and pid != other_than


async def test_three_processes_send_within_one_budget(db: Database, tmp_path: Path) -> None:
    """Telegram's ~30 messages a second are the bot's, not each process's: with a budget of 4 a
    second (PHOIHOP_SEND_RATE) the three processes together answer 24 people at 4 a second,
    plus the one-second burst a quiet bot may send (each process on its own pace: 12 a second).
    """
    rate = 4
    async with running_cluster(db, tmp_path, {"PHOIHOP_SEND_RATE": str(rate)}) as (emu, bots):
        stamps: list[float] = []
        methods = emu._methods
        original = methods["sendmessage"]

        async def send_message(params: dict[str, Any]) -> Any:
            stamps.append(time.monotonic())
            return await original(params)

        methods["sendmessage"] = send_message
        users = [emu.user(3000 + i, f"Người {i}", language_code="vi") for i in range(24)]
        answers = await asyncio.gather(*(u.send("/me") for u in users))
        assert all(any("Telegram id" in (m.text or "") for m in got) for got in answers)
        served = {a.target for a in emu.webhook_attempts if a.status == 200}
        assert served == {b.url for b in bots}, "every process answered some of them"

    stamps.sort()
    assert len(stamps) == 24
    jitter = 0.3  # a slot's message may reach the emulator late, the next one on time
    for i, earlier in enumerate(stamps):
        for j in range(i + 1, len(stamps)):
            sent = j - i + 1
            allowed = rate * 1.0 + rate * (stamps[j] - earlier + jitter) + 1
            assert sent <= allowed, (
                f"{sent} messages in {stamps[j] - earlier:.2f} s: more than {rate} a second"
            )
    print(f"\n24 replies from 3 processes in {stamps[-1] - stamps[0]:.2f} s (budget {rate}/s)")


async def test_replies_go_before_a_fan_out_sent_by_another_process(
    db: Database, tmp_path: Path
) -> None:
    """Issue 15 §6: interactive replies before bulk notices, across processes. The scheduler's
    process sends a fan-out of 30 notices in the bot's one budget (2 a second) while twelve
    people ask /me through the two other processes: their replies take the slots as they come, and
    the fan-out only what they leave (it books only while no reply is booked ahead). With
    each process booking for itself in turn, the fan-out took about a third of the slots while
    the replies waited."""
    rate = 2
    async with running_cluster(db, tmp_path, {"PHOIHOP_SEND_RATE": str(rate)}) as (emu, bots):
        await until(lambda: _has_leader(db), 30, "a scheduler leader")
        # The people talk to the two other processes (within one process replies go first
        # anyway): the budget shared through the database must put them first.
        scheduler = await leader_pid(db)
        others = [b for b in bots if b.pid != scheduler]
        emu.route_webhook([b.url for b in others])
        sent: list[tuple[float, int]] = []
        methods = emu._methods
        original = methods["sendmessage"]

        async def send_message(params: dict[str, Any]) -> Any:
            sent.append((time.monotonic(), int(params["chat_id"])))
            return await original(params)

        methods["sendmessage"] = send_message
        recipients = [emu.user(4000 + i, f"Cán bộ {i}", language_code="vi") for i in range(30)]
        for recipient in recipients:
            emu._state.started_private.add(recipient.id)  # they talked to the bot before
        askers = [emu.user(3000 + i, f"Người {i}", language_code="vi") for i in range(12)]
        async with db.session() as session:
            commune = await unit_of(session, "02365")
            for recipient in recipients:
                await enqueue(
                    session,
                    key=f"fan-out:{recipient.id}",
                    chat_id=recipient.id,
                    kind="membership_changed",
                    params={"unit_id": commune.id, "before": "cadre", "after": "admin"},
                    now=datetime.now(UTC),
                )
        await emu.wait_for(lambda: any(chat >= 4000 for _, chat in sent), timeout=60)
        asked = time.monotonic()
        answers = await asyncio.gather(*(u.send("/me") for u in askers))
        answered = time.monotonic()
        assert all(any("Telegram id" in (m.text or "") for m in got) for got in answers)
        served = {a.target for a in emu.webhook_attempts if a.status == 200}
        assert served == {b.url for b in others}, "both other processes answered some of them"
        await emu.wait_for(lambda: sum(1 for _, c in sent if c >= 4000) == 30, timeout=60)
        assert await leader_pid(db) == scheduler  # the fan-out was the scheduler's throughout

    replies = [t for t, chat in sent if 3000 <= chat < 4000]
    between = [t for t, chat in sent if chat >= 4000 and asked < t <= max(replies)]
    print(
        f"\n12 replies in {answered - asked:.2f} s during a fan-out; "
        f"{len(between)} notices went between them (budget {rate}/s)"
    )
    assert len(replies) == 12
    assert len(between) <= 4, between  # with each process booking in turn: 7 of 21 slots
