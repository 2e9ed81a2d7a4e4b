"""Webhook mode in-process: two bot "processes" (two Applications with their own webhook servers)
on one database behind the emulator acting as the load balancer. The secret check, a conversation
hopping between processes at every step, an update delivered twice, and a claim left by a process
that died. The three-real-processes test on PostgreSQL is tests/bot/test_scaleout.py."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from telegram import Update
from telegram.ext import MessageHandler, filters

from bot.clock import FakeClock
from bot.emulator import BotApiEmulator
from bot.i18n import I18n
from bot.runtime.app import App, build_application, prune_updates
from bot.runtime.runner import initialize_app, stop_app
from bot.runtime.webhook import SECRET_HEADER, WebhookServer
from bot.services import Services
from bot.settings import Settings
from storage.db import Database
from storage.models import Activity, ProcessedUpdate
from storage.queries import update_claims as claims_q
from tests.harness import text_of

SECRET = "hook-secret_0123456789"
URL = "https://bot.example.org/tg/hook"
LEASE = timedelta(seconds=60)


class Process:
    """One bot process in webhook mode (without the scheduler: tests run jobs themselves)."""

    def __init__(self, app: App, server: WebhookServer) -> None:
        self.app, self.server = app, server

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}{self.server.path}"


class Webhooks:
    def __init__(
        self,
        db: Database,
        clock: FakeClock,
        emu: BotApiEmulator,
        overrides: dict[str, Any] | None = None,
    ) -> None:
        self.db, self.clock, self.emu = db, clock, emu
        #: Settings of every process beyond these tests' own (short retries for fault tests).
        self.overrides = overrides or {}
        self.processes: list[Process] = []

    async def start(self, count: int) -> None:
        for _ in range(count):
            settings = Settings(  # type: ignore[call-arg]
                _env_file=None,
                database_url=self.db.url,
                bot_api_url=self.emu.base_url,
                bot_api_file_url=self.emu.base_file_url,
                bot_token=self.emu.token,
                webhook_secret=SECRET,
                outbox_interval=0,
                **self.overrides,
            )
            services = Services(settings=settings, db=self.db, clock=self.clock, i18n=I18n())
            app = build_application(services, token=self.emu.token, rate_limit=False)
            server = WebhookServer(
                app, services, secret=SECRET, path="/tg/hook", port=0, lease=LEASE
            )
            await initialize_app(app)
            await server.start()
            await app.start()
            await app.bot.set_webhook(URL, secret_token=SECRET)
            self.processes.append(Process(app, server))
        self.emu.route_webhook([p.url for p in self.processes])

    async def stop(self) -> None:
        for process in self.processes:
            await process.server.stop()
            await stop_app(process.app)

    async def post(self, process: Process, body: object, secret: str | None) -> int:
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        async with httpx.AsyncClient() as client:
            response = await client.post(process.url, json=body, headers=headers)
        return response.status_code


@pytest.fixture
async def hooks(db: Database, clock: FakeClock) -> AsyncIterator[Webhooks]:
    async with BotApiEmulator() as emu:
        hooks = Webhooks(db, clock, emu)
        async with db.session() as session:
            from bot.demo import seed_demo

            await seed_demo(session, clock.now())
        await hooks.start(2)
        try:
            yield hooks
        finally:
            await hooks.stop()


def message(update_id: int, user_id: int, text: str) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "from": {"id": user_id, "is_bot": False, "first_name": "Nam", "language_code": "vi"},
            "chat": {"id": user_id, "type": "private", "first_name": "Nam"},
            "date": 1_790_000_000,
            "text": text,
            **(
                {"entities": [{"type": "bot_command", "offset": 0, "length": len(text)}]}
                if text.startswith("/")
                else {}
            ),
        },
    }


async def claims(db: Database) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(ProcessedUpdate)) or 0)


async def test_missing_or_wrong_secret_is_refused_and_logged_without_it(
    hooks: Webhooks, caplog: pytest.LogCaptureFixture
) -> None:
    hooks.emu.user(1004, "Nam")  # known to the emulator, so a reply could be stored
    process = hooks.processes[0]
    with caplog.at_level(logging.WARNING, logger="bot.runtime.webhook"):
        assert await hooks.post(process, message(900001, 1004, "/help"), None) == 403
        assert await hooks.post(process, message(900002, 1004, "/help"), "guessed-secret") == 403
    refusals = [r.getMessage() for r in caplog.records if r.name == "bot.runtime.webhook"]
    assert len(refusals) == 2
    assert "no secret token" in refusals[0] and "a wrong secret token" in refusals[1]
    assert not any("guessed-secret" in r or SECRET in r for r in refusals)
    assert hooks.emu.messages(1004) == [] and await claims(hooks.db) == 0


async def test_a_conversation_hops_between_processes_at_every_step(hooks: Webhooks) -> None:
    nam = hooks.emu.user(1004, "Nam", language_code="vi")
    await nam.send("/log")
    assert "Xây mới (căn)?" in text_of((await nam.press("Nhà Đại đoàn kết"))[-1])
    assert "Sửa chữa (căn)?" in text_of((await nam.send("2"))[0])
    await nam.press("0 — không có")
    assert "Ngày diễn ra?" in text_of((await nam.send("120tr"))[0])
    await nam.press("Hôm qua")
    assert "Gửi một ảnh" in text_of((await nam.send("/skip"))[0])
    assert text_of((await nam.send("/skip"))[0]).startswith("Kiểm tra rồi lưu:")
    assert text_of((await nam.press("Lưu"))[-1]).startswith("Đã lưu thành mục #1.")
    served = {a.target for a in hooks.emu.webhook_attempts if a.status == 200}
    assert served == {p.url for p in hooks.processes}  # both processes took part
    async with hooks.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Activity)) == 1
    assert await claims(hooks.db) == len(hooks.emu.webhook_attempts)


def helps(emu: BotApiEmulator) -> int:
    """How many times the bot answered /help to Nam."""
    return sum(1 for m in emu.messages(1004) if (m.text or "").startswith("Bạn có thể:"))


async def test_an_update_delivered_twice_is_handled_once(hooks: Webhooks) -> None:
    await hooks.emu.user(1004, "Nam").send("/start")  # opens the private chat
    first, second = hooks.processes
    body = message(900010, 1004, "/help")
    assert await hooks.post(first, body, SECRET) == 200
    assert await hooks.post(second, body, SECRET) == 200  # Telegram retried elsewhere
    assert await hooks.post(first, body, SECRET) == 200
    assert helps(hooks.emu) == 1


async def test_a_claim_left_by_a_dead_process_is_taken_over_after_the_lease(
    hooks: Webhooks,
) -> None:
    await hooks.emu.user(1004, "Nam").send("/start")
    body = message(900020, 1004, "/help")
    async with hooks.db.session() as session:  # a process claimed it, then died
        await claims_q.claim(session, 900020, now=hooks.clock.now(), worker="gone:1", lease=LEASE)
    process = hooks.processes[0]
    assert await hooks.post(process, body, SECRET) == 503  # maybe still working: later, please
    assert helps(hooks.emu) == 0
    hooks.clock.advance(LEASE + timedelta(seconds=1))
    assert await hooks.post(process, body, SECRET) == 200
    assert helps(hooks.emu) == 1
    assert await hooks.post(process, body, SECRET) == 200  # and now it is done
    assert helps(hooks.emu) == 1


async def test_old_claims_are_pruned(hooks: Webhooks) -> None:
    await hooks.emu.user(1004, "Nam").send("/start")
    services = hooks.processes[0].app.bot_data["services"]
    assert await prune_updates(services) == 0
    hooks.clock.advance(timedelta(days=3))
    assert await prune_updates(services) == 1
    assert await claims(hooks.db) == 0


async def test_a_body_that_is_not_an_update_is_a_bad_request(hooks: Webhooks) -> None:
    process = hooks.processes[0]
    bodies: list[object] = [[1, 2], {"message": {}}, {"update_id": "x"}]
    # Numbers no Telegram update has (issue 15 §5): they answered 500 from the database driver.
    too_big = message(2**64, 1004, "/help")
    huge_user = message(900_010, 2**70, "/help")
    negative = message(-5, 1004, "/help")
    flag = {**message(900_011, 1004, "/help"), "update_id": True}
    bodies += [too_big, huge_user, negative, flag, {"update_id": 2**63}]
    for body in bodies:
        assert await hooks.post(process, body, SECRET) == 400, body
    assert await claims(hooks.db) == 0
    # The largest id that fits is an update like any other.
    assert await hooks.post(process, message(2**63 - 1, 1004, "/help"), SECRET) == 200


@pytest.fixture
async def hook(db: Database, clock: FakeClock) -> AsyncIterator[Webhooks]:
    """One webhook process (a poison update's attempts are counted per process)."""
    async with BotApiEmulator() as emu:
        hooks = Webhooks(db, clock, emu)
        async with db.session() as session:
            from bot.demo import seed_demo

            await seed_demo(session, clock.now())
        await hooks.start(1)
        try:
            yield hooks
        finally:
            await hooks.stop()


async def test_an_unreadable_update_is_skipped_after_three_attempts(
    hook: Webhooks, caplog: pytest.LogCaptureFixture
) -> None:
    nam = hook.emu.user(1004, "Nam")
    await nam.send("/start")
    poison = {  # no date: python-telegram-bot cannot read it
        "message": {
            "message_id": 9_000,
            "from": nam.to_json(),
            "chat": {"id": 1004, "type": "private"},
            "text": "/help",
        }
    }
    with caplog.at_level(logging.DEBUG, logger="bot.runtime.webhook"):
        poison_id = hook.emu.push_update(poison)
        # Telegram delivers a chat's updates in order: this one waits behind the poison.
        [saved] = await nam.send("/log ket_nap 2")
    assert saved.text is not None and saved.text.startswith("Đã lưu")
    tries = [a.status for a in hook.emu.webhook_attempts if a.update_id == poison_id]
    assert tries == [400, 400, 200]
    lines = [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.WARNING and f"update {poison_id} " in r.getMessage()
    ]
    assert len(lines) == 1 and "after 3 attempts; skipped" in lines[0]


async def test_an_update_whose_handler_always_fails_is_answered_once(
    hook: Webhooks, caplog: pytest.LogCaptureFixture
) -> None:
    async def explode(update: Update, context: Any) -> None:
        raise RuntimeError("a bug in a handler")

    hook.processes[0].app.add_handler(MessageHandler(filters.Regex("^boom$"), explode), group=-3)
    nam = hook.emu.user(1004, "Nam")
    await nam.send("/start")
    with caplog.at_level(logging.INFO):
        [sorry] = await nam.send("boom")
        [saved] = await nam.send("/log ket_nap 2")
    assert sorry.text is not None and sorry.text.startswith("Xin lỗi")
    assert saved.text is not None and saved.text.startswith("Đã lưu")
    assert len([r for r in caplog.records if "unhandled error" in r.getMessage()]) == 1
    assert {a.status for a in hook.emu.webhook_attempts} == {200}  # nothing delivered twice
