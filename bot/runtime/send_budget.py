"""One send budget for the whole bot, shared by every process on PostgreSQL.

Telegram's ~30 messages a second is a limit per bot, not per process: with python-telegram-bot's
``AIORateLimiter`` in each of N webhook processes the bot sent up to N x 30 (measured 31, 65 and
80 replies a second with 1, 2 and 3 processes) and Telegram answered 429. Here every process
books its sends on one row of ``send_budget`` (``storage/queries/send_budget.py``): a slot is a
moment on the database's clock, ``1 / rate`` apart from the next, whoever booked it.

- **Few round trips.** A process books up to ``batch`` slots at a time (a tenth of a second's
  worth: 3 at 30 a second), as many as it has requests waiting, and hands them out itself.
- **Replies before notices.** Requests wait in two queues; a slot goes to the oldest reply
  (``bulk=False``) before any outbox notice (``bulk=True``). Across processes, bulk books only
  while no slot is booked ahead of now (``free_only``), so the outbox of the scheduler's process
  never queues in front of replies booked by the others; it takes what they leave.
- **A quiet spell earns a burst** of ``burst`` seconds' worth (one second, like
  ``AIORateLimiter``'s bucket), then sends are spaced evenly.
- **The database unreachable** does not stop replies: the process paces itself alone (at the full
  rate: with PostgreSQL gone little else works anyway) and says so once in the log.

A slot not used within ``STALE`` seconds (its request was cancelled) is dropped, not kept for a
burst later. SQLite has one process: there ``AIORateLimiter`` paces in memory as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable

from sqlalchemy.exc import DBAPIError, OperationalError

from storage.db import Database
from storage.queries import send_budget as budget_q

log = logging.getLogger(__name__)

#: Seconds after which a booked slot nobody used is forgotten.
STALE = 1.0


class SharedBudget:
    """``await acquire(bulk=...)`` before each message; at most ``rate`` a second bot-wide."""

    def __init__(
        self,
        db: Database,
        *,
        rate: float,
        burst: float = 1.0,
        name: str = "bot",
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.db = db
        self.name = name
        self.interval = 1.0 / rate
        self.burst = burst
        self.batch = max(1, round(rate / 10))
        self._time, self._sleep = monotonic, sleep
        #: Booked slots on this process's monotonic clock, earliest first.
        self._slots: deque[float] = deque()
        self._replies: deque[asyncio.Future[None]] = deque()
        self._bulk: deque[asyncio.Future[None]] = deque()
        #: Set when a reply arrives: a pump waiting for bulk's turn books for it at once.
        self._reply_came = asyncio.Event()
        self._pump: asyncio.Task[None] | None = None
        self._offline_since: float | None = None
        #: The last bookings the database answered, and round trips made (tests, benchmarks).
        self.bookings: deque[budget_q.Booking] = deque(maxlen=256)
        self.round_trips = 0

    async def acquire(self, *, bulk: bool) -> None:
        """Wait for this process's turn to send one message."""
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        (self._bulk if bulk else self._replies).append(turn)
        if not bulk:
            self._reply_came.set()
        if self._pump is None or self._pump.done():
            self._pump = asyncio.create_task(self._hand_out(), name="phoihop:send-budget")
        try:
            await turn
        finally:
            if not turn.done():
                turn.cancel()  # left the queue; _next_waiter skips it

    async def close(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
            self._pump = None

    def _next_waiter(self, *, peek: bool = False) -> asyncio.Future[None] | None:
        """The oldest waiting reply, else the oldest waiting notice."""
        for queue in (self._replies, self._bulk):
            while queue and queue[0].done():
                queue.popleft()
            if queue:
                return queue[0] if peek else queue.popleft()
        return None

    def _waiting(self) -> int:
        return sum(1 for q in (self._replies, self._bulk) for f in q if not f.done())

    async def _hand_out(self) -> None:
        try:
            await self._serve()
        except Exception:
            # A bug here must not leave every reply of the process waiting forever.
            log.exception("send budget: handing out slots failed; letting the waiting through")
            while (waiter := self._next_waiter()) is not None:
                waiter.set_result(None)

    async def _serve(self) -> None:
        while self._next_waiter(peek=True) is not None:
            slot = await self._slot()
            delay = slot - self._time()
            if delay > 0:
                await self._sleep(delay)
            waiter = self._next_waiter()
            if waiter is None:
                self._slots.appendleft(slot)  # everyone left meanwhile: keep it for a while
                return
            waiter.set_result(None)

    async def _slot(self) -> float:
        """The next slot of this process, booking more when none is left."""
        while True:
            now = self._time()
            while self._slots and self._slots[0] < now - STALE:
                self._slots.popleft()
            if self._slots:
                return self._slots.popleft()
            replies = any(not f.done() for f in self._replies)
            wanted = min(self.batch, max(1, self._waiting()))
            try:
                booking = await self._book(wanted, free_only=not replies)
            except (OperationalError, DBAPIError, OSError) as exc:
                return await self._alone(exc)
            self._online()
            # The database's moment, on this process's clock (the round trip's time is in it).
            local = self._time() + (booking.first - booking.now)
            if booking.count:
                self.bookings.append(booking)
                self._slots.extend(local + i * self.interval for i in range(booking.count))
                continue
            # Bulk only, and replies are booked ahead: wait until they are served, or a reply.
            self._reply_came.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._reply_came.wait(), timeout=max(local - self._time(), self.interval)
                )

    async def _book(self, count: int, *, free_only: bool) -> budget_q.Booking:
        self.round_trips += 1
        async with self.db.session() as session:
            return await budget_q.book(
                session,
                self.name,
                count=count,
                interval=self.interval,
                burst=self.burst,
                free_only=free_only,
            )

    async def _alone(self, exc: Exception) -> float:
        """The database did not answer: pace this process alone until it does."""
        if self._offline_since is None:
            self._offline_since = self._time()
            log.warning(
                "send budget: the database did not answer (%s); pacing this process alone", exc
            )
        await self._sleep(self.interval)
        return self._time()

    def _online(self) -> None:
        if self._offline_since is not None:
            log.warning(
                "send budget: shared again after %.1f s", self._time() - self._offline_since
            )
            self._offline_since = None
