"""The notification outbox through the real bot and the emulator: sent once, at the right time,
surviving 429s, network errors, blocked users, migrated groups and a crash between claim and send."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any, cast

import pytest
from sqlalchemy import select
from telegram.ext import ExtBot

from bot.i18n import Translator
from bot.notifications import Dispatcher, Notice, Pace, TokenBucket, enqueue
from bot.runtime.api_retry import PatientLimiter
from bot.runtime.send_budget import SharedBudget
from bot.services import Services
from handlers import render
from handlers.notices import Notices, register
from handlers.sender import TelegramSender
from storage.models import OutboxMessage, Person
from storage.queries import outbox as outbox_q
from tests.harness import Harness


async def render_test(
    services: Services, tr: Translator, params: dict[str, Any], chat_id: int
) -> Notice | None:
    if params.get("stale"):
        return None
    if params.get("boom"):
        raise RuntimeError("renderer bug")
    return Notice(
        text=params[tr.locale], buttons=((("OK", "noop:1"),),) if params.get("button") else ()
    )


register("test_note", render_test)


async def put(
    h: Harness, key: str, chat_id: int, *, delay: timedelta = timedelta(0), **params: Any
) -> bool:
    async with h.db.session() as session:
        return await enqueue(
            session,
            key=key,
            chat_id=chat_id,
            kind="test_note",
            params={"vi": f"Nhắc việc {key}", "en": f"Reminder {key}", **params},
            now=h.clock.now(),
            due_at=h.clock.now() + delay,
        )


async def statuses(h: Harness) -> dict[str, str]:
    async with h.db.session() as session:
        return {r.key: r.status for r in (await session.scalars(select(OutboxMessage))).all()}


async def test_sent_once_in_the_recipients_language(harness: Harness) -> None:
    h = harness
    lan, anna = h.user(3001, "Lan"), h.user(3002, "Anna", language_code="en")
    await lan.send("/start")
    await anna.send("/start")
    assert await put(h, "a", 3001, button=True)
    assert not await put(h, "a", 3001)  # the same key is the same notice
    await put(h, "b", 3002)
    report = await h.dispatch()
    assert report.sent == 2
    assert lan.last is not None and lan.last.text == "Nhắc việc a" and lan.last.inline_buttons
    assert anna.last is not None and anna.last.text == "Reminder b"
    assert (await h.dispatch()).sent == 0
    assert len(lan.history()) == 2  # the /start answer and one reminder
    async with h.db.session() as session:
        row = await session.scalar(select(OutboxMessage).where(OutboxMessage.key == "a"))
    assert (
        row is not None and row.message_id == lan.last.message_id and row.sent_at == h.clock.now()
    )


async def test_due_time_and_one_message_per_chat_per_round(harness: Harness) -> None:
    h = harness
    lan = h.user(3001, "Lan")
    await lan.send("/start")
    await put(h, "later", 3001, delay=timedelta(hours=1))
    await put(h, "now1", 3001)
    await put(h, "now2", 3001)
    assert (await h.dispatch()).sent == 1
    assert (await h.dispatch()).sent == 1
    assert (await h.dispatch()).sent == 0
    h.clock.advance(hours=1)
    assert (await h.dispatch()).sent == 1
    assert await statuses(h) == {"later": "sent", "now1": "sent", "now2": "sent"}


async def test_429_waits_as_told(harness: Harness) -> None:
    h = harness
    lan = h.user(3001, "Lan")
    await lan.send("/start")
    await put(h, "x", 3001)
    h.emu.fail_next("sendMessage", status=429, retry_after=30)
    report = await h.dispatch()
    assert report.retried == 1 and report.sent == 0
    h.clock.advance(seconds=29)
    assert (await h.dispatch()).sent == 0
    h.clock.advance(seconds=1)
    assert (await h.dispatch()).sent == 1
    assert [m.text for m in lan.history()].count("Nhắc việc x") == 1


async def test_network_errors_back_off_then_give_up(harness: Harness) -> None:
    h = harness
    lan = h.user(3001, "Lan")
    await lan.send("/start")
    await put(h, "x", 3001)
    h.emu.fail_next("sendMessage", status=502, description="Bad Gateway", count=20)
    waits = []
    for _ in range(8):
        report = await h.dispatch()
        async with h.db.session() as session:
            row = await session.scalar(select(OutboxMessage))
        assert row is not None
        if row.status != "pending":
            break
        waits.append((row.due_at - h.clock.now()).total_seconds())
        h.clock.set(row.due_at)
    assert waits == [5, 10, 20, 40, 80, 160, 320]
    assert report.failed == 1 and (await statuses(h)) == {"x": "failed"}


async def test_blocked_user_and_user_who_never_started(harness: Harness) -> None:
    h = harness
    lan = h.user(3001, "Lan")
    await lan.send("/start")
    h.emu.block(3001)
    await put(h, "blocked", 3001)
    await put(h, "stranger", 3999)
    report = await h.dispatch()
    assert report.dead == 2
    async with h.db.session() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == 3001))
    assert person is not None and person.blocked
    # Writing to the bot again unblocks.
    await lan.send("/start")
    async with h.db.session() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == 3001))
    assert person is not None and not person.blocked


async def test_group_migrated_to_supergroup(harness: Harness) -> None:
    h = harness
    lan = h.user(3001, "Lan")
    group = h.emu.group(-4001, "Ban Công tác Mặt trận")
    await group.add_bot(lan)
    h.emu.migrate_group(-4001, -1004001)
    await h.emu.settle()
    await put(h, "g", -4001)
    assert (await h.dispatch()).retried == 1
    assert (await h.dispatch()).sent == 1
    assert [m.text for m in h.emu.messages(-1004001)][-1] == "Nhắc việc g"


async def test_crash_between_claim_and_send_sends_exactly_once(harness: Harness) -> None:
    h = harness
    lan = h.user(3001, "Lan")
    await lan.send("/start")
    await put(h, "x", 3001)
    async with h.db.session() as session:  # a process claims the row, then dies before sending
        claimed = await outbox_q.claim(
            session, h.clock.now(), limit=10, worker="dead:1", lease=timedelta(minutes=2)
        )
    assert len(claimed) == 1
    await h.restart()
    assert (await h.dispatch()).sent == 0  # the claim is still leased
    h.clock.advance(minutes=2, seconds=1)
    assert (await h.dispatch()).sent == 1
    assert (await h.dispatch()).sent == 0
    assert [m.text for m in lan.history()].count("Nhắc việc x") == 1


async def test_a_new_leader_takes_over_a_dead_leaders_claims_at_once(harness: Harness) -> None:
    h = harness
    lan = h.user(3001, "Lan")
    await lan.send("/start")
    await put(h, "x", 3001)
    async with h.db.session() as session:  # the previous leader claimed the row, then died
        await outbox_q.claim(
            session, h.clock.now(), limit=10, worker="dead:1", lease=timedelta(minutes=2)
        )
    await h.restart()
    assert (await h.dispatch()).sent == 0  # without a new term the lease still holds the row
    assert await h.dispatcher.take_over(term=1) == 1
    assert (await h.dispatch()).sent == 1  # no waiting for the lease
    assert await h.dispatcher.take_over(term=1) == 0  # once per term
    await put(h, "y", 3001)
    async with h.db.session() as session:  # this process's own claim is not "inherited"
        await outbox_q.claim(
            session, h.clock.now(), limit=10, worker=h.dispatcher.worker, lease=timedelta(minutes=2)
        )
    assert await h.dispatcher.take_over(term=2) == 0
    assert [m.text for m in lan.history()].count("Nhắc việc x") == 1


async def test_a_worker_whose_claim_was_taken_over_does_not_send_it(harness: Harness) -> None:
    """Protection: the ``sending`` mark is taken only on a row still claimed by this worker. A
    worker that stalled past its lease (its render waited two minutes here) finds the row taken
    by another and does not send it a second time."""
    h = harness
    lan = h.user(3001, "Lan")
    await lan.send("/start")
    await put(h, "x", 3001)
    assert h.app is not None and h.services is not None
    rendering, go_on = asyncio.Event(), asyncio.Event()
    notices = Notices(h.services)

    async def slow(kind: str, params: dict[str, Any], chat_id: int) -> Notice | None:
        rendering.set()
        await go_on.wait()
        return await notices(kind, params, chat_id)

    stalled = Dispatcher(h.db, h.clock, TelegramSender(h.app.bot), slow, worker="stalled:1")
    stalled_round = asyncio.create_task(stalled.run_once())
    await rendering.wait()
    h.clock.advance(minutes=2, seconds=1)
    assert (await h.dispatch()).sent == 1  # the lease ran out: this worker takes the row
    go_on.set()
    report = await stalled_round
    assert (report.sent, report.skipped) == (0, 1)
    assert [m.text for m in lan.history()].count("Nhắc việc x") == 1
    assert await statuses(h) == {"x": "sent"}


async def test_stale_and_broken_renders_do_not_stop_others(harness: Harness) -> None:
    h = harness
    for uid in (3001, 3002, 3003):
        await h.user(uid, "U").send("/start")
    await put(h, "stale", 3001, stale=True)
    await put(h, "broken", 3002, boom=True)
    await put(h, "fine", 3003)
    report = await h.dispatch()
    assert (report.skipped, report.failed, report.sent) == (1, 1, 1)
    assert await statuses(h) == {"stale": "skipped", "broken": "failed", "fine": "sent"}


async def test_two_dispatchers_never_double(harness: Harness) -> None:
    h = harness
    for uid in range(3001, 3011):
        await h.user(uid, "U").send("/start")
        await put(h, f"n{uid}", uid)
    assert h.app is not None and h.services is not None
    other = Dispatcher(
        h.db, h.clock, TelegramSender(h.app.bot), Notices(h.services), worker="other:2"
    )

    first, second = await asyncio.gather(h.dispatch(), other.run_once())
    assert first.sent + second.sent == 10
    for uid in range(3001, 3011):
        assert [m.text for m in h.emu.messages(uid)].count(f"Nhắc việc n{uid}") == 1


async def test_blocking_the_bot_is_noticed_from_telegrams_update(harness: Harness) -> None:
    h = harness
    lan = h.user(3001, "Lan")
    await lan.send("/start")
    h.emu.block(3001)
    await h.emu.settle()  # the my_chat_member update (member -> kicked) has been handled
    async with h.db.session() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == 3001))
    assert person is not None and person.blocked


class FakeTime:
    """Monotonic time that moves only when the dispatcher sleeps or the test says so."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


class RecordingSender:
    def __init__(self, clock: FakeTime) -> None:
        self.clock = clock
        self.sent: list[tuple[int, float]] = []

    async def send(self, chat_id: int, notice: Notice) -> int:
        self.sent.append((chat_id, self.clock()))
        return len(self.sent)

    def parts(self, notice: Notice) -> int:
        return 1


async def plain(kind: str, params: dict[str, Any], chat_id: int) -> Notice | None:
    return Notice(text=f"tin {params['n']}")


def paced(h: Harness, fake: FakeTime, **pace: Any) -> tuple[Dispatcher, RecordingSender]:
    sender = RecordingSender(fake)
    dispatcher = Dispatcher(
        h.db,
        h.clock,
        sender,
        plain,
        pace=Pace(**pace),
        monotonic=fake,
        sleep=fake.sleep,
        worker="paced:1",
    )
    return dispatcher, sender


async def queue(h: Harness, chat_id: int, n: int) -> None:
    async with h.db.session() as session:
        await enqueue(
            session,
            key=f"p:{chat_id}:{n}",
            chat_id=chat_id,
            kind="plain",
            params={"n": n},
            now=h.clock.now(),
        )


async def test_paced_rounds_stay_under_thirty_a_second(harness: Harness) -> None:
    h, fake = harness, FakeTime()
    for uid in range(5001, 5041):
        await queue(h, uid, 1)
    dispatcher, sender = paced(h, fake, round_seconds=10, per_second=30)
    report = await dispatcher.run_once()  # one round claims again until nothing is due
    assert report.sent == 40 and sorted(c for c, _ in sender.sent) == list(range(5001, 5041))
    times = sorted(t for _, t in sender.sent)
    assert times[29] == 100.0  # the burst
    assert times[30] == pytest.approx(100 + 1 / 30) and times[39] == pytest.approx(100 + 10 / 30)
    assert await statuses(h) == {f"p:{uid}:1": "sent" for uid in range(5001, 5041)}


async def test_paced_chats_rest_between_messages(harness: Harness) -> None:
    h, fake = harness, FakeTime()
    for n in (1, 2):
        await queue(h, 3001, n)
        await queue(h, -4001, n)
    dispatcher, sender = paced(h, fake)
    assert (await dispatcher.run_once()).sent == 2  # one per chat in a round
    fake.now += 0.5
    assert (await dispatcher.run_once()).sent == 0  # both still resting
    fake.now += 0.5
    assert (await dispatcher.run_once()).sent == 1  # a person after 1 s
    fake.now += 2
    assert (await dispatcher.run_once()).sent == 1  # a group after 3 s (20 a minute)
    assert sender.sent == [(3001, 100.0), (-4001, 100.0), (3001, 101.0), (-4001, 103.0)] or (
        sorted(sender.sent[:2]) == [(-4001, 100.0), (3001, 100.0)]
        and sender.sent[2:] == [(3001, 101.0), (-4001, 103.0)]
    )


async def test_token_bucket_waits_for_its_turn() -> None:
    fake = FakeTime()
    bucket = TokenBucket(2, 2, monotonic=fake, sleep=fake.sleep)
    stamps = []
    for _ in range(5):
        await bucket.acquire()
        stamps.append(fake())
    assert stamps == [100.0, 100.0, 100.5, 101.0, 101.5]


async def test_a_notice_cut_in_several_messages_takes_a_token_for_each(harness: Harness) -> None:
    """Protection (issue 15 §2, §6): a notice too long for one message goes as several, and each
    counts against the pace of 30 a second (and the chat's rest): it took one token for all."""
    h, fake = harness, FakeTime()
    assert h.app is not None
    for uid in (3001, 3002):
        await h.user(uid, "Lan").send("/start")
    long = "\n\n".join(f"<b>Đoạn {n}</b>\n" + "chữ " * 300 for n in range(12))
    parts = render.message_count(long)
    assert parts >= 3

    async def texts(kind: str, params: dict[str, Any], chat_id: int) -> Notice | None:
        return Notice(text=long if params["n"] == 1 else "ngắn")

    dispatcher = Dispatcher(
        h.db,
        h.clock,
        TelegramSender(h.app.bot),
        texts,
        pace=Pace(per_second=1, burst=1),
        monotonic=fake,
        sleep=fake.sleep,
        worker="paced:cut",
    )
    before = {uid: len(h.emu.messages(uid)) for uid in (3001, 3002)}
    await queue(h, 3001, 1)
    await queue(h, 3002, 2)
    assert (await dispatcher.run_once()).sent == 2
    assert len(h.emu.messages(3001)) - before[3001] == parts
    assert len(h.emu.messages(3002)) - before[3002] == 1
    # One message a second, the first at once: parts + 1 messages took parts seconds.
    assert fake() == pytest.approx(100.0 + parts)
    # And the chat that got the long one rests for each of its messages.
    assert dispatcher._resting[3001] == pytest.approx(fake() + parts - 1, abs=1)
    assert h.emu.rejected == []


async def queue_reply(h: Harness, chat_id: int, text: str) -> None:
    """A handler's reply that Telegram did not take, as handlers/delivery.py queues it."""
    async with h.db.session() as session:
        await enqueue(
            session,
            key=f"reply:test:{chat_id}",
            chat_id=chat_id,
            kind="reply",
            params={"text": text, "markup": None, "after": None},
            now=h.clock.now(),
        )


async def test_a_queued_reply_goes_before_a_fan_out_due_earlier(harness: Harness) -> None:
    """Protection (issue 15 §3, §6): a reply queued while Telegram was away is a person's answer,
    not a bulk notice: a round takes it before the notices of a fan-out due earlier (it waited
    behind every one of them)."""
    h = harness
    nam = h.user(1004, "Nam")
    await nam.send("/start")
    for uid in range(6001, 6041):  # 40 notices due a minute ago, to as many chats
        await put(h, f"fan:{uid}", uid, delay=timedelta(minutes=-1))
    await queue_reply(h, 1004, "Đã lưu thành mục #1.")
    report = await h.dispatch()  # one round: 25 rows at most
    assert report.sent + report.dead < 41
    assert [m.text for m in h.emu.messages(1004)][-1] == "Đã lưu thành mục #1."


class RecordingBudget(SharedBudget):
    """The shared send budget, recording which kind of turn each request asked for."""

    def __init__(self, h: Harness) -> None:
        super().__init__(h.db, rate=30)
        self.asked: list[tuple[int, bool]] = []

    async def acquire(self, *, bulk: bool) -> None:
        self.asked.append((len(self.asked), bulk))


async def test_a_queued_reply_takes_a_replys_turn_in_the_shared_budget(harness: Harness) -> None:
    """Protection (issue 15 §6): in the budget shared by every process (PostgreSQL), a reply
    delivered late from the outbox is served as a reply, before bulk notices; it asked as bulk."""
    h = harness
    assert h.services is not None
    for uid in (1004, 3001):
        await h.user(uid, "Nam").send("/start")
    budget = RecordingBudget(h)
    limiter = PatientLimiter(None, (), budget=budget)
    async with ExtBot(h.emu.token, base_url=h.emu.base_url, rate_limiter=limiter) as bot:
        dispatcher = Dispatcher(
            h.db,
            h.clock,
            TelegramSender(cast("ExtBot[None]", bot)),
            Notices(h.services),
            interactive_kinds=("reply",),
            worker="budget:1",
        )
        await queue_reply(h, 1004, "Đã lưu thành mục #1.")
        await put(h, "note", 3001)
        assert (await dispatcher.run_once()).sent == 2
    assert sorted(bulk for _, bulk in budget.asked) == [False, True]
    assert h.emu.messages(1004)[-1].text == "Đã lưu thành mục #1."


def _png(width: int, height: int) -> bytes:
    head = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + width.to_bytes(4, "big")
    return head + height.to_bytes(4, "big") + b"\x00" * 40


async def render_picture(
    services: Services, tr: Translator, params: dict[str, Any], chat_id: int
) -> Notice | None:
    data = _png(int(params["w"]), int(params["h"]))
    return Notice(text=f"Biểu đồ {params['w']}", document=("bieu-do.png", data), photo=True)


register("test_picture", render_picture)


async def test_a_picture_goes_inline_within_telegrams_limits_else_as_a_file(
    harness: Harness,
) -> None:
    """Issue 16 §4: a notice's chart is a photo (sendPhoto, shown in the chat), through the
    outbox; one that Telegram would refuse as a photo (width + height above 10,000) is a file."""
    h = harness
    lan = h.user(3001, "Lan")
    await lan.send("/start")
    for key, (w, hi) in {"small": (1600, 900), "huge": (9000, 2000)}.items():
        async with h.db.session() as session:
            await enqueue(
                session,
                key=key,
                chat_id=3001,
                kind="test_picture",
                params={"w": w, "h": hi},
                now=h.clock.now(),
                due_at=h.clock.now(),
            )
        assert (await h.dispatch()).sent == 1
    small, huge = lan.history()[-2:]
    assert small.text == "Biểu đồ 1600" and small.photo is not None and small.document is None
    assert huge.text == "Biểu đồ 9000" and huge.photo is None and huge.document is not None
    assert await statuses(h) == {"small": "sent", "huge": "sent"}
