"""The dashboard opened the way a leader opens it: from the "Bảng điều khiển" button under
/totals. Telegram opens the button's ``web_app`` URL (the public ``https://`` address the TLS
proxy forwards to ``PHOIHOP_WEB_LISTEN``) with the presser's signed launch data in the fragment;
here the proxy's part is to put the local server's address in front of the same path.

Skipped, saying why, where Playwright or the browser is missing (tests/web/browser.py)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from bot.demo import Demo
from bot.runtime.webapp import launch_fragment
from tests.harness import Harness, text_of
from tests.web.browser import NEEDS_BROWSER
from tests.web.dashboard_server import seed, served, signed

PUBLIC = "https://phoihop.example.vn/app/"

pytestmark = NEEDS_BROWSER


def web_app_url(message: Any) -> str:
    [url] = [b["web_app"]["url"] for row in message.inline_buttons for b in row if "web_app" in b]
    return str(url)


#: What each language's page says: its title, two tab names and the meetings' "attending".
WORDS = {
    "vi": ("Bảng điều khiển", "Tổng hợp", "Lịch họp", "Tham dự"),
    "en": ("Dashboard", "Totals", "Meetings", "Attending"),
}


@pytest.mark.parametrize("language", ["vi", "en"])
async def test_a_leader_opens_the_dashboard_from_the_button_under_totals(
    harness: Harness, browser: Any, language: str
) -> None:
    """From the button: the board, a reminder the cadre receives, the totals /totals wrote, a
    drill-down to a residential area and back, the meetings — in Vietnamese and in English."""
    h = harness
    title, totals_tab, meetings_tab, attending = WORDS[language]
    h.overrides["web_url"] = PUBLIC
    await h.restart()
    demo: Demo = await seed(h)
    assert demo.people
    lan = h.user(1002, "Lan", last_name="Nguyễn Thị")
    if language == "en":
        await lan.send("/language en")
    reply = (await lan.send("/totals"))[0]
    url = web_app_url(reply)
    assert url == PUBLIC
    first_line = text_of(reply).split("\n\n")[0].splitlines()[1]
    async with served(h) as server:
        # The proxy: the public address's path, served by the bot's own web server.
        served_at = urlsplit(server.url)
        local = f"{served_at.scheme}://{served_at.netloc}{urlsplit(url).path}"
        context = await browser.new_context(viewport={"width": 390, "height": 844})
        page = await context.new_page()
        fragment = launch_fragment(signed(h, 1002, language=language), platform="android")
        await page.goto(local + "#" + fragment)
        await page.wait_for_selector(".round")
        assert await page.inner_text("#title") == title
        # "Nhắc" on the thôn that owes its report: its cadre receives it, in his language.
        row = page.locator(".round li.unit", has_text="Cầu Bâm")
        await row.locator("button.remind").click()
        await row.locator(".reminded").wait_for()
        await h.dispatch()
        nam = h.user(1004, "Nam", last_name="Lê Văn")
        assert text_of(nam.last).startswith("Nguyễn Thị Lan nhắc bạn:")
        # The totals: the first line is the one /totals wrote, in the same language.
        await page.get_by_text(totals_tab, exact=True).click()
        await page.wait_for_selector(".kind")
        shown = await page.locator(".kind .line.this").all_inner_texts()
        assert shown[0] == first_line
        # Down to a residential area and back up.
        commune = await page.inner_text(".unit-name")
        first = page.locator(".drill").first
        target = (await first.inner_text()).removeprefix("› ")
        await first.click()
        await page.wait_for_function(
            "name => document.querySelector('.unit-name')?.textContent === name", arg=target
        )
        await page.click(".up")
        await page.wait_for_function(
            "name => document.querySelector('.unit-name')?.textContent === name", arg=commune
        )
        # The meetings, with their answers counted.
        await page.get_by_text(meetings_tab, exact=True).click()
        await page.wait_for_selector(".meeting")
        assert attending in await page.inner_text(".meeting")
