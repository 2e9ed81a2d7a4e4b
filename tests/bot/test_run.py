"""``phoihop run`` as an operator starts it: a separate process polling a Bot API server over HTTP."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from bot.emulator import BotApiEmulator
from bot.schema import prepare_database
from storage.db import Database


async def test_run_answers_over_http_and_stops_on_sigterm(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'run.db'}"
    db = Database(url)
    await prepare_database(db, datetime.now(UTC))
    await db.dispose()
    with socket.socket() as probe:  # a free port for the dashboard (8080 may be taken here)
        probe.bind(("127.0.0.1", 0))
        web_port = probe.getsockname()[1]
    async with BotApiEmulator() as emu:
        env = {
            **os.environ,
            "PHOIHOP_WEB_LISTEN": f"127.0.0.1:{web_port}",
            "PHOIHOP_DATABASE_URL": url,
            "PHOIHOP_BOT_TOKEN": emu.token,
            "PHOIHOP_BOT_API_URL": emu.base_url,
        }
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            env=env,
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            await asyncio.wait_for(emu.wait_polling(), timeout=30)
            await emu.user(4242, "Tâm", language_code="vi").send("/help")
            await emu.wait_for(lambda: bool(emu.messages(4242)), timeout=30)
            assert (emu.messages(4242)[0].text or "").startswith("Bạn có thể:")
            # The same process serves the dashboard: the page, and an API that wants launch data.
            base = f"http://127.0.0.1:{web_port}/app/"
            async with aiohttp.ClientSession() as client:
                async with client.get(base) as page:
                    assert page.status == 200
                async with client.get(base + "api/me") as refused:
                    assert refused.status == 401
        finally:
            proc.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(proc.communicate(), timeout=30)
        assert proc.returncode == 0, stderr.decode()
        assert emu.token not in stderr.decode()
