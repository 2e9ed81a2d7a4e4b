"""The Bot API misbehaving under a running bot: 429 with retry_after, 5xx, timeouts, and the
server gone (connection refused) and back on the same port. The bot waits, carries on, and no
update is lost, reordered or handled twice. Waits are real but kept short through settings."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest

from bot.clock import FakeClock
from bot.settings import Settings
from storage.db import Database
from tests.harness import Harness, text_of

HELP = "Bạn có thể:"


class QuickHarness(Harness):
    """The harness with short back-off and timeouts, so faults resolve in a fraction of a second."""

    def settings(self) -> Settings:
        return (
            super()
            .settings()
            .model_copy(
                update={
                    "poll_backoff_max": 0.2,
                    "api_retry_delays": [0.05, 0.1, 0.2],
                    "api_timeout": 0.5,
                }
            )
        )


@pytest.fixture
async def h(db: Database, clock: FakeClock) -> AsyncIterator[Harness]:
    async with QuickHarness(db, clock) as harness:
        yield harness


def texts(h: Harness, chat_id: int) -> list[str]:
    return [m.text or "" for m in h.emu.messages(chat_id)]


async def test_polling_outlives_a_server_outage_without_losing_updates(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """Protection: bot/runtime/polling.py keeps polling through refused connections with a back-off capped
    by PHOIHOP_POLL_BACKOFF_MAX, logs the outage once and the recovery once; the updates queued
    meanwhile are handled afterwards, in order, once."""
    caplog.set_level(logging.WARNING, logger="bot.runtime.polling")
    lan = h.user(3001, "Lan")
    await lan.send("/start")
    port = h.emu._bound_port
    await h.emu.stop()  # connection refused from now on
    await asyncio.sleep(1.0)  # several failed polls
    for text in ("/help", "/me", "/help"):
        h.emu.push_update(
            {
                "message": {
                    "message_id": 900 + len(text),
                    "from": lan.to_json(),
                    "chat": {"id": 3001, "type": "private", "first_name": "Lan"},
                    "date": 0,
                    "text": text,
                    "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}],
                }
            }
        )
    before = len(texts(h, 3001))
    await h.emu.start()
    assert h.emu._bound_port == port
    await h.emu.settle(timeout=5)
    after = texts(h, 3001)[before:]
    assert len(after) == 3 and after[0].startswith(HELP) and after[2].startswith(HELP)
    assert not after[1].startswith(HELP)
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.runtime.polling"]
    assert len([m for m in lines if "failed" in m]) == 1, lines
    assert len([m for m in lines if "works again" in m]) == 1, lines
    assert not any(r.exc_info or r.exc_text for r in caplog.records), "no tracebacks"


async def test_get_updates_429_5xx_and_timeouts(h: Harness) -> None:
    """Protection: bot/runtime/polling.py waits retry_after on 429, backs off on 5xx and asks again at once
    after a timeout; the update waiting meanwhile is handled exactly once."""
    lan = h.user(3001, "Lan")
    await lan.send("/start")
    h.emu.fail_next("getUpdates", status=502, description="Bad Gateway", count=3)
    h.emu.fail_next("getUpdates", status=429, retry_after=1)
    assert text_of((await lan.send("/help"))[0]).startswith(HELP)
    h.emu.hold_next("getUpdates")  # a long poll that never answers: the client times out
    await h.emu.wait_for(lambda: h.emu.held.get("getupdates", 0) == 1, timeout=5)
    replies = await lan.send("/help")
    assert len(replies) == 1 and text_of(replies[0]).startswith(HELP)
    assert texts(h, 3001).count(text_of(replies[0])) == 2  # the two /help answers, no extra


async def test_a_reply_that_meets_5xx_is_retried(h: Harness) -> None:
    """Protection: bot/runtime/api_retry.py retries a reply that failed with 5xx or a refused connection
    (PHOIHOP_API_RETRY_DELAYS) instead of losing it."""
    lan = h.user(3001, "Lan")
    await lan.send("/start")
    h.emu.fail_next("sendMessage", status=502, description="Bad Gateway", count=2)
    replies = await lan.send("/help")
    assert [text_of(r)[: len(HELP)] for r in replies] == [HELP]


async def test_a_reply_that_timed_out_is_not_sent_twice(h: Harness) -> None:
    """Protection: a sendMessage that timed out may have been delivered, so bot/runtime/api_retry.py does
    not repeat it; the error handler answers and the bot carries on."""
    lan = h.user(3001, "Lan")
    await lan.send("/start")
    h.emu.hold_next("sendMessage")
    replies = await lan.send("/help")
    assert not any((r.text or "").startswith(HELP) for r in replies)
    assert text_of((await lan.send("/help"))[0]).startswith(HELP)


class LimitedHarness(QuickHarness):
    """The production configuration: AIORateLimiter in front of every request."""

    rate_limit = True


async def test_a_429_holds_only_the_request_that_met_it(
    db: Database, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """Protection: bot/runtime/app.py builds AIORateLimiter with max_retries=0, so a 429 does not
    pause every request of the bot (its own retry does); the reply that met it waits retry_after
    alone (bot/runtime/api_retry.py) and another person is answered meanwhile. The 429 is one
    WARNING line, not an ERROR with a traceback."""
    caplog.set_level(logging.INFO)
    async with LimitedHarness(db, clock) as h:
        lan, minh = h.user(3001, "Lan"), h.user(3002, "Minh")
        await lan.send("/start")
        await minh.send("/start")
        h.emu.fail_next("sendMessage", status=429, retry_after=1)
        lan_sending = asyncio.ensure_future(lan.send("/help"))
        await h.emu.wait_for(lambda: h.emu.stats.get("429", 0) == 1, timeout=5)
        minh_sending = asyncio.ensure_future(minh.send("/help"))
        await h.emu.wait_for(lambda: texts(h, 3002)[-1].startswith(HELP), timeout=5)
        assert not texts(h, 3001)[-1].startswith(HELP)  # Lan's reply still waits its second
        await minh_sending
        lan_replies = await lan_sending
        assert [text_of(r)[: len(HELP)] for r in lan_replies] == [HELP]
        assert h.emu.stats["429"] == 1
    about = [  # the bot's and PTB's lines (httpx logs every request's status line at INFO)
        r
        for r in caplog.records
        if r.name != "httpx" and ("429" in r.getMessage() or "Rate limit" in r.getMessage())
    ]
    assert [(r.levelno, r.exc_info) for r in about] == [(logging.WARNING, None)], about
