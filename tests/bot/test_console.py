"""``phoihop console --demo`` as a newcomer meets it: scripted lines in, the printed chat out."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

from bot.runtime.console import console_session
from bot.settings import Settings


def _saved_in(folder: Path, path: str) -> bool:
    return Path(path).parent == folder and Path(path).stat().st_size > 0


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
    assert "Demo: Ủy ban MTTQ tỉnh Tuyên Quang" in text
    assert "1002  Nguyễn Thị Lan  (admin, 02365)" in text
    assert "bot: Xin chào Lan!" in text
    assert "keyboard: Ghi hoạt động | Báo cáo | Lịch họp | Tổng hợp | Kiến nghị" in text
    assert "[1] ✓ Ủy ban MTTQ xã Yên Nguyên" in text
    assert "Đường dẫn mời làm cán bộ của Ủy ban MTTQ xã Yên Nguyên:" in text
    assert "(console)" in text  # /press 99 explained, not crashed
    assert "bot: What you can do:" in text  # Anna speaks English
    # A cadre's /help, ending with the hint that their own words are read (issue 18); then
    # /quit ended it.
    assert text.rstrip().endswith(
        "/totals — Totals for your unit and the units below it\n"
        "     \n"
        "     Or just type as you normally would: “thăm 5 hộ nghèo, tặng quà 2 triệu”. "
        "I will propose the entry, for you to save with one tap."
    )

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
    assert (
        "Chào mừng User 1012! Bạn đã được thêm vào Ban Công tác Mặt trận thôn Cầu Bâm với vai trò cán bộ."
        in joined
    )


async def test_console_shows_groups_alerts_files_and_what_the_bot_pushes(tmp_path: Path) -> None:
    """Lan makes a group and links it, gets the digest's chart saved to a file, meets a stale
    button's alert; after she opens a round, the notice to Nam is printed as it arrives."""
    out: list[str] = []
    pushed_to_nam = asyncio.Event()

    def printed(line: str) -> None:
        out.append(line)
        if line.startswith("⇢ to Lê Văn Nam:"):
            pushed_to_nam.set()

    async def lines() -> AsyncIterator[str]:
        for line in [
            "/group Ban Thường trực xã",
            "/link",
            "/digest",
            "/admins 1004",
            "/group",
            "/invite",
            "/cancel",
            "/press 1",
            "/as 1004",
            "/start",
            "/as 1002",
            "/round",
            *["/press 1"]
            * 5,  # the template, Quý III, the commune, its sub-units, every organisation
            "20/12/2026",
        ]:
            yield line
        async with asyncio.timeout(120):  # the outbox sends when it sends (a loaded CI box: slowly)
            await pushed_to_nam.wait()
        yield "/quit"

    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    url = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    files = tmp_path / "files"
    await console_session(
        settings, url=url, demo=True, lines=lines(), out=printed, files=str(files)
    )
    text = "\n".join(out)
    assert "(console) Nguyễn Thị Lan made the group Ban Thường trực xã and added the bot." in text
    assert (
        "[Ban Thường trực xã] bot: Nhóm này đã được liên kết với Ủy ban MTTQ xã Yên Nguyên." in text
    )
    assert "[Ban Thường trực xã] bot: Tổng hợp tuần: Ủy ban MTTQ xã Yên Nguyên" in text
    saved = re.findall(r"saved to (\S+)\]", text)
    assert saved and all(_saved_in(files, p) for p in saved)
    assert (
        "(console) administrators of Ban Thường trực xã: Lê Văn Nam (1004); "
        "everyone else is a member." in text
    )
    assert "You are back in your private chat with the bot, as Nguyễn Thị Lan." in text
    assert "(alert) Nút này không còn hiệu lực. Hãy bắt đầu lại bằng /invite." in text
    assert "bot: Đã mở đợt #2: Quý III/2026" in text
    pushed = next(line for line in out if line.startswith("⇢ to Lê Văn Nam:"))
    # The first template Lan is offered is her thôn's: the commune's Front report is not theirs.
    assert "bot: Đợt báo cáo mới: Báo cáo quý của Ban Công tác Mặt trận khu dân cư" in pushed
    assert "[1] Trả lời báo cáo" in pushed  # printed in one piece with whom it went to


async def test_demo_console_serves_the_dashboard(tmp_path: Path) -> None:
    """The console prints links that open the dashboard as demo leaders, signed as Telegram
    signs them; the page and its API answer while the console runs."""
    from urllib.parse import parse_qs

    import aiohttp

    out: list[str] = []
    settings = Settings(_env_file=None, web_listen="127.0.0.1:0")  # type: ignore[call-arg]
    url = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    seen: dict[str, object] = {}

    async def lines() -> AsyncIterator[str]:
        link = next(line for line in out if "Nguyễn Thị Lan: http://" in line).split(": ", 1)[1]
        page, fragment = link.split("#", 1)
        init_data = parse_qs(fragment)["tgWebAppData"][0]
        async with aiohttp.ClientSession() as client:
            async with client.get(page) as response:
                seen["page"] = response.status
            headers = {"Authorization": f"tma {init_data}"}
            async with client.get(page + "api/completeness", headers=headers) as response:
                seen["api"] = response.status
                seen["rounds"] = len((await response.json())["rounds"])
        yield "/quit"

    await console_session(settings, url=url, demo=True, lines=lines(), out=out.append)
    assert any(line.startswith("Dashboard (open in a browser") for line in out)
    assert seen == {"page": 200, "api": 200, "rounds": 1}
