"""Webhook delivery: setWebhook with a secret, POSTs like Telegram's, 409 for getUpdates, and the
emulator as a load balancer spreading deliveries over several backends with retries."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiohttp import web

from bot.emulator import BotApiEmulator

from .conftest import Api, FakeClock
from .test_http import user_message

SECRET = "s3cr3t_-token"


class Backend:
    """A webhook backend on 127.0.0.1 that records what it got and answers ``statuses`` in turn
    (then 200); ``gate`` holds requests until set."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.received: list[tuple[dict[str, Any], str | None]] = []
        self.statuses: list[int] = []
        self.gate: asyncio.Event | None = None
        self.started: list[int] = []
        self._arrived = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/hook"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.started.append(body["update_id"])
        self._arrived.set()
        if self.gate is not None:
            await self.gate.wait()
        status = self.statuses.pop(0) if self.statuses else 200
        if status == 200:
            self.received.append((body, request.headers.get("X-Telegram-Bot-Api-Secret-Token")))
        return web.Response(status=status)

    async def wait_started(self, count: int) -> None:
        async with asyncio.timeout(5):
            while len(self.started) < count:
                self._arrived.clear()
                await self._arrived.wait()

    @property
    def update_ids(self) -> list[int]:
        return [body["update_id"] for body, _ in self.received]


@pytest.fixture
async def backends() -> AsyncIterator[list[Backend]]:
    started = [Backend(name) for name in "abc"]
    for backend in started:
        await backend.start()
    try:
        yield started
    finally:
        for backend in started:
            await backend.stop()


def dead_url() -> str:
    """An address where nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


async def test_updates_are_posted_with_the_secret_and_get_updates_conflicts(
    emu: BotApiEmulator, api: Api, backends: list[Backend]
) -> None:
    [a, *_] = backends
    emu.route_webhook([a.url])
    assert (
        await api.ok(
            "setWebhook", url="https://bot.example.org/hook", secret_token=SECRET, max_connections=5
        )
        is True
    )
    update_id = user_message(emu, 3001, "xin chào")
    await emu.wait_delivered(update_id, timeout=5)
    [(body, secret)] = a.received
    assert secret == SECRET
    assert body["update_id"] == update_id and body["message"]["text"] == "xin chào"
    status, description, _ = await api.error("getUpdates")
    assert status == 409 and "webhook is active" in description
    info = await api.ok("getWebhookInfo")
    assert info["url"] == "https://bot.example.org/hook"
    assert info["max_connections"] == 5 and info["pending_update_count"] == 0
    assert "last_error_message" not in info


async def test_set_webhook_checks_the_secret_and_the_url(emu: BotApiEmulator, api: Api) -> None:
    status, description, _ = await api.error(
        "setWebhook", url="https://bot.example.org/hook", secret_token="not allowed!"
    )
    assert status == 400 and "secret token" in description
    status, description, _ = await api.error(
        "setWebhook", url="https://bot.example.org/hook", secret_token="x" * 257
    )
    assert status == 400
    status, description, _ = await api.error("setWebhook", url="http://bot.example.org/hook")
    assert status == 400 and "HTTPS" in description


async def test_unrouted_public_webhook_holds_updates(
    emu: BotApiEmulator, api: Api, backends: list[Backend]
) -> None:
    """The emulator never posts outside this machine: a public URL waits for route_webhook()."""
    await api.ok("setWebhook", url="https://bot.example.org/hook", secret_token=SECRET)
    update_id = user_message(emu, 3002, "hi")
    # An HTTP round trip gives the delivery loop its turns; it must not have tried anything.
    assert (await api.ok("getWebhookInfo"))["pending_update_count"] == 1
    assert emu.webhook_attempts == []
    emu.route_webhook([backends[0].url])
    await emu.wait_delivered(update_id, timeout=5)
    assert [t.target for t in emu.webhook_attempts] == [backends[0].url]


async def test_round_robin_over_backends(
    emu: BotApiEmulator, api: Api, backends: list[Backend]
) -> None:
    emu.route_webhook([b.url for b in backends])
    await api.ok("setWebhook", url="https://bot.example.org/hook", secret_token=SECRET)
    ids = [user_message(emu, 3100 + n, f"m{n}") for n in range(9)]
    for update_id in ids:
        await emu.wait_delivered(update_id, timeout=5)
    assert sorted(i for b in backends for i in b.update_ids) == ids
    assert [len(b.received) for b in backends] == [3, 3, 3]
    assert all(secret == SECRET for b in backends for _, secret in b.received)


async def test_failures_are_retried_on_the_next_backend(
    emu: BotApiEmulator, api: Api, backends: list[Backend]
) -> None:
    a, b, _ = backends
    a.statuses = [403]  # e.g. a process with another secret
    emu.route_webhook([a.url, dead_url(), b.url])
    await api.ok("setWebhook", url="https://bot.example.org/hook", secret_token=SECRET)
    update_id = user_message(emu, 3200, "again")
    await emu.wait_delivered(update_id, timeout=5)
    tries = [(t.target, t.status, t.error) for t in emu.webhook_attempts]
    assert tries[0] == (a.url, 403, "Wrong response from the webhook: 403 Forbidden")
    assert tries[1][1] is None and tries[1][2] == "Connection refused"
    assert tries[2] == (b.url, 200, None)
    assert b.update_ids == [update_id] and a.received == []
    info = await api.ok("getWebhookInfo")
    assert info["last_error_message"] == "Connection refused" and info["pending_update_count"] == 0


async def test_one_chat_at_a_time_other_chats_meanwhile(
    emu: BotApiEmulator, api: Api, backends: list[Backend]
) -> None:
    a, *_ = backends
    a.gate = asyncio.Event()
    emu.route_webhook([a.url])
    await api.ok("setWebhook", url="https://bot.example.org/hook", secret_token=SECRET)
    first = user_message(emu, 3300, "one", message_id=1)
    second = user_message(emu, 3300, "two", message_id=2)
    other = user_message(emu, 3301, "other")
    await a.wait_started(2)
    assert sorted(a.started) == [first, other]  # the same chat's second waits for its first
    a.gate.set()
    for update_id in (first, second, other):
        await emu.wait_delivered(update_id, timeout=5)
    mine = [i for i in a.update_ids if i in (first, second)]
    assert mine == [first, second]


async def test_delete_webhook_returns_to_polling(
    emu: BotApiEmulator, api: Api, backends: list[Backend]
) -> None:
    a, *_ = backends
    a.statuses = [500] * 1000
    emu.route_webhook([a.url])
    await api.ok("setWebhook", url="https://bot.example.org/hook", secret_token=SECRET)
    update_id = user_message(emu, 3400, "later")
    await emu.wait_for(lambda: len(emu.webhook_attempts) >= 2, timeout=5)
    await api.ok("deleteWebhook")
    [update] = await api.ok("getUpdates")
    assert update["update_id"] == update_id


async def test_a_webhook_too_slow_to_answer_gets_the_update_again_elsewhere(
    clock: FakeClock, backends: list[Backend]
) -> None:
    a, b, _ = backends
    a.gate = asyncio.Event()  # never answers in time
    async with BotApiEmulator(clock=clock, webhook_timeout=0.2) as emu:
        emu.route_webhook([a.url, b.url])
        async with httpx.AsyncClient() as client:
            await client.post(
                f"{emu.base_url}{emu.token}/setWebhook",
                json={"url": "https://bot.example.org/hook", "secret_token": SECRET},
            )
        update_id = user_message(emu, 3500, "slow")
        await emu.wait_delivered(update_id, timeout=5)
        a.gate.set()
        assert [(t.target, t.status) for t in emu.webhook_attempts] == [(a.url, None), (b.url, 200)]
        assert emu.webhook_attempts[0].error == "Read timeout expired"
        assert b.update_ids == [update_id]
