"""Test/console-facing side of the emulator: act as Telegram users, inspect what the bot sent.

A ``UserClient`` builds the updates a real Telegram client would cause (messages with
``bot_command`` entities, callback queries with ``chat_instance``, edits…), delivers them through
``BotApiEmulator.deliver`` and returns the bot messages created or edited in that chat as a
consequence, so a test reads like a conversation::

    alice = emu.user(1001, "Alice")
    [reply] = await alice.send("/start")
    assert "Xin chào" in reply.text
    [edited] = await alice.press("Đồng ý")
"""

from __future__ import annotations

import copy
import mimetypes
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .formatting import detect_entities
from .state import ChatInfo, EmulatorState, StoredMessage, UserInfo

if TYPE_CHECKING:
    from .server import BotApiEmulator

__all__ = [
    "CHANNEL_BOT",
    "GROUP_ANONYMOUS_BOT",
    "TINY_PNG",
    "BotMessage",
    "ButtonNotFoundError",
    "ChannelChat",
    "GroupChat",
    "UserClient",
]

# A valid 1×1 PNG, so that bots which inspect images get something real.
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000b49444154789c6360000200000500017a5eab3f0000000049454e44ae426082"
)
_STICKER_WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"


#: Who Telegram puts in ``from`` of a message an anonymous group admin sends as the group
#: (``sender_chat`` is the group itself)…
GROUP_ANONYMOUS_BOT = UserInfo(
    id=1087968824, first_name="Group", username="GroupAnonymousBot", is_bot=True
)
#: …and of a message sent on behalf of a channel (``sender_chat`` is the channel).
CHANNEL_BOT = UserInfo(id=136817688, first_name="Channel", username="Channel_Bot", is_bot=True)


class ButtonNotFoundError(LookupError):
    """No (unique) inline button matches; the message lists the buttons that exist."""


@dataclass
class BotMessage:
    """A snapshot of one message the bot sent, as a user would see it.

    ``text`` is the rendered text (HTML/Markdown already turned into entities, exactly what
    Telegram stores; the caption for media); ``source`` is the text exactly as the bot sent it.
    ``reply_markup`` is the markup as sent, so reply keyboards are visible too (Telegram only
    echoes inline keyboards in ``raw``).
    """

    message_id: int
    chat_id: int
    text: str | None
    reply_markup: dict[str, Any] | None
    parse_mode: str | None
    document: dict[str, Any] | None
    photo: bytes | None
    edited: bool
    raw: dict[str, Any]
    source: str | None = None

    @classmethod
    def from_stored(cls, message: StoredMessage, state: EmulatorState) -> BotMessage:
        """Snapshot a stored message (later edits do not change this object)."""
        raw = copy.deepcopy(message.raw)
        text = raw.get("text", raw.get("caption"))
        document: dict[str, Any] | None = None
        photo: bytes | None = None
        stored = state.files.get(message.file_id) if message.file_id else None
        if stored is not None and message.kind == "document":
            document = {
                "file_name": stored.file_name,
                "mime_type": stored.mime_type,
                "data": stored.data,
                "file_id": stored.file_id,
                "file_size": stored.file_size,
            }
        elif stored is not None and message.kind == "photo":
            photo = stored.data
        return cls(
            message_id=message.message_id,
            chat_id=message.chat_id,
            text=text,
            reply_markup=copy.deepcopy(message.reply_markup),
            parse_mode=message.parse_mode,
            document=document,
            photo=photo,
            edited=message.edited,
            raw=raw,
            source=message.source_text,
        )

    @property
    def photo_file_id(self) -> str | None:
        """The ``file_id`` of a photo message's largest size (None for anything else)."""
        sizes = self.raw.get("photo") or []
        return str(sizes[-1]["file_id"]) if sizes else None

    @property
    def entities(self) -> list[dict[str, Any]]:
        """Entities of the text or caption (UTF-16 offsets, as in the Bot API)."""
        return list(self.raw.get("entities") or self.raw.get("caption_entities") or [])

    @property
    def inline_buttons(self) -> list[list[dict[str, Any]]]:
        """Rows of InlineKeyboardButton dicts (``[]`` if the message has no inline keyboard)."""
        markup = self.reply_markup or {}
        return copy.deepcopy(list(markup.get("inline_keyboard") or []))

    @property
    def keyboard(self) -> list[list[str]]:
        """Reply-keyboard button texts by row (``[]`` if there is no reply keyboard)."""
        markup = self.reply_markup or {}
        rows = markup.get("keyboard") or []
        return [[b if isinstance(b, str) else str(b.get("text", "")) for b in row] for row in rows]

    def button(self, text_or_index: str | int) -> dict[str, Any]:
        """An inline button by exact text, unique substring, or flat 1-based index."""
        flat = [b for row in self.inline_buttons for b in row]
        if isinstance(text_or_index, int):
            if 1 <= text_or_index <= len(flat):
                return flat[text_or_index - 1]
            raise ButtonNotFoundError(
                f"no button #{text_or_index} in message {self.message_id}; {self._describe(flat)}"
            )
        exact = [b for b in flat if b.get("text") == text_or_index]
        if len(exact) == 1:
            return exact[0]
        if len(exact) > 1:
            raise ButtonNotFoundError(
                f"{len(exact)} buttons are labelled {text_or_index!r}; use an index. "
                + self._describe(flat)
            )
        needle = text_or_index.casefold()
        partial = [b for b in flat if needle in str(b.get("text", "")).casefold()]
        if len(partial) == 1:
            return partial[0]
        reason = "several buttons contain" if partial else "no button matches"
        raise ButtonNotFoundError(
            f"{reason} {text_or_index!r} in message {self.message_id}; {self._describe(flat)}"
        )

    @staticmethod
    def _describe(flat: list[dict[str, Any]]) -> str:
        if not flat:
            return "the message has no inline buttons"
        parts = []
        for i, b in enumerate(flat, 1):
            target = b.get("callback_data", b.get("url", "?"))
            parts.append(f"{i}. {b.get('text')!r} -> {target!r}")
        return "buttons: " + "; ".join(parts)

    def render(self) -> str:
        """Human-readable form for the terminal console and assertion messages."""
        head = f"[#{self.message_id}{' edited' if self.edited else ''}]"
        lines = [f"{head} {self.text or ''}".rstrip()]
        if self.document is not None:
            lines.append(
                f"  📎 {self.document.get('file_name')} ({self.document.get('mime_type')}, "
                f"{len(self.document.get('data') or b'')} bytes)"
            )
        if self.photo is not None:
            lines.append(f"  🖼 photo ({len(self.photo)} bytes)")
        for row in self.inline_buttons:
            lines.append("  " + " ".join(f"[{b.get('text')}]" for b in row))
        for krow in self.keyboard:
            lines.append("  ⌨ " + " | ".join(krow))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()


class UserClient:
    """A Telegram user talking to the bot; their private chat has ``chat_id == id``."""

    def __init__(self, emulator: BotApiEmulator, info: UserInfo) -> None:
        self._emu = emulator
        self._info = info
        self.last_answer: dict[str, Any] | None = None
        """answerCallbackQuery params for this user's last ``press`` (None: not answered)."""

    # ------------------------------------------------------------------ identity
    @property
    def id(self) -> int:
        return self._info.id

    @property
    def chat_id(self) -> int:
        """Id of the private chat with the bot (equals the user id)."""
        return self._info.id

    @property
    def first_name(self) -> str:
        return self._info.first_name

    @property
    def last_name(self) -> str | None:
        return self._info.last_name

    @property
    def username(self) -> str | None:
        return self._info.username

    @property
    def language_code(self) -> str | None:
        return self._info.language_code

    def to_json(self) -> dict[str, Any]:
        """The ``User`` object Telegram puts in ``from``."""
        return self._info.to_json()

    def __repr__(self) -> str:
        return f"UserClient(id={self.id}, first_name={self.first_name!r})"

    # ------------------------------------------------------------------ reading
    @property
    def last(self) -> BotMessage | None:
        """Newest bot message in the private chat."""
        history = self.history()
        return history[-1] if history else None

    def history(self) -> list[BotMessage]:
        """Bot messages in the private chat, oldest first."""
        return self._emu.messages(self.id)

    # ------------------------------------------------------------------ acting
    async def send(
        self,
        text: str,
        *,
        chat: GroupChat | None = None,
        reply_to: BotMessage | None = None,
        as_chat: GroupChat | ChannelChat | None = None,
    ) -> list[BotMessage]:
        """Send a text message (``/cmd`` and ``/cmd@bot`` get ``bot_command`` entities).

        ``as_chat`` sends it the way Telegram delivers a message whose author is hidden: as the
        group itself (an anonymous admin: ``as_chat`` is ``chat``) or on behalf of a channel.
        ``from`` is then Telegram's service account, ``sender_chat`` the group or channel."""
        if not text:
            raise ValueError("Telegram clients cannot send empty messages")
        body: dict[str, Any] = {"text": text}
        entities = detect_entities(text)
        if entities:
            body["entities"] = entities
        if as_chat is not None:
            if chat is None:
                raise ValueError("only a message in a group can be sent as a chat")
            if isinstance(as_chat, GroupChat) and as_chat.id != chat.id:
                raise ValueError("an anonymous admin sends as the group they write in")
            if not isinstance(as_chat, GroupChat) and as_chat.id == chat.id:
                raise ValueError("a channel is not the group it writes in")
            service = GROUP_ANONYMOUS_BOT if isinstance(as_chat, GroupChat) else CHANNEL_BOT
            body["from"] = service.to_json()
            body["sender_chat"] = self._state.chat_json(as_chat.id)
        return await self._send_body(body, kind="text", chat=chat, reply_to=reply_to)

    async def send_photo(
        self,
        data: bytes = TINY_PNG,
        *,
        caption: str | None = None,
        chat: GroupChat | None = None,
        reply_to: BotMessage | None = None,
    ) -> list[BotMessage]:
        """Send a photo (stored on the server, so the bot can getFile/download it)."""
        stored = self._state.add_file("photo", data)
        body: dict[str, Any] = {"photo": stored.photo_json()}
        self._add_caption(body, caption)
        return await self._send_body(
            body, kind="photo", chat=chat, reply_to=reply_to, file_id=stored.file_id
        )

    async def send_document(
        self,
        data: bytes,
        file_name: str,
        *,
        mime_type: str | None = None,
        caption: str | None = None,
        chat: GroupChat | None = None,
        reply_to: BotMessage | None = None,
    ) -> list[BotMessage]:
        """Send a file as a document."""
        mime = mime_type or mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        stored = self._state.add_file("document", data, file_name=file_name, mime_type=mime)
        body: dict[str, Any] = {"document": stored.document_json()}
        self._add_caption(body, caption)
        return await self._send_body(
            body, kind="document", chat=chat, reply_to=reply_to, file_id=stored.file_id
        )

    async def send_sticker(self, *, chat: GroupChat | None = None) -> list[BotMessage]:
        """Send a sticker (the classic "unexpected input" for a text-driven bot)."""
        stored = self._state.add_file("sticker", _STICKER_WEBP)
        body = {"sticker": stored.sticker_json()}
        return await self._send_body(body, kind="sticker", chat=chat, file_id=stored.file_id)

    async def edit(
        self, original_text: str, new_text: str, *, chat: GroupChat | None = None
    ) -> list[BotMessage]:
        """Edit this user's newest message with ``original_text`` (an ``edited_message``)."""
        target = self._chat_for(chat, joining=False)
        candidates = [
            m
            for m in self._state.messages.get(target.id, {}).values()
            if not m.from_bot
            and not m.deleted
            and m.sender_id == self.id
            and m.raw.get("text") == original_text
        ]
        if not candidates:
            raise LookupError(f"{self!r} has no message {original_text!r} in chat {target.id}")
        message = candidates[-1]
        message.raw["text"] = new_text
        entities = detect_entities(new_text)
        if entities:
            message.raw["entities"] = entities
        else:
            message.raw.pop("entities", None)
        message.raw["edit_date"] = self._state.now()
        message.edited = True
        update = None
        if self._emu._bot_receives(target, message.raw) and self._bot_present(target):
            update = {"edited_message": copy.deepcopy(message.raw)}
        return await self._act(target, update)

    async def press(
        self,
        button: str | int,
        *,
        message: BotMessage | None = None,
        chat: GroupChat | None = None,
    ) -> list[BotMessage]:
        """Press an inline button: a ``callback_query`` for ``message`` (default: the newest bot
        message with an inline keyboard in the chat). ``last_answer`` then holds the answer."""
        if message is not None:
            stored = self._state.get_message(message.chat_id, message.message_id)
            if stored is None:
                raise LookupError(
                    f"message {message.message_id} in chat {message.chat_id} no longer exists"
                )
            target = self._state.chats[stored.chat_id]
        else:
            target = self._chat_for(chat, joining=False)
            with_keyboard = [
                m
                for m in self._state.bot_messages(target.id)
                if (m.raw.get("reply_markup") or {}).get("inline_keyboard")
            ]
            if not with_keyboard:
                raise LookupError(
                    f"no bot message with an inline keyboard in chat {target.id}; bot messages: "
                    + "; ".join(
                        repr(m.raw.get("text", m.raw.get("caption")))
                        for m in self._state.bot_messages(target.id)
                    )
                )
            stored = with_keyboard[-1]
        current = BotMessage.from_stored(stored, self._state)
        chosen = current.button(button)
        if "callback_data" not in chosen:
            raise ValueError(f"button {chosen.get('text')!r} is not a callback button: {chosen}")
        return await self._callback(target, stored, chosen["callback_data"])

    async def press_data(
        self, data: str, *, message: BotMessage | None = None, chat: GroupChat | None = None
    ) -> list[BotMessage]:
        """Send a callback query with arbitrary ``data``, as a tampered client could: for testing
        that the bot checks every button on the server. ``message`` defaults to the newest bot
        message in the chat (any, with or without a keyboard)."""
        if message is not None:
            stored = self._state.get_message(message.chat_id, message.message_id)
            if stored is None:
                raise LookupError(f"message {message.message_id} no longer exists")
        else:
            messages = self._state.bot_messages(self._chat_for(chat, joining=False).id)
            if not messages:
                raise LookupError("no bot message to attach the callback query to")
            stored = messages[-1]
        return await self._callback(self._state.chats[stored.chat_id], stored, data)

    async def _callback(
        self, target: ChatInfo, stored: StoredMessage, data: str
    ) -> list[BotMessage]:
        record = self._state.new_callback(self.id, stored.chat_id, stored.message_id, data)
        query = {
            "id": record.id,
            "from": self.to_json(),
            "message": copy.deepcopy(stored.raw),
            "chat_instance": self._state.chat_instance(stored.chat_id),
            "data": data,
        }
        result = await self._act(target, {"callback_query": query})
        self.last_answer = record.answer
        return result

    async def raw(self, update_fields: dict[str, Any]) -> list[BotMessage]:
        """Deliver an arbitrary update payload (e.g. ``{"channel_post": {...}}``); returns the
        bot messages created or edited in *any* chat meanwhile."""
        mark = len(self._state.bot_events)
        await self._emu.deliver(update_fields)
        return [BotMessage.from_stored(m, self._state) for m in self._state.events_since(mark)]

    # ------------------------------------------------------------------ internals
    @property
    def _state(self) -> EmulatorState:
        return self._emu._state

    def _add_caption(self, body: dict[str, Any], caption: str | None) -> None:
        if caption:
            body["caption"] = caption
            entities = detect_entities(caption)
            if entities:
                body["caption_entities"] = entities

    def _chat_for(self, chat: GroupChat | None, *, joining: bool) -> ChatInfo:
        if chat is None:
            return self._state.private_chat(self.id)
        info = self._state.chats[chat.id]
        if joining:
            status = self._state.status_of(info.id, self.id)
            if status == "kicked":
                raise RuntimeError(f"{self!r} is banned from {chat!r}")
            if status == "left":
                self._state.member_status[(info.id, self.id)] = "member"
        return info

    def _bot_present(self, chat: ChatInfo) -> bool:
        if chat.type == "private":
            return True
        return self._state.status_of(chat.id, self._emu.bot_id) not in ("left", "kicked")

    async def _send_body(
        self,
        body: dict[str, Any],
        *,
        kind: str,
        chat: GroupChat | None,
        reply_to: BotMessage | None = None,
        file_id: str | None = None,
    ) -> list[BotMessage]:
        target = self._chat_for(chat, joining=True)
        if target.type != "private":
            status = self._state.status_of(target.id, self._emu.bot_id)
            if status == "left":
                raise RuntimeError(
                    f"the bot is not a member of {chat!r}: call `await group.add_bot(user)` "
                    "(or emu.set_member_status) first"
                )
        elif self.id in self._state.blocked:
            self._emu.unblock(self.id)  # writing to a blocked bot unblocks it, as in the apps
        message_id = self._state.new_message_id(target.id)
        raw: dict[str, Any] = {
            "message_id": message_id,
            "from": self.to_json(),
            "chat": self._state.chat_json(target.id),
            "date": self._state.now(),
        }
        if reply_to is not None:
            replied = self._state.get_message(reply_to.chat_id, reply_to.message_id)
            if replied is None or replied.chat_id != target.id:
                raise LookupError(
                    f"cannot reply to message {reply_to.message_id}: not in chat {target.id}"
                )
            snapshot = copy.deepcopy(replied.raw)
            snapshot.pop("reply_to_message", None)
            raw["reply_to_message"] = snapshot
        raw.update(body)
        self._state.store(
            StoredMessage(
                chat_id=target.id,
                message_id=message_id,
                sender_id=self.id,
                date=raw["date"],
                raw=copy.deepcopy(raw),
                from_bot=False,
                kind=kind,
                file_id=file_id,
            )
        )
        update = None
        if self._bot_present(target) and self._emu._bot_receives(target, raw):
            update = {"message": raw}
        return await self._act(target, update)

    async def _act(self, chat: ChatInfo, update: dict[str, Any] | None) -> list[BotMessage]:
        mark = len(self._state.bot_events)
        if update is not None:
            await self._emu.deliver(update)
        return [
            BotMessage.from_stored(m, self._state) for m in self._state.events_since(mark, chat.id)
        ]


class ChannelChat:
    """A channel: here only a name a message in a group can be sent on behalf of."""

    def __init__(self, info: ChatInfo) -> None:
        self._info = info

    @property
    def id(self) -> int:
        return self._info.id

    @property
    def title(self) -> str:
        return self._info.title or ""

    def __repr__(self) -> str:
        return f"ChannelChat(id={self.id}, title={self.title!r})"


class GroupChat:
    """A group or supergroup; follows a migration (``id``/``type`` change to the supergroup)."""

    def __init__(self, emulator: BotApiEmulator, info: ChatInfo) -> None:
        self._emu = emulator
        self._info = info

    @property
    def id(self) -> int:
        return self._info.id

    @property
    def title(self) -> str:
        return self._info.title or ""

    @property
    def type(self) -> str:
        return self._info.type

    def __repr__(self) -> str:
        return f"GroupChat(id={self.id}, title={self.title!r}, type={self.type!r})"

    def messages(self) -> list[BotMessage]:
        """Bot messages in this group, oldest first."""
        return self._emu.messages(self.id)

    @property
    def last(self) -> BotMessage | None:
        """Newest bot message in this group."""
        messages = self.messages()
        return messages[-1] if messages else None

    async def add_bot(self, by: UserClient, *, as_admin: bool = False) -> None:
        """``by`` adds the bot: a ``my_chat_member`` update, then a ``new_chat_members`` message."""
        state = self._emu._state
        bot_id = self._emu.bot_id
        if state.status_of(self.id, bot_id) in ("member", "administrator", "creator"):
            return
        if state.status_of(self.id, by.id) in ("left", "kicked"):
            state.member_status[(self.id, by.id)] = "member"
        old = state.chat_member_json(self.id, bot_id)
        state.member_status[(self.id, bot_id)] = "administrator" if as_admin else "member"
        new = state.chat_member_json(self.id, bot_id)
        now = state.now()
        self._emu.push_update(
            {
                "my_chat_member": {
                    "chat": state.chat_json(self.id),
                    "from": by.to_json(),
                    "date": now,
                    "old_chat_member": old,
                    "new_chat_member": new,
                }
            }
        )
        bot_json = state.users[bot_id].to_json()
        message_id = state.new_message_id(self.id)
        raw = {
            "message_id": message_id,
            "from": by.to_json(),
            "chat": state.chat_json(self.id),
            "date": now,
            "new_chat_participant": bot_json,
            "new_chat_member": bot_json,
            "new_chat_members": [bot_json],
        }
        state.store(
            StoredMessage(
                chat_id=self.id,
                message_id=message_id,
                sender_id=by.id,
                date=now,
                raw=copy.deepcopy(raw),
                from_bot=False,
                kind="service",
            )
        )
        await self._emu.deliver({"message": raw})

    def _migrated(self, info: ChatInfo) -> None:
        """Called by the emulator when the group becomes a supergroup."""
        self._info = info
