"""The bot token never reaches a log line or an operator's error line (issue 7, Security).

The Bot API puts the token in every request URL, so it travels inside httpx's request log lines,
inside exception texts and tracebacks, and inside the one-line errors of the CLI. Each path is
exercised here for real (a request to the emulator, a connection refused, a CLI run).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from pathlib import Path

import httpx
import pytest
from telegram import Bot
from telegram.error import NetworkError

from bot.emulator import BotApiEmulator
from bot.logging_setup import install_redaction, redact
from bot.runtime.cli import main
from bot.schema import prepare_database
from storage.db import Database
from tests.conftest import T0

TOKEN = "987654321:SECRET-redaction_test_abcdefghijklmn"
#: Settings accept tokens this short; the shape regex alone would miss it.
SHORT = "4242:short-Secret"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _leaks(text: str, *secrets: str) -> list[str]:
    return [s for s in secrets if s in text or s.replace(":", "%3A") in text]


def test_redact_hides_shaped_quoted_and_registered_tokens() -> None:
    install_redaction(SHORT)
    text = f"/bot{TOKEN}/getMe /bot{TOKEN.replace(':', '%3A')}/x /bot{SHORT}/y"
    cleaned = redact(text)
    assert _leaks(cleaned, TOKEN, SHORT) == []
    assert cleaned.count("<token>") == 3


def test_exception_with_the_token_in_its_url_is_logged_without_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    install_redaction(SHORT)
    log = logging.getLogger("phoihop.test")
    url = f"https://api.telegram.org/bot{SHORT}/sendMessage"
    with caplog.at_level(logging.INFO):
        try:
            raise RuntimeError(f"request to {url} failed")
        except RuntimeError:
            log.exception("calling %s", url)
        log.warning("retrying %s", url)
    assert "sendMessage" in caplog.text and "request to" in caplog.text
    assert _leaks(caplog.text, SHORT) == []
    for record in caplog.records:
        assert _leaks(record.getMessage() + (record.exc_text or ""), SHORT) == []


async def test_httpx_request_lines_and_network_errors_are_redacted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    install_redaction(TOKEN)
    async with BotApiEmulator(token=TOKEN) as emu:
        with caplog.at_level(logging.DEBUG):
            async with Bot(TOKEN, base_url=emu.base_url) as bot:
                assert bot.username
    # httpx logged the request line (with the URL) at INFO: it is there, without the token.
    assert "getMe" in caplog.text
    assert _leaks(caplog.text, TOKEN) == []

    caplog.clear()
    log = logging.getLogger("phoihop.test")
    base = f"http://127.0.0.1:{_closed_port()}/bot"
    with caplog.at_level(logging.INFO):
        try:
            async with httpx.AsyncClient() as client:
                await client.post(f"{base}{TOKEN}/getMe")
        except httpx.HTTPError as exc:
            log.error("httpx failed for %s: %r", exc.request.url, exc, exc_info=exc)
        try:
            await Bot(TOKEN, base_url=base).get_me()
        except NetworkError as exc:
            log.warning("network error: %s", exc, exc_info=exc)
    assert "httpx failed" in caplog.text and "network error" in caplog.text
    assert _leaks(caplog.text, TOKEN) == []


def _migrated_db(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"

    async def build() -> None:
        db = Database(url)
        await prepare_database(db, T0)
        await db.dispose()

    asyncio.run(build())
    return url


@pytest.mark.parametrize(
    "argv",
    [
        ["run"],  # "cannot reach the Bot API at <url>" names the server
        ["admin", "invite", "--unit", "08", "--role", "cadre"],  # asks the username with the token
    ],
)
def test_cli_error_lines_never_show_the_token(
    argv: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = _migrated_db(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PHOIHOP_DATABASE_URL", url)
    monkeypatch.setenv("PHOIHOP_BOT_TOKEN", TOKEN)
    # A self-hosted Bot API whose base URL does not end in /bot: the URL keeps the token whole.
    monkeypatch.setenv("PHOIHOP_BOT_API_URL", f"http://127.0.0.1:{_closed_port()}/api/")
    monkeypatch.delenv("PHOIHOP_BOT_USERNAME", raising=False)
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("phoihop: "), err
    assert _leaks(err, TOKEN) == []
