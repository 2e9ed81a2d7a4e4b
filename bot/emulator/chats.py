"""The group and channel chats a test sets up: ``GroupChat`` (add the bot, read its messages,
follow a migration to a supergroup) and ``ChannelChat`` (a name to post on behalf of).

``UserClient`` acts in them (``chat=``, ``as_chat=``); they are handles on the emulator's
``ChatInfo``, created by ``BotApiEmulator.group`` / ``channel``.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from .bot_message import BotMessage
from .records import ChatInfo, StoredMessage

if TYPE_CHECKING:
    from .client import UserClient
    from .server import BotApiEmulator

__all__ = ["ChannelChat", "GroupChat"]


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
