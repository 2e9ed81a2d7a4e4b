"""Long polling into a durable inbox: each ``getUpdates`` batch is stored in the database in one
transaction, and only then confirmed to Telegram.

python-telegram-bot's ``Updater`` confirms a batch (by asking for the next one) as soon as it has
queued it in memory: a SIGKILL while an update is being handled loses it. Until issue 15 this
poller confirmed nothing past the oldest update still being handled instead, so a crash lost
nothing, but the bot then saw no further than the 100 updates ``getUpdates`` answers past that
one: another person's message sent behind a burst of 500 waited for most of the burst (14-16 s,
docs/benchmarks.md). Now the offset of the next request passes every update of a batch as soon
as the batch is stored (``inbox`` table, ``storage/queries/inbox.py``); the updates run from the
table in fair turns (``bot/runtime/inbox.py``), each marked done once handled. After a crash
the stored updates that are not done run again (first, being the oldest);
``handlers/replay.py`` keeps one whose effect committed from being applied twice, and silent if
its reply was sent. A batch stored but not yet confirmed when the process died comes again from
Telegram and is recognised by its ids (the rows stay, done or not, until a later request
confirmed them). A batch that cannot be stored (the database away) is not confirmed: it is
asked for again.

**Backpressure.** While ``PHOIHOP_INBOX_MAX`` stored updates are unfinished the poller does not
ask for more; Telegram keeps them (as it keeps every unconfirmed update for 24 hours).

**One poller per database.** On PostgreSQL the poller first takes an advisory lock of its own
(``storage.locks.LeaderLock``, another key than the scheduler's): a second ``phoihop run``
against the same database waits as a standby instead of running the same stored updates twice,
and takes over within ``PHOIHOP_SCHEDULER_RETRY`` seconds of the first one's death. The lock is
checked again before every batch is stored. On SQLite one process runs the bot (a second one
against the same file is not supported, as before: docs/deployment.md).

Failures of ``getUpdates`` never stop polling: 429 waits as told, a timeout asks again at once,
anything else (connection refused, 5xx) backs off up to ``backoff_max`` seconds. The first
failure and the recovery are each logged on one line, not a traceback per attempt.

A poison update never stalls polling either. One that python-telegram-bot cannot read makes the
whole ``getUpdates`` answer fail to parse, and asking again would give the same answer forever:
the batch is then read again as plain JSON (``Bot.do_api_request``) and parsed update by update;
an unreadable update is skipped with one log line naming its id (parsing is deterministic, so
there is nothing to gain from a second try) and confirmed with its batch, the others are stored
as usual. An update whose handler fails is handled once: the error handler logs it and tells
the user (handlers/errors.py), and the next updates follow.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import DBAPIError, OperationalError
from telegram import Update
from telegram.error import InvalidToken, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application

from bot.clock import Clock
from bot.runtime.inbox import Inbox
from bot.runtime.ordering import lane_of
from bot.runtime.scheduler import worker_id
from storage.db import Database
from storage.locks import LeaderLock
from storage.queries import inbox as inbox_q
from storage.queries.inbox import Stored

log = logging.getLogger(__name__)

#: "phoihop poll" as a number: the advisory lock only one poller of a database holds.
POLLER_LOCK = int.from_bytes(b"phpoller", "big")


def retry_after_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns that this becomes a timedelta; both are handled
        warnings.simplefilter("ignore")
        wait = exc.retry_after
    return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)


@dataclass(frozen=True)
class Batch:
    """One ``getUpdates`` answer: the updates to handle, and the id to confirm up to (an
    unreadable update is confirmed too, though not handled)."""

    updates: tuple[Update, ...]
    last_id: int | None


class Poller:
    def __init__(
        self,
        app: Application[Any, Any, Any, Any, Any, Any],
        db: Database,
        clock: Clock,
        *,
        timeout: int = 10,
        backoff_max: float = 5.0,
        allowed_updates: Sequence[str] = Update.ALL_TYPES,
        inbox_max: int = 1000,
        inbox_window: int = 200,
        lock_retry: float = 5.0,
    ) -> None:
        self.app = app
        self.db = db
        self.clock = clock
        self.timeout = timeout
        self.backoff_max = backoff_max
        self.allowed_updates = list(allowed_updates)
        self.lock_retry = lock_retry
        self.inbox = Inbox(app, db, clock, window=inbox_window, limit=inbox_max)
        #: The offset of the next request: past every update stored (None: whatever the Bot
        #: API has). A request with it confirms everything below.
        self.offset: int | None = None
        #: Ids of updates that could not be read (logged once each; pruned once confirmed).
        self._unreadable: set[Any] = set()
        self._lock = LeaderLock(db, key=POLLER_LOCK, name=f"phoihop poller {worker_id()}")
        self._leading = False
        self._stopping = False
        self._stopped = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._fetch: asyncio.Task[tuple[Update, ...]] | None = None
        self._failing_since: float | None = None
        self._store_failing = False
        self._forgotten_at: datetime | None = None

    async def start(self) -> None:
        # A webhook left by another deployment would make getUpdates fail with 409 forever.
        await self.app.bot.delete_webhook(drop_pending_updates=False)
        self._stopping = False
        self._stopped.clear()
        if await self._lock.acquire():
            await self._lead()
        else:
            log.warning(
                "another process polls this bot, or the database does not answer (PostgreSQL "
                "lock); trying again every %g s",
                self.lock_retry,
            )
        self._task = asyncio.create_task(self._loop(), name="phoihop:polling")

    async def stop(self) -> None:
        """Stop asking; updates being handled are finished and marked done, the rest stays in
        the inbox for the next start."""
        self._stopping = True
        self._stopped.set()
        if self._fetch is not None:
            self._fetch.cancel()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._leading:
            await self.inbox.stop()
            self._leading = False
        if self.offset is not None:
            # Confirms the last batch stored (the updates this answers stay unconfirmed).
            with contextlib.suppress(TelegramError):
                await self.app.bot.get_updates(offset=self.offset, timeout=0, limit=1)
        await self._lock.release()

    async def settled(self) -> None:
        """Every update stored so far handled (for tests: ``send`` returns after its answer)."""
        await self.inbox.settled()
        await self.app.update_queue.join()

    @property
    def unfinished(self) -> int:
        """Updates stored and not handled yet (what a crash would leave to run after a restart)."""
        return self.inbox.unfinished

    async def _lead(self) -> None:
        self._leading = True
        await self.inbox.start()

    async def _loop(self) -> None:
        delay = 0.0
        while not self._stopping:
            if not self._leading:
                if await self._lock.acquire():
                    log.warning("this process polls the bot now")
                    await self._lead()
                else:
                    await self._sleep(self.lock_retry)
                    continue
            if not await self._has_room():
                continue
            try:
                batch = await self._get_updates()
            except asyncio.CancelledError:
                if self._stopping:
                    return
                raise
            except RetryAfter as exc:
                delay = retry_after_seconds(exc)
                self._failed(f"429, retry after {delay:g} s")
            except TimedOut as exc:
                self._failed(f"timed out ({exc})")
                delay = 0.0
            except InvalidToken as exc:
                self._failed(f"the Bot API rejects the token ({exc})")
                delay = self.backoff_max
            except Exception as exc:  # polling must outlive any single failure
                self._failed(str(exc) or type(exc).__name__)
                delay = min(self.backoff_max, max(0.5, delay * 2))
            else:
                self._recovered()
                delay = 0.0
                try:
                    await self._store(batch)
                except (OperationalError, DBAPIError, OSError) as exc:
                    await self._handle_unstored(batch, exc)
                else:
                    if self._store_failing:
                        self._store_failing = False
                        log.warning("the inbox table takes updates again")
                continue
            if delay:
                await self._sleep(delay)

    async def _has_room(self) -> bool:
        """Wait while the inbox is full (backpressure); False when stopping meanwhile."""
        if self.inbox.has_room:
            return True
        room = asyncio.ensure_future(self.inbox.room())
        stopped = asyncio.ensure_future(self._stopped.wait())
        await asyncio.wait((room, stopped), return_when=asyncio.FIRST_COMPLETED)
        for waiter in (room, stopped):
            waiter.cancel()
        return not self._stopping

    async def _handle_unstored(self, batch: Batch, exc: BaseException) -> None:
        """The database does not take the batch (locked past its busy timeout, the disk full,
        PostgreSQL away): the updates are handled straight from memory and confirmed only once
        handled, as before the inbox, so that each person hears why (handlers/errors.py: "send
        it again", "the server is out of space") and a crash meanwhile loses nothing."""
        if not self._store_failing:
            self._store_failing = True
            log.warning(
                "cannot store updates in the inbox table (%s); handling them from memory, "
                "confirmed once handled",
                exc,
            )
        if not await self.inbox.run_unstored(batch.updates, self._stopped):
            return  # stopping: not confirmed, Telegram sends them again
        self.offset = batch.last_id + 1 if batch.last_id is not None else self.offset

    async def _store(self, batch: Batch) -> None:
        """One transaction: the batch, and forgetting the done rows the request that fetched it
        confirmed; then the next request's offset passes the batch."""
        if batch.last_id is None:
            return
        if not await self._lock.held():
            log.error("the polling lock was lost; this process stops polling until it has it")
            self._leading = False
            await self.inbox.stop()
            return
        rows = [
            Stored(update.update_id, lane_of(update), json.dumps(update.to_dict()))
            for update in batch.updates
        ]
        now = self.clock.now()
        forget = self._forgotten_at is None or now - self._forgotten_at >= inbox_q.FORGET_EVERY
        # Urgent: before the handlers' transactions waiting for SQLite's lock. Every update of
        # the batch (another person's, behind a burst) waits for this one; the handlers have work.
        async with self.db.session(urgent=True) as session:
            new = await inbox_q.store(session, rows, now)
            if forget:
                await inbox_q.forget(
                    session, confirmed_below=self.offset, stale=now - inbox_q.STALE_AFTER
                )
        if forget:
            self._forgotten_at = now
        self.offset = batch.last_id + 1
        if self._unreadable:
            offset = self.offset
            self._unreadable = {u for u in self._unreadable if isinstance(u, int) and u >= offset}
        self.inbox.stored([update for update in batch.updates if update.update_id in new])

    async def _get_updates(self) -> Batch:
        self._fetch = asyncio.ensure_future(
            self.app.bot.get_updates(
                offset=self.offset, timeout=self.timeout, allowed_updates=self.allowed_updates
            )
        )
        try:
            updates = await self._fetch
        except (TelegramError, asyncio.CancelledError):
            raise
        except Exception:  # the Bot API answered, but an update in it cannot be read
            return await self._readable_updates()
        finally:
            self._fetch = None
        return Batch(updates, updates[-1].update_id if updates else None)

    async def _readable_updates(self) -> Batch:
        """The same batch again as plain JSON, parsed one update at a time; the unreadable ones
        are skipped (logged once each), but still confirmed with the batch."""
        kwargs: dict[str, Any] = {"timeout": 0, "allowed_updates": self.allowed_updates}
        if self.offset is not None:
            kwargs["offset"] = self.offset
        with warnings.catch_warnings():  # PTB suggests get_updates, which is what failed
            warnings.simplefilter("ignore")
            raw = await self.app.bot.do_api_request("getUpdates", api_kwargs=kwargs)
        updates: list[Update] = []
        last: int | None = None
        for data in raw if isinstance(raw, list) else []:
            update_id = data.get("update_id") if isinstance(data, dict) else None
            try:
                update = Update.de_json(data, self.app.bot)
            except Exception as exc:
                # Asked again while older updates are being handled: said once all the same.
                if update_id not in self._unreadable:
                    self._unreadable.add(update_id)
                    log.error(
                        "update %s cannot be read (%s: %s); skipped",
                        update_id,
                        type(exc).__name__,
                        exc,
                    )
            else:
                updates.append(update)
            if isinstance(update_id, int):
                last = update_id if last is None else max(last, update_id)
        return Batch(tuple(updates), last)

    async def _sleep(self, seconds: float) -> None:
        """Wait before the next attempt, but not past ``stop()``."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopped.wait(), timeout=seconds)

    def _failed(self, reason: str) -> None:
        if self._failing_since is None:
            self._failing_since = time.monotonic()
            log.warning("polling the Bot API failed: %s; retrying until it answers", reason)
        else:
            log.debug("polling the Bot API failed again: %s", reason)

    def _recovered(self) -> None:
        if self._failing_since is not None:
            log.warning(
                "polling the Bot API works again after %.1f s",
                time.monotonic() - self._failing_since,
            )
            self._failing_since = None
