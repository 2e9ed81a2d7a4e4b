"""Shared by the dashboard's tests: the demo with a few entries, the dashboard served on a free
port next to the harness's bot, and signed launch data for a demo person."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import aiohttp

from bot.demo import Demo, seed_demo_activities, seed_demo_meetings, seed_demo_round
from bot.demo_petitions import seed_demo_petitions
from bot.runtime.webapp import Dashboard, WebServer
from bot.webapp_auth import launch_data
from tests.harness import Harness, text_of

ENTRIES = [
    (1004, "/log nha_dai_doan_ket 2 120tr"),
    (1004, "/log hoa_giai 3 10/11/2026"),
    (1009, "/log nha_dai_doan_ket 1 50tr"),
    (1005, "/log ket_nap 4"),
]


async def seed(h: Harness, *, year_of_activities: bool = False) -> Demo:
    """The demo; ``year_of_activities``: with the console demo's year of entries too (the
    screenshots then have a year earlier to compare with)."""
    demo = await h.seed_demo()
    assert h.services is not None
    async with h.db.session() as session:
        if year_of_activities:
            now = h.clock.now()
            await seed_demo_activities(session, now.astimezone(h.services.settings.tz).date(), now)
        await seed_demo_round(session, demo, h.clock.now(), h.services.settings.tz)
        await seed_demo_meetings(session, demo, h.clock.now(), h.services.settings.tz)
        await seed_demo_petitions(session, demo, h.clock.now(), h.services.settings.tz)
    people = {p.telegram_id: p for p in demo.people}
    for uid, line in ENTRIES:
        user = h.user(uid, people[uid].first_name, last_name=people[uid].last_name)
        assert text_of((await user.send(line))[0]).startswith("Đã lưu")
    return demo


@asynccontextmanager
async def served(h: Harness) -> AsyncIterator[WebServer]:
    assert h.services is not None
    server = WebServer(Dashboard(h.services, h.emu.token), "127.0.0.1", 0)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def signed(
    h: Harness,
    user_id: int,
    *,
    language: str | None = "vi",
    token: str | None = None,
    at: datetime | None = None,
) -> str:
    return launch_data(
        token or h.emu.token,
        user_id=user_id,
        first_name=f"U{user_id}",
        language_code=language,
        auth_date=at or h.clock.now(),
    )


async def get(
    server: WebServer, path: str, init_data: str | None, **params: str
) -> tuple[int, Any]:
    headers = {"Authorization": f"tma {init_data}"} if init_data is not None else {}
    async with (
        aiohttp.ClientSession() as client,
        client.get(server.url + path, headers=headers, params=params) as response,
    ):
        return response.status, await response.json()


async def post(server: WebServer, path: str, init_data: str, body: Any) -> tuple[int, Any]:
    headers = {"Authorization": f"tma {init_data}"}
    async with (
        aiohttp.ClientSession() as client,
        client.post(server.url + path, headers=headers, json=body) as response,
    ):
        return response.status, await response.json()
