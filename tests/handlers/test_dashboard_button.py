"""The dashboard's web_app button under /totals and /status: for leaders, in private chats, when
PHOIHOP_WEB_URL is set; kept when a /totals button edits the message; never in a group (Telegram
accepts web_app buttons only in private chats)."""

from __future__ import annotations

from typing import Any

from bot.demo import seed_demo_round
from tests.harness import Harness

URL = "https://phoihop.example.vn/app/"


def _web_apps(message: Any) -> list[str]:
    return [b["web_app"]["url"] for row in message.inline_buttons for b in row if "web_app" in b]


def _label(message: Any) -> list[str]:
    return [b["text"] for row in message.inline_buttons for b in row if "web_app" in b]


async def test_leaders_get_the_button_in_private(harness: Harness) -> None:
    h = harness
    demo = await h.seed_demo()
    assert h.services is not None
    async with h.db.session() as session:
        await seed_demo_round(session, demo, h.clock.now(), h.services.settings.tz)
    lan = h.user(1002, "Lan")
    # Without PHOIHOP_WEB_URL: no button.
    assert _web_apps((await lan.send("/totals"))[0]) == []
    h.overrides["web_url"] = URL
    await h.restart()
    totals = (await lan.send("/totals"))[0]
    assert _web_apps(totals) == [URL]
    assert _label(totals) == ["Bảng điều khiển"]
    # A press on a /totals button edits the message; the dashboard's button stays.
    await lan.press("Quý này")
    assert _web_apps(lan.last) == [URL]
    status = (await lan.send("/status"))[0]
    assert _web_apps(status) == [URL]
    # A cadre: no button (their dashboard would show only their own unit: /totals says it).
    nam = h.user(1004, "Nam")
    assert _web_apps((await nam.send("/totals"))[0]) == []
    # In a group: never (Telegram refuses web_app buttons outside private chats).
    group = h.emu.group(-100901, "MTTQ xã Yên Nguyên")
    await group.add_bot(lan)
    in_group = await lan.send("/totals", chat=group)
    assert in_group and _web_apps(in_group[0]) == []
