"""Updates of different people are handled at the same time; each person's in the order sent.

python-telegram-bot either handles one update at a time (``concurrent_updates(False)``: one
person's slow request, such as a reply Telegram takes 20 s to accept, holds up everybody) or
any number at once in no order (a person's "/log" and their next answer could swap). This
processor, built on PTB's public ``BaseUpdateProcessor``, gives each person (or, for updates
without one, each chat) a FIFO lane: an update waits only for that person's earlier updates,
and at most ``running`` updates run at once.

PTB's own semaphore (``max_concurrent_updates``) is taken *before* ``do_process_update``, so
it is set high (``waiting``) and only bounds how many updates may be queued in lanes; the real
limit is taken after the lane's turn, so a person who sends twenty messages at once does not
fill every slot with updates that are only waiting for each other.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
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


class PerPersonOrder(BaseUpdateProcessor):
    """At most ``running`` updates at once, each person's strictly in arrival order."""

    def __init__(self, running: int, waiting: int = 1024) -> None:
        super().__init__(max(waiting, running))
        self._running = asyncio.BoundedSemaphore(running)
        self._lanes: dict[int, asyncio.Lock] = {}
        self._queued: dict[int, int] = {}
        #: Told of every update once it has been handled (the poller confirms it then).
        self.listeners: list[Callable[[object], None]] = []

    def _done(self, update: object) -> None:
        for listener in self.listeners:
            listener(update)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        try:
            await self._in_lane(update, coroutine)
        finally:
            self._done(update)

    async def _in_lane(self, update: object, coroutine: Awaitable[Any]) -> None:
        lane = lane_of(update)
        if lane is None:
            async with self._running:
                await coroutine
            return
        lock = self._lanes.setdefault(lane, asyncio.Lock())
        self._queued[lane] = self._queued.get(lane, 0) + 1
        try:
            async with lock, self._running:
                await coroutine
        finally:
            # The lane is forgotten with its last update: memory does not grow with the number
            # of people ever seen.
            self._queued[lane] -= 1
            if not self._queued[lane]:
                del self._queued[lane]
                del self._lanes[lane]

    async def initialize(self) -> None:
        """Nothing to allocate: lanes come and go with updates."""

    async def shutdown(self) -> None:
        """Nothing to free: PTB waits for the running updates itself."""

    @property
    def lanes(self) -> int:
        """People with updates running or waiting (for tests and benchmarks)."""
        return len(self._lanes)
