"""Fair turns (bot/runtime/ordering.py): a burst from some people does not queue everyone else.

The next update to run is the head of the lane with the fewest turns since it was last empty,
not the oldest update waiting; each person's updates still run one at a time, in order. The
order in which updates start (and replies reach the emulator) is what is checked: no clock.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from telegram import Chat, Message, Update, User

from bot.runtime.ordering import PerPersonOrder
from tests.harness import Harness


def update_from(uid: int, update_id: int) -> Update:
    user = User(uid, "P", is_bot=False)
    message = Message(update_id, datetime.now(UTC), Chat(uid, "private"), from_user=user)
    return Update(update_id, message=message)


class Steps:
    """Updates that start, note it, and finish only when the test says so."""

    def __init__(self) -> None:
        self.started: list[tuple[int, int]] = []
        self._gates: dict[tuple[int, int], asyncio.Event] = {}

    async def work(self, uid: int, n: int) -> None:
        gate = self._gates.setdefault((uid, n), asyncio.Event())
        self.started.append((uid, n))
        await gate.wait()

    async def finish_oldest_running(self) -> None:
        """Let the earliest started update still running finish, then let the next start."""
        for key in self.started:
            gate = self._gates[key]
            if not gate.is_set():
                gate.set()
                break
        for _ in range(5):
            await asyncio.sleep(0)


async def test_a_newcomer_goes_before_every_backlog() -> None:
    """Twenty people send five messages each at once; once each has had a turn, a newcomer's
    one message is the next to start (in arrival order it waited behind twenty)."""
    processor = PerPersonOrder(running=2)
    steps = Steps()
    tasks = [
        asyncio.create_task(
            processor.process_update(update_from(uid, uid * 10 + n), steps.work(uid, n))
        )
        for uid in range(1, 21)
        for n in range(5)
    ]
    await asyncio.sleep(0)
    while len(steps.started) < 24:  # every person's first, and a few second ones
        await steps.finish_oldest_running()

    newcomer = asyncio.create_task(
        processor.process_update(update_from(99, 999), steps.work(99, 0))
    )
    await asyncio.sleep(0)
    before = len(steps.started)
    await steps.finish_oldest_running()
    assert steps.started[before] == (99, 0), steps.started[before:]

    while len(steps.started) < 101:
        await steps.finish_oldest_running()
    while any(not t.done() for t in (*tasks, newcomer)):
        await steps.finish_oldest_running()
    # Everybody's own order held, and the backlogs took turns (round robin among equals).
    for uid in range(1, 21):
        assert [n for u, n in steps.started if u == uid] == list(range(5))
    assert [u for u, _ in steps.started[:20]] == list(range(1, 21))
    assert processor.lanes == 0


async def test_at_equal_turns_a_person_without_a_backlog_goes_first() -> None:
    """The inbox loads two updates of a person at a time and names who has more stored: at equal
    turns the others go first. Someone writing once behind fifty people's ten goes before their
    first ones too, not behind them in arrival order."""
    processor = PerPersonOrder(running=1)
    processor.set_backlogs({1, 2})
    steps = Steps()
    tasks = [asyncio.create_task(processor.process_update(update_from(9, 1), steps.work(9, 0)))]
    await asyncio.sleep(0)
    for uid, update_id in ((1, 2), (2, 3), (3, 4)):  # 1 and 2 have more stored, 3 has not
        tasks.append(
            asyncio.create_task(
                processor.process_update(update_from(uid, update_id), steps.work(uid, 0))
            )
        )
    await asyncio.sleep(0)
    while any(not t.done() for t in tasks):
        await steps.finish_oldest_running()
    assert steps.started == [(9, 0), (3, 0), (1, 0), (2, 0)]


async def test_a_person_with_a_backlog_keeps_their_turns_between_loads() -> None:
    """Between two loads from the inbox a person's lane is empty: while they have more stored,
    it keeps its count of turns (from zero again, every reload made the sender of ten messages
    a newcomer, ahead of someone who has not had a turn yet). Forgotten once nothing waits."""
    processor = PerPersonOrder(running=1)
    processor.set_backlogs({1, 2})
    steps = Steps()

    def send(uid: int, update_id: int, n: int) -> asyncio.Task[None]:
        return asyncio.create_task(
            processor.process_update(update_from(uid, update_id), steps.work(uid, n))
        )

    tasks = [send(9, 1, 0), send(1, 2, 0)]
    await asyncio.sleep(0)
    await steps.finish_oldest_running()  # 9 done: person 1's first starts
    tasks.append(send(8, 3, 0))
    await asyncio.sleep(0)
    await steps.finish_oldest_running()  # person 1's first done, their lane empty: 8 starts
    assert steps.started == [(9, 0), (1, 0), (8, 0)]
    tasks += [send(1, 4, 1), send(2, 5, 0)]  # person 1's next load, then person 2's first
    await asyncio.sleep(0)
    while any(not t.done() for t in tasks):
        await steps.finish_oldest_running()
    assert steps.started[3:] == [(2, 0), (1, 1)]
    assert processor.lanes == 2  # 1 and 2 still have updates stored
    processor.set_backlogs(())
    assert processor.lanes == 0


async def test_a_cancelled_wait_gives_its_turn_back() -> None:
    """An update cancelled while it waits (shutdown) leaves neither a slot nor a lane behind."""
    processor = PerPersonOrder(running=1)
    steps = Steps()
    first = asyncio.create_task(processor.process_update(update_from(1, 1), steps.work(1, 0)))
    waiting = asyncio.create_task(processor.process_update(update_from(2, 2), steps.work(2, 0)))
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    later = asyncio.create_task(processor.process_update(update_from(3, 3), steps.work(3, 0)))
    await steps.finish_oldest_running()
    await steps.finish_oldest_running()
    await asyncio.gather(first, later)
    assert steps.started == [(1, 0), (3, 0)]
    assert processor.lanes == 0


@pytest.fixture
async def h(harness: Harness) -> Harness:
    harness.overrides.update(update_concurrency=1, api_timeout=60.0)
    await harness.restart()
    await harness.seed_demo()
    return harness


async def test_another_persons_message_is_answered_before_a_backlog(h: Harness) -> None:
    """Lan and Nam each send three messages at once; Mai writes while they are at their second.
    One update at a time (PHOIHOP_UPDATE_CONCURRENCY=1), Telegram holding the replies to step
    through: Mai is answered right after the first turns, before Lan's second message (in
    arrival order she came after it)."""
    lan, nam, mai = h.user(1002, "Lan"), h.user(1004, "Nam"), h.user(1003, "Mai")
    for person in (lan, nam, mai):
        await person.send("/start")
    h.emu.settle_hook = None  # the test steps through held replies itself
    calls_before = len(h.emu.calls)

    h.emu.hold_next("sendMessage")
    sends = [asyncio.create_task(p.send("/me")) for p in (lan, lan, lan, nam, nam, nam)]
    await h.emu.wait_for(lambda: h.emu.held.get("sendmessage", 0) == 1)  # Lan's first
    h.emu.release_held()
    h.emu.hold_next("sendMessage")
    await h.emu.wait_for(lambda: h.emu.held.get("sendmessage", 0) == 2)  # Nam's first
    sends.append(asyncio.create_task(mai.send("/me")))
    # Mai's update has reached the bot: Lan's backlog, Nam's running update, Mai's.
    await h.emu.wait_for(lambda: _lanes(h) == 3)
    h.emu.release_held()
    await asyncio.gather(*sends)  # confirmed: stored in the inbox
    assert h.app is not None
    await h.app.bot_data["poller"].settled()  # and handled

    order = [
        int(params["chat_id"])
        for method, params in h.emu.calls[calls_before:]
        if method.lower() == "sendmessage"
    ]
    assert order == [1002, 1004, 1003, 1002, 1004, 1002, 1004]


def _lanes(h: Harness) -> int:
    assert h.app is not None
    processor = h.app.update_processor
    assert isinstance(processor, PerPersonOrder)
    return processor.lanes
