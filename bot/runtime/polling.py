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
once with those, pausing ``busy_pause`` seconds (or until none is left) between requests.

Failures of ``getUpdates`` never stop polling: 429 waits as told, a timeout asks again at once,
anything else (connection refused, 5xx) backs off up to ``backoff_max`` seconds. The first
failure and the recovery are each logged on one line, not a traceback per attempt.

A poison update never stalls polling either. One that python-telegram-bot cannot read makes the
whole ``getUpdates`` answer fail to parse, and asking again would give the same answer forever:
the batch is then read again as plain JSON (``Bot.do_api_request``) and parsed update by update;
an unreadable update is skipped with one log line naming its id (parsing is deterministic, so
there is nothing to gain from a second try), the others are handled as usual. An update whose
handler fails is handled once: the error handler logs it and tells the user (handlers/errors.py),
and the next updates follow.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
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
        *,
        timeout: int = 10,
        backoff_max: float = 5.0,
        allowed_updates: Sequence[str] = Update.ALL_TYPES,
        busy_pause: float = 0.1,
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
        #: Ids of updates that could not be read (logged once each; pruned once confirmed).
        self._unreadable: set[Any] = set()
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
                await self._handle(batch)
                continue
            if delay:
                await self._sleep(delay)

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

    async def _handle(self, batch: Batch) -> None:
        if not self._tracked:
            # No per-update completion (a processor other than ours): one batch at a time.
            for update in batch.updates:
                await self.app.update_queue.put(update)
            await self.app.update_queue.join()
            if batch.last_id is not None:
                self.offset = batch.last_id + 1
            return
        for update in batch.updates:
            if update.update_id < self._next:
                continue  # fetched before, still being handled
            self._pending.add(update.update_id)
            self._next = update.update_id + 1
            await self.app.update_queue.put(update)
        if batch.last_id is not None:
            # An unreadable update at the end of the batch is confirmed with it.
            self._next = max(self._next, batch.last_id + 1)
        self._confirm_point()
        if self._pending:
            # The next request answers at once, with the unfinished updates again: ask at most
            # every ``busy_pause`` seconds while some are, at once when none is left. (Waking at
            # every finished update cost a getUpdates per update: 15.4 against 11.8 ms of CPU
            # per /log shortcut at 30 updates/s, bench/cpu_per_update.py, 03/12/2026.)
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
            if not self._pending:
                self._finished.set()

    def _confirm_point(self) -> None:
        """The offset to ask from: the oldest unfinished update, else after the newest seen."""
        if self._pending:
            self.offset = min(self._pending)
        elif self._next:
            self.offset = self._next
        if self._unreadable and self.offset is not None:
            offset = self.offset
            self._unreadable = {u for u in self._unreadable if isinstance(u, int) and u >= offset}

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
