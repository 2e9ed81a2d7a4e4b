"""The petitions tab in a real browser (headless Chromium driven by Playwright, at a phone's
size, opened the way a Telegram client opens it): above the list, the counts of ``/totals kiến
nghị`` for the same person and period, line for line, in Vietnamese and English, and its period
choices. Skipped, saying why, where Playwright or the browser is missing (tests/web/browser.py)."""

from __future__ import annotations

import os

import pytest

from bot.demo import Demo
from bot.runtime.webapp import WebServer, launch_fragment
from tests.harness import Harness, text_of
from tests.web.browser import NEEDS_BROWSER, PHONE
from tests.web.dashboard_server import seed, served, signed

#: Where to save a picture of the tab, to look at it (not kept in docs/).
SHOT = os.environ.get("PHOIHOP_PETITIONS_SHOT")

pytestmark = NEEDS_BROWSER


@pytest.fixture
async def demo(harness: Harness) -> Demo:
    return await seed(harness)


async def _page(browser: object, server: WebServer, init_data: str):  # type: ignore[no-untyped-def]
    context = await browser.new_context(viewport=PHONE, device_scale_factor=2)  # type: ignore[attr-defined]
    page = await context.new_page()
    await page.goto(server.url + "#" + launch_fragment(init_data, platform="android"))
    return page


async def _summary(page) -> list[str]:  # type: ignore[no-untyped-def]
    head = await page.inner_text(".petition-summary .summary-head")
    return [head, *await page.locator(".petition-summary .line").all_inner_texts()]


async def _choose(page, label: str) -> None:  # type: ignore[no-untyped-def]
    await page.click(f".petition-periods button:text-is('{label}')")
    await page.wait_for_selector(f".petition-periods button.on:text-is('{label}')")


async def test_a_commune_leader_sees_the_counts_of_totals_kien_nghi(
    harness: Harness, demo: Demo, browser: object
) -> None:
    h = harness
    lan = h.user(1002, "Lan", last_name="Nguyễn Thị")
    month = text_of((await lan.send("/totals kiến nghị"))[0]).splitlines()
    year = text_of((await lan.send("/totals kiến nghị năm nay"))[0]).splitlines()
    assert any(line.startswith("Trả lời đúng hạn: ") for line in year)
    async with served(h) as server:
        page = await _page(browser, server, signed(h, 1002))
        await page.wait_for_selector(".round")
        await page.click("#tab-petitions")
        await page.wait_for_selector(".petition-summary")
        labels = await page.locator(".petition-periods button").all_inner_texts()
        assert labels == ["Tháng này", "Quý này", "Năm nay", "Quý trước"]
        assert await page.inner_text(".petition-periods button.on") == "Tháng này"
        assert await _summary(page) == month
        await _choose(page, "Năm nay")
        assert await _summary(page) == year
        # The open items are still listed below, overdue first.
        assert await page.inner_text("#petitions h3") == (
            "Toàn bộ đến nay, theo trạng thái; bên dưới là kiến nghị đang mở, quá hạn lên đầu:"
        )
        assert "quá hạn" in await page.locator(".petition").first.inner_text()
        # At a phone's width nothing runs off the side.
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"]
        if SHOT:
            await page.screenshot(path=SHOT, full_page=True)


async def test_in_english(harness: Harness, demo: Demo, browser: object) -> None:
    h = harness
    lan = h.user(1002, "Lan", language_code="en")
    year = text_of((await lan.send("/totals petitions this year"))[0]).splitlines()
    assert year[1].startswith("Received: ")
    async with served(h) as server:
        page = await _page(browser, server, signed(h, 1002, language="en"))
        await page.wait_for_selector(".round")
        await page.click("#tab-petitions")
        await page.wait_for_selector(".petition-summary")
        assert await page.inner_text(".petition-periods button.on") == "This month"
        await _choose(page, "This year")
        assert await _summary(page) == year
        assert await page.inner_text("#petitions h3") == (
            "All so far, by status; the open ones below, overdue first:"
        )
