"""``BotApiEmulator``'s update side: getMe, getUpdates (long polling), the webhook methods, and how
the emulator learns users, chats and messages from the updates tests push."""

from __future__ import annotations

import copy
import re
from typing import Any

from .api import LONG_POLL_MAX_TIMEOUT, ApiError, _bad
from .checks import _EmulatorChecks
from .entities import utf16_slice
from .records import CallbackRecord, ChatInfo, StoredMessage, UserInfo
from .webhook import WebhookConfig


class _UpdateMethods(_EmulatorChecks):
    """getMe, getUpdates, setWebhook/deleteWebhook/getWebhookInfo and update bookkeeping."""

    # ================================================================== methods
    async def _true(self, params: dict[str, Any]) -> bool:
        return True

    async def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        data = self._bot_user.to_json()
        data.update(
            {
                "can_join_groups": True,
                "can_read_all_group_messages": not self.privacy_mode,
                "supports_inline_queries": False,
                "can_connect_to_business": False,
                "has_main_web_app": False,
            }
        )
        return data

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self._webhook.active:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        offset = self._int_arg(params, "offset", 0)
        limit = min(max(self._int_arg(params, "limit", 100), 1), 100)
        timeout = min(max(self._int_arg(params, "timeout", 0), 0), LONG_POLL_MAX_TIMEOUT)
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._state.allowed_updates = [str(a) for a in allowed] or None
        self._state.confirm(offset)
        self._notify()
        updates = self._state.available(limit)
        if updates or timeout == 0 or self._stopping:
            return updates
        # A newer long poll terminates the older one, as on Telegram (409 Conflict).
        self._poll_generation += 1
        self._poll_abort_reason = (
            "Conflict: terminated by other getUpdates request; make sure that only one bot "
            "instance is running"
        )
        generation = self._poll_generation
        self._waiting_polls += 1
        self._notify()
        try:
            await self._wait_until(
                lambda: (
                    generation != self._poll_generation
                    or self._stopping
                    or bool(self._state.pending)
                ),
                timeout,
            )
        finally:
            self._waiting_polls -= 1
        if generation != self._poll_generation:
            raise ApiError(409, self._poll_abort_reason)
        return self._state.available(limit)

    async def _delete_webhook(self, params: dict[str, Any]) -> bool:
        self._webhook.configure(None)
        if params.get("drop_pending_updates") is True:
            self._state.drop_pending()
            self._notify()
        return True

    async def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = str(params.get("url") or "")
        if url and not re.match(r"https://\S+$", url):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise _bad("secret token contains unallowed characters")
        max_connections = self._int_arg(params, "max_connections", 40)
        if not 1 <= max_connections <= 100:
            raise _bad("bad webhook: max_connections must be between 1 and 100")
        self._webhook.configure(
            WebhookConfig(
                url=url,
                secret_token=str(secret) if secret else None,
                max_connections=max_connections,
            )
            if url
            else None
        )
        if url:
            self._poll_generation += 1
            self._poll_abort_reason = "Conflict: terminated by setWebhook request"
        if isinstance(params.get("allowed_updates"), list):
            self._state.allowed_updates = [str(a) for a in params["allowed_updates"]] or None
        if params.get("drop_pending_updates") is True:
            self._state.drop_pending()
        self._notify()
        return True

    async def _get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        config = self._webhook.config
        info: dict[str, Any] = {
            "url": config.url if config else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._state.pending),
        }
        if config is not None:
            info["max_connections"] = config.max_connections
        if self._webhook.last_error is not None:
            info["last_error_date"], info["last_error_message"] = self._webhook.last_error
        if self._state.allowed_updates is not None:
            info["allowed_updates"] = list(self._state.allowed_updates)
        return info

    # ================================================================== internals for clients
    def _observe(self, payload: dict[str, Any]) -> None:
        """Learn users/chats/messages from an update so that raw pushes behave like real ones.

        A user writing in a private chat opens it for the bot (otherwise sends get 403).
        """
        for key, body in payload.items():
            if not isinstance(body, dict):
                continue
            sender = body.get("from")
            if (
                isinstance(sender, dict)
                and isinstance(sender.get("id"), int)
                and sender["id"] not in self._state.users
            ):
                self._state.add_user(
                    UserInfo(
                        id=sender["id"],
                        first_name=str(sender.get("first_name", "")),
                        last_name=sender.get("last_name"),
                        username=sender.get("username"),
                        language_code=sender.get("language_code"),
                        is_bot=bool(sender.get("is_bot", False)),
                    )
                )
            if key == "callback_query" and isinstance(sender, dict):
                self._observe_callback(body, sender)
            if key not in ("message", "edited_message", "channel_post", "edited_channel_post"):
                continue
            chat_json = body.get("chat")
            if not isinstance(chat_json, dict) or not isinstance(chat_json.get("id"), int):
                continue
            chat_id = chat_json["id"]
            chat = self._state.chats.get(chat_id)
            if chat is None:
                chat_type = str(chat_json.get("type", "private"))
                if chat_type == "private":
                    if chat_id not in self._state.users:
                        self._state.add_user(
                            UserInfo(id=chat_id, first_name=str(chat_json.get("first_name", "")))
                        )
                    chat = self._state.private_chat(chat_id)
                else:
                    chat = self._state.add_group(
                        chat_id, str(chat_json.get("title", "")), chat_type
                    )
                    if chat_type == "channel":
                        self._state.member_status[(chat_id, self.bot_id)] = "administrator"
            if (
                chat.type == "private"
                and isinstance(sender, dict)
                and sender.get("id") == chat_id
                and key == "message"
            ):
                self._state.started_private.add(chat_id)
            message_id = body.get("message_id")
            if (
                key in ("message", "channel_post")
                and isinstance(message_id, int)
                and self._state.messages.get(chat_id, {}).get(message_id) is None
            ):
                self._state.store(
                    StoredMessage(
                        chat_id=chat_id,
                        message_id=message_id,
                        sender_id=sender["id"] if isinstance(sender, dict) else chat_id,
                        date=int(body.get("date", self._state.now())),
                        raw=copy.deepcopy(body),
                        from_bot=False,
                    )
                )
                self._state.reserve_message_id(chat_id, message_id)

    def _observe_callback(self, body: dict[str, Any], sender: dict[str, Any]) -> None:
        """Make a raw-pushed callback query answerable (UserClient.press registers its own)."""
        query_id = str(body.get("id", ""))
        if not query_id or query_id in self._state.callbacks:
            return
        message_obj = body.get("message")
        message: dict[str, Any] = message_obj if isinstance(message_obj, dict) else {}
        chat_obj = message.get("chat")
        chat: dict[str, Any] = chat_obj if isinstance(chat_obj, dict) else {}
        self._state.callbacks[query_id] = CallbackRecord(
            id=query_id,
            user_id=int(sender.get("id", 0)),
            chat_id=int(chat.get("id", 0)),
            message_id=int(message.get("message_id", 0)),
            data=str(body.get("data", "")),
            created_at=self._clock(),
        )

    def _bot_receives(self, chat: ChatInfo, message: dict[str, Any]) -> bool:
        """Privacy mode: in groups a non-admin bot only sees commands, mentions, replies to it."""
        if chat.type == "private" or not self.privacy_mode:
            return True
        if self._state.status_of(chat.id, self.bot_id) in ("creator", "administrator"):
            return True
        text = message.get("text") or message.get("caption") or ""
        entities = message.get("entities") or message.get("caption_entities") or []
        me = self.bot_username.lower()
        for entity in entities:
            fragment = utf16_slice(text, entity["offset"], entity["length"])
            if entity["type"] == "bot_command":
                if "@" not in fragment or fragment.split("@", 1)[1].lower() == me:
                    return True
            elif entity["type"] == "mention" and fragment[1:].lower() == me:
                return True
        reply = message.get("reply_to_message")
        if isinstance(reply, dict) and reply.get("from", {}).get("id") == self.bot_id:
            return True
        service_keys = (
            "new_chat_members",
            "left_chat_member",
            "new_chat_title",
            "migrate_to_chat_id",
            "migrate_from_chat_id",
            "pinned_message",
            "group_chat_created",
        )
        return any(key in message for key in service_keys)
