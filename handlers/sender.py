"""The outbox's Telegram side: send a rendered notice with python-telegram-bot and classify
failures into the outbox's terms (see ``bot/notifications.py``)."""

from __future__ import annotations

import warnings
from datetime import timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.api_retry import NO_RETRY
from bot.notifications import ChatMoved, ChatUnavailable, Notice, Rejected, RetryLater, Transient
from handlers.context import Bot

GONE = (
    "chat not found",
    "user not found",
    "bot was kicked",
    "chat was deleted",
    "group chat was deactivated",
)


class TelegramSender:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, chat_id: int, notice: Notice) -> int:
        markup = (
            InlineKeyboardMarkup(
                [
                    [InlineKeyboardButton(text, callback_data=data) for text, data in row]
                    for row in notice.buttons
                ]
            )
            if notice.buttons
            else None
        )
        try:
            if notice.document is not None:
                name, data = notice.document
                message = await self.bot.send_document(
                    chat_id,
                    InputFile(data, filename=name),
                    caption=notice.text[:1024] or None,
                    reply_markup=markup,
                    rate_limit_args=NO_RETRY,  # type: ignore[arg-type]
                )
            else:
                message = await self.bot.send_message(
                    chat_id,
                    notice.text,
                    reply_markup=markup,
                    rate_limit_args=NO_RETRY,  # type: ignore[arg-type]
                )
        except RetryAfter as exc:
            with (
                warnings.catch_warnings()
            ):  # PTB 22 warns that this becomes a timedelta; both are handled
                warnings.simplefilter("ignore")
                wait = exc.retry_after
            raise RetryLater(
                wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            ) from exc
        except ChatMigrated as exc:
            raise ChatMoved(exc.new_chat_id) from exc
        except Forbidden as exc:
            raise ChatUnavailable(str(exc)) from exc
        except BadRequest as exc:
            if any(phrase in str(exc).lower() for phrase in GONE):
                raise ChatUnavailable(str(exc)) from exc
            raise Rejected(str(exc)) from exc
        except NetworkError as exc:  # includes TimedOut; BadRequest is handled above
            raise Transient(str(exc)) from exc
        except TelegramError as exc:
            raise Rejected(str(exc)) from exc
        return message.message_id
