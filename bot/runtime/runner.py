"""Running the application: long polling against a Bot API server, or a webhook server behind
Telegram (``bot/runtime/webhook.py``); stopped by SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from datetime import timedelta
from urllib.parse import urlsplit

from telegram import Update
from telegram.error import InvalidToken, NetworkError, TelegramError

from bot import export_worker
from bot.clock import Clock, SystemClock
from bot.i18n import I18n
from bot.logging_setup import install_redaction, setup_logging
from bot.runtime.app import App, build_application
from bot.runtime.polling import Poller
from bot.runtime.scheduler import Scheduler
from bot.runtime.webapp import Dashboard, WebServer
from bot.services import Services
from bot.settings import Settings
from storage.db import Database
from storage.reply_marks import ReplyMarks

log = logging.getLogger(__name__)


class StartupError(Exception):
    """One line for the operator."""


def make_services(settings: Settings, db: Database, clock: Clock | None = None) -> Services:
    return Services(settings=settings, db=db, clock=clock or SystemClock(), i18n=I18n(settings.tz))


async def start_app(app: App, *, poll_timeout: int = 10) -> None:
    """Initialize, start polling and processing; Bot API failures become one clear line."""
    await initialize_app(app)
    await app.start()
    # Our poller, not PTB's Updater: it confirms a batch only once it is stored in the inbox
    # table (a crash mid-update runs it again instead of losing it); see bot/runtime/polling.py.
    services = app.bot_data["services"]
    settings = services.settings
    poller = Poller(
        app,
        services.db,
        services.clock,
        timeout=poll_timeout,
        backoff_max=settings.poll_backoff_max,
        inbox_max=settings.inbox_max,
        inbox_window=settings.inbox_window,
        lock_retry=settings.scheduler_retry,
    )
    await poller.start()
    app.bot_data["poller"] = poller


async def initialize_app(app: App) -> None:
    """``initialize`` + ``post_init`` (getMe, command menus, the scheduler)."""
    try:
        await app.initialize()
        # PTB calls post_init only inside run_polling()/run_webhook(); we manage the lifecycle
        # ourselves (several apps per process in tests and the console), so call it here.
        if app.post_init is not None:
            await app.post_init(app)
    except InvalidToken:
        raise StartupError(
            "the Bot API rejected PHOIHOP_BOT_TOKEN: check it with @BotFather"
        ) from None
    except NetworkError as exc:
        raise StartupError(f"cannot reach the Bot API at {_api_host(app)}: {exc}") from None


def settle_heap() -> None:
    """Move everything alive after start-up (modules, SQLAlchemy's and PTB's objects, caches) out
    of the garbage collector's view. A full collection otherwise walks all of it, and on this
    2-core VM that was a 60-100 ms pause in the middle of a ``/totals`` every few calls
    (docs/bench-totals.md). Objects made later are collected as usual."""
    gc.collect()
    gc.freeze()


def _api_host(app: App) -> str:
    return app.bot.base_url.split("/bot")[0]


async def stop_app(app: App) -> None:
    scheduler: Scheduler | None = app.bot_data.get("scheduler")
    if scheduler is not None:  # first, so that another process can take the jobs over at once
        await scheduler.stop()
    with contextlib.suppress(TelegramError, RuntimeError):
        poller: Poller | None = app.bot_data.pop("poller", None)
        if poller is not None:
            await poller.stop()
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()  # waits for the export tasks (ExportJobs), so none is mid-build
        await app.shutdown()
    # Every update is handled by now: the notes that they were answered are written.
    marks: ReplyMarks | None = app.bot_data.get("reply_marks")
    if marks is not None:
        await marks.close()
    await asyncio.to_thread(export_worker.close)


async def run_polling(settings: Settings, db: Database) -> int:
    from bot.runtime.cli import CliError

    token = settings.require_token()
    setup_logging(settings.log_level, token)
    app = build_application(make_services(settings, db), token=token)
    try:
        await start_app(app)
    except StartupError as exc:
        raise CliError(str(exc)) from None
    web = None
    try:
        web = await start_dashboard(app, token)
    except StartupError as exc:
        await stop_app(app)
        raise CliError(str(exc)) from None
    settle_heap()
    log.info("polling %s; stop with Ctrl+C", settings.bot_api_url.split("/bot")[0])
    await _until_signalled()
    if web is not None:
        await web.stop()
    await stop_app(app)
    return 0


async def start_dashboard(app: App, token: str) -> WebServer | None:
    """The dashboard on ``PHOIHOP_WEB_LISTEN`` (none when it is "off")."""
    services: Services = app.bot_data["services"]
    listen = services.settings.web_listen
    if listen == "off":
        return None
    host, _, port = listen.rpartition(":")
    server = WebServer(Dashboard(services, token), host.strip("[]"), int(port))
    try:
        await server.start()
    except OSError as exc:
        raise StartupError(
            f"cannot serve the dashboard on {listen} (PHOIHOP_WEB_LISTEN): {exc.strerror or exc}"
        ) from None
    return server


async def run_webhook(settings: Settings, db: Database, *, url: str, host: str, port: int) -> int:
    """Serve the webhook on host:port and point Telegram at ``url`` (the public HTTPS address,
    usually a reverse proxy or load balancer that forwards to this port).

    Every process of a deployment calls setWebhook with the same URL and secret, which is
    idempotent; none deletes the webhook when it stops, since the others still serve it (plain
    ``phoihop run`` deletes it when it starts polling).
    """
    from bot.runtime.cli import CliError
    from bot.runtime.webhook import WebhookServer

    token = settings.require_token()
    secret = settings.require_webhook_secret()
    setup_logging(settings.log_level, token)
    install_redaction(secret)
    services = make_services(settings, db)
    app = build_application(services, token=token)
    server = WebhookServer(
        app,
        services,
        secret=secret,
        path=urlsplit(url).path or "/",
        host=host,
        port=port,
        lease=timedelta(seconds=settings.webhook_lease),
        concurrency=settings.webhook_concurrency,
        # One server for both: the dashboard's routes (/app/...) beside the webhook's path.
        routes=Dashboard(services, token).add_routes,
    )
    try:
        await initialize_app(app)
        try:
            await server.start()
        except OSError as exc:
            raise StartupError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        await app.start()
        settle_heap()
        try:
            await app.bot.set_webhook(
                url,
                secret_token=secret,
                allowed_updates=Update.ALL_TYPES,
                max_connections=settings.webhook_max_connections,
            )
        except TelegramError as exc:
            raise StartupError(f"the Bot API refused the webhook {url}: {exc}") from None
    except StartupError as exc:
        await server.stop()
        await stop_app(app)
        raise CliError(str(exc)) from None
    log.info("webhook %s -> %s:%s; stop with Ctrl+C", url, host, server.port)
    await _until_signalled()
    await server.stop()  # finish the requests in flight first: they need the application
    await stop_app(app)
    return 0


async def _until_signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()
