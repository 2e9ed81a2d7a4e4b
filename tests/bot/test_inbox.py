"""The long poller's inbox (bot/runtime/polling.py, bot/runtime/inbox.py): a batch is stored, then
confirmed; updates run from the table, each lane's oldest first; a crash leaves rows that run
once after the restart; the inbox is bounded. Order and counts are checked, not time."""

from __future__ import annotations

import asyncio
from itertools import count
from typing import Any

import pytest
from sqlalchemy import func, select, update

from bot.runtime.ordering import PerPersonOrder
from bot.runtime.polling import Poller
from storage.models import Activity, InboxUpdate
from storage.queries import inbox as inbox_q
from tests.harness import Harness

_MESSAGE_IDS = count(50_000)


def message(h: Harness, uid: int, text: str) -> dict[str, Any]:
    """A private message as Telegram sends it (pushed raw: the bot need not be polling)."""
    sender = h.user(uid, f"P{uid}").to_json()
    command = text.split()[0]
    return {
        "message": {
            "message_id": next(_MESSAGE_IDS),
            "from": sender,
            "chat": {"id": uid, "type": "private", "first_name": sender["first_name"]},
            "date": 1_790_000_000,
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(command)}],
        }
    }


def sent_to(h: Harness, since: int) -> list[int]:
    """Chats of the bot's sendMessage calls since ``since``, in order."""
    return [
        int(params["chat_id"])
        for method, params in h.emu.calls[since:]
        if method.lower() == "sendmessage"
    ]


def poller_of(h: Harness) -> Poller:
    assert h.app is not None
    poller: Poller = h.app.bot_data["poller"]
    return poller


@pytest.fixture
async def h(harness: Harness) -> Harness:
    harness.overrides.update(update_concurrency=1)
    await harness.restart()
    await harness.seed_demo()
    return harness


async def test_a_newcomer_behind_a_burst_of_120_is_answered_before_it_drains(h: Harness) -> None:
    """Three people queue forty /help each while the bot is down; Mai's /me comes after them
    (update 121). One update at a time: with the old offset rule the bot saw only the 100
    updates past the oldest unfinished one, so Mai was fetched once 21 of the burst were
    handled, and answered after them. Stored and confirmed batch by batch (the second batch
    follows the first at once), she is loaded with everyone's first ones and answered before
    those 21 are out; everyone is answered exactly once."""
    await h.stop_bot()
    burst = (1004, 1005, 1006)
    for _ in range(40):
        for uid in burst:
            h.emu.push_update(message(h, uid, "/help"))
    last = h.emu.push_update(message(h, 1003, "/me"))
    before = len(h.emu.calls)
    await h.start_bot()
    await h.emu.wait_delivered(last, 60)
    await h.emu.settle(timeout=60)

    chats = sent_to(h, before)
    assert {uid: chats.count(uid) for uid in (*burst, 1003)} == {
        1004: 40,
        1005: 40,
        1006: 40,
        1003: 1,
    }
    # Handled before Mai: a few of the burst (while her batch was fetched), not 21.
    assert chats.index(1003) < 21, chats.index(1003)
    assert poller_of(h).unfinished == 0


async def test_a_newcomer_goes_before_the_first_turns_of_people_with_more_stored(
    h: Harness,
) -> None:
    """Three people queue five /help each while the bot is down, then Mai one /me: one batch.
    The inbox loads two of each of the three (their oldest) and Mai's, and tells the fair turns
    who has more stored. One update at a time, Telegram holding the first reply: Mai goes next,
    before the other two people's first ones (in arrival order she came after them)."""
    await h.stop_bot()
    burst = (1004, 1005, 1006)
    for uid in burst:
        for _ in range(5):
            h.emu.push_update(message(h, uid, "/help"))
    h.emu.push_update(message(h, 1003, "/me"))
    before = len(h.emu.calls)
    h.emu.hold_next("sendMessage")
    await h.start_bot()
    h.emu.settle_hook = None  # the test steps through the held reply itself
    await h.emu.wait_for(lambda: h.emu.held.get("sendmessage", 0) == 1)  # 1004's first
    assert h.app is not None
    processor = h.app.update_processor
    assert isinstance(processor, PerPersonOrder)
    await h.emu.wait_for(lambda: processor.lanes == 4)  # Mai's update is waiting too
    h.emu.release_held()
    await h.emu.settle(timeout=60)
    await poller_of(h).settled()

    chats = sent_to(h, before)
    assert chats[:2] == [1004, 1003], chats
    assert sorted(chats) == sorted([*burst * 5, 1003])
    assert processor.lanes == 0  # nobody has anything stored any more


async def test_updates_a_crash_left_in_the_inbox_run_once_after_the_restart(h: Harness) -> None:
    """Rows a killed process left: Nam's shortcut, saved and answered but not marked done (its
    replay is silent and saves nothing: handlers/replay.py), Mai's /me never handled (answered
    now, once), and Hoa's /help marked done (not run again). A second restart runs nothing."""
    nam = h.user(1004, "Nam")
    await nam.send("/start")
    [saved] = await nam.send("/log hoa_giai 1")
    assert (saved.text or "").startswith("Đã lưu")
    assert h.app is not None
    await h.stop_bot()
    async with h.db.session() as session:
        # Nam's shortcut is still there, done (done rows are forgotten once a minute at most,
        # and only once a later batch confirmed them): the crash came before the mark.
        nams = await session.scalar(select(func.max(InboxUpdate.update_id)))
        await session.execute(
            update(InboxUpdate).where(InboxUpdate.update_id == nams).values(done_at=None)
        )
        mai = h.emu.push_update(message(h, 1003, "/me"))
        hoa = h.emu.push_update(message(h, 1005, "/help"))
    # The two were fetched, stored and confirmed by the process that died.
    bodies = await _fetch(h)
    async with h.db.session() as session:
        await inbox_q.store(
            session,
            [inbox_q.Stored(uid, chat, body) for uid, chat, body in bodies],
            h.clock.now(),
        )
        await inbox_q.finish(session, [hoa], h.clock.now())
    assert sorted(uid for uid, _, _ in bodies) == [mai, hoa]

    before = len(h.emu.calls)
    await h.start_bot()
    await poller_of(h).settled()
    assert sent_to(h, before) == [1003]
    async with h.db.session() as session:
        assert len((await session.scalars(select(Activity))).all()) == 1
        assert await inbox_q.unfinished(session) == 0

    await h.restart()
    await poller_of(h).settled()
    assert sent_to(h, before) == [1003]


async def _fetch(h: Harness) -> list[tuple[int, int, str]]:
    """What a poller would have stored: the emulator's queued updates, confirmed."""
    import json

    from telegram import Bot, Update

    bot = Bot(h.emu.token, base_url=h.emu.base_url)
    async with bot:
        updates = await bot.get_updates(timeout=0)
        await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    out = []
    for u in updates:
        assert isinstance(u, Update) and u.effective_user is not None
        out.append((u.update_id, u.effective_user.id, json.dumps(u.to_dict())))
    return out


async def test_a_full_inbox_stops_fetching_and_memory_holds_a_window(h: Harness) -> None:
    """PHOIHOP_INBOX_MAX=5, PHOIHOP_INBOX_WINDOW=4: with twenty updates stored and Telegram
    holding the first reply, the poller asks for nothing more (an update sent meanwhile stays
    with Telegram, unconfirmed) and at most four stored updates are in memory; once the reply
    goes through, everything is handled, the late update too."""
    h.overrides.update(inbox_max=5, inbox_window=4)
    await h.stop_bot()
    for n in range(20):
        h.emu.push_update(message(h, 1004 + n % 4, "/help"))
    h.emu.hold_next("sendMessage")
    h.emu.settle_hook = None
    await h.start_bot()
    h.emu.settle_hook = None
    poller = poller_of(h)
    await h.emu.wait_for(lambda: h.emu.held.get("sendmessage", 0) == 1)
    assert poller.unfinished == 20 and not poller.inbox.has_room
    assert poller.inbox.loaded == 4
    late = h.emu.push_update(message(h, 1003, "/me"))
    polls = sum(method == "getUpdates" for method, _ in h.emu.calls)
    await asyncio.sleep(0)  # a chance for a poller that ignores the limit to ask
    assert not h.emu._state.is_resolved(late)

    h.emu.release_held()
    await h.emu.wait_delivered(late)
    await poller.settled()
    assert sum(method == "getUpdates" for method, _ in h.emu.calls) > polls
    assert poller.unfinished == 0
    assert h.emu.messages(1003), "the late update was handled"


async def test_one_poller_per_postgresql_database(h: Harness, backend: str) -> None:
    """Two bot processes polling one PostgreSQL database would run the same stored updates
    twice: the second waits on the poller's advisory lock (it asks Telegram for nothing) and
    takes over when the first stops. SQLite: one process by construction, the lock is granted."""
    if backend != "postgresql":
        pytest.skip("the poller's lock is PostgreSQL's advisory lock")
    from bot.runtime.app import build_application
    from bot.runtime.runner import start_app, stop_app
    from bot.services import Services

    h.overrides.update(scheduler_retry=0.05)
    await h.restart()
    first = poller_of(h)
    settings = h.settings()
    services = Services(settings=settings, db=h.db, clock=h.clock, i18n=h.services.i18n)  # type: ignore[union-attr]
    second_app = build_application(services, token=h.emu.token, rate_limit=False)
    await start_app(second_app, poll_timeout=1)
    second: Poller = second_app.bot_data["poller"]
    try:
        assert first._leading and not second._leading
        [answer] = await h.user(1003, "Mai").send("/me")
        assert "1003" in (answer.text or "")
        assert second.inbox.loaded == 0

        await h.stop_bot()  # the first stops: its lock is released
        await h.emu.wait_for(lambda: second._leading, timeout=10)
        h.emu.settle_hook = second.settled
        [again] = await h.user(1003, "Mai").send("/me")
        assert "1003" in (again.text or "")
    finally:
        await stop_app(second_app)


async def test_an_id_seen_before_with_other_content_is_a_new_update(h: Harness) -> None:
    """Telegram restarts its update ids after a week without updates, and a database restored
    under another bot meets ids it has seen: the same id with other content is stored again as
    unfinished (it was skipped as a redelivery, and the restored bot answered nothing), while
    the same content again (a batch delivered twice) is not."""
    now = h.clock.now()
    async with h.db.session() as session:
        first = await inbox_q.store(session, [inbox_q.Stored(900001, 1, '{"a": 1}')], now)
        await inbox_q.finish(session, [900001], now)
        again = await inbox_q.store(session, [inbox_q.Stored(900001, 1, '{"a": 1}')], now)
        done_again = await inbox_q.unfinished(session)
        other = await inbox_q.store(session, [inbox_q.Stored(900001, 2, '{"b": 2}')], now)
        left = await inbox_q.unfinished(session)
        await inbox_q.finish(session, [900001], now)
    assert (first, again, done_again, other, left) == ({900001}, set(), 0, {900001}, 1)


async def test_a_batch_loads_at_most_two_of_a_person_from_memory(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the bot keeps up, a stored batch goes to the queue from memory, but in the shape a
    load from the table has: at most two of one person. Ten of one person loaded at once keep
    their fair turns from resetting and hold back whoever writes behind them (bench/fairness.py:
    the first /me behind a 500-shortcut burst waited 7 s, 2 s with the cap)."""
    inbox = poller_of(h).inbox
    loaded_after_store: list[int] = []
    original = inbox.stored

    def stored(updates: Any) -> None:
        original(updates)
        loaded_after_store.append(inbox.loaded)

    monkeypatch.setattr(inbox, "stored", stored)
    for _ in range(10):
        h.emu.push_update(message(h, 1004, "/help"))
    await h.emu.settle()
    await poller_of(h).settled()
    assert loaded_after_store and max(loaded_after_store) <= 2, loaded_after_store
    assert sent_to(h, 0).count(1004) == 10
