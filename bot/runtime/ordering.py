"""Updates of different people are handled at the same time, fairly; each person's in order.

python-telegram-bot either handles one update at a time (``concurrent_updates(False)``: one
person's slow request, such as a reply Telegram takes 20 s to accept, holds up everybody) or
any number at once in no order (a person's "/log" and their next answer could swap). This
processor, built on PTB's public ``BaseUpdateProcessor``, gives each person (or, for updates
without one, each chat) a FIFO lane: an update waits only for that person's earlier updates,
and at most ``running`` updates run at once.

**Fair turns.** When a slot frees, the next update is not the oldest one waiting but the head
of the lane that has had the fewest turns since it was last empty (ties: the oldest head). A
person who just wrote goes before the backlog of someone who sent ten messages at once: with
fifty people each sending ten ``/log``, arrival order kept another person's ``/me`` behind one
update of each of the fifty (about 1.7 s at Telegram's 30 replies a second); here it takes the
next free slot (``tests/bot/test_fairness.py``; ``bench/fairness.py``, docs/benchmarks.md). With
long polling the updates come from the inbox table, each person's oldest first
(``bot/runtime/inbox.py``), so a burst does not hide the updates behind it either.
A lane's count starts again at zero once it has nothing left, so a person who writes now and
then is always a newcomer; a backlog still moves whenever nobody with fewer turns waits.

**Backlogs elsewhere.** The inbox gives this processor at most two updates of a person at a
time; it names the people who have more stored (``set_backlogs``). Their lanes keep their count
while empty between two loads (counted from zero again, every reload made the sender of ten
messages a newcomer again), and at equal turns they go after the people without such a backlog:
someone who writes once behind fifty people's ten goes before those fifty's first ones too
(``bench/fairness.py``: that first ``/me`` waited behind about thirty of them, 0.7 s).

PTB's own semaphore (``max_concurrent_updates``) is taken *before* ``do_process_update``, so
it is set high (``waiting``) and only bounds how many updates may wait in lanes; the real limit
is this scheduler's, taken in the lane's turn, so a person who sends twenty messages at once
does not fill every slot with updates that are only waiting for each other.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


def lane_of(update: object) -> int | None:
    """Whose order the update belongs to: the person, else the chat; None for neither."""
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    if update.effective_chat is not None:
        return update.effective_chat.id
    return None


@dataclass
class _Lane:
    #: Updates waiting for their turn, oldest first: (arrival number, the future that starts it).
    waiting: deque[tuple[int, asyncio.Future[None]]] = field(default_factory=deque)
    #: An update of this lane is running (a lane runs one at a time: the person's order).
    busy: bool = False
    #: Turns taken since the lane was last empty: who has had least goes first.
    turns: int = 0


class PerPersonOrder(BaseUpdateProcessor):
    """At most ``running`` updates at once, each person's strictly in arrival order, the next
    turn to the person who has had the fewest."""

    def __init__(self, running: int, waiting: int = 1024) -> None:
        super().__init__(max(waiting, running))
        self._limit = running
        self._running = 0
        self._lanes: dict[object, _Lane] = {}
        self._arrivals = itertools.count()
        #: Told of every update once it has been handled (the inbox marks it done then).
        self.listeners: list[Callable[[object], None]] = []
        #: People with more updates waiting than given here (``set_backlogs``).
        self._backlogs: frozenset[object] = frozenset()

    def set_backlogs(self, people: Collection[object]) -> None:
        """Who has more updates waiting elsewhere (stored, not loaded) than given here: they keep
        their turns while their lane is empty, and go after the others at equal turns."""
        self._backlogs = frozenset(people)
        for key, lane in list(self._lanes.items()):
            self._forget_if_empty(key, lane)

    def _done(self, update: object) -> None:
        for listener in self.listeners:
            listener(update)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        try:
            await self._in_lane(update, coroutine)
        finally:
            self._done(update)

    async def _in_lane(self, update: object, coroutine: Awaitable[Any]) -> None:
        number = next(self._arrivals)
        person = lane_of(update)
        key: object = ("update", number) if person is None else person
        lane = self._lanes.setdefault(key, _Lane())
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        lane.waiting.append((number, turn))
        self._next_turns()
        try:
            await turn
        except BaseException:
            # Cancelled while waiting (shutdown): give the turn back if it was just given.
            if turn.done() and not turn.cancelled():
                self._finish(key, lane)
            else:
                lane.waiting.remove((number, turn))
                self._forget_if_empty(key, lane)
            if hasattr(coroutine, "close"):
                coroutine.close()  # never awaited: say so to Python, not as a warning
            raise
        try:
            await coroutine
        finally:
            self._finish(key, lane)

    def _next_turns(self) -> None:
        """Start the heads of the lanes with the fewest turns while slots are free."""
        while self._running < self._limit:
            ready = [
                (key in self._backlogs, lane)
                for key, lane in self._lanes.items()
                if lane.waiting and not lane.busy
            ]
            if not ready:
                return
            _, lane = min(ready, key=lambda r: (r[1].turns, r[0], r[1].waiting[0][0]))
            _, turn = lane.waiting.popleft()
            lane.busy = True
            lane.turns += 1
            self._running += 1
            turn.set_result(None)

    def _finish(self, key: object, lane: _Lane) -> None:
        lane.busy = False
        self._running -= 1
        self._forget_if_empty(key, lane)
        self._next_turns()

    def _forget_if_empty(self, key: object, lane: _Lane) -> None:
        # The lane is forgotten with its last update (unless more of the person's wait elsewhere):
        # memory does not grow with the number of people ever seen, and a person's turns count
        # again from zero.
        if (
            not lane.waiting
            and not lane.busy
            and key not in self._backlogs
            and self._lanes.get(key) is lane
        ):
            del self._lanes[key]

    async def initialize(self) -> None:
        """Nothing to allocate: lanes come and go with updates."""

    async def shutdown(self) -> None:
        """Nothing to free: PTB waits for the running updates itself."""

    @property
    def lanes(self) -> int:
        """Lanes kept: people with updates running or waiting, or a backlog elsewhere (for tests
        and benchmarks)."""
        return len(self._lanes)
