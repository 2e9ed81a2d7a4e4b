"""``phoihop console --demo`` as a newcomer meets it: scripted lines in, the printed chat out."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

from bot.runtime.console import console_session
from bot.settings import Settings


async def _script(lines: list[str]) -> AsyncIterator[str]:
    for line in lines:
        yield line


async def test_demo_console_session(tmp_path: Path) -> None:
    out: list[str] = []
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    url = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    first = [
        "/start",
        "/invite",
        "/press 1",
        "/press 1",
        "2",
        "/press 99",
        "/as 1011",
        "/help",
        "/quit",
        "/me",  # never reached
    ]
    await console_session(settings, url=url, demo=True, lines=_script(first), out=out.append)
    text = "\n".join(out)
    assert "Demo: Tỉnh Tuyên Quang" in text
    assert "1002  Nguyễn Thị Lan  (admin, 02365)" in text
    assert "bot: Xin chào Lan!" in text
    assert "keyboard: Ghi hoạt động | Báo cáo | Lịch họp | Tổng hợp" in text
    assert "[1] ✓ Xã Yên Nguyên" in text
    assert "Đường dẫn mời làm cán bộ của Xã Yên Nguyên:" in text
    assert "(console)" in text  # /press 99 explained, not crashed
    assert "bot: What you can do:" in text  # Anna speaks English
    assert text.rstrip().endswith(
        "/totals — Totals for your unit and the units below it"
    )  # a cadre's /help, then /quit  # /quit ended it

    # The printed invite lets the newcomer in, in a second session on the same database.
    code = re.search(r"/start ([A-Za-z0-9_-]+)", text)
    assert code
    out.clear()
    await console_session(
        settings,
        url=url,
        demo=True,
        lines=_script(["/as 1012", f"/start {code.group(1)}"]),
        out=out.append,
    )
    joined = "\n".join(out)
    assert "(the database already has units: demo data not added)" in joined
    assert "Chào mừng User 1012! Bạn đã là cán bộ của Thôn Cầu Bâm (xã Yên Nguyên)." in joined
