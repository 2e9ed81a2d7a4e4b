"""A local Telegram Bot API server for tests and the interactive console.

``BotApiEmulator`` is an aiohttp application on 127.0.0.1 that speaks the Bot API wire format
(``/bot<token>/<method>``, ``{"ok": true, "result": ...}``, ``error_code``/``description``/
``parameters`` on failure) closely enough that an unmodified python-telegram-bot ``Application``
runs against it through ``base_url``/``base_file_url``. It deliberately reproduces the rules that
bite bots in production — can't write first to a user, blocked users, kicked from a group,
migration to a supergroup, HTML/MarkdownV2 parse errors, the 4,096 and 1,024 limits of a text and
a caption (UTF-16 code units of the parsed text, as Telegram counts), 64-byte callback data, at
most 100 inline buttons, 200-character alerts, flood limits with ``retry_after`` — so that tests fail here instead of in front of users.

The in-process side (``user()``, ``group()``, ``push_update()``, ``deliver()``…) lets tests act as
Telegram users; see ``bot.emulator.client``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .api import ApiError, Handler, _Fault
from .bot_message import BotMessage
from .chats import ChannelChat, GroupChat
from .client import GROUP_ANONYMOUS_BOT, UserClient
from .formatting import detect_entities
from .messages import _MessageMethods
from .records import ChatInfo, UserInfo
from .settings_methods import _SettingsMethods
from .state import MEMBER_STATUSES
from .updates import _UpdateMethods
from .webhook import DeliveryAttempt

__all__ = ["ApiError", "BotApiEmulator"]


class BotApiEmulator(_MessageMethods, _UpdateMethods, _SettingsMethods):
    """An emulated Bot API server for one bot, plus the controls tests use to play users."""

    async def __aenter__(self) -> BotApiEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def _method_table(self) -> dict[str, Handler]:
        """The Bot API methods this emulator serves, by lower-case name."""
        return {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "deletewebhook": self._delete_webhook,
            "setwebhook": self._set_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "close": self._true,
            "logout": self._true,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "editmessagecaption": self._edit_message_caption,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "deletemessage": self._delete_message,
            "answercallbackquery": self._answer_callback_query,
            "senddocument": self._send_document,
            "sendphoto": self._send_photo,
            "getfile": self._get_file,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "getchatmember": self._get_chat_member,
            "getchat": self._get_chat,
            "sendchataction": self._send_chat_action,
            "setchatmenubutton": self._set_chat_menu_button,
            "getchatmenubutton": self._get_chat_menu_button,
            "setmydescription": self._set_my_description,
            "getmydescription": self._get_my_description,
            "setmyshortdescription": self._set_my_short_description,
            "getmyshortdescription": self._get_my_short_description,
            "setmyname": self._set_my_name,
            "getmyname": self._get_my_name,
        }

    # ================================================================== webhook (load balancer)
    def route_webhook(self, targets: list[str] | None) -> None:
        """Play the load balancer: deliver the webhook's updates to these URLs in turn (round
        robin; a failed try is retried on the next one). ``None`` delivers to the webhook's URL."""
        self._webhook.set_targets(targets)

    @property
    def webhook_attempts(self) -> list[DeliveryAttempt]:
        """Every webhook delivery try so far: update id, target URL, HTTP status or error."""
        return self._webhook.attempts

    @property
    def webhook_url(self) -> str:
        return self._webhook.config.url if self._webhook.config else ""

    # ================================================================== test-facing API
    def user(
        self,
        user_id: int,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> UserClient:
        """The Telegram user with this id (created on first call, the same object afterwards)."""
        client = self._users.get(user_id)
        if client is not None:
            return client
        if user_id <= 0 or user_id == self.bot_id:
            raise ValueError(f"user ids must be positive and differ from the bot's id: {user_id}")
        info = self._state.users.get(user_id)
        if info is not None:  # seen before in a raw update: the explicit profile wins
            info.first_name = first_name
            info.last_name = last_name or info.last_name
            info.username = username or info.username
            info.language_code = language_code or info.language_code
        else:
            info = self._state.add_user(
                UserInfo(
                    id=user_id,
                    first_name=first_name,
                    last_name=last_name,
                    username=username,
                    language_code=language_code,
                )
            )
        client = UserClient(self, info)
        self._users[user_id] = client
        return client

    def group(self, chat_id: int, title: str, *, supergroup: bool = False) -> GroupChat:
        """A group (or supergroup, id ``-100…``) chat; the bot joins via ``GroupChat.add_bot``."""
        existing = self._groups.get(chat_id)
        if existing is not None:
            return existing
        if chat_id >= 0:
            raise ValueError(f"group chat ids are negative: {chat_id}")
        if supergroup and not str(chat_id).startswith("-100"):
            raise ValueError(f"supergroup ids look like -100xxxxxxxxxx: {chat_id}")
        if not supergroup and str(chat_id).startswith("-100") and len(str(chat_id)) >= 14:
            raise ValueError(f"{chat_id} is a supergroup id; pass supergroup=True")
        chat = self._state.add_group(chat_id, title, "supergroup" if supergroup else "group")
        group = GroupChat(self, chat)
        self._groups[chat_id] = group
        return group

    def channel(self, chat_id: int, title: str) -> ChannelChat:
        """A channel (id ``-100…``), for messages sent on its behalf in a group
        (``UserClient.send(..., as_chat=channel)``)."""
        if not str(chat_id).startswith("-100"):
            raise ValueError(f"channel ids look like -100xxxxxxxxxx: {chat_id}")
        chat = self._state.chats.get(chat_id)
        if chat is None:
            chat = ChatInfo(id=chat_id, type="channel", title=title)
            self._state.chats[chat_id] = chat
        elif chat.type != "channel":
            raise ValueError(f"{chat_id} is a {chat.type}, not a channel")
        return ChannelChat(chat)

    def set_member_status(self, chat_id: int, user_id: int, status: str) -> None:
        """Set what getChatMember reports (no update is sent; use it to arrange a scenario)."""
        if status not in MEMBER_STATUSES:
            raise ValueError(
                f"unknown status {status!r}; expected one of {sorted(MEMBER_STATUSES)}"
            )
        chat = self._state.chats.get(chat_id)
        if chat is None or not chat.is_group:
            raise ValueError(f"no group chat {chat_id}: create it with emu.group(...)")
        if user_id not in self._state.users:
            raise ValueError(f"unknown user {user_id}: create it with emu.user(...)")
        self._state.member_status[(chat_id, user_id)] = status

    def push_update(self, update: dict[str, Any]) -> int:
        """Queue an update for the bot (any ``update_id`` is replaced) and wake long polls."""
        payload = {k: v for k, v in update.items() if k != "update_id"}
        if not payload:
            raise ValueError("an update needs one field besides update_id, e.g. {'message': {...}}")
        self._observe(payload)
        update_id = self._state.enqueue(payload)
        self._notify()
        return update_id

    def push_text(self, user: UserClient, text: str) -> int:
        """Queue a private text message from ``user`` without waiting for its delivery.

        Built as ``UserClient.send`` builds it (same ids, ``from``, ``chat``, entities) but with
        no ``wait_delivered`` waiter: benchmarks push hundreds at once, and every parked waiter is
        woken by each state change (they would measure the driver, not the bot)."""
        chat = self._state.private_chat(user.id)
        message: dict[str, Any] = {
            "message_id": self._state.new_message_id(chat.id),
            "from": user.to_json(),
            "chat": self._state.chat_json(chat.id),
            "date": self._state.now(),
            "text": text,
        }
        entities = detect_entities(text)
        if entities:
            message["entities"] = entities
        return self.push_update({"message": message})

    async def wait_delivered(
        self,
        update_id: int,
        timeout: float = 10.0,  # noqa: ASYNC109 - part of the agreed API
    ) -> None:
        """Wait until the bot confirmed ``update_id`` (a getUpdates with a higher offset, or a
        webhook's 200).

        PTB puts fetched updates on its queue before polling again, so after this returns the
        update is in ``application.update_queue``; ``deliver`` then awaits ``settle_hook``. A
        webhook that answers 200 only when it is done (ours) needs no ``settle_hook``.
        """
        if await self._wait_until(lambda: self._state.is_resolved(update_id), timeout):
            return
        if self._webhook.active:
            tries = [a for a in self._webhook.attempts if a.update_id == update_id]
            last = f"; last try: {tries[-1]}" if tries else "; no try yet"
            raise TimeoutError(
                f"update {update_id} was not accepted by the webhook {self.webhook_url} within "
                f"{timeout} s ({len(tries)} tries{last})"
            )
        raise TimeoutError(
            f"update {update_id} was not confirmed by the bot within {timeout} s: no getUpdates "
            f"call with offset > {update_id} arrived (highest offset seen: "
            f"{self._state.confirmed_offset}, still pending: {self._state.pending_ids()}). Is the "
            f"bot polling this emulator (base_url={self._base_url_or_unbound()}) and running?"
        )

    async def wait_polling(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109 - as above
        """Wait until a getUpdates long poll is parked on the server (the bot is idle)."""
        if not await self._wait_until(lambda: self._waiting_polls > 0, timeout):
            raise TimeoutError(f"no getUpdates long poll arrived within {timeout} s")

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until ``predicate()`` holds, re-checked on every change of the emulator's state.
        For a bot in another process, where no ``settle_hook`` can see its update queue."""
        if not await self._wait_until(predicate, timeout):
            raise TimeoutError(f"condition not met within {timeout} s")

    async def deliver(self, update: dict[str, Any]) -> int:
        """``push_update`` + ``wait_delivered`` + ``settle_hook``: the update has been handled."""
        update_id = self.push_update(update)
        await self.wait_delivered(update_id, self.deliver_timeout)
        if self.settle_hook is not None:
            await self.settle_hook()
        return update_id

    async def settle(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109 - mirrors wait_delivered
        """Wait until every update pushed so far was confirmed, then await ``settle_hook``.

        Useful after the synchronous helpers (``block``, ``remove_bot_from_group``,
        ``migrate_group``) that queue updates without waiting for them.
        """
        last = self._state.next_update_id - 1
        if not self._state.is_resolved(last) and self._state.pending_ids():
            await self.wait_delivered(last, timeout)
        if self.settle_hook is not None:
            await self.settle_hook()

    def messages(self, chat_id: int) -> list[BotMessage]:
        """The bot's messages in a chat as they are now (edits applied, deleted ones gone)."""
        return [BotMessage.from_stored(m, self._state) for m in self._state.bot_messages(chat_id)]

    def event_mark(self) -> int:
        """A position in the log of what the bot sent or edited, for ``messages_since``."""
        return len(self._state.bot_events)

    def messages_since(self, mark: int) -> list[BotMessage]:
        """The bot's messages sent or edited after ``mark``, in every chat, oldest first: what a
        watcher (the console) shows as pushed when nobody's action asked for it."""
        return [BotMessage.from_stored(m, self._state) for m in self._state.events_since(mark)]

    def fail_next(
        self,
        method: str,
        *,
        status: int = 500,
        description: str = "Internal Server Error",
        retry_after: int | None = None,
        count: int = 1,
    ) -> None:
        """Make the next ``count`` calls of ``method`` fail (429 gets ``parameters.retry_after``)."""
        if status == 429:
            retry_after = retry_after if retry_after is not None else 1
            if description == "Internal Server Error":
                description = f"Too Many Requests: retry after {retry_after}"
        self._faults.setdefault(method.lower(), []).append(
            _Fault(status, description, retry_after, count)
        )

    def forget_file(self, file_id: str) -> None:
        """Telegram no longer knows ``file_id`` (as with another bot's file_id): sending it is
        answered 400 "wrong file identifier/HTTP URL specified"; messages keep their copy."""
        self._forgotten_files.add(file_id)

    def hold_next(self, method: str, *, count: int = 1, answered: bool = False) -> None:
        """Park the next ``count`` calls of ``method`` until ``release_held()``: the bot waits for
        an answer. If the bot gives up first (its timeout, or it is killed) the call is dropped
        unprocessed, like a request lost on the way. ``held[method]`` counts parked calls.

        ``answered=True``: the call is carried out (a message is in the chat) and its answer is
        what waits, like an answer lost on its way back: the bot cannot know it took effect."""
        key = method.lower()
        holds = self._holds_answered if answered else self._holds
        holds[key] = holds.get(key, 0) + count
        self._release.clear()

    def release_held(self) -> None:
        """Let parked calls through (they are then processed normally)."""
        self._holds.clear()
        self._holds_answered.clear()
        self._release.set()

    def block(self, user_id: int) -> None:
        """The user blocks the bot: sends to them get 403; a ``my_chat_member`` update is queued."""
        self._require_user(user_id)
        if user_id in self._state.blocked:
            return
        self._state.blocked.add(user_id)
        if user_id in self._state.started_private:
            self._push_private_member_change(user_id, "member", "kicked")

    def unblock(self, user_id: int) -> None:
        """The user unblocks the bot (also implied when a blocked user writes to it)."""
        if user_id not in self._state.blocked:
            return
        self._state.blocked.discard(user_id)
        if user_id in self._state.started_private:
            self._push_private_member_change(user_id, "kicked", "member")

    def remove_bot_from_group(self, chat_id: int) -> None:
        """Someone kicks the bot: sends get 403 and a ``my_chat_member`` update is queued."""
        chat = self._require_group(chat_id)
        old = self._state.chat_member_json(chat.id, self.bot_id)
        self._state.member_status[(chat.id, self.bot_id)] = "kicked"
        new = self._state.chat_member_json(chat.id, self.bot_id)
        self.push_update(
            {
                "my_chat_member": {
                    "chat": self._state.chat_json(chat.id),
                    "from": self._group_actor(chat.id).to_json(),
                    "date": self._state.now(),
                    "old_chat_member": old,
                    "new_chat_member": new,
                }
            }
        )

    def delete_group(self, chat_id: int) -> None:
        """The group is deleted: every call naming it gets 400 "chat not found"; no update."""
        self._require_group(chat_id)
        self._state.chats.pop(chat_id, None)
        self._groups.pop(chat_id, None)

    def migrate_group(self, chat_id: int, new_chat_id: int) -> None:
        """Upgrade a group to a supergroup: sends to the old id get 400 + migrate_to_chat_id."""
        old_chat = self._require_group(chat_id)
        if old_chat.type != "group":
            raise ValueError(f"only basic groups migrate; {chat_id} is a {old_chat.type}")
        if not str(new_chat_id).startswith("-100") or new_chat_id in self._state.chats:
            raise ValueError(f"new_chat_id must be an unused -100… id: {new_chat_id}")
        actor = self._group_actor(chat_id)
        new_chat = self._state.add_group(new_chat_id, old_chat.title or "", "supergroup")
        for (cid, uid), status in list(self._state.member_status.items()):
            if cid == chat_id:
                self._state.member_status[(new_chat_id, uid)] = status
        old_chat.migrated_to = new_chat_id
        now = self._state.now()
        old_msg = {
            "message_id": self._state.new_message_id(chat_id),
            "from": actor.to_json(),
            "chat": self._state.chat_json(chat_id),
            "date": now,
            "migrate_to_chat_id": new_chat_id,
        }
        new_msg = {
            "message_id": self._state.new_message_id(new_chat_id),
            "from": actor.to_json(),
            "chat": self._state.chat_json(new_chat_id),
            "date": now,
            "migrate_from_chat_id": chat_id,
        }
        group = self._groups.pop(chat_id, None)
        if group is not None:
            group._migrated(new_chat)
            self._groups[new_chat_id] = group
        self.push_update({"message": old_msg})
        self.push_update({"message": new_msg})

    def _require_user(self, user_id: int) -> UserInfo:
        user = self._state.users.get(user_id)
        if user is None or user.is_bot:
            raise ValueError(f"unknown user {user_id}: create it with emu.user(...)")
        return user

    def _require_group(self, chat_id: int) -> ChatInfo:
        chat = self._state.chats.get(chat_id)
        if chat is None or not chat.is_group:
            raise ValueError(f"no group chat {chat_id}: create it with emu.group(...)")
        return chat

    def _group_actor(self, chat_id: int) -> UserInfo:
        """Who performs an administrative action in a group: creator, else admin, else member."""
        for statuses in (("creator",), ("administrator",), ("member", "restricted")):
            members = self._state.group_members(chat_id, statuses)
            if members:
                return self._state.users[members[0]]
        self._state.users.setdefault(GROUP_ANONYMOUS_BOT.id, GROUP_ANONYMOUS_BOT)
        return GROUP_ANONYMOUS_BOT

    def _push_private_member_change(self, user_id: int, old: str, new: str) -> None:
        self.push_update(
            {
                "my_chat_member": {
                    "chat": self._state.chat_json(user_id),
                    "from": self._state.users[user_id].to_json(),
                    "date": self._state.now(),
                    "old_chat_member": self._state.chat_member_json(user_id, self.bot_id, old),
                    "new_chat_member": self._state.chat_member_json(user_id, self.bot_id, new),
                }
            }
        )
