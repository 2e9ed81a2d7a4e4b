"""``phoihop run`` as a separate process against the emulator, to be SIGKILLed and restarted."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.demo import Demo, seed_demo, seed_demo_round
from bot.emulator import BotApiEmulator
from bot.schema import prepare_database
from storage.db import Database

TZ_NAME = "Asia/Ho_Chi_Minh"


async def demo_database(path: Path, *, with_round: bool = False) -> str:
    """A migrated SQLite file with the demo province (and its open round), at today's date."""
    from zoneinfo import ZoneInfo

    url = f"sqlite+aiosqlite:///{path}"
    db = Database(url)
    now = datetime.now(UTC)
    await prepare_database(db, now)
    async with db.session() as session:
        demo: Demo = await seed_demo(session, now)
        if with_round:
            await seed_demo_round(session, demo, now, ZoneInfo(TZ_NAME))
    await db.dispose()
    return url


class BotProcess:
    def __init__(self, emu: BotApiEmulator, url: str, cwd: Path, **settings: str) -> None:
        self.emu, self.url, self.cwd = emu, url, cwd
        self.settings = settings
        self.proc: asyncio.subprocess.Process | None = None
        self.logs: list[str] = []

    def env(self) -> dict[str, str]:
        env = {
            **os.environ,
            "PHOIHOP_DATABASE_URL": self.url,
            "PHOIHOP_BOT_TOKEN": self.emu.token,
            "PHOIHOP_BOT_API_URL": self.emu.base_url,
            "PHOIHOP_OUTBOX_INTERVAL": "0.2",
            "PHOIHOP_POLL_BACKOFF_MAX": "0.5",
        }
        env.update({f"PHOIHOP_{k.upper()}": v for k, v in self.settings.items()})
        return env

    async def start(self) -> None:
        mark = len(self.emu.calls)
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            env=self.env(),
            cwd=self.cwd,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        await self.emu.wait_for(
            lambda: any(m == "getUpdates" for m, _ in self.emu.calls[mark:]), timeout=30
        )
        await self.emu.wait_polling(timeout=30)

    async def kill(self) -> None:
        """SIGKILL: no clean-up of any kind runs."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        _, stderr = await self.proc.communicate()
        self.logs.append(stderr.decode())
        self.proc = None

    async def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(self.proc.communicate(), timeout=30)
        self.logs.append(stderr.decode())
        self.proc = None
