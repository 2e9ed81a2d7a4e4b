"""What the dashboard's browser tests share: headless Chromium (Debian's ``chromium``, driven by
Playwright for Python; Playwright's own browser download is not used), a phone's screen, and
the marks that skip them, saying why, where either is missing (``.ci/run`` installs Debian's
``chromium``). The ``browser`` fixture is in tests/web/conftest.py."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: Chromium as this machine's closed network wants it (no sandbox as root, no calls home).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
#: Screenshots linked from README.
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

NEEDS_BROWSER = [
    pytest.mark.skipif(
        importlib.util.find_spec("playwright") is None,
        reason="Playwright for Python is not installed (pip install -e '.[dev]')",
    ),
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason=f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium)",
    ),
]
