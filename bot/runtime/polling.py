"""Long polling that confirms an update to the Bot API only after the bot has handled it.

python-telegram-bot's ``Updater`` asks for the next batch (which tells Telegram the previous one
was received) as soon as it has queued a batch, before the handlers ran: a SIGKILL while an
update is being handled loses it, and the user's message gets no answer. Here the next
``getUpdates`` waits until the queue is empty, so after a crash Telegram delivers the unfinished
updates again; ``handlers/replay.py`` makes sure a redelivered update whose effect was already
committed is not applied twice.

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
    ) -> None:
        self.app = app
        self.timeout = timeout
        self.backoff_max = backoff_max
        self.allowed_updates = list(allowed_updates)
        #: The first update not handled yet (None: whatever the Bot API has).
        self.offset: int | None = None
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
        if not updates:
            return
        for update in updates:
            await self.app.update_queue.put(update)
        # Confirm (by asking from the next offset) only once every handler has run.
        await self.app.update_queue.join()
        self.offset = updates[-1].update_id + 1

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
