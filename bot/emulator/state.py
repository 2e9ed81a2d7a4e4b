"""In-memory world of the Bot API emulator: users, chats, messages, updates, files, commands.

Kept free of HTTP and asyncio so that it can be reasoned about (and unit-tested) on its own; the
server translates Bot API calls into operations on this state and the client builds updates from
it. Everything here produces Bot API JSON shapes (``from``, ``chat.type``, Unix-second ``date``…)
because those dicts go to the bot verbatim. ``EmulatorState`` holds the tables and the update
queue; the records it keeps are in ``records`` (users, chats, messages, callback queries) and
``files`` (stored and uploaded files).
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .files import StoredFile, image_size
from .records import CallbackRecord, ChatInfo, StoredMessage, UserInfo

__all__ = [
    "ADMIN_RIGHTS",
    "DEFAULT_EXCLUDED_UPDATES",
    "MEMBER_STATUSES",
    "EmulatorState",
]

MEMBER_STATUSES = frozenset({"creator", "administrator", "member", "restricted", "left", "kicked"})

# Telegram leaves these out unless the bot asks for them explicitly via allowed_updates.
DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_change_info",
    "can_delete_messages",
    "can_invite_users",
    "can_restrict_members",
    "can_pin_messages",
    "can_promote_members",
    "can_manage_video_chats",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
)

# What "all permissions" looks like in ChatPermissions / ChatMemberRestricted JSON.
_PERMISSIONS = (
    "can_send_messages",
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
    "can_send_polls",
    "can_send_other_messages",
    "can_add_web_page_previews",
    "can_change_info",
    "can_invite_users",
    "can_pin_messages",
    "can_manage_topics",
)


@dataclass
class _PendingUpdate:
    update_id: int
    payload: dict[str, Any]


class EmulatorState:
    """All mutable state of one emulated Bot API server (one bot)."""

    def __init__(self, bot: UserInfo, clock: Callable[[], float]) -> None:
        self.bot = bot
        self.clock = clock
        self.users: dict[int, UserInfo] = {bot.id: bot}
        self.chats: dict[int, ChatInfo] = {}
        self.messages: dict[int, dict[int, StoredMessage]] = {}
        self._next_message_id: dict[int, int] = {}
        self.member_status: dict[tuple[int, int], str] = {}
        self.started_private: set[int] = set()
        self.blocked: set[int] = set()
        self.files: dict[str, StoredFile] = {}
        self.files_by_path: dict[str, StoredFile] = {}
        self._file_counter = 0
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.callbacks: dict[str, CallbackRecord] = {}
        self._callback_counter = 0
        # Updates: ids are sequential; "confirmed" = below the highest getUpdates offset seen.
        self.pending: list[_PendingUpdate] = []
        self.next_update_id = 100_001
        self.confirmed_offset = 0
        self.discarded: set[int] = set()
        #: Updates a webhook answered 200 for.
        self.delivered: set[int] = set()
        self.allowed_updates: list[str] | None = None
        # Sequence of (chat_id, message_id) for every bot message created or edited: lets a client
        # action return "what the bot did in this chat since I acted".
        self.bot_events: list[tuple[int, int]] = []

    # ------------------------------------------------------------------ time
    def now(self) -> int:
        """Current Unix time in whole seconds, as in every ``date`` field."""
        return int(self.clock())

    # ------------------------------------------------------------------ users and chats
    def add_user(self, user: UserInfo) -> UserInfo:
        """Register (or return the already registered) user with that id."""
        return self.users.setdefault(user.id, user)

    def private_chat(self, user_id: int) -> ChatInfo:
        """The private chat with a user; it exists as soon as the user is known."""
        chat = self.chats.get(user_id)
        if chat is None:
            chat = ChatInfo(id=user_id, type="private", user_id=user_id)
            self.chats[user_id] = chat
        return chat

    def add_group(self, chat_id: int, title: str, chat_type: str) -> ChatInfo:
        """Register a group/supergroup; the bot is not a member until added."""
        chat = self.chats.get(chat_id)
        if chat is None:
            chat = ChatInfo(id=chat_id, type=chat_type, title=title)
            self.chats[chat_id] = chat
            self.member_status.setdefault((chat_id, self.bot.id), "left")
        return chat

    def chat_json(self, chat_id: int) -> dict[str, Any]:
        """The short ``Chat`` object embedded in messages and member updates."""
        chat = self.chats[chat_id]
        data: dict[str, Any] = {"id": chat.id}
        if chat.type == "private":
            user = self.users[chat.user_id if chat.user_id is not None else chat.id]
            data["first_name"] = user.first_name
            if user.last_name:
                data["last_name"] = user.last_name
            if user.username:
                data["username"] = user.username
        else:
            data["title"] = chat.title or ""
            if chat.username:
                data["username"] = chat.username
        data["type"] = chat.type
        if chat.type == "group":
            data["all_members_are_administrators"] = False
        return data

    def chat_full_json(self, chat_id: int) -> dict[str, Any]:
        """``ChatFullInfo`` for getChat (PTB requires accent_color_id, max_reaction_count, gifts)."""
        data = self.chat_json(chat_id)
        data.pop("all_members_are_administrators", None)
        chat = self.chats[chat_id]
        if chat.is_group:
            data["permissions"] = dict.fromkeys(_PERMISSIONS, True)
        data["accent_color_id"] = 0
        data["max_reaction_count"] = 11
        data["accepted_gift_types"] = {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        }
        return data

    def status_of(self, chat_id: int, user_id: int) -> str:
        """Membership status; in a private chat both parties are plain members."""
        chat = self.chats.get(chat_id)
        if chat is not None and chat.type == "private":
            if user_id == self.bot.id and chat.id in self.blocked:
                return "kicked"
            return "member" if user_id in (chat.id, self.bot.id) else "left"
        return self.member_status.get((chat_id, user_id), "left")

    def chat_member_json(
        self, chat_id: int, user_id: int, status: str | None = None
    ) -> dict[str, Any]:
        """``ChatMember*`` JSON for a status (as the real server shapes each variant)."""
        status = status or self.status_of(chat_id, user_id)
        chat = self.chats.get(chat_id)
        chat_type = chat.type if chat is not None else "group"
        data: dict[str, Any] = {"user": self.users[user_id].to_json(), "status": status}
        if status == "creator":
            data["is_anonymous"] = False
        elif status == "administrator":
            data["can_be_edited"] = False
            for right in ADMIN_RIGHTS:
                if right == "can_pin_messages" and chat_type not in ("group", "supergroup"):
                    continue
                data[right] = right != "can_promote_members"
            if chat_type == "supergroup":
                data["can_manage_topics"] = False
            data["is_anonymous"] = False
        elif status == "restricted":
            data["until_date"] = 0
            data.update(dict.fromkeys(_PERMISSIONS, False))
            data["can_send_media_messages"] = False
            data["is_member"] = True
        elif status == "kicked":
            data["until_date"] = 0
        return data

    # ------------------------------------------------------------------ messages
    def new_message_id(self, chat_id: int) -> int:
        """Next id from the per-chat counter shared by users' and the bot's messages."""
        value = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = value + 1
        return value

    def reserve_message_id(self, chat_id: int, message_id: int) -> None:
        """Keep the counter ahead of ids that arrived from outside (raw pushed updates)."""
        if self._next_message_id.get(chat_id, 1) <= message_id:
            self._next_message_id[chat_id] = message_id + 1

    def store(self, message: StoredMessage) -> StoredMessage:
        """Insert a message; bot messages are also logged as events for client actions."""
        self.messages.setdefault(message.chat_id, {})[message.message_id] = message
        if message.from_bot:
            self.bot_events.append((message.chat_id, message.message_id))
        return message

    def get_message(self, chat_id: int, message_id: int) -> StoredMessage | None:
        """A message that exists and was not deleted."""
        message = self.messages.get(chat_id, {}).get(message_id)
        if message is None or message.deleted:
            return None
        return message

    def note_edit(self, message: StoredMessage) -> None:
        """Record that the bot edited a message (it then counts as a result of the action)."""
        message.edited = True
        self.bot_events.append((message.chat_id, message.message_id))

    def bot_messages(self, chat_id: int) -> list[StoredMessage]:
        """The bot's live messages in a chat, oldest first."""
        return [m for m in self.messages.get(chat_id, {}).values() if m.from_bot and not m.deleted]

    def events_since(self, mark: int, chat_id: int | None = None) -> list[StoredMessage]:
        """Bot messages created/edited after ``mark`` (an index into ``bot_events``), deduplicated."""
        seen: set[tuple[int, int]] = set()
        out: list[StoredMessage] = []
        for key in self.bot_events[mark:]:
            if key in seen or (chat_id is not None and key[0] != chat_id):
                continue
            seen.add(key)
            message = self.get_message(*key)
            if message is not None:
                out.append(message)
        return out

    # ------------------------------------------------------------------ files
    def add_file(
        self,
        kind: str,
        data: bytes,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> StoredFile:
        """Store bytes under a fresh file_id and a ``<kind>s/file_N.ext`` download path."""
        self._file_counter += 1
        n = self._file_counter
        digest = hashlib.sha256(data + n.to_bytes(8, "big")).hexdigest()
        prefix = {
            "document": "BQACAgIAAxkBAAI",
            "photo": "AgACAgIAAxkBAAI",
            "sticker": "CAACAgIAAxkBAAI",
        }
        file_id = f"{prefix.get(kind, 'BQACAgIAAxkBAAI')}{n:06d}{digest[:24]}"
        unique = f"AQAD{n:04d}{digest[24:32]}"
        ext = ""
        if file_name and "." in file_name:
            ext = "." + file_name.rsplit(".", 1)[1]
        elif kind == "photo":
            ext = ".jpg"
        elif kind == "sticker":
            ext = ".webp"
        folder = {"document": "documents", "photo": "photos", "sticker": "stickers"}.get(kind, kind)
        width, height = image_size(data) or ((512, 512) if kind == "sticker" else (320, 320))
        stored = StoredFile(
            file_id=file_id,
            file_unique_id=unique,
            kind=kind,
            data=data,
            file_name=file_name,
            mime_type=mime_type,
            file_path=f"{folder}/file_{n}{ext}",
            width=width,
            height=height,
        )
        self.files[file_id] = stored
        self.files_by_path[stored.file_path] = stored
        return stored

    # ------------------------------------------------------------------ callback queries
    def new_callback(
        self, user_id: int, chat_id: int, message_id: int, data: str
    ) -> CallbackRecord:
        """Register a callback query so answerCallbackQuery can be checked against it."""
        self._callback_counter += 1
        query_id = str(4_000_000_000_000_000_000 + user_id * 1000 + self._callback_counter)
        record = CallbackRecord(query_id, user_id, chat_id, message_id, data, self.clock())
        self.callbacks[query_id] = record
        return record

    @staticmethod
    def chat_instance(chat_id: int) -> str:
        """Stable opaque ``chat_instance`` per chat (Telegram sends a signed 64-bit number)."""
        digest = hashlib.sha256(f"chat-instance:{chat_id}".encode()).digest()
        return str(int.from_bytes(digest[:8], "big", signed=True))

    # ------------------------------------------------------------------ updates
    @staticmethod
    def update_type(payload: dict[str, Any]) -> str:
        """The update kind: its one key besides ``update_id``."""
        return next((k for k in payload if k != "update_id"), "")

    def is_allowed(self, update_type: str) -> bool:
        """Whether the bot's allowed_updates setting lets this kind of update be generated."""
        if self.allowed_updates is None:
            return update_type not in DEFAULT_EXCLUDED_UPDATES
        return update_type in self.allowed_updates

    def enqueue(self, payload: dict[str, Any]) -> int:
        """Queue a deep copy of an update and give it the next update_id.

        Kinds the bot has not subscribed to are never created (as on Telegram), so they are
        recorded as discarded right away and count as resolved for ``wait_delivered``.
        """
        update_id = self.next_update_id
        self.next_update_id += 1
        body = copy.deepcopy({k: v for k, v in payload.items() if k != "update_id"})
        body = {"update_id": update_id, **body}
        if not self.is_allowed(self.update_type(body)):
            self.discarded.add(update_id)
        else:
            self.pending.append(_PendingUpdate(update_id, body))
        return update_id

    def confirm(self, offset: int) -> None:
        """Apply getUpdates' ``offset``: drop confirmed updates (negative = keep only the last N)."""
        if offset < 0:
            keep = -offset
            dropped = self.pending[:-keep] if keep < len(self.pending) else []
            self.pending = self.pending[len(dropped) :]
            self.discarded.update(u.update_id for u in dropped)
            return
        if offset > self.confirmed_offset:
            self.confirmed_offset = offset
        self.pending = [u for u in self.pending if u.update_id >= offset]

    def drop_pending(self) -> None:
        """deleteWebhook/setWebhook with drop_pending_updates."""
        self.discarded.update(u.update_id for u in self.pending)
        self.pending = []

    def available(self, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` unconfirmed updates, oldest first."""
        return [copy.deepcopy(u.payload) for u in self.pending[:limit]]

    def mark_delivered(self, update_id: int) -> None:
        """A webhook accepted the update (HTTP 200): it leaves the queue."""
        self.delivered.add(update_id)
        self.pending = [u for u in self.pending if u.update_id != update_id]

    def is_resolved(self, update_id: int) -> bool:
        """The bot confirmed this update (or it will never see it)."""
        return (
            update_id < self.confirmed_offset
            or update_id in self.discarded
            or update_id in self.delivered
        )

    def pending_ids(self) -> list[int]:
        """Ids still waiting for the bot (for diagnostics)."""
        return [u.update_id for u in self.pending]

    # ------------------------------------------------------------------ commands
    @staticmethod
    def scope_key(scope: dict[str, Any] | None) -> str:
        """Canonical JSON of a BotCommandScope (``'{"type": "default"}'`` when omitted)."""
        return json.dumps(scope or {"type": "default"}, sort_keys=True, ensure_ascii=False)

    # ------------------------------------------------------------------ helpers
    def group_members(self, chat_id: int, statuses: Iterable[str]) -> list[int]:
        """Users of a group with one of the given statuses (bot excluded), in insertion order."""
        wanted = set(statuses)
        return [
            user_id
            for (cid, user_id), status in self.member_status.items()
            if cid == chat_id and status in wanted and user_id != self.bot.id
        ]
