"""``phoihop run`` as a separate process against the emulator, to be SIGKILLed and restarted."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
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
            # Several bot processes run at once here: none serves the dashboard (its own tests).
            "PHOIHOP_WEB_LISTEN": "off",
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
        self.emu.settle_hook = self.settled

    def unfinished(self) -> int:
        """Updates the bot stored in its inbox and has not handled yet (read from the file)."""
        path = self.url.split("///", 1)[1]
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            [(count,)] = conn.execute("SELECT count(*) FROM inbox WHERE done_at IS NULL")
        return int(count)

    async def settled(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """The emulator's ``settle_hook``: an update confirmed to the emulator is only stored (the
        bot confirms a batch before handling it, bot/runtime/polling.py); ``send`` returns once
        the other process has handled it too. Another process's database has no event to wait
        on: it is read every 20 ms (through a restart, too)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.unfinished():
            if loop.time() > deadline:
                raise TimeoutError(f"the bot left {self.unfinished()} updates unhandled")
            await asyncio.sleep(0.02)

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
