"""One person's slow reply holds up nobody else, and no answer is awaited inside a transaction.

Telegram may take long to accept a reply (the API call is retried for up to a minute). Updates of
different people are handled at the same time (bot/runtime/ordering.py), each person's in order,
and answers go out after the commit (handlers/common.py), so the held reply holds neither the
other people's updates nor SQLite's write lock."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import pytest
from telegram import Chat, Message, Update, User

from bot.runtime.ordering import PerPersonOrder
from tests.harness import Harness, text_of


@pytest.fixture
async def h(harness: Harness) -> Harness:
    # The held call must not time out on its own: it is released by the test.
    harness.overrides["api_timeout"] = 60.0
    await harness.restart()
    await harness.seed_demo()
    return harness


async def test_a_held_reply_does_not_hold_up_another_person(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    lan, nam = h.user(1002, "Lan"), h.user(1004, "Nam")
    await lan.send("/start")
    await nam.send("/start")
    settle = h.emu.settle_hook

    # Lan logs an activity; Telegram holds the bot's answer to her.
    h.emu.hold_next("sendMessage")
    h.emu.settle_hook = None  # the test waits for answers itself while Lan's is held
    lan_before, nam_before = len(lan.history()), len(nam.history())
    held = asyncio.create_task(lan.send("/log hoa_giai 1"))
    await h.emu.wait_for(lambda: h.emu.held.get("sendmessage", 0) == 1)

    # Meanwhile Nam's entry is saved and answered (no "database is locked"). The Bot API keeps
    # his update unconfirmed until Lan's, older, is done too (a crash would redeliver both).
    nams = asyncio.create_task(nam.send("/log hoa_giai 2"))
    await h.emu.wait_for(lambda: len(nam.history()) > nam_before)
    assert text_of(nam.history()[-1]).startswith("Đã lưu thành mục #")
    assert len(lan.history()) == lan_before, "Lan's answer is still held"

    # Telegram lets Lan's answer through: it arrives, and her entry was saved before it.
    h.emu.release_held()
    h.emu.settle_hook = settle
    await held
    await nams
    await h.emu.settle()
    assert text_of(lan.history()[-1]).startswith("Đã lưu thành mục #")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert h.app is not None and h.app.bot_data["poller"].unfinished == 0


async def test_one_persons_updates_stay_in_order(h: Harness) -> None:
    """A person's second message waits for their first, even while another person's run."""
    lan = h.user(1002, "Lan")
    await lan.send("/start")
    h.emu.hold_next("sendMessage")
    settle = h.emu.settle_hook
    h.emu.settle_hook = None
    before = len(lan.history())
    first = asyncio.create_task(lan.send("/log hoa_giai 1"))
    await h.emu.wait_for(lambda: h.emu.held.get("sendmessage", 0) == 1)
    second = asyncio.create_task(lan.send("/log hoa_giai 3"))
    # Nam's update, sent after Lan's second, is answered: so the bot has fetched Lan's second
    # too, which still waits for her first.
    nam = h.user(1004, "Nam")
    nam_before = len(nam.history())
    nams = asyncio.create_task(nam.send("/help"))
    await h.emu.wait_for(lambda: len(nam.history()) > nam_before)
    assert len(lan.history()) == before, "the second waits for the first's answer"
    h.emu.release_held()
    h.emu.settle_hook = settle
    await first
    await second
    await nams
    await h.emu.settle()
    texts = [m.text or "" for m in lan.history()[before:]]
    assert len(texts) == 2 and all(t.startswith("Đã lưu thành mục #") for t in texts)
    numbers = [int(t.split("#")[1].split(".")[0]) for t in texts]
    assert numbers == sorted(numbers), "answered in the order sent"


async def test_lanes_are_forgotten_with_their_last_update() -> None:
    """Memory does not grow with the number of people ever seen."""
    processor = PerPersonOrder(running=2)

    done: list[int] = []

    async def work(uid: int) -> None:
        done.append(uid)

    def update(uid: int) -> Update:
        user = User(uid, "P", is_bot=False)
        message = Message(uid, datetime.now(UTC), Chat(uid, "private"), from_user=user)
        return Update(uid, message=message)

    await asyncio.gather(
        *(processor.process_update(update(i % 7 + 1), work(i)) for i in range(1, 50))
    )
    assert sorted(done) == list(range(1, 50))
    assert processor.lanes == 0
