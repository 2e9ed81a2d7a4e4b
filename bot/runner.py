"""Running the application: long polling against a Bot API server, stopped by SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from telegram.error import InvalidToken, NetworkError, TelegramError

from bot.app import App, build_application
from bot.clock import Clock, SystemClock
from bot.i18n import I18n
from bot.logging_setup import setup_logging
from bot.polling import Poller
from bot.services import Services
from bot.settings import Settings
from storage.db import Database

log = logging.getLogger(__name__)


class StartupError(Exception):
    """One line for the operator."""


def make_services(settings: Settings, db: Database, clock: Clock | None = None) -> Services:
    return Services(settings=settings, db=db, clock=clock or SystemClock(), i18n=I18n(settings.tz))


async def start_app(app: App, *, poll_timeout: int = 10) -> None:
    """Initialize, start polling and processing; Bot API failures become one clear line."""
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
        raise StartupError(
            f"cannot reach the Bot API at {app.bot.base_url.split('/bot')[0]}: {exc}"
        ) from None
    await app.start()
    # Our poller, not PTB's Updater: it confirms an update only once it was handled (a crash
    # mid-update redelivers it instead of losing it); see bot/polling.py.
    poller = Poller(
        app, timeout=poll_timeout, backoff_max=app.bot_data["services"].settings.poll_backoff_max
    )
    await poller.start()
    app.bot_data["poller"] = poller


async def stop_app(app: App) -> None:
    with contextlib.suppress(TelegramError, RuntimeError):
        poller: Poller | None = app.bot_data.pop("poller", None)
        if poller is not None:
            await poller.stop()
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()


async def run_polling(settings: Settings, db: Database) -> int:
    from bot.cli import CliError

    token = settings.require_token()
    setup_logging(settings.log_level, token)
    app = build_application(make_services(settings, db), token=token)
    try:
        await start_app(app)
    except StartupError as exc:
        raise CliError(str(exc)) from None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    log.info("polling %s; stop with Ctrl+C", settings.bot_api_url.split("/bot")[0])
    await stop.wait()
    await stop_app(app)
    return 0
