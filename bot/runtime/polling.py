"""Long polling that confirms an update to the Bot API only after the bot has handled it.

python-telegram-bot's ``Updater`` asks for the next batch (which tells Telegram the previous one
was received) as soon as it has queued a batch, before the handlers ran: a SIGKILL while an
update is being handled loses it, and the user's message gets no answer. Here the offset sent
with ``getUpdates`` (which confirms every update below it) never passes the oldest update still
being handled, so after a crash Telegram delivers the unfinished updates again;
``handlers/replay.py`` makes sure a redelivered update whose effect was already committed is not
applied twice.

Updates of different people are handled at the same time (bot/runtime/ordering.py), so while one
is slow (its reply held by Telegram, say) the poller keeps asking for new ones: from the oldest
unfinished offset, skipping the updates it already has, and, since such a request answers at
once with those, pausing ``busy_pause`` seconds (or until an update finishes) between requests.

Failures of ``getUpdates`` never stop polling: 429 waits as told, a timeout asks again at once,
anything else (connection refused, 5xx) backs off up to ``backoff_max`` seconds. The first
failure and the recovery are each logged on one line, not a traceback per attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import warnings
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.error import InvalidToken, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application

from bot.runtime.ordering import PerPersonOrder

log = logging.getLogger(__name__)


def retry_after_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns that this becomes a timedelta; both are handled
        warnings.simplefilter("ignore")
        wait = exc.retry_after
    return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)


class Poller:
    def __init__(
        self,
        app: Application[Any, Any, Any, Any, Any, Any],
        *,
        timeout: int = 10,
        backoff_max: float = 5.0,
        allowed_updates: Sequence[str] = Update.ALL_TYPES,
        busy_pause: float = 0.2,
    ) -> None:
        self.app = app
        self.timeout = timeout
        self.backoff_max = backoff_max
        self.allowed_updates = list(allowed_updates)
        self.busy_pause = busy_pause
        #: The first update not handled yet (None: whatever the Bot API has).
        self.offset: int | None = None
        #: Updates queued and not yet handled; the next offset after every update seen.
        self._pending: set[int] = set()
        self._next = 0
        self._finished = asyncio.Event()
        processor = app.update_processor
        if isinstance(processor, PerPersonOrder):
            processor.listeners.append(self._handled)
        self._tracked = isinstance(processor, PerPersonOrder)
        self._stopping = False
        self._stopped = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._fetch: asyncio.Task[tuple[Update, ...]] | None = None
        self._failing_since: float | None = None

    async def start(self) -> None:
        # A webhook left by another deployment would make getUpdates fail with 409 forever.
        await self.app.bot.delete_webhook(drop_pending_updates=False)
        self._stopping = False
        self._stopped.clear()
        self._task = asyncio.create_task(self._loop(), name="phoihop:polling")

    async def stop(self) -> None:
        """Stop asking; updates being handled are finished and confirmed."""
        self._stopping = True
        self._stopped.set()
        if self._fetch is not None:
            self._fetch.cancel()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        # Updates still being handled finish first; then everything seen is confirmed.
        await self.app.update_queue.join()
        self._confirm_point()
        if self.offset is not None:
            with contextlib.suppress(TelegramError):
                await self.app.bot.get_updates(offset=self.offset, timeout=0)

    async def _loop(self) -> None:
        delay = 0.0
        while not self._stopping:
            try:
                updates = await self._get_updates()
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
                await self._handle(updates)
                continue
            if delay:
                await self._sleep(delay)

    async def _get_updates(self) -> tuple[Update, ...]:
        self._fetch = asyncio.ensure_future(
            self.app.bot.get_updates(
                offset=self.offset, timeout=self.timeout, allowed_updates=self.allowed_updates
            )
        )
        try:
            return await self._fetch
        finally:
            self._fetch = None

    async def _handle(self, updates: Sequence[Update]) -> None:
        if not self._tracked:
            # No per-update completion (a processor other than ours): one batch at a time.
            for update in updates:
                await self.app.update_queue.put(update)
            await self.app.update_queue.join()
            if updates:
                self.offset = updates[-1].update_id + 1
            return
        fresh = [u for u in updates if u.update_id >= self._next]
        for update in fresh:
            self._pending.add(update.update_id)
            self._next = update.update_id + 1
            await self.app.update_queue.put(update)
        self._confirm_point()
        if self._pending:
            # The next request answers at once with the unfinished updates: wait a little, or
            # until one of them is done, before asking again.
            self._finished.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._finished.wait(), timeout=self.busy_pause)

    @property
    def unfinished(self) -> int:
        """Updates fetched and not handled yet (what a crash would have Telegram redeliver)."""
        return len(self._pending)

    def _handled(self, update: object) -> None:
        if isinstance(update, Update) and update.update_id in self._pending:
            self._pending.discard(update.update_id)
            self._confirm_point()
            self._finished.set()

    def _confirm_point(self) -> None:
        """The offset to ask from: the oldest unfinished update, else after the newest seen."""
        if self._pending:
            self.offset = min(self._pending)
        elif self._next:
            self.offset = self._next

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
