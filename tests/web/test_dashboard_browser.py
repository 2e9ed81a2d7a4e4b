"""The dashboard in a real browser: headless Chromium (Debian's ``chromium``) driven by
Playwright for Python, opening the page the way a Telegram client does (launch parameters in the
URL fragment), at a phone's size. Screenshots of the main screens, in Vietnamese and English, are
saved to docs/screenshots/ (linked from README).

Skipped, saying why, where Playwright or the browser is missing (``.ci/run`` installs Debian's
``chromium``; Playwright's own browser download is not used)."""

from __future__ import annotations

import json

import pytest

from bot.demo import Demo
from bot.runtime.webapp import WebServer, launch_fragment
from tests.harness import Harness, text_of
from tests.web.browser import NEEDS_BROWSER, PHONE, SHOTS
from tests.web.dashboard_server import seed, served, signed

#: What Telegram's dark theme passes (tgWebAppThemeParams), to see the page follow it.
DARK = {
    "bg_color": "#17212b",
    "text_color": "#f5f5f5",
    "hint_color": "#708499",
    "link_color": "#6ab3f3",
    "button_color": "#5288c1",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#232e3c",
}

pytestmark = NEEDS_BROWSER


@pytest.fixture
async def demo(harness: Harness) -> Demo:
    return await seed(harness, year_of_activities=True)


async def _page(browser: object, server: WebServer, init_data: str, theme: dict | None = None):  # type: ignore[no-untyped-def]
    context = await browser.new_context(viewport=PHONE, device_scale_factor=2)  # type: ignore[attr-defined]
    page = await context.new_page()
    fragment = launch_fragment(init_data, platform="android")
    if theme is not None:
        fragment += "&tgWebAppThemeParams=" + json.dumps(theme).replace(" ", "")
    await page.goto(server.url + "#" + fragment)
    return page


async def test_a_commune_leader_sees_board_totals_and_drills_down(
    harness: Harness, demo: Demo, browser: object
) -> None:
    h = harness
    SHOTS.mkdir(parents=True, exist_ok=True)
    command = text_of((await h.user(1002, "Lan", last_name="Nguyễn Thị").send("/totals"))[0])
    async with served(h) as server:
        page = await _page(browser, server, signed(h, 1002))
        # The completeness board.
        await page.wait_for_selector(".round")
        assert await page.inner_text("#title") == "Bảng điều khiển"
        units = await page.locator(".round li.unit").all_inner_texts()
        assert len(units) == 3 and all("Chưa nộp" in u for u in units)
        assert any("Lê Văn Nam" in u for u in units)
        await page.screenshot(path=str(SHOTS / "dashboard-board-vi.png"), full_page=True)
        # "Nhắc": the thôn's cadre receives the reminder through the emulator.
        row = page.locator(".round li.unit", has_text="Cầu Bâm")
        await row.locator("button.remind").click()
        await row.locator(".reminded").wait_for()
        await h.dispatch()
        assert text_of(h.user(1004, "Nam", last_name="Lê Văn").last).startswith(
            "Nguyễn Thị Lan nhắc bạn:"
        )
        # A unit with no members has no one to remind: no button.
        empty = page.locator(".round li.unit", has_text="Đồng Mán")
        assert "chưa có thành viên" in await empty.inner_text()
        assert await empty.locator("button.remind").count() == 0
        # The totals: the lines /totals says, in its order.
        await page.click("#tab-totals")
        await page.wait_for_selector(".kind")
        shown = await page.locator(".kind .line.this").all_inner_texts()
        head = command.split("\n\n")[0].splitlines()[1:]
        assert shown == head
        assert await page.locator("svg.chart").count() >= len(head)
        await page.screenshot(path=str(SHOTS / "dashboard-totals-vi.png"))
        # Drill down to a thôn, then back up.
        commune = await page.inner_text(".unit-name")
        first = page.locator(".drill").first
        target = (await first.inner_text()).removeprefix("› ")
        await first.click()
        await page.wait_for_function(
            "name => document.querySelector('.unit-name')?.textContent === name", arg=target
        )
        await page.wait_for_selector(".up")
        await page.click(".up")
        await page.wait_for_function(
            "name => document.querySelector('.unit-name')?.textContent === name", arg=commune
        )
        # The meetings.
        await page.click("#tab-meetings")
        await page.wait_for_selector(".meeting")
        assert "Tham dự" in await page.inner_text(".meeting")
        await page.screenshot(path=str(SHOTS / "dashboard-meetings-vi.png"), full_page=True)
        # Citizens' recommendations, overdue first.
        await page.click("#tab-petitions")
        await page.wait_for_selector(".petition")
        assert "quá hạn" in await page.locator(".petition").first.inner_text()
        await page.screenshot(path=str(SHOTS / "dashboard-petitions-vi.png"), full_page=True)


async def _lines(page) -> list[str]:  # type: ignore[no-untyped-def]
    return list(await page.locator(".kind .line.this").all_inner_texts())


async def _shown(page, unit: str, kind: str, rule: str) -> None:  # type: ignore[no-untyped-def]
    """Wait until the totals of this choice are on the screen."""
    await page.wait_for_function(
        """([unit, kind, rule]) =>
            document.querySelector('.unit-name')?.textContent === unit &&
            document.querySelector('.seg.kinds button.on')?.dataset.kind === kind &&
            document.querySelector('.seg.rules button.on')?.dataset.rule === rule""",
        arg=[unit, kind, rule],
    )


async def test_an_organisation_and_calendar_periods_equal_the_totals_command(
    harness: Harness, demo: Demo, browser: object
) -> None:
    """The issue's "any period (… Decree 09 or calendar) and organisation": the Women's Union of
    the commune for this year, under the deployment's rule (Decree 09) and then calendar
    periods, each equal to /totals for the same choice (/totals uses the deployment's rule: it
    is asked again in a bot whose PHOIHOP_PERIOD_RULE is calendar)."""
    h = harness
    lan = h.user(1002, "Lan", last_name="Nguyễn Thị")
    women = "Hội Liên hiệp Phụ nữ xã Yên Nguyên"
    asked = "/totals 02365-phu_nu năm nay"
    decree = text_of((await lan.send(asked))[0])
    h.overrides["period_rule"] = "calendar"
    await h.restart()
    calendar = text_of((await lan.send(asked))[0])
    del h.overrides["period_rule"]
    await h.restart()
    assert women in decree.splitlines()[0] and women in calendar.splitlines()[0]
    by_decree = decree.split("\n\n")[0].splitlines()[1:]
    by_calendar = calendar.split("\n\n")[0].splitlines()[1:]
    assert by_decree and by_calendar and by_decree != by_calendar  # 15–31/12/2025 differ
    async with served(h) as server:
        page = await _page(browser, server, signed(h, 1002))
        await page.wait_for_selector(".round")
        await page.click("#tab-totals")
        await page.wait_for_selector("#org-select")
        assert await page.locator(".seg.rules button.on").inner_text() == "Nghị định 09"
        await page.select_option("#org-select", "phu_nu")
        await _shown(page, women, "month", "decree09")
        await page.click(".seg.kinds button[data-kind=year]")
        await _shown(page, women, "year", "decree09")
        assert await _lines(page) == by_decree
        assert await page.locator("#period-select").input_value() == "2026-Y"
        await page.screenshot(path=str(SHOTS / "dashboard-totals-choices-vi.png"))
        await page.click(".seg.rules button[data-rule=calendar]")
        await _shown(page, women, "year", "calendar")
        assert await _lines(page) == by_calendar
        assert await page.locator("#period-select").input_value() == "2026-Y@calendar"
        # A quarter from the list, then the whole area again ("Mọi tổ chức").
        await page.click(".seg.kinds button[data-kind=quarter]")
        await _shown(page, women, "quarter", "calendar")
        await page.select_option("#period-select", "2026-Q3@calendar")
        await page.wait_for_function(
            "() => document.querySelector('#totals .head .hint')?.textContent.startsWith('Quý III/2026')"
        )
        await page.select_option("#org-select", "")
        await _shown(page, "Ủy ban MTTQ xã Yên Nguyên", "quarter", "calendar")


async def test_english_and_telegrams_dark_theme(
    harness: Harness, demo: Demo, browser: object
) -> None:
    h = harness
    SHOTS.mkdir(parents=True, exist_ok=True)
    async with served(h) as server:
        page = await _page(browser, server, signed(h, 1002, language="en"), DARK)
        await page.wait_for_selector(".round")
        assert await page.inner_text("#tab-board") == "Reports"
        assert "Missing" in await page.inner_text(".round")
        background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(23, 33, 43)"  # #17212b, Telegram's
        await page.screenshot(path=str(SHOTS / "dashboard-board-en.png"), full_page=True)
        await page.click("#tab-totals")
        await page.wait_for_selector(".kind")
        assert "Same period last year" in await page.inner_text(".kind")
        await page.screenshot(path=str(SHOTS / "dashboard-totals-en.png"))


async def test_forged_launch_data_shows_the_refusal(
    harness: Harness, demo: Demo, browser: object
) -> None:
    h = harness
    SHOTS.mkdir(parents=True, exist_ok=True)
    forged = signed(h, 1002).replace("U1002", "U1001")
    async with served(h) as server:
        page = await _page(browser, server, forged)
        await page.wait_for_selector("#refusal:not([hidden])")
        assert await page.inner_text("#refusal-title") == "Không mở được bảng điều khiển"
        assert "không hợp lệ" in await page.inner_text("#refusal-message")
        assert await page.locator("#tabs").is_hidden()
        await page.screenshot(path=str(SHOTS / "dashboard-refused-vi.png"))
        # Opened without launch data at all (a link outside Telegram).
        page = await browser.new_page()  # type: ignore[attr-defined]
        await page.goto(server.url)
        await page.wait_for_selector("#refusal:not([hidden])")
        assert "nút" in await page.inner_text("#refusal-message")
