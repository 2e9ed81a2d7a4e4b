"""Test/console-facing side of the emulator: act as Telegram users.

A ``UserClient`` builds the updates a real Telegram client would cause (messages with
``bot_command`` entities, callback queries with ``chat_instance``, edits…), delivers them through
``BotApiEmulator.deliver`` and returns the bot messages created or edited in that chat as a
consequence, so a test reads like a conversation::

    alice = emu.user(1001, "Alice")
    [reply] = await alice.send("/start")
    assert "Xin chào" in reply.text
    [edited] = await alice.press("Đồng ý")

What comes back are ``bot_message.BotMessage`` snapshots; the groups and channels a user acts in
are ``chats.GroupChat`` / ``ChannelChat``.
"""

from __future__ import annotations

import copy
import mimetypes
from typing import TYPE_CHECKING, Any

from .bot_message import BotMessage
from .chats import ChannelChat, GroupChat
from .formatting import detect_entities
from .records import ChatInfo, StoredMessage, UserInfo
from .state import EmulatorState

if TYPE_CHECKING:
    from .server import BotApiEmulator

__all__ = [
    "CHANNEL_BOT",
    "GROUP_ANONYMOUS_BOT",
    "TINY_PNG",
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
