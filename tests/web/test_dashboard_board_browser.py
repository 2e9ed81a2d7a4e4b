"""The grouped board in a real browser (headless Chromium, as tests/web/test_dashboard_browser.py
drives it): a province's leader sees a row per commune, taps one, sees its residential areas
with their cadres and "Nhắc", and goes back up. Skipped, saying why, without Playwright or the
browser."""

from __future__ import annotations

import pytest

from bot.demo import Demo
from bot.runtime.webapp import launch_fragment
from tests.harness import Harness
from tests.web.browser import NEEDS_BROWSER, PHONE, SHOTS
from tests.web.dashboard_server import seed, served, signed
from tests.web.test_dashboard_board_groups import open_province_round

pytestmark = NEEDS_BROWSER


@pytest.fixture
async def demo(harness: Harness) -> Demo:
    demo = await seed(harness)
    await open_province_round(harness, demo)
    return demo


async def test_a_province_leader_drills_from_communes_to_areas_and_back(
    harness: Harness, demo: Demo, browser: object
) -> None:
    h = harness
    SHOTS.mkdir(parents=True, exist_ok=True)
    async with served(h) as server:
        context = await browser.new_context(viewport=PHONE, device_scale_factor=2)  # type: ignore[attr-defined]
        page = await context.new_page()
        await page.goto(server.url + "#" + launch_fragment(signed(h, 1001), platform="android"))
        await page.wait_for_selector(".round")
        assert "Trần Văn Hùng" in await page.inner_text("#who")
        # A row per commune, no residential area's row, the worst first.
        wide = page.locator(".round", has_text="Quý III")
        communes = await wide.locator("li.group").all_inner_texts()
        assert len(communes) == 3
        assert await page.locator("li.unit").count() == 0
        assert "Chưa nộp 3" in communes[0] and "Đã nộp 0/3 (0%)" in communes[0]
        assert "Đã nộp 3/3 (100%)" in communes[-1]
        await page.screenshot(path=str(SHOTS / "dashboard-board-province-vi.png"), full_page=True)
        # Tap Yên Nguyên: its residential areas, with their cadres and "Nhắc".
        await wide.locator("button.group-row", has_text="Yên Nguyên").click()
        await page.wait_for_selector(".board-head")
        assert (await page.inner_text(".board-unit")).endswith("Yên Nguyên")
        cau_bam = page.locator(".round li.unit", has_text="Cầu Bâm").first
        assert "Lê Văn Nam" in await cau_bam.inner_text()
        assert await cau_bam.locator("button.remind").count() == 1
        assert await page.locator("li.group").count() == 0
        # Back up to the communes.
        await page.click(".board-up")
        await page.wait_for_selector("li.group")
        assert await page.locator(".board-head").count() == 0
        assert await page.locator(".round", has_text="Quý III").locator("li.group").count() == 3
