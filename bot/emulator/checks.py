"""Argument helpers and Telegram's checks for ``BotApiEmulator``: chat and message references,
who the bot may write to, text/markup validation, reply targets and flood control."""

from __future__ import annotations

import copy
import json
import math
import re
from collections import deque
from typing import Any

from .api import (
    _INLINE_BUTTON_KINDS,
    GROUP_LIMIT,
    GROUP_WINDOW,
    MAX_CALLBACK_DATA_BYTES,
    MAX_CAPTION_LENGTH,
    MAX_INLINE_BUTTONS,
    MAX_TEXT_LENGTH,
    ApiError,
    _bad,
    _Bucket,
    _reply_snapshot,
)
from .core import _EmulatorCore
from .entities import EntityParseError, UnsupportedParseModeError, utf16_len
from .formatting import detect_entities, parse_text
from .records import ChatInfo, StoredMessage


class _EmulatorChecks(_EmulatorCore):
    """The validation every Bot API method mixin builds on."""

    # ================================================================== argument helpers
    @staticmethod
    def _int_arg(params: dict[str, Any], key: str, default: int) -> int:
        value = params.get(key)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, float):
            return int(value)
        try:
            return int(float(str(value)))
        except ValueError as exc:
            raise _bad(f"can't parse {key} as Number") from exc

    def _chat_ref(self, params: dict[str, Any], key: str = "chat_id") -> int:
        value = params.get(key)
        if value is None or value == "":
            raise _bad(f"{key} is empty")
        if isinstance(value, bool):
            raise _bad("chat not found")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            text = value.strip()
            try:
                return int(text)
            except ValueError:
                pass
            if text.startswith("@"):
                for chat in self._state.chats.values():
                    if chat.username and chat.username.lower() == text[1:].lower():
                        return chat.id
        raise _bad("chat not found")

    @staticmethod
    def _message_id(params: dict[str, Any]) -> int:
        value = params.get("message_id")
        if value is None or value == "" or isinstance(value, bool):
            raise _bad("message identifier is not specified")
        try:
            message_id = int(value)
        except (TypeError, ValueError) as exc:
            raise _bad("can't parse message identifier as a Number") from exc
        if message_id <= 0:
            raise _bad("invalid message identifier specified")
        return message_id

    def _known_chat(self, chat_id: int) -> ChatInfo:
        """A chat the bot may read (getChat, getChatMember…): known chats and known users."""
        chat = self._state.chats.get(chat_id)
        if chat is None and chat_id in self._state.users and not self._state.users[chat_id].is_bot:
            chat = self._state.private_chat(chat_id)
        if chat is None:
            raise _bad("chat not found")
        return chat

    def _writable_chat(self, chat_id: int) -> ChatInfo:
        """A chat the bot may post in now, or the exact error Telegram would return."""
        chat = self._state.chats.get(chat_id)
        user = self._state.users.get(chat_id)
        if user is not None and user.is_bot:
            raise ApiError(403, "Forbidden: bot can't send messages to bots")
        if chat is None and user is None:
            raise _bad("chat not found")
        if chat is None or chat.type == "private":
            if chat_id in self._state.blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if chat_id not in self._state.started_private:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
            return self._state.private_chat(chat_id)
        if chat.migrated_to is not None:
            raise _bad(
                "group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": chat.migrated_to},
            )
        kind = {"supergroup": "supergroup chat", "channel": "channel chat"}.get(
            chat.type, "group chat"
        )
        status = self._state.status_of(chat.id, self.bot_id)
        if status == "kicked":
            raise ApiError(403, f"Forbidden: bot was kicked from the {kind}")
        if status == "left":
            raise ApiError(403, f"Forbidden: bot is not a member of the {kind}")
        return chat

    def _format(
        self, text: str, parse_mode: Any, entities: Any, *, caption: bool
    ) -> tuple[str, list[dict[str, Any]]]:
        try:
            plain, parsed = parse_text(
                text,
                parse_mode if isinstance(parse_mode, str) else None,
                entities if isinstance(entities, list) else None,
            )
        except EntityParseError as exc:
            raise _bad(f"can't parse entities: {exc}") from exc
        except UnsupportedParseModeError as exc:
            raise _bad("unsupported parse_mode") from exc
        if not caption and not plain.strip():
            raise _bad("message text is empty")
        limit = MAX_CAPTION_LENGTH if caption else MAX_TEXT_LENGTH
        if utf16_len(plain) > limit:
            raise _bad("message caption is too long" if caption else "message is too long")
        return plain, detect_entities(plain, parsed)

    def _reply_markup(self, params: dict[str, Any], *, inline_only: bool) -> dict[str, Any] | None:
        """Validate ``reply_markup`` like the server; ``None`` when absent or empty."""
        markup = params.get("reply_markup")
        if markup is None or markup == "":
            return None
        if isinstance(markup, str):
            try:
                markup = json.loads(markup)
            except ValueError as exc:
                raise _bad("can't parse reply keyboard markup JSON object") from exc
        if not isinstance(markup, dict):
            raise _bad("object expected as reply markup")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _bad(
                    'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
                )
            for row in rows:
                for button in row:
                    self._check_inline_button(button)
            if sum(len(row) for row in rows) > MAX_INLINE_BUTTONS:
                raise _bad("reply markup is too long")
            rows = [row for row in rows if row]
            return {"inline_keyboard": copy.deepcopy(rows)} if rows else None
        if inline_only:
            if any(k in markup for k in ("keyboard", "remove_keyboard", "force_reply")):
                raise _bad("inline keyboard expected")
            return None
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _bad('field "keyboard" must be an Array of Arrays')
            for row in rows:
                for button in row:
                    if isinstance(button, str):
                        continue
                    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                        raise _bad(
                            "can't parse keyboard button: KeyboardButton must be a String or an "
                            "Object"
                        )
            if any(rows):
                return copy.deepcopy(markup)
            return None
        if markup.get("remove_keyboard") or markup.get("force_reply"):
            return copy.deepcopy(markup)
        return None

    @staticmethod
    def _check_inline_button(button: Any) -> None:
        prefix = "can't parse inline keyboard button: "
        if not isinstance(button, dict):
            raise _bad(prefix + "InlineKeyboardButton must be an Object")
        if not isinstance(button.get("text"), str):
            raise _bad(prefix + 'Field "text" must be of type String')
        if "callback_data" in button:
            data = button["callback_data"]
            if not isinstance(data, str):
                raise _bad(prefix + 'Field "callback_data" must be of type String')
            if not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
                raise _bad("BUTTON_DATA_INVALID")
        elif "url" in button:
            url = button["url"]
            if not isinstance(url, str) or not re.match(r"(?i)(https?|tg)://\S+$", url):
                raise _bad("BUTTON_URL_INVALID")
        elif not any(kind in button for kind in _INLINE_BUTTON_KINDS):
            raise _bad(prefix + "Text buttons are unallowed in the inline keyboard")

    def _reply_target(self, params: dict[str, Any], chat: ChatInfo) -> StoredMessage | None:
        reply = params.get("reply_parameters")
        allow = bool(params.get("allow_sending_without_reply"))
        message_id: Any = None
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow = bool(reply.get("allow_sending_without_reply", allow))
        elif params.get("reply_to_message_id") not in (None, ""):
            message_id = params.get("reply_to_message_id")
        if message_id is None:
            return None
        try:
            target = self._state.get_message(chat.id, int(message_id))
        except (TypeError, ValueError):
            target = None
        if target is None and not allow:
            raise _bad("message to be replied not found")
        return target

    def _check_rate(self, chat: ChatInfo) -> None:
        """Flood control as Telegram applies it: 30 msg/s overall (burst 30), ~1 msg/s in any one
        chat (burst 3), and in a group at most 20 messages in any 60 s. A refused message costs
        nothing; the answer is 429 with ``retry_after``, the whole seconds until it would pass."""
        if not self.enforce_limits:
            return
        now = self._clock()
        if self._global_bucket is None:
            self._global_bucket = _Bucket(30, 30.0, 30, now)
        bucket = self._chat_buckets.get(chat.id)
        if bucket is None:
            bucket = self._chat_buckets[chat.id] = _Bucket(3, 1.0, 3, now)
        buckets = (self._global_bucket, bucket)
        for b in buckets:
            b.refill(now)
        wait = max(b.wait_time() for b in buckets)
        window = self._group_windows.setdefault(chat.id, deque()) if chat.is_group else None
        if window is not None:
            while window and window[0] <= now - GROUP_WINDOW:
                window.popleft()
            if len(window) >= GROUP_LIMIT:
                wait = max(wait, window[0] + GROUP_WINDOW - now)
        if wait > 0:
            retry_after = max(1, math.ceil(wait - 1e-9))
            raise ApiError(
                429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
            )
        for b in buckets:
            b.tokens -= 1
        if window is not None:
            window.append(now)

    def _new_bot_message(
        self,
        chat: ChatInfo,
        body: dict[str, Any],
        *,
        kind: str,
        markup: dict[str, Any] | None,
        parse_mode: str | None,
        source: str | None,
        reply_to: StoredMessage | None,
        file_id: str | None = None,
    ) -> StoredMessage:
        message_id = self._state.new_message_id(chat.id)
        now = self._state.now()
        raw: dict[str, Any] = {"message_id": message_id}
        if chat.type == "channel":
            raw["sender_chat"] = self._state.chat_json(chat.id)  # channel posts have no "from"
        else:
            raw["from"] = self._bot_user.to_json()
        raw["chat"] = self._state.chat_json(chat.id)
        raw["date"] = now
        if reply_to is not None:
            raw["reply_to_message"] = _reply_snapshot(reply_to)
        raw.update(body)
        if markup is not None and "inline_keyboard" in markup:
            raw["reply_markup"] = copy.deepcopy(markup)
        message = StoredMessage(
            chat_id=chat.id,
            message_id=message_id,
            sender_id=self.bot_id,
            date=now,
            raw=raw,
            from_bot=True,
            kind=kind,
            reply_markup=copy.deepcopy(markup),
            parse_mode=parse_mode,
            source_text=source,
            file_id=file_id,
        )
        self._state.store(message)
        self.stats["sent"] += 1
        return message

    def _editable(self, params: dict[str, Any]) -> StoredMessage:
        if params.get("inline_message_id"):
            raise _bad("MESSAGE_ID_INVALID")
        chat = self._writable_chat(self._chat_ref(params))
        message = self._state.get_message(chat.id, self._message_id(params))
        if message is None:
            raise _bad("message to edit not found")
        if not message.from_bot:
            raise _bad("message can't be edited")
        return message
