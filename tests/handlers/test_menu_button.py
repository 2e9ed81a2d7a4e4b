"""The chat's menu button (bot/menu_button.py): with PHOIHOP_WEB_URL set, a leader's private chat
gets the dashboard as its menu button, labelled in their language, at /start, when the language
changes, when they become a leader (an invite link, /members, the command line); someone who
is not (or no longer) a leader gets Telegram's default back. Without PHOIHOP_WEB_URL nothing is
ever set. Set through the outbox, after the commit, by the running bot."""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.runtime import cli_admin, cli_members
from bot.runtime.cli import CliError
from storage.models import OutboxMessage
from tests.harness import Harness

URL = "https://phoihop.example.vn/app/"
CAU_BAM = "Ban Công tác Mặt trận thôn Cầu Bâm"


def _menu(h: Harness, chat_id: int) -> Any:
    return h.emu.bot_settings.get(f"menu_button:{chat_id}")


def _dashboard(text: str) -> dict[str, Any]:
    return {"type": "web_app", "text": text, "web_app": {"url": URL}}


async def _drain(h: Harness) -> None:
    """Every notice queued so far sent (one per chat per round; a chat rests a second)."""
    for _ in range(5):
        await h.dispatch()
        async with h.db.session() as session:
            waiting = await session.scalar(
                select(OutboxMessage.id).where(OutboxMessage.status == "pending").limit(1)
            )
        if waiting is None:
            return
        h.clock.advance(timedelta(seconds=2))
    raise AssertionError("the outbox did not drain")


async def test_without_a_web_url_nothing_is_set(harness: Harness) -> None:
    h = harness
    await h.seed_demo()
    lan = h.user(1002, "Lan")  # leader of Ủy ban MTTQ xã Yên Nguyên
    await lan.send("/start")
    await lan.send("/language en")
    await _drain(h)
    assert _menu(h, 1002) is None
    async with h.db.session() as session:
        kinds = (await session.scalars(select(OutboxMessage.kind))).all()
    assert "menu_button" not in kinds


async def test_leaders_get_the_dashboard_and_cadres_the_default(harness: Harness) -> None:
    h = harness
    h.overrides["web_url"] = URL
    await h.seed_demo()
    await h.restart()
    lan = h.user(1002, "Lan")
    await lan.send("/start")
    nam = h.user(1004, "Nam", last_name="Lê Văn")  # cadre of Thôn Cầu Bâm
    await nam.send("/start")
    await _drain(h)
    assert _menu(h, 1002) == _dashboard("Bảng điều khiển")
    assert _menu(h, 1004) == {"type": "default"}
    # The label follows the person's language.
    await lan.send("/language en")
    await _drain(h)
    assert _menu(h, 1002) == _dashboard("Dashboard")

    # Raised in /members: the dashboard; lowered: the default again.
    await lan.send("/language vi")
    await lan.send("/members")
    await lan.press(f"{CAU_BAM} ›")
    await lan.press(f"✓ {CAU_BAM}")
    await lan.press("Lê Văn Nam · cán bộ")
    await lan.press("Đặt làm lãnh đạo đơn vị")
    await _drain(h)
    assert _menu(h, 1004) == _dashboard("Bảng điều khiển")
    await lan.press("Lê Văn Nam · lãnh đạo đơn vị")
    await lan.press("Đặt làm cán bộ")
    await _drain(h)
    assert _menu(h, 1004) == {"type": "default"}


async def test_an_invite_link_and_the_command_line_change_it_too(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    monkeypatch.setattr(cli_members, "SystemClock", lambda: h.clock)  # the test's time
    h.overrides["web_url"] = URL
    await h.seed_demo()
    await h.restart()
    code = await h.invite("02365-t1", role="admin")
    mai = h.user(2301, "Mai")
    await mai.send(f"/start {code}")  # joins as the unit's leader
    await _drain(h)
    assert _menu(h, 2301) == _dashboard("Bảng điều khiển")

    # An operator lowers her at the command line: the running bot resets her button.
    assert h.services is not None
    args = argparse.Namespace(
        members_action="role", unit="02365-t1", telegram_id=2301, role="cadre"
    )
    assert await cli_members._members(args, h.services.settings, h.db) == 0
    await _drain(h)
    assert _menu(h, 2301) == {"type": "default"}
    # Raised again, then removed.
    args.role = "admin"
    await cli_members._members(args, h.services.settings, h.db)
    await _drain(h)
    assert _menu(h, 2301) == _dashboard("Bảng điều khiển")
    args.members_action = "remove"
    await cli_members._members(args, h.services.settings, h.db)
    await _drain(h)
    assert _menu(h, 2301) == {"type": "default"}


async def test_leaders_who_joined_before_the_web_url_get_it_from_the_command_line(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The dashboard comes to a deployment whose leaders started the bot long ago: one command
    gives every leader the button, through the running bot's outbox; cadres keep the default."""
    h = harness
    monkeypatch.setattr(cli_admin, "SystemClock", lambda: h.clock)
    await h.seed_demo()
    lan, thu = h.user(1002, "Lan"), h.user(1008, "Thu")
    nam = h.user(1004, "Nam", last_name="Lê Văn")
    for person in (lan, thu, nam):
        await person.send("/start")
    await _drain(h)
    assert h.services is not None
    with pytest.raises(CliError, match="PHOIHOP_WEB_URL"):
        await cli_admin._admin_menu_buttons(argparse.Namespace(), h.services.settings, h.db)

    h.overrides["web_url"] = URL
    await h.restart()
    assert _menu(h, 1002) is None  # nothing about Lan changed: nothing was set
    assert await cli_admin._admin_menu_buttons(argparse.Namespace(), h.services.settings, h.db) == 0
    assert capsys.readouterr().out.startswith("2 leader(s)' menu button queued")
    await _drain(h)
    assert _menu(h, 1002) == _menu(h, 1008) == _dashboard("Bảng điều khiển")
    assert _menu(h, 1004) is None  # a cadre: Telegram's default, never touched
