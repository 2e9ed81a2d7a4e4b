"""Webhook mode: a small aiohttp server that Telegram (or the load balancer in front of several bot
processes) posts updates to.

Why our own server rather than python-telegram-bot's ``run_webhook`` (tornado):

- PTB's handler answers 200 as soon as the update is *queued*, before any handler ran. A process
  killed at that moment loses the update: Telegram saw 200 and never sends it again. Here the answer
  is given after the update was handled and its claim marked done, so "200" means "done", and a
  crash means a re-delivery (to whichever process the load balancer picks).
- Deduplication needs a third answer besides "done" and "refused": an update that another process
  is handling right now gets 503, so Telegram tries again later instead of the update being either
  dropped or handled twice. PTB's handler cannot say that.
- PTB logs a wrong secret token at DEBUG level verbatim; we log the refusal without it and compare
  in constant time. aiohttp is already a dependency (the Bot API emulator), tornado is not.
- Shutdown is ours to order: stop accepting, let requests in flight finish (``shutdown_timeout``),
  then stop the application, all inside the one event loop the CLI runs.

Up to ``concurrency`` updates are handled at once per process (``PHOIHOP_WEBHOOK_CONCURRENCY``):
``Application.process_update`` is called directly, not through PTB's single-update queue. That is
safe because all conversation state is in the database and Telegram sends one chat's updates one at
a time; it lets a process work while an update waits on the network. The bound matters: with every
request admitted at once, transactions sit open while the one event loop serves other updates, and
writers of the same rows (the rollup of a commune) queue behind them ("idle in transaction" next to
"INSERT waiting" in pg_stat_activity); on the busy 2-core machine here one process did 9.1 updates/s
with 30 at once, 10.7 with 4, 9.9 with 1. Requests beyond the bound wait in the socket backlog.

No inbox table here, unlike long polling (bot/runtime/polling.py): the inbox exists because
``getUpdates`` shows the poller at most 100 updates past the oldest one it has not confirmed, so
confirming only after handling hid everything behind a burst. A webhook has no such window:
Telegram pushes updates, up to ``max_connections`` at once and one chat's at a time, and "200
after handling" already means a crash loses nothing. Storing first would add a transaction per
update and gain nothing (docs/faults.md).

A poison update (one python-telegram-bot cannot read, or whose processing raises every time)
would be delivered again and again, and Telegram holds that chat's later updates behind it. It
is refused (400 or 500, so Telegram tries again: the cause may pass) up to ``POISON_ATTEMPTS``
times in this process; the last attempt answers 200, and one log line names the update. A
failing *handler* does not get here: the error handler deals with it (handlers/errors.py).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Callable
from datetime import timedelta
from http import HTTPStatus

from aiohttp import web
from sqlalchemy.exc import DBAPIError, OperationalError
from telegram import Update

from bot.runtime.app import App
from bot.runtime.scheduler import worker_id
from bot.services import Services
from storage.queries import update_claims as claims_q
from storage.queries.update_claims import Claim

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

#: Deliveries of one update that may fail before it is skipped.
POISON_ATTEMPTS = 3


class Attempts:
    """Failed deliveries per update id in this process (the last ``keep`` ids only: a poison
    update is retried within seconds, and memory stays bounded)."""

    def __init__(self, limit: int = POISON_ATTEMPTS, keep: int = 1024) -> None:
        self.limit, self.keep = limit, keep
        self._failed: dict[int, int] = {}

    def failed(self, update_id: int) -> bool:
        """Count a failure; True when the update has had its last attempt and is to be skipped."""
        count = self._failed.pop(update_id, 0) + 1
        if count >= self.limit:
            return True
        self._failed[update_id] = count
        while len(self._failed) > self.keep:
            del self._failed[next(iter(self._failed))]
        return False


class WebhookServer:
    """Serves ``POST path`` on ``host:port`` for ``app``; ``port=0`` picks a free port."""

    def __init__(
        self,
        app: App,
        services: Services,
        *,
        secret: str,
        path: str = "/",
        host: str = "127.0.0.1",
        port: int = 8443,
        lease: timedelta = timedelta(seconds=60),
        concurrency: int = 4,
        shutdown_timeout: float = 20.0,
        routes: Callable[[web.Application], None] | None = None,
    ) -> None:
        self.app = app
        self.services = services
        self._secret = secret.encode()
        self.path = path or "/"
        self.host = host
        self.port = port
        self.lease = lease
        self.shutdown_timeout = shutdown_timeout
        self.worker = worker_id()
        self._slots = asyncio.Semaphore(concurrency)
        self._attempts = Attempts()
        self._runner: web.AppRunner | None = None
        #: More routes on the same server (the dashboard, bot/runtime/webapp.py).
        self._routes = routes

    async def start(self) -> None:
        web_app = web.Application(client_max_size=1024 * 1024)
        web_app.router.add_post(self.path, self._handle)
        if self._routes is not None:
            self._routes(web_app)
        # handler_cancellation off (aiohttp's default, said here on purpose): a load balancer that
        # gives up on a slow request must not abort the handler half-way through its writes.
        runner = web.AppRunner(
            web_app,
            handler_cancellation=False,
            shutdown_timeout=self.shutdown_timeout,
            access_log=None,
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        log.info("webhook: listening on %s:%s%s", self.host, self.port, self.path)

    async def stop(self) -> None:
        """Stop accepting; requests in flight finish (up to ``shutdown_timeout``)."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        presented = request.headers.get(SECRET_HEADER)
        if presented is None or not hmac.compare_digest(presented.encode(), self._secret):
            log.warning(
                "webhook: refused a request from %s: %s secret token (403)",
                _peer(request),
                "no" if presented is None else "a wrong",
            )
            return web.Response(status=HTTPStatus.FORBIDDEN)
        try:
            data = await request.json(loads=json.loads)
            update_id = data.get("update_id") if isinstance(data, dict) else None
            if not isinstance(update_id, int) or isinstance(update_id, bool) or update_id < 0:
                raise ValueError("no update_id")
            if not _fits_64_bits(data):
                raise ValueError("a number beyond 64 bits")
        except Exception as exc:  # whatever is wrong with the body, it is not an update
            log.warning("webhook: a request from %s is not an update: %r", _peer(request), exc)
            return web.Response(status=HTTPStatus.BAD_REQUEST)
        try:
            update = Update.de_json(data, self.app.bot)
        except Exception as exc:  # an update, but not one python-telegram-bot can read
            return web.Response(status=self._unreadable(data["update_id"], exc))
        async with self._slots:
            return web.Response(status=await self.handle_update(update))

    def _unreadable(self, update_id: int, exc: Exception) -> int:
        reason = f"{type(exc).__name__}: {exc}"
        if self._attempts.failed(update_id):
            log.error(
                "webhook: update %s cannot be read (%s) after %d attempts; skipped",
                update_id,
                reason,
                self._attempts.limit,
            )
            return HTTPStatus.OK
        log.debug("webhook: update %s cannot be read (%s); refused", update_id, reason)
        return HTTPStatus.BAD_REQUEST

    async def handle_update(self, update: Update) -> int:
        """Claim, handle, mark done; the HTTP status for Telegram."""
        db, clock = self.services.db, self.services.clock
        try:
            async with db.session() as session:
                claim = await claims_q.claim(
                    session,
                    update.update_id,
                    now=clock.now(),
                    worker=self.worker,
                    lease=self.lease,
                )
        except (OperationalError, DBAPIError, OSError) as exc:
            log.error("webhook: cannot claim update %s: %s", update.update_id, exc)
            return HTTPStatus.SERVICE_UNAVAILABLE  # Telegram delivers it again later
        if claim is Claim.DONE:
            log.info("webhook: update %s was already handled; ignored", update.update_id)
            return HTTPStatus.OK
        if claim is Claim.BUSY:
            log.info(
                "webhook: update %s is being handled elsewhere; asked for later", update.update_id
            )
            return HTTPStatus.SERVICE_UNAVAILABLE
        try:
            await self.app.process_update(update)
        except Exception as exc:  # handlers' errors go to the error handler; this is PTB failing
            if not self._attempts.failed(update.update_id):
                log.debug("webhook: update %s could not be processed", update.update_id)
                async with db.session() as session:
                    await claims_q.release(session, update.update_id, self.worker)
                return HTTPStatus.INTERNAL_SERVER_ERROR
            log.error(
                "webhook: update %s could not be processed after %d attempts; skipped",
                update.update_id,
                self._attempts.limit,
                exc_info=exc,
            )
        try:
            async with db.session() as session:
                await claims_q.finish(session, update.update_id, clock.now())
        except (OperationalError, DBAPIError, OSError) as exc:
            # Handled, but not recorded: a re-delivery after the lease would handle it again.
            log.error("webhook: update %s handled but not marked done: %s", update.update_id, exc)
        return HTTPStatus.OK


INT64 = range(-(2**63), 2**63)


def _fits_64_bits(data: object) -> bool:
    """Every integer in the body fits the 64-bit columns it may be stored in (Telegram's ids all
    do). A larger one, in the update's id or a chat's, failed deep in the database driver
    (SQLite: OverflowError, PostgreSQL: out of range) and the request answered 500: it is a bad
    request, refused before anything is claimed. Walked without recursion: the body is hostile."""
    pending: list[object] = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, int) and item not in INT64:
            return False
    return True


def _peer(request: web.Request) -> str:
    forwarded = request.headers.get("X-Forwarded-For")
    return f"{request.remote} (for {forwarded})" if forwarded else str(request.remote)
