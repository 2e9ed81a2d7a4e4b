"""The one way a message reaches Telegram: every text the bot sends, edits or captions passes here,
and here it is made to fit Telegram's limits (``handlers/text_limits.py`` measures and cuts).

- A text longer than 4,096 characters goes as several messages, cut at paragraph or line breaks;
  the buttons go under the last one, where the reader ends.
- An edit that no longer fits one message becomes the first piece, and the rest follow as new
  messages.
- A caption longer than 1,024 characters keeps what fits (cut the same way) and the rest follows
  the file as messages, buttons under the last: a file is never refused for its caption.
- A list that can grow without bound (a province's round in /status, an entry's history) is
  *paged* instead (:func:`page`, :func:`page_rows`): one message with « / » buttons, which the
  handler answers by showing the page asked for.
- A toast or alert is shown as plain text (the HTML's tags dropped, its entities decoded) and
  clipped to 200 characters.

``handlers/common.py`` (reply, edit, answer), the outbox's ``handlers/sender.py`` and the handlers
that send files call these; none of them calls ``send_message`` or ``send_document`` itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from telegram import (
    Bot,
    CallbackQuery,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.error import BadRequest

from bot.i18n import Translator
from handlers.text_limits import CAPTION_LIMIT, TEXT_LIMIT, alert_text, split

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply
#: A file to send: bytes wrapped in ``InputFile``, an open file, or a ``file_id``.
FileInput = InputFile | str | bytes | Any

#: A page of a paged list leaves room for its "Page 2 of 5" line.
PAGE_LIMIT = TEXT_LIMIT - 96


async def send_text(
    bot: Bot, chat_id: int, text: str, reply_markup: Markup | None = None, **kwargs: Any
) -> Message:
    """``text`` as one message, or as several when it is too long (buttons under the last);
    the first message is returned (the one a notice is recorded by)."""
    sent = await send_pieces(bot, chat_id, split(text, TEXT_LIMIT), reply_markup, **kwargs)
    assert sent, "a message with nothing to show"
    return sent[0]


async def send_pieces(
    bot: Bot, chat_id: int, pieces: list[str], reply_markup: Markup | None, **kwargs: Any
) -> list[Message]:
    """Each piece as a message, in order, the buttons under the last one."""
    sent = []
    for index, piece in enumerate(pieces):
        last = index == len(pieces) - 1
        sent.append(
            await bot.send_message(
                chat_id, piece, reply_markup=reply_markup if last else None, **kwargs
            )
        )
    return sent


async def edit_text(
    query: CallbackQuery, text: str, reply_markup: InlineKeyboardMarkup | None = None
) -> None:
    """Replace the text of the message whose button was pressed; what no longer fits follows as
    new messages. Editing a message into what it already says is not an error (a double tap)."""
    head, *rest = split(text, TEXT_LIMIT)
    try:
        await query.edit_message_text(head, reply_markup=None if rest else reply_markup)
    except BadRequest as exc:
        if "not modified" not in exc.message:
            raise
    if rest and query.message is not None:
        await send_pieces(query.get_bot(), query.message.chat.id, rest, reply_markup)


async def answer(query: CallbackQuery, text: str | None = None, *, alert: bool = False) -> None:
    """Answer a pressed button with a toast or an alert: the one place a callback query is
    answered. Its text, HTML like every text the bot writes, is shown as plain text and clipped to
    Telegram's 200 characters (``text_limits.alert_text``), so an alert naming a unit at the
    longest name allowed is never refused."""
    await query.answer(alert_text(text) if text else text, show_alert=alert)


async def send_document(
    bot: Bot,
    chat_id: int,
    document: FileInput,
    *,
    caption: str | None = None,
    reply_markup: Markup | None = None,
    photo: bool = False,
    filename: str | None = None,
    **kwargs: Any,
) -> Message:
    """A file (or a photo) with as much of ``caption`` as a caption holds; the rest follows as
    messages, with the buttons under the last one. Returns the file's message."""
    head, rest = caption_pieces(caption)
    markup = None if rest else reply_markup
    if photo:
        message = await bot.send_photo(
            chat_id, document, caption=head, reply_markup=markup, **kwargs
        )
    else:
        message = await bot.send_document(
            chat_id, document, caption=head, reply_markup=markup, filename=filename, **kwargs
        )
    await send_pieces(bot, chat_id, rest, reply_markup, **kwargs)
    return message


def message_count(text: str, *, document: bool = False) -> int:
    """How many messages ``send_text`` (or, with ``document``, ``send_document``) makes of
    ``text``: what a pace must count, one token per message."""
    if document:
        return 1 + len(caption_pieces(text)[1])
    return max(len(split(text, TEXT_LIMIT)), 1)


#: Telegram's limits for sendPhoto: at most 10 MB, width + height at most 10,000 pixels, and
#: neither side more than 20 times the other. Beyond them a picture can only go as a file.
PHOTO_MAX_BYTES = 10 * 1024 * 1024
PHOTO_MAX_SIDES = 10_000
PHOTO_MAX_RATIO = 20


def png_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a PNG's header (the charts are PNG); None for anything else."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or len(data) < 24:
        return None
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def photo_fits(data: bytes) -> bool:
    """Whether Telegram takes these bytes as a photo (``sendPhoto``)."""
    size = png_size(data)
    if size is None or len(data) > PHOTO_MAX_BYTES:
        return False
    width, height = size
    return (
        width > 0
        and height > 0
        and width + height <= PHOTO_MAX_SIDES
        and max(width, height) <= PHOTO_MAX_RATIO * min(width, height)
    )


def caption_pieces(caption: str | None) -> tuple[str | None, list[str]]:
    """The caption a file can carry, and the messages that follow it with the rest."""
    pieces = split(caption, TEXT_LIMIT, first=CAPTION_LIMIT) if caption else []
    return (pieces[0], pieces[1:]) if pieces else (None, [])


@dataclass(frozen=True)
class Page:
    """One page of a paged text: ``number`` counts from 0 and is within ``count``."""

    text: str
    number: int
    count: int


def page(tr: Translator, text: str, number: int) -> Page:
    """Page ``number`` (clamped) of ``text`` cut into pieces that fit a message; a text that fits
    is one page, shown as it is. The pieces are cut again at every press, so a list that grew
    meanwhile shows its current state (a page may start a few lines earlier or later)."""
    pieces = split(text, PAGE_LIMIT)
    number = min(max(number, 0), len(pieces) - 1)
    shown = pieces[number]
    if len(pieces) > 1:
        shown += "\n\n" + tr._("Page {page} of {pages}").format(
            page=tr.number(number + 1), pages=tr.number(len(pieces))
        )
    return Page(shown, number, len(pieces))


def page_rows(
    tr: Translator, shown: Page, data: Callable[[int], str]
) -> list[list[tuple[str, str]]]:
    """The « Previous / More » row for a paged text (none when it is one page)."""
    nav = []
    if shown.number > 0:
        nav.append(("« " + tr._("Previous"), data(shown.number - 1)))
    if shown.number + 1 < shown.count:
        nav.append((tr._("More") + " »", data(shown.number + 1)))
    return [nav] if nav else []


def keyboard(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup | None:
    """Inline keyboard from rows of (label, callback_data); ``None`` without buttons."""
    rows = [row for row in rows if row]
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(text, callback_data=data) for text, data in row] for row in rows]
    )
