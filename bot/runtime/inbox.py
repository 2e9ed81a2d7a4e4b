"""The long poller's inbox: updates stored in the database run from there, in fair turns.

``bot/runtime/polling.py`` stores every ``getUpdates`` batch in the ``inbox`` table and confirms
it to Telegram at once; this module takes the stored updates to python-telegram-bot's queue and
marks them done once handled. A crash loses nothing: what was stored and not done is run after
the restart (``handlers/replay.py`` keeps an update whose effect committed from being applied
twice, and silent if its reply went out).

**Memory is bounded.** At most ``window`` updates are loaded at once, and of each lane (a
person, else a chat: ``bot/runtime/ordering.lane_of``) at most ``per_lane``, its oldest: a lane
runs one update at a time anyway. Every lane's first update is loaded before any lane's second
(``storage/queries/inbox.heads``), so a person who writes behind a burst of 500 from fifty others
is loaded at the next round and takes the next free turn (``PerPersonOrder``): the burst's size
no longer matters, only how many people are ahead (the 100-update window of ``getUpdates`` was
what made the ``/me`` of ``bench/fairness.py`` wait 14–16 s, docs/benchmarks.md).

**Backlogs.** The people with more stored than loaded are named to ``PerPersonOrder``
(``set_backlogs``): their fair turns keep counting between two loads, and a person without such a
backlog goes first at equal turns. Known from every stored batch that was not loaded whole, and
from every read of the table (each head comes with its lane's count of unfinished rows).

**Backpressure.** The poller stops asking Telegram for more while ``limit`` updates or more are
stored and unfinished (``PHOIHOP_INBOX_MAX``): Telegram keeps the rest, as it did before.

A round (one transaction) marks the updates handled since the last round done, loads the next
heads while there is room, and counts what is left; rounds run when a batch was stored and when
an update was handled.

**No backlog, no reading back.** While every stored update is loaded (the usual case: the bot
keeps up), a new batch goes to the queue from memory, as the poller parsed it, and a round only
marks updates done: no heads query, no count, no JSON parsed twice. Reading the table back is for
a backlog (more stored than the window holds, or a restart): measured on a /log shortcut, the
table round trip cost about 2 ms of CPU per update (docs/benchmarks.md, 03/12/2026).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy.exc import DBAPIError, OperationalError
from telegram import Update
from telegram.ext import Application

from bot.clock import Clock
from bot.runtime.ordering import PerPersonOrder, lane_of
from storage.db import Database
from storage.queries import inbox as inbox_q

log = logging.getLogger(__name__)


class Inbox:
    def __init__(
        self,
        app: Application[Any, Any, Any, Any, Any, Any],
        db: Database,
        clock: Clock,
        *,
        window: int = 200,
        per_lane: int = 2,
        limit: int = 1000,
        retry: float = 1.0,
    ) -> None:
        processor = app.update_processor
        if not isinstance(processor, PerPersonOrder):
            raise TypeError("the inbox needs PerPersonOrder to learn when an update is handled")
        processor.listeners.append(self._handled)
        self.processor = processor
        self.app, self.db, self.clock = app, db, clock
        self.window, self.per_lane, self.limit, self.retry = window, per_lane, limit, retry
        #: Updates on PTB's queue or running, not handled yet.
        self._loaded: dict[int, int | None] = {}
        #: Updates loaded per lane (at most ``per_lane``, from memory or from the table).
        self._lanes: Counter[int | None] = Counter()
        #: Handled, not yet marked done in the table (a round that read the table while one of
        #: them finished still sees it unfinished: it is not loaded again).
        self._finished: set[int] = set()
        #: Rows without ``done_at``, as last counted (loaded ones included).
        self._unfinished = 0
        self._wake = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()
        self._idle = asyncio.Event()
        #: Updates of a batch the table did not take, handled straight from memory.
        self._unstored: set[int] = set()
        self._unstored_done = asyncio.Event()
        self._feeding = False
        self._halt = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._failing = False
        #: Stored updates may wait in the table unloaded: rounds read heads and count.
        self._backlog = True
        #: Batches stored so far: a round that began before one cannot say the backlog is gone.
        self._stores = 0
        #: Lanes with stored updates not loaded, as last known (told to ``PerPersonOrder``).
        self._backlogs: set[int] = set()

    @property
    def unfinished(self) -> int:
        """Updates stored and not marked done, as last counted."""
        return self._unfinished

    @property
    def loaded(self) -> int:
        """Updates taken from the table and not handled yet (for tests and benchmarks)."""
        return len(self._loaded)

    async def start(self) -> None:
        """Load what a previous run left (run before anything fetched now), then keep feeding."""
        self._feeding = True
        self._halt.clear()
        try:
            await self._round()
        except (OperationalError, DBAPIError, OSError) as exc:
            log.warning("inbox: cannot read the inbox table (%s); retrying", exc)
            self._failing = True
            self._wake.set()
        if self._unfinished:
            log.info(
                "inbox: %d updates stored by the previous run were not handled; handling them",
                self._unfinished,
            )
        self._task = asyncio.create_task(self._loop(), name="phoihop:inbox")

    async def stop(self) -> None:
        """Load nothing more; the loaded updates finish and are marked done. The rest stays
        stored for the next start."""
        self._feeding = False
        self._halt.set()
        self._wake.set()
        if self._task is not None:
            await self._task
            self._task = None
        await self.app.update_queue.join()
        with contextlib.suppress(OperationalError, DBAPIError, OSError):
            await self._round()
        self._set_backlogs(set())  # nothing more is loaded: no lane waits for the rest

    def stored(self, updates: Sequence[Update]) -> None:
        """The poller stored a batch; ``updates`` are the ones new to the table. Without a
        backlog they go to the queue from memory if the window holds them."""
        self._stores += 1
        self._unfinished += len(updates)
        # The same shape as a load from the table: at most ``per_lane`` of a person (their fair
        # turns count from when their lane was last empty: ten of one person loaded at once
        # would hold back someone who writes behind them, measured 7 s in bench/fairness.py).
        lanes = Counter(lane_of(update) for update in updates)
        fits = len(self._loaded) + len(updates) <= self.window and all(
            lane is None or self._lanes[lane] + count <= self.per_lane
            for lane, count in lanes.items()
        )
        if not self._backlog and self._feeding and fits:
            for update in updates:
                self._load(update)
        elif updates:
            self._backlog = True
            self._wake.set()
            self._set_backlogs(self._backlogs | {lane for lane in lanes if lane is not None})
        self._signal()

    @property
    def has_room(self) -> bool:
        return self._room.is_set()

    async def room(self) -> None:
        """Return once fewer than ``limit`` stored updates are unfinished."""
        await self._room.wait()

    async def settled(self) -> None:
        """Return once every stored update was handled and marked done."""
        await self._idle.wait()

    async def run_unstored(self, updates: Sequence[Update], stopped: asyncio.Event) -> bool:
        """Handle updates the table did not take (``Poller._handle_unstored``); True once all
        were handled, False if ``stopped`` came first."""
        if not updates:
            return True
        self._unstored = {update.update_id for update in updates}
        self._unstored_done.clear()
        for update in updates:
            await self.app.update_queue.put(update)
        done = asyncio.ensure_future(self._unstored_done.wait())
        halt = asyncio.ensure_future(stopped.wait())
        await asyncio.wait((done, halt), return_when=asyncio.FIRST_COMPLETED)
        for waiter in (done, halt):
            waiter.cancel()
        return self._unstored_done.is_set()

    def _handled(self, update: object) -> None:
        if isinstance(update, Update) and update.update_id in self._unstored:
            self._unstored.discard(update.update_id)
            if not self._unstored:
                self._unstored_done.set()
            return
        if isinstance(update, Update) and update.update_id in self._loaded:
            lane = self._loaded.pop(update.update_id)
            self._lanes[lane] -= 1
            if self._lanes[lane] <= 0:
                del self._lanes[lane]
            self._finished.add(update.update_id)
            self._wake.set()

    async def _loop(self) -> None:
        while self._feeding:
            await self._wake.wait()
            self._wake.clear()
            if not self._feeding:
                return
            try:
                await self._round()
            except (OperationalError, DBAPIError, OSError) as exc:
                if not self._failing:
                    self._failing = True
                    log.warning("inbox: cannot read the inbox table (%s); retrying", exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._halt.wait(), timeout=self.retry)
                self._wake.set()
            else:
                if self._failing:
                    self._failing = False
                    log.warning("inbox: the inbox table answers again")

    async def _round(self) -> None:
        finished, self._finished = self._finished, set()
        backlog, stores = self._backlog, self._stores
        if not finished and not backlog:
            self._signal()
            return
        room = self.window - len(self._loaded) if self._feeding and backlog else 0
        limit = len(self._loaded) + room
        unfinished: int | None = None
        try:
            async with self.db.session() as session:
                if finished:
                    await inbox_q.finish(session, finished, self.clock.now())
                heads = (
                    await inbox_q.heads(session, per_lane=self.per_lane, limit=limit)
                    if room > 0
                    else []
                )
                if backlog:
                    unfinished = await inbox_q.unfinished(session)
        except BaseException:
            self._finished |= finished  # marked at the next round
            raise
        if unfinished is None:
            self._unfinished = max(0, self._unfinished - len(finished))
        else:
            self._unfinished = unfinished
        if room > 0:
            self._note_backlogs(heads, complete=len(heads) < limit)
        for head in heads:
            if room <= 0:
                break
            if head.update_id in self._loaded or head.update_id in self._finished:
                continue
            update = self._parse(head.update_id, head.body)
            if update is None:
                self._finished.add(head.update_id)
                self._wake.set()
                continue
            room -= 1
            self._load(update)
        if (
            backlog
            and unfinished is not None
            and unfinished <= len(self._loaded)
            and stores == self._stores
        ):
            self._backlog = False  # every stored update is loaded: the next come from memory
            self._set_backlogs(set())
        self._signal()

    def _note_backlogs(self, heads: Sequence[inbox_q.Head], *, complete: bool) -> None:
        """The lanes with more unfinished rows than heads read. A read cut short by its limit
        leaves out whole lanes: what was known of those stays."""
        read = Counter(head.lane for head in heads)
        backlogs = {
            head.lane
            for head in heads
            if head.lane is not None and head.lane_unfinished > read[head.lane]
        }
        if not complete:
            backlogs |= self._backlogs - read.keys()
        self._set_backlogs(backlogs)

    def _set_backlogs(self, lanes: set[int]) -> None:
        if lanes != self._backlogs:
            self._backlogs = lanes
            self.processor.set_backlogs(lanes)

    def _load(self, update: Update) -> None:
        lane = lane_of(update)
        self._loaded[update.update_id] = lane
        self._lanes[lane] += 1
        self.app.update_queue.put_nowait(update)

    def _signal(self) -> None:
        if self._unfinished < self.limit:
            self._room.set()
        else:
            self._room.clear()
        if self._unfinished == 0 and not self._loaded and not self._finished:
            self._idle.set()
        else:
            self._idle.clear()

    def _parse(self, update_id: int, body: str) -> Update | None:
        try:
            return Update.de_json(_json(body), self.app.bot)
        except Exception as exc:  # stored from a readable update: a newer PTB may differ
            log.error(
                "inbox: stored update %s cannot be read (%s: %s); skipped",
                update_id,
                type(exc).__name__,
                exc,
            )
            return None


def _json(body: str) -> dict[str, Any]:
    data = json.loads(body)
    if not isinstance(data, dict):
        raise ValueError("not an update")
    return data
