"""The outbox's Telegram side: send a rendered notice with python-telegram-bot and classify
failures into the outbox's terms (see ``bot/notifications.py``).

A notice's image (``Notice.photo``: a digest chart) goes inline with sendPhoto when it is within
Telegram's limits for photos, else as a file. A document whose notice names its content
(``Notice.document_key``: a digest chart) is uploaded once; later notices with the same key send the ``file_id`` Telegram gave for that upload, which
costs Telegram and us no bytes. A ``file_id`` Telegram refuses (another bot's, or one Telegram no
longer knows) is forgotten and the bytes are uploaded again."""

from __future__ import annotations

import asyncio
import logging
import warnings
from datetime import timedelta
from typing import Any, Protocol

from telegram import (
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    MenuButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.notifications import ChatMoved, ChatUnavailable, Notice, Rejected, RetryLater, Transient
from bot.runtime.api_retry import NO_RETRY, NO_RETRY_REPLY
from handlers import render
from handlers.context import Bot

log = logging.getLogger(__name__)

GONE = (
    "chat not found",
    "user not found",
    "bot was kicked",
    "chat was deleted",
    "group chat was deactivated",
)


Markup = render.Markup


def markup_of(data: dict[str, Any], bot: Bot) -> Markup | None:
    """A ``reply_markup`` kept as JSON (``Notice.markup``), as python-telegram-bot's object."""
    if "inline_keyboard" in data:
        return InlineKeyboardMarkup.de_json(data, bot)
    if "keyboard" in data:
        return ReplyKeyboardMarkup.de_json(data, bot)
    if "remove_keyboard" in data:
        return ReplyKeyboardRemove.de_json(data, bot)
    if "force_reply" in data:
        return ForceReply.de_json(data, bot)
    return None


class FileIds(Protocol):
    """Where the ``file_id`` of a document's first upload is kept, by the document's key."""

    async def get(self, key: str) -> str | None: ...

    async def remember(self, key: str, file_id: str) -> None: ...

    async def forget(self, key: str, file_id: str) -> None: ...


class TelegramSender:
    def __init__(self, bot: Bot, files: FileIds | None = None) -> None:
        self.bot = bot
        self.files = files
        #: One upload per key at a time: chats served together wait for the first upload's file_id.
        self._uploading: dict[str, asyncio.Lock] = {}

    def parts(self, notice: Notice) -> int:
        """The messages the notice becomes (``render.message_count``); a menu button one
        request."""
        if notice.menu_button is not None:
            return 1
        return render.message_count(notice.text, document=notice.document is not None)

    async def send(self, chat_id: int, notice: Notice) -> int:
        # A queued reply to a person is a reply in the shared budget; a notice is bulk.
        limits = NO_RETRY_REPLY if notice.interactive else NO_RETRY
        markup: Markup | None = (
            InlineKeyboardMarkup(
                [
                    [InlineKeyboardButton(text, callback_data=data) for text, data in row]
                    for row in notice.buttons
                ]
            )
            if notice.buttons
            else None
        )
        if notice.markup is not None:
            markup = markup_of(notice.markup, self.bot)
        try:
            if notice.menu_button is not None:
                button = MenuButton.de_json(notice.menu_button, self.bot)
                await self.bot.set_chat_menu_button(
                    chat_id=chat_id,
                    menu_button=button,
                    rate_limit_args=limits,  # type: ignore[arg-type]
                )
                return 0  # no message
            if notice.document is not None:
                # What does not fit the caption follows the file as messages, buttons under
                # the last (handlers/render.py): a notice never fails for its own length.
                caption, rest = render.caption_pieces(notice.text)
                message = await self._send_document(
                    chat_id, notice, caption, None if rest else markup
                )
                await render.send_pieces(self.bot, chat_id, rest, markup, rate_limit_args=limits)
            else:
                message = await render.send_text(
                    self.bot, chat_id, notice.text, markup, rate_limit_args=limits
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

    async def _send_document(
        self,
        chat_id: int,
        notice: Notice,
        caption: str | None,
        markup: Markup | None,
    ) -> Message:
        """The document by the file_id of an earlier upload of the same key if there is one, else
        uploaded (and its file_id kept)."""
        assert notice.document is not None
        key, files = notice.document_key, self.files
        if key is None or files is None:
            return await self._document(chat_id, notice, caption, markup, None)
        known = await files.get(key)
        if known is None:
            lock = self._uploading.setdefault(key, asyncio.Lock())
            async with lock:
                known = await files.get(key)
                if known is None:
                    try:
                        return await self._upload(chat_id, notice, caption, markup, key, files)
                    finally:
                        if self._uploading.get(key) is lock:
                            del self._uploading[key]
        try:
            return await self._document(chat_id, notice, caption, markup, known)
        except BadRequest as exc:
            if any(phrase in str(exc).lower() for phrase in GONE):
                raise
            # Most likely the file_id itself (another bot's, or expired); if not, the upload
            # fails the same way and is classified as usual.
            log.warning("file_id of chart %s refused (%s): uploading again", key[:12], exc)
            await files.forget(key, known)
            return await self._upload(chat_id, notice, caption, markup, key, files)

    async def _upload(
        self,
        chat_id: int,
        notice: Notice,
        caption: str | None,
        markup: Markup | None,
        key: str,
        files: FileIds,
    ) -> Message:
        message = await self._document(chat_id, notice, caption, markup, None)
        if message.photo:
            await files.remember(key, message.photo[-1].file_id)
        elif message.document is not None:
            await files.remember(key, message.document.file_id)
        return message

    async def _document(
        self,
        chat_id: int,
        notice: Notice,
        caption: str | None,
        markup: Markup | None,
        file_id: str | None,
    ) -> Message:
        """The file with a caption that fits (``render.caption_pieces``): inline as a photo when
        the notice asks for it and Telegram's limits for photos allow, else as a document."""
        assert notice.document is not None
        name, data = notice.document
        if notice.photo and render.photo_fits(data):
            return await self.bot.send_photo(
                chat_id,
                file_id if file_id is not None else InputFile(data, filename=name),
                caption=caption,
                reply_markup=markup,
                rate_limit_args=NO_RETRY,  # type: ignore[arg-type]
            )
        return await self.bot.send_document(
            chat_id,
            file_id if file_id is not None else InputFile(data, filename=name),
            caption=caption,
            reply_markup=markup,
            rate_limit_args=NO_RETRY,  # type: ignore[arg-type]
        )
