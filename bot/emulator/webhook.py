"""Webhook delivery for the emulator: while a webhook is set, pending updates are POSTed to it as
Telegram does — JSON body, ``X-Telegram-Bot-Api-Secret-Token`` header, only HTTP 200 counts as
delivered, anything else (another status, a refused connection, a timeout) is retried later.

Like Telegram's server (telegram-bot-api's ``WebhookActor``), updates of one chat are delivered one at
a time and in order, while different chats' updates go out concurrently up to ``max_connections``.

For tests of several bot processes the emulator can also play the load balancer in front of them:
``targets`` replaces the webhook's address by a list of backend URLs that receive the deliveries in
turn (round robin); a failed attempt is retried on the next backend, as nginx's
``proxy_next_upstream`` does. ``attempts`` records every try for assertions.

The emulator posts only to loopback addresses: a webhook set to a public URL (as the bot sets it in
production) is delivered to the ``targets`` it is routed to, and held pending until it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from .state import EmulatorState

_log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass(frozen=True)
class DeliveryAttempt:
    update_id: int
    target: str
    #: The HTTP status, or None when no answer came (connection refused, reset, timeout).
    status: int | None
    error: str | None = None


@dataclass
class _Retry:
    failures: int = 0
    not_before: float = 0.0


@dataclass
class WebhookConfig:
    url: str
    secret_token: str | None = None
    max_connections: int = 40
    targets: list[str] | None = None
    retries: dict[int, _Retry] = field(default_factory=dict)


def chat_key(payload: dict[str, Any]) -> int | str:
    """What orders deliveries: the chat of the update (else its sender, else the update itself)."""
    body = next((v for k, v in payload.items() if k != "update_id"), None)
    if isinstance(body, dict):
        chat = body.get("chat") or (body.get("message") or {}).get("chat")
        if isinstance(chat, dict) and "id" in chat:
            return int(chat["id"])
        sender = body.get("from")
        if isinstance(sender, dict) and "id" in sender:
            return int(sender["id"])
    return f"update:{payload.get('update_id')}"


class WebhookDeliverer:
    """Pushes ``state.pending`` to the webhook while one is set; ``wake()`` on every change."""

    def __init__(
        self,
        state: EmulatorState,
        notify: Callable[[], None],
        *,
        retry_delay: float = 0.05,
        max_retry_delay: float = 2.0,
        timeout: float = 60.0,
        now: Callable[[], float] | None = None,
    ) -> None:
        self.state = state
        self.notify = notify
        self.retry_delay = retry_delay
        self.max_retry_delay = max_retry_delay
        self.timeout = timeout
        self.config: WebhookConfig | None = None
        self.attempts: list[DeliveryAttempt] = []
        self.last_error: tuple[int, str] | None = None
        self._targets: list[str] | None = None
        self._turn = 0
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._http: aiohttp.ClientSession | None = None
        self._now = now or (lambda: asyncio.get_running_loop().time())

    # ------------------------------------------------------------------ control
    def set_targets(self, targets: list[str] | None) -> None:
        """Deliver to these URLs in turn instead of the webhook's own address (None: stop that)."""
        self._targets = list(targets) if targets else None
        self.wake()

    def configure(self, config: WebhookConfig | None) -> None:
        """setWebhook (a config) or deleteWebhook (None)."""
        self.config = config
        if config is not None and self._task is None:
            self._task = asyncio.create_task(self._run(), name="emulator-webhook")
        self.wake()

    def wake(self) -> None:
        self._wake.set()

    @property
    def active(self) -> bool:
        return self.config is not None

    async def stop(self) -> None:
        task, self._task = self._task, None
        tasks = [*self._in_flight.values(), *([task] if task else [])]
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t
        self._in_flight.clear()
        if self._http is not None:
            await self._http.close()
            self._http = None

    # ------------------------------------------------------------------ the loop
    async def _run(self) -> None:
        while True:
            self._wake.clear()
            if self.config is not None:
                self._launch(self.config)
            await self._wake.wait()

    def _launch(self, config: WebhookConfig) -> None:
        """Start a delivery for every chat whose oldest pending update may go now."""
        if not self._targets and not _is_loopback(config.url):
            return  # nowhere to deliver on this machine: held until route_webhook()
        now = self._now()
        seen: set[int | str] = set()
        for pending in list(self.state.pending):
            key = chat_key(pending.payload)
            if key in seen:
                continue  # an older update of this chat goes first
            seen.add(key)
            update_id = pending.update_id
            if update_id in self._in_flight:
                continue
            retry = config.retries.get(update_id)
            if retry is not None and retry.not_before > now:
                continue
            if len(self._in_flight) >= config.max_connections:
                return
            self._in_flight[update_id] = asyncio.create_task(
                self._deliver(config, update_id, pending.payload)
            )

    def _next_target(self, config: WebhookConfig) -> str:
        targets = self._targets or [config.url]
        target = targets[self._turn % len(targets)]
        self._turn += 1
        return target

    async def _deliver(
        self, config: WebhookConfig, update_id: int, payload: dict[str, Any]
    ) -> None:
        target = self._next_target(config)
        headers = {"Content-Type": "application/json"}
        if config.secret_token:
            headers[SECRET_HEADER] = config.secret_token
        status: int | None = None
        error: str | None = None
        try:
            if self._http is None:
                self._http = aiohttp.ClientSession(
                    timeout=aiohttp.ClientTimeout(total=self.timeout)
                )
            async with self._http.post(
                target, data=json.dumps(payload, ensure_ascii=False).encode(), headers=headers
            ) as response:
                status = response.status
                await response.read()
                if status != 200:
                    error = f"Wrong response from the webhook: {status} {response.reason}"
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            error = _describe(exc)
        self.attempts.append(DeliveryAttempt(update_id, target, status, error))
        self._in_flight.pop(update_id, None)
        if error is None:
            config.retries.pop(update_id, None)
            self.state.mark_delivered(update_id)
        else:
            self.last_error = (self.state.now(), error)
            retry = config.retries.setdefault(update_id, _Retry())
            retry.failures += 1
            delay = min(self.retry_delay * 2 ** (retry.failures - 1), self.max_retry_delay)
            retry.not_before = self._now() + delay
            asyncio.get_running_loop().call_later(delay, self.wake)
            _log.debug("webhook delivery of %s to %s failed: %s", update_id, target, error)
        self.notify()
        self.wake()


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        return "Read timeout expired"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return "Connection refused"
    return f"Connection error: {type(exc).__name__}"
