"""Fixtures for the emulator's own tests: a started emulator, raw HTTP, and a real PTB app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from telegram.ext import Application, ApplicationBuilder

from bot.emulator import BotApiEmulator


class FakeClock:
    """Manually advanced Unix clock for rate limits and dates."""

    def __init__(self, start: float = 1_750_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def emu(clock: FakeClock) -> AsyncIterator[BotApiEmulator]:
    emulator = BotApiEmulator(clock=clock)
    await emulator.start()
    try:
        yield emulator
    finally:
        await emulator.stop()


class Api:
    """Minimal raw Bot API client: returns (HTTP status, decoded JSON body)."""

    def __init__(self, client: httpx.AsyncClient, emulator: BotApiEmulator) -> None:
        self.client = client
        self.emu = emulator

    async def __call__(self, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
        response = await self.client.post(
            f"{self.emu.base_url}{self.emu.token}/{method}", json=params
        )
        return response.status_code, response.json()

    async def ok(self, method: str, **params: Any) -> Any:
        status, body = await self(method, **params)
        assert status == 200 and body["ok"] is True, body
        return body["result"]

    async def error(self, method: str, **params: Any) -> tuple[int, str, dict[str, Any]]:
        status, body = await self(method, **params)
        assert body["ok"] is False, body
        assert body["error_code"] == status
        return status, body["description"], body.get("parameters", {})


@pytest.fixture
async def api(emu: BotApiEmulator) -> AsyncIterator[Api]:
    async with httpx.AsyncClient(timeout=5.0) as client:
        yield Api(client, emu)


@asynccontextmanager
async def running_bot(
    emulator: BotApiEmulator, setup: Callable[[Application[Any, Any, Any, Any, Any, Any]], None]
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """A real PTB Application polling the emulator, with ``settle_hook`` wired to its queue."""
    app = (
        ApplicationBuilder()
        .token(emulator.token)
        .base_url(emulator.base_url)
        .base_file_url(emulator.base_file_url)
        .job_queue(None)
        .build()
    )
    setup(app)
    await app.initialize()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=2)
    await app.start()

    async def settle() -> None:
        await app.update_queue.join()

    emulator.settle_hook = settle
    try:
        yield app
    finally:
        emulator.settle_hook = None
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
