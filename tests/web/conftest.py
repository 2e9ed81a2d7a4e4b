"""The dashboard's browser tests' one Chromium per test (see tests/web/browser.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.web.browser import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()
