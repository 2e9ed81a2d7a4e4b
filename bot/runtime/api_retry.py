"""Bot API calls that survive a short outage: the rate limiter every request passes through.

A reply that fails because the Bot API is unreachable or answers 5xx would otherwise be lost (the
user's input is saved, but they see nothing). ``PatientLimiter`` wraps python-telegram-bot's
``AIORateLimiter`` (which handles 429) and retries such failures after the pauses in
``PHOIHOP_API_RETRY_DELAYS``.

Only what cannot send twice is retried: a refused connection or a 5xx (the request did not take
effect), and a timeout only for methods that are safe to repeat (edits, answers, reads). A
``sendMessage`` that timed out may have been delivered, so it is not sent again. The outbox
passes ``NO_RETRY``: it has its own schedule and must not hold its loop for a minute.

Telegram's limit of ~30 messages a second is per bot. On PostgreSQL, where several processes may
serve one bot, every request to a chat first takes a slot of the bot's shared budget
(``budget``, bot/runtime/send_budget.py), replies before the outbox's notices (which pass
``NO_RETRY``, marked ``bulk``), and ``AIORateLimiter`` keeps only its per-group limit. On SQLite
(one process) ``AIORateLimiter`` paces everything in memory.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

import httpx
from telegram.error import NetworkError, RetryAfter, TimedOut
from telegram.ext import AIORateLimiter, BaseRateLimiter

from bot.runtime.polling import retry_after_seconds
from bot.runtime.send_budget import SharedBudget
from storage.db import in_transaction, release_held

log = logging.getLogger(__name__)


class _QuietRetryAfter(logging.Filter):
    """``AIORateLimiter(max_retries=0)`` logs every 429 with a traceback ("Rate limit hit after
    maximum of 0 retries"); the request's own wait is logged here, and the outbox's in its row."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Rate limit hit after maximum")


logging.getLogger("telegram.ext.AIORateLimiter").addFilter(_QuietRetryAfter())

JSONDict = dict[str, Any]
#: The outbox's sends: not retried here (the outbox reschedules them), and bulk (a reply to a
#: person goes first when the shared budget is short).
NO_RETRY: dict[str, Any] = {"retry": False, "bulk": True}
#: The outbox's queued replies (handlers/delivery.py): rescheduled by the outbox too, but replies
#: to people, served before bulk notices in the shared budget.
NO_RETRY_REPLY: dict[str, Any] = {"retry": False, "bulk": False}

#: Methods whose repetition cannot show the user something twice.
IDEMPOTENT_PREFIXES = ("get", "set", "delete", "edit", "answer")


def retryable(exc: Exception, endpoint: str) -> bool:
    if isinstance(exc, TimedOut):
        cause = exc.__cause__
        if isinstance(cause, (httpx.ConnectTimeout, httpx.PoolTimeout)):
            return True  # the request never left
        return endpoint.lower().startswith(IDEMPOTENT_PREFIXES)
    # Exactly NetworkError: connection refused/reset and 5xx. Its subclass BadRequest is final.
    return type(exc) is NetworkError


class PatientLimiter(BaseRateLimiter[dict[str, Any]]):
    def __init__(
        self,
        inner: AIORateLimiter | None,
        delays: Sequence[float],
        *,
        strict: bool = False,
        budget: SharedBudget | None = None,
    ) -> None:
        self.inner = inner
        self.delays = tuple(delays)
        self.strict = strict
        self.budget = budget

    def _inside_transaction(self, endpoint: str) -> None:
        """A request awaited inside a database transaction holds SQLite's write lock while
        Telegram answers (up to a minute of retries): replies go after the commit
        (handlers/common.py). Tests fail on it; production logs it with the stack that made it."""
        if self.strict:
            raise RuntimeError(f"Bot API {endpoint} inside a database transaction")
        log.error("Bot API %s inside a database transaction", endpoint, stack_info=True)

    async def initialize(self) -> None:
        if self.inner is not None:
            await self.inner.initialize()

    async def shutdown(self) -> None:
        if self.budget is not None:
            await self.budget.close()
        if self.inner is not None:
            await self.inner.shutdown()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: dict[str, Any] | None,
    ) -> bool | JSONDict | list[JSONDict]:
        # The update's transaction opened ahead for reading (storage.db.hold) ends first: no
        # request waits on Telegram with the write lock held.
        await release_held()
        if in_transaction():
            self._inside_transaction(endpoint)
        options = rate_limit_args or {}
        patient = endpoint.lower() != "getupdates" and options.get("retry", True)
        delays = self.delays if patient else ()
        # As AIORateLimiter counts: the requests that name a chat (answerCallbackQuery does not).
        budget = self.budget if data.get("chat_id") is not None else None
        for attempt in range(len(delays) + 1):
            if budget is not None:
                await budget.acquire(bulk=bool(options.get("bulk")))
            try:
                if self.inner is not None:
                    return await self.inner.process_request(
                        callback, args, kwargs, endpoint, data, None
                    )
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt == len(delays):
                    raise
                wait = retry_after_seconds(exc)
                log.warning("%s: 429 from Telegram, waiting %g s as told", endpoint, wait)
                await asyncio.sleep(wait)
            except NetworkError as exc:
                if attempt == len(delays) or not retryable(exc, endpoint):
                    raise
                log.warning("%s failed (%s); trying again in %g s", endpoint, exc, delays[attempt])
                await asyncio.sleep(delays[attempt])
        raise AssertionError("unreachable")  # pragma: no cover
