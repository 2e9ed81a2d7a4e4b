"""Telegram Bot API emulator: a local server PTB can talk to, plus users that tests control.

Typical wiring (see ``tests/emulator/conftest.py``)::

    async with BotApiEmulator() as emu:
        app = (ApplicationBuilder().token(emu.token).base_url(emu.base_url)
               .base_file_url(emu.base_file_url).build())
        ...  # add handlers
        await app.initialize()
        await app.updater.start_polling(poll_interval=0, timeout=2)
        await app.start()

        async def settle() -> None:
            await app.update_queue.join()

        emu.settle_hook = settle
        alice = emu.user(1001, "Alice", language_code="vi")
        [reply] = await alice.send("/start")

Webhook mode: after the bot's ``setWebhook``, ``emu.route_webhook([url, ...])`` makes the emulator
POST updates to those URLs in turn with the secret header (a load balancer in front of several bot
processes); ``UserClient`` actions then return once a webhook answered 200 (``bot.emulator.webhook``).

See ``bot.emulator.server.BotApiEmulator`` (server and scenario controls) and
``bot.emulator.client`` (``UserClient``), ``bot.emulator.chats`` (``GroupChat``) and
``bot.emulator.bot_message`` (``BotMessage``).
"""

from .bot_message import BotMessage, ButtonNotFoundError
from .chats import ChannelChat, GroupChat
from .client import UserClient
from .server import ApiError, BotApiEmulator

__all__ = [
    "ApiError",
    "BotApiEmulator",
    "BotMessage",
    "ButtonNotFoundError",
    "ChannelChat",
    "GroupChat",
    "UserClient",
]
