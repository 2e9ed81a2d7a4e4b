"""Wire-level pieces of the Bot API emulator: Telegram's limits, the form/JSON field tables that
decide how a parameter is decoded, ``ApiError`` and its helpers, fault and flood-control records,
and the module-level checks the method mixins share (see ``bot.emulator.server``)."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from .records import StoredMessage

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
#: Buttons of one inline keyboard (Telegram refuses more with "reply markup is too long").
MAX_INLINE_BUTTONS = 100
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
#: sendPhoto: at most 10 MB, width + height at most 10,000 and a side ratio of at most 20.
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTO_SIDES = 10_000
MAX_PHOTO_RATIO = 20
LONG_POLL_MAX_TIMEOUT = 50
CALLBACK_ANSWER_TIMEOUT = 15.0  # seconds Telegram keeps a callback query answerable
DELETE_WINDOW = 48 * 3600  # bots can delete messages for everyone only within 48 hours

_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)

# Form fields whose value is a plain string even if it looks like JSON ("123", "true").
_STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "url",
        "file_id",
        "language_code",
        "description",
        "short_description",
        "name",
        "action",
        "emoji",
        "title",
        "inline_message_id",
        "business_connection_id",
        "secret_token",
        "ip_address",
        "custom_title",
        "document",
        "photo",
        "sticker",
        "audio",
        "video",
        "animation",
        "voice",
        "video_note",
        "thumbnail",
        "question",
        "address",
        "first_name",
        "last_name",
        "phone_number",
        "message_effect_id",
    }
)

# Parameters that carry a JSON-serialized object/array (PTB sends them as strings in forms).
_JSON_PARAMS = {
    "reply_markup": "reply keyboard markup",
    "commands": "commands",
    "scope": "BotCommandScope",
    "entities": "entities",
    "caption_entities": "caption entities",
    "reply_parameters": "reply parameters",
    "link_preview_options": "link preview options",
    "menu_button": "menu button",
    "allowed_updates": "allowed updates",
    "media": "media",
}

_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)

_SCOPE_TYPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)

_INLINE_BUTTON_KINDS = (
    "url",
    "callback_data",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "callback_game",
    "pay",
    "web_app",
    "copy_text",
)

_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")


class ApiError(Exception):
    """A Bot API failure: becomes ``{"ok": false, "error_code", "description", "parameters"}``."""

    def __init__(
        self, status: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict[str, Any]:
        """The JSON body Telegram sends for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad(description: str, parameters: dict[str, Any] | None = None) -> ApiError:
    """400 with Telegram's ``Bad Request: `` prefix."""
    return ApiError(400, f"Bad Request: {description}", parameters)


def _dumps(obj: Any) -> str:
    """Compact UTF-8 JSON (Vietnamese text stays readable in captured traffic)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


@dataclass
class _Fault:
    status: int
    description: str
    retry_after: int | None
    remaining: int


@dataclass
class _Bucket:
    """Token bucket: ``capacity`` burst, refilled at ``rate`` tokens per second."""

    capacity: float
    rate: float
    tokens: float
    updated: float

    def refill(self, now: float) -> None:
        if now > self.updated:
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def wait_time(self) -> float:
        if self.tokens >= 1 - 1e-9:
            return 0.0
        return (1 - self.tokens) / self.rate


Handler = Callable[[dict[str, Any]], Awaitable[Any]]

#: Telegram: "in a group, bots are not able to send more than 20 messages per minute".
GROUP_LIMIT = 20
GROUP_WINDOW = 60.0


def _reply_snapshot(message: StoredMessage) -> dict[str, Any]:
    """``reply_to_message`` carries the replied message without its own reply (no nesting)."""
    snapshot = copy.deepcopy(message.raw)
    snapshot.pop("reply_to_message", None)
    return snapshot


def _set_or_pop(target: dict[str, Any], key: str, value: Any) -> None:
    if value is None:
        target.pop(key, None)
    else:
        target[key] = value


def _check_menu_button(button: dict[str, Any] | None) -> None:
    """A MenuButton as Telegram parses it: ``commands``, ``default`` or ``web_app`` with a
    non-empty text and a WebAppInfo whose URL is https."""
    if button is None:
        return
    kind = button.get("type")
    if kind in ("commands", "default"):
        return
    if kind != "web_app":
        raise _bad("can't parse menu button: unsupported menu button type")
    text = button.get("text")
    if not isinstance(text, str) or not text.strip():
        raise _bad("can't parse menu button: text is empty")
    info = button.get("web_app")
    if not isinstance(info, dict) or not isinstance(info.get("url"), str):
        raise _bad("can't parse menu button: web_app must be an Object with a url")
    if not info["url"].startswith("https://"):
        raise _bad("BUTTON_URL_INVALID")


def _check_web_app(markup: dict[str, Any] | None, chat_type: str) -> None:
    """Telegram accepts ``web_app`` inline buttons only in private chats between a user and the
    bot (Bot API, InlineKeyboardButton.web_app); elsewhere it answers BUTTON_TYPE_INVALID. Its
    URL must be https."""
    for row in (markup or {}).get("inline_keyboard") or []:
        for button in row:
            if "web_app" not in button:
                continue
            if chat_type != "private":
                raise _bad("BUTTON_TYPE_INVALID")
            info = button["web_app"]
            if not isinstance(info, dict) or not str(info.get("url", "")).startswith("https://"):
                raise _bad("BUTTON_URL_INVALID")
