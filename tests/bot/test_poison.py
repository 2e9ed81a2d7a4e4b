"""Poison updates through the emulator with long polling: one python-telegram-bot cannot read, and
one whose handler fails every time, are each dealt with once (one log line naming the update)
and the updates after them are handled. The webhook's side is in tests/bot/test_webhook.py."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from telegram import Update
from telegram.ext import MessageHandler, filters

from bot.runtime.webhook import Attempts
from handlers.context import AppContext
from tests.harness import Harness


def unreadable(user_id: int) -> dict[str, Any]:
    """A message without a date: Telegram never sends one, python-telegram-bot cannot read it."""
    return {
        "message": {
            "message_id": 9_000,
            "from": {"id": user_id, "is_bot": False, "first_name": "Nam"},
            "chat": {"id": user_id, "type": "private"},
            "text": "/help",
        }
    }


@pytest.fixture
async def h(harness: Harness) -> Harness:
    await harness.seed_demo()
    return harness


def lines_about(caplog: pytest.LogCaptureFixture, update_id: int) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.WARNING and f"update {update_id} " in r.getMessage()
    ]


async def test_an_unreadable_update_is_skipped_and_the_rest_of_its_batch_handled(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    nam = h.user(1004, "Nam")
    await nam.send("/start")
    with caplog.at_level(logging.INFO):
        poison = h.emu.push_update(unreadable(1004))
        after = h.emu.push_update(
            {
                "message": {
                    "message_id": 9_001,
                    "from": nam.to_json(),
                    "chat": {"id": 1004, "type": "private", "first_name": "Nam"},
                    "date": 1_790_000_000,
                    "text": "/log ket_nap 2",
                    "entities": [{"type": "bot_command", "offset": 0, "length": 4}],
                }
            }
        )
        await h.emu.settle()
        await h.emu.wait_delivered(after)  # confirmed, the poison before it too
        [line] = lines_about(caplog, poison)
        assert "cannot be read" in line and "skipped" in line
        assert nam.last is not None and nam.last.text is not None
        assert nam.last.text.startswith("Đã lưu")  # the update after the poison, same batch
        # Polling goes on as usual.
        [saved] = await nam.send("/log ket_nap 3")
        assert saved.text is not None and saved.text.startswith("Đã lưu")
    assert len(lines_about(caplog, poison)) == 1


async def test_an_update_whose_handler_always_fails_is_handled_once(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    assert h.app is not None

    async def explode(update: Update, context: AppContext) -> None:
        raise RuntimeError("a bug in a handler")

    h.app.add_handler(MessageHandler(filters.Regex("^boom$"), explode), group=-3)
    nam = h.user(1004, "Nam")
    await nam.send("/start")
    with caplog.at_level(logging.INFO):
        [sorry] = await nam.send("boom")
        assert sorry.text is not None and sorry.text.startswith("Xin lỗi")
        failed = [r for r in caplog.records if "unhandled error" in r.getMessage()]
        assert len(failed) == 1  # one line (with its traceback), naming the update
        [saved] = await nam.send("/log ket_nap 2")
        assert saved.text is not None and saved.text.startswith("Đã lưu")


def test_attempts_give_up_at_the_limit_and_stay_bounded() -> None:
    attempts = Attempts(limit=3, keep=4)
    assert [attempts.failed(7) for _ in range(3)] == [False, False, True]
    assert attempts.failed(7) is False  # forgotten once skipped: a new id reuse starts afresh
    for update_id in range(100, 110):
        attempts.failed(update_id)
    assert attempts.failed(100) is False  # pushed out by newer ones: memory stays bounded
