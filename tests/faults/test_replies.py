"""A reply to committed work reaches the person, once and in order, after Telegram was away
(issue 15, handlers/delivery.py): the Bot API down past the retries, 5xx, a ``sendMessage`` that
timed out. The outbox rounds run at the fake clock's time (``h.dispatch``)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from storage.db import Database
from storage.models import Activity, HandledUpdate, OutboxMessage
from tests.faults.test_network import QuickHarness
from tests.harness import Harness, text_of

SAVED_1 = "Đã lưu thành mục #1."
SAVED_2 = "Đã lưu thành mục #2."
#: Every attempt PatientLimiter makes with QuickHarness's delays (the first and three retries).
ALL_ATTEMPTS = 4


@pytest.fixture
async def h(db: Database, clock: FakeClock) -> AsyncIterator[Harness]:
    async with QuickHarness(db, clock) as harness:
        await harness.seed_demo()
        yield harness


def texts(h: Harness, chat_id: int) -> list[str]:
    return [m.text or "" for m in h.emu.messages(chat_id)]


async def entries(h: Harness) -> int:
    async with h.db.session() as session:
        return len((await session.scalars(select(Activity))).all())


async def test_a_saved_entry_whose_reply_met_an_outage_is_answered_when_the_api_is_back(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """Protection: a reply after the commit that Telegram does not take (5xx past every retry)
    is queued in the outbox keyed by the update, not lost and not turned into an error message;
    the next outbox round delivers it, with its buttons, once."""
    caplog.set_level(logging.WARNING)
    nam = h.user(1004, "Nam")
    await nam.send("/start")
    h.emu.fail_next("sendMessage", status=502, description="Bad Gateway", count=ALL_ATTEMPTS)
    assert await nam.send('/log nha_dai_doan_ket 2 120tr "thôn 3"') == []
    assert await entries(h) == 1
    report = await h.dispatch()
    assert report.sent == 1
    [late] = [m for m in h.emu.messages(1004) if (m.text or "").startswith(SAVED_1)]
    assert [b["text"] for b in late.inline_buttons[0]] == ["Sửa", "Xóa"]
    h.clock.advance(timedelta(minutes=5))
    assert (await h.dispatch()).sent == 0
    assert sum(t.startswith(SAVED_1) for t in texts(h, 1004)) == 1
    assert not any(t.startswith("Xin lỗi") for t in texts(h, 1004))
    assert any("waits in the outbox" in r.getMessage() for r in caplog.records)


async def test_a_reply_that_timed_out_after_the_save_is_sent_from_the_outbox(h: Harness) -> None:
    """Protection: a ``sendMessage`` that timed out is not repeated at once (it may have
    arrived), but a reply to a save goes to the outbox, so the person is answered: at least once
    rather than never."""
    nam = h.user(1004, "Nam")
    await nam.send("/start")
    h.emu.hold_next("sendMessage")  # Telegram never answers; the bot gives up after API_TIMEOUT
    assert await nam.send("/log hoa_giai 2") == []
    h.emu.release_held()
    await h.dispatch()
    assert texts(h, 1004)[-1].startswith(SAVED_1)
    async with h.db.session() as session:
        [row] = (await session.scalars(select(OutboxMessage))).all()
        [handled] = (await session.scalars(select(HandledUpdate))).all()
    assert row.key.startswith("reply:") and row.status == "sent"
    assert handled.replied_at is not None  # queued counts as answered: a replay stays silent


async def test_replies_queued_for_a_chat_arrive_in_the_order_they_were_said(h: Harness) -> None:
    """Protection: once a chat has replies waiting in the outbox, the next replies to it queue
    behind them instead of overtaking them, and a queued reply waits for the one before it even
    when that one met an error and was rescheduled (``after``)."""
    nam = h.user(1004, "Nam")
    await nam.send("/start")
    h.emu.fail_next("sendMessage", status=502, description="Bad Gateway", count=ALL_ATTEMPTS)
    assert await nam.send("/log hoa_giai 2") == []
    assert await nam.send("/log hoa_giai 3") == []  # Telegram works again; #1 is still waiting
    h.emu.fail_next("sendMessage", status=502, description="Bad Gateway")
    assert (await h.dispatch()).retried == 1  # #1 meets a 5xx: rescheduled 5 s later
    for _ in range(6):
        await h.dispatch()  # #2 is due first, and waits for #1
        h.clock.advance(timedelta(seconds=2))
    saved = [t for t in texts(h, 1004) if t.startswith("Đã lưu")]
    assert [t[: len(SAVED_1)] for t in saved] == [SAVED_1, SAVED_2]
    # Delivered: the chat's replies go straight out again.
    assert text_of((await nam.send("/log hoa_giai 4"))[0]).startswith("Đã lưu thành mục #3.")


async def test_a_reply_keeps_trying_through_a_long_outage_and_nothing_overtakes_it(
    h: Harness,
) -> None:
    """Protection: a reply to committed work is not given up after 8 attempts (about ten
    minutes) as a notice is: Telegram down for a quarter of an hour, the reply is tried again a
    minute apart at most, and arrives when Telegram is back; the person's next entry, saved
    meanwhile, is answered after it, never before."""
    nam = h.user(1004, "Nam")
    await nam.send("/start")
    h.emu.fail_next("sendMessage", status=502, description="Bad Gateway", count=ALL_ATTEMPTS)
    assert await nam.send("/log hoa_giai 2") == []
    outage = 14  # outbox rounds that meet the 502, well past 8 attempts
    h.emu.fail_next("sendMessage", status=502, description="Bad Gateway", count=outage)
    for n in range(outage):
        report = await h.dispatch()
        assert report.retried >= 1 and report.failed == 0, n
        if n == 5:  # Telegram still down: the next entry's reply queues behind the first
            assert await nam.send("/log hoa_giai 3") == []
        h.clock.advance(timedelta(seconds=61))  # the longest pause between two tries
    for _ in range(3):
        await h.dispatch()
        h.clock.advance(timedelta(seconds=2))
    saved = [t for t in texts(h, 1004) if t.startswith("Đã lưu")]
    assert [t[: len(SAVED_1)] for t in saved] == [SAVED_1, SAVED_2]
    async with h.db.session() as session:
        rows = (await session.scalars(select(OutboxMessage))).all()
    assert sorted(r.status for r in rows) == ["sent", "sent"]


async def test_a_reply_is_given_up_only_after_a_day(h: Harness) -> None:
    """The bound: a reply Telegram has refused to take for 24 hours is given up (logged)."""
    nam = h.user(1004, "Nam")
    await nam.send("/start")
    h.emu.fail_next("sendMessage", status=502, description="Bad Gateway", count=ALL_ATTEMPTS)
    assert await nam.send("/log hoa_giai 2") == []
    h.emu.fail_next("sendMessage", status=502, description="Bad Gateway", count=2)
    assert (await h.dispatch()).retried == 1
    h.clock.advance(timedelta(hours=24))
    assert (await h.dispatch()).failed == 1
    assert not any(t.startswith(SAVED_1) for t in texts(h, 1004))


async def test_a_reply_from_another_process_does_not_overtake_a_queued_one(
    db: Database, clock: FakeClock
) -> None:
    """Protection (webhook processes, issue 15 §3): process A queued a reply Telegram did not
    take; the person's next update lands on process B, which must not answer it ahead of the
    queued one. The database says the chat has replies waiting, not A's memory."""
    from bot.demo import seed_demo
    from bot.emulator import BotApiEmulator
    from tests.bot.test_webhook import Webhooks

    quick = {"api_retry_delays": [0.05, 0.1, 0.2], "api_timeout": 0.5}
    async with BotApiEmulator() as emu:
        hooks = Webhooks(db, clock, emu, overrides=quick)
        async with db.session() as session:
            await seed_demo(session, clock.now())
        await hooks.start(2)
        try:
            nam = emu.user(1004, "Nam", language_code="vi")
            await nam.send("/start")
            emu.fail_next("sendMessage", status=502, description="Bad Gateway", count=4)
            # The emulator routes updates to the processes in turn: one process queues the
            # first reply, the other answers the next update.
            assert await nam.send("/log hoa_giai 2") == []
            assert await nam.send("/log hoa_giai 3") == []  # behind it, not ahead
            dispatcher = hooks.processes[0].app.bot_data["dispatcher"]
            for _ in range(4):
                await dispatcher.run_once()
                clock.advance(timedelta(seconds=2))
            saved = [
                m.text or "" for m in emu.messages(1004) if (m.text or "").startswith("Đã lưu")
            ]
            assert [t[: len(SAVED_1)] for t in saved] == [SAVED_1, SAVED_2]
        finally:
            await hooks.stop()
