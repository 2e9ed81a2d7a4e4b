"""What the emulator records about users, chats, messages and callback queries.

Plain dataclasses: ``EmulatorState`` keeps them in its tables (and renders the ``Chat`` and
``ChatMember`` JSON from them), the server and the clients create and read them, and
``BotMessage`` snapshots a ``StoredMessage`` (whose ``raw`` is the ``Message`` JSON as the bot saw
it). Files have their own module (``files``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["CallbackRecord", "ChatInfo", "StoredMessage", "UserInfo"]


@dataclass
class UserInfo:
    """A Telegram account (human or the bot itself)."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False

    def to_json(self) -> dict[str, Any]:
        """The ``User`` object; optional fields are omitted, as Telegram does."""
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code and not self.is_bot:
            data["language_code"] = self.language_code
        return data


@dataclass
class ChatInfo:
    """A chat: ``private`` (id == user id), ``group``, ``supergroup`` or ``channel``."""

    id: int
    type: str
    title: str | None = None
    user_id: int | None = None
    migrated_to: int | None = None
    username: str | None = None

    @property
    def is_group(self) -> bool:
        """Group-like chats have member lists and per-minute send limits."""
        return self.type in ("group", "supergroup")


@dataclass
class StoredMessage:
    """A message in a chat, from the bot or from a user.

    ``raw`` is the ``Message`` JSON exactly as the bot sees it (edits applied). ``reply_markup``
    keeps the markup *as sent*, because Telegram only echoes inline keyboards in ``raw`` while
    tests also want to see reply keyboards.
    """

    chat_id: int
    message_id: int
    sender_id: int
    date: int
    raw: dict[str, Any]
    from_bot: bool
    kind: str = "text"  # text, document, photo, sticker, service
    reply_markup: dict[str, Any] | None = None
    parse_mode: str | None = None
    source_text: str | None = None
    file_id: str | None = None
    edited: bool = False
    deleted: bool = False


@dataclass
class CallbackRecord:
    """A callback query pushed to the bot, and how (whether) the bot answered it."""

    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    created_at: float
    answer: dict[str, Any] | None = None
