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

import asyncio
import copy
import json
import logging
import math
import mimetypes
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .client import BotMessage, ChannelChat, GroupChat, UserClient
from .formatting import (
    EntityParseError,
    UnsupportedParseModeError,
    detect_entities,
    parse_text,
    utf16_len,
    utf16_slice,
)
from .state import (
    MEMBER_STATUSES,
    CallbackRecord,
    ChatInfo,
    EmulatorState,
    StoredFile,
    StoredMessage,
    UploadedFile,
    UserInfo,
    image_size,
)
from .webhook import DeliveryAttempt, WebhookConfig, WebhookDeliverer

__all__ = ["ApiError", "BotApiEmulator"]

_log = logging.getLogger(__name__)

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

GROUP_ANONYMOUS_BOT = UserInfo(
    id=1087968824, first_name="Group", username="GroupAnonymousBot", is_bot=True
)

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


class BotApiEmulator:
    """An emulated Bot API server for one bot, plus the controls tests use to play users."""

    def __init__(
        self,
        *,
        token: str = "123456789:TEST-token_abcdefghijklmnopqrstuv",
        bot_id: int = 123456789,
        bot_username: str = "phoihop_bot",
        bot_first_name: str = "Phối hợp",
        host: str = "127.0.0.1",
        port: int = 0,
        enforce_limits: bool = False,
        clock: Callable[[], float] | None = None,
        webhook_retry_delay: float = 0.05,
        webhook_timeout: float = 60.0,
    ) -> None:
        self.token = token
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.host = host
        self.port = port
        self.enforce_limits = enforce_limits
        self._clock: Callable[[], float] = clock or time.time
        # Telegram's default for bots: in groups only commands, mentions and replies arrive.
        self.privacy_mode = True
        self.settle_hook: Callable[[], Awaitable[None]] | None = None
        #: How long ``deliver`` (every ``UserClient`` action) waits for the bot to take an update;
        #: raise it for bots in other processes on a busy machine.
        self.deliver_timeout = 10.0
        self.calls: list[tuple[str, dict[str, Any]]] = []
        #: Every call the emulator refused, as (method, description): a test that expects the bot
        #: to send only what Telegram accepts (markup, lengths) asserts this stays empty.
        self.rejected: list[tuple[str, str]] = []
        self.callback_answers: list[dict[str, Any]] = []
        self.stats: dict[str, int] = {"sent": 0, "429": 0}
        #: Files the bot uploaded (a send by file_id is not one).
        self.uploads = 0
        self._forgotten_files: set[str] = set()
        self.bot_settings: dict[str, Any] = {}
        self._bot_user = UserInfo(
            id=bot_id, first_name=bot_first_name, username=bot_username, is_bot=True
        )
        self._state = EmulatorState(self._bot_user, self._clock)
        self.my_commands: dict[tuple[str, str], list[dict[str, Any]]] = self._state.commands
        self._users: dict[int, UserClient] = {}
        self._groups: dict[int, GroupChat] = {}
        self._faults: dict[str, list[_Fault]] = {}
        self._holds: dict[str, int] = {}
        #: Calls to carry out and then hold the answer of (``hold_next(answered=True)``).
        self._holds_answered: dict[str, int] = {}
        self._release = asyncio.Event()
        #: Calls parked by ``hold_next``, per lower-case method (for tests to wait on).
        self.held: dict[str, int] = {}
        self._global_bucket: _Bucket | None = None
        self._chat_buckets: dict[int, _Bucket] = {}
        self._webhook = WebhookDeliverer(
            self._state, self._notify, retry_delay=webhook_retry_delay, timeout=webhook_timeout
        )
        self._group_windows: dict[int, deque[float]] = {}
        self._poll_generation = 0
        self._poll_abort_reason = ""
        self._waiting_polls = 0
        self._stopping = False
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._bound_port: int | None = None
        self._methods: dict[str, Handler] = {
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

    # ================================================================== lifecycle
    async def start(self) -> None:
        """Bind the HTTP server (port 0 picks a free port; see ``base_url``)."""
        if self._runner is not None:
            return
        self._stopping = False
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._handle_file)
        # handler_cancellation: a long poll whose client went away (PTB cancels its polling task
        # on shutdown) must not linger; shutdown_timeout keeps stop() fast.
        runner = web.AppRunner(
            app, handler_cancellation=True, shutdown_timeout=1.0, access_log=None
        )
        await runner.setup()
        # Started again after stop(): keep the address, as a restarted Bot API server would.
        site = web.TCPSite(runner, self.host, self.port or self._bound_port or 0)
        await site.start()
        self._runner = runner
        address = runner.addresses[0]
        self._bound_port = int(address[1])

    async def stop(self) -> None:
        """Release pending long polls (they answer ``[]``), stop webhook deliveries and shut the
        server down."""
        self._stopping = True
        self._notify()
        await self._webhook.stop()
        runner, self._runner = self._runner, None
        if runner is not None:
            await asyncio.sleep(0)  # let released long polls write their responses
            await runner.cleanup()

    async def __aenter__(self) -> BotApiEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """What to pass to ``ApplicationBuilder.base_url`` (PTB appends ``<token>/<method>``)."""
        return f"http://{self.host}:{self._require_port()}/bot"

    @property
    def base_file_url(self) -> str:
        """What to pass to ``ApplicationBuilder.base_file_url``."""
        return f"http://{self.host}:{self._require_port()}/file/bot"

    def _require_port(self) -> int:
        if self._bound_port is None:
            raise RuntimeError("BotApiEmulator is not started: await emu.start() first")
        return self._bound_port

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

    # ================================================================== HTTP layer
    async def _handle_method(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        method = request.match_info["method"]
        try:
            params = await self._read_params(request)
        except ApiError as exc:
            self.calls.append((method, {}))
            return self._error(exc)
        self.calls.append((method, params))
        if token != self.token:
            return self._error(ApiError(401, "Unauthorized"))
        handler = self._methods.get(method.lower())
        if handler is None:
            return self._error(ApiError(404, "Not Found: method not found"))
        fault = self._take_fault(method.lower())
        if fault is not None:
            return self._error(fault)
        if self._holds.get(method.lower()):
            await self._park(method.lower())
        try:
            result = await handler(params)
        except ApiError as exc:
            self.rejected.append((method, exc.description))
            return self._error(exc)
        finally:
            # Every call may change what a waiter looks at (messages, answers, commands).
            self._notify()
        if self._holds_answered.get(method.lower()):
            await self._park(method.lower(), self._holds_answered)
        return web.json_response({"ok": True, "result": result}, dumps=_dumps)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return self._error(ApiError(404, "Not Found"))
        stored = self._state.files_by_path.get(request.match_info["path"])
        if stored is None:
            return self._error(ApiError(404, "Not Found"))
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )

    async def _park(self, method: str, holds: dict[str, int] | None = None) -> None:
        holds = self._holds if holds is None else holds
        holds[method] -= 1
        self.held[method] = self.held.get(method, 0) + 1
        self._notify()
        # Cancelled (aiohttp's handler_cancellation) when the client goes away: nothing happens.
        await self._release.wait()

    def _error(self, exc: ApiError) -> web.Response:
        if exc.status == 429:
            self.stats["429"] += 1
            # A waiter on ``stats`` is woken now, not at the next call (an idle bot whose long
            # poll is parked makes none for its whole timeout).
            self._notify()
        return web.json_response(exc.payload(), status=exc.status, dumps=_dumps)

    def _take_fault(self, method: str) -> ApiError | None:
        queue = self._faults.get(method)
        if not queue:
            return None
        fault = queue[0]
        fault.remaining -= 1
        if fault.remaining <= 0:
            queue.pop(0)
        parameters = {"retry_after": fault.retry_after} if fault.status == 429 else None
        return ApiError(fault.status, fault.description, parameters)

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        """Decode query string + JSON / urlencoded / multipart body into typed params.

        PTB sends non-string values JSON-encoded inside form fields (``reply_markup``,
        ``commands``, ``chat_id``…), files as multipart parts, and may reference parts with
        ``attach://<name>``; all of that is normalised here.
        """
        raw: dict[str, str] = dict(request.query)
        typed: dict[str, Any] = {}
        uploads: dict[str, UploadedFile] = {}
        if request.can_read_body:
            ctype = request.content_type
            if ctype == "application/json":
                try:
                    body = await request.json(loads=json.loads)
                except ValueError as exc:
                    raise _bad("can't parse JSON object") from exc
                if not isinstance(body, dict):
                    raise _bad("JSON object expected")
                typed.update(body)
            elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        uploads[key] = UploadedFile(
                            field=key,
                            file_name=value.filename,
                            mime_type=value.content_type,
                            data=value.file.read(),
                        )
                    else:
                        raw[key] = str(value)
        params: dict[str, Any] = {key: self._decode_form_value(key, v) for key, v in raw.items()}
        for key, value in typed.items():
            params[key] = self._normalise_json_value(key, value)
        referenced: set[str] = set()
        for key, value in list(params.items()):
            if isinstance(value, str) and value.startswith("attach://"):
                name = value[len("attach://") :]
                if name not in uploads:
                    raise _bad(f"file {value} not found in the request")
                params[key] = uploads[name]
                referenced.add(name)
        for key, upload in uploads.items():
            if key not in referenced:
                params[key] = upload
        return params

    @staticmethod
    def _decode_form_value(key: str, value: str) -> Any:
        if key in _STRING_PARAMS:
            return value
        try:
            return json.loads(value)
        except ValueError:
            return value

    @staticmethod
    def _normalise_json_value(key: str, value: Any) -> Any:
        if key in _JSON_PARAMS and isinstance(value, str) and value:
            try:
                return json.loads(value)
            except ValueError as exc:
                raise _bad(f"can't parse {_JSON_PARAMS[key]} JSON object") from exc
        return value

    # ================================================================== long polling plumbing
    def _notify(self) -> None:
        """Wake everyone waiting for a state change (long polls, wait_delivered, webhook)."""
        event, self._changed = self._changed, asyncio.Event()
        event.set()
        self._webhook.wake()

    async def _wait_until(self, predicate: Callable[[], bool], seconds: float) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            event = self._changed
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                return predicate()
        return True

    def _base_url_or_unbound(self) -> str:
        return self.base_url if self._bound_port is not None else "<not started>"

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

    async def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat_ref(params)
        text = params.get("text")
        if not isinstance(text, str) or not text:
            raise _bad("message text is empty")
        parse_mode = params.get("parse_mode") or None
        plain, entities = self._format(text, parse_mode, params.get("entities"), caption=False)
        markup = self._reply_markup(params, inline_only=False)
        chat = self._writable_chat(chat_id)
        _check_web_app(markup, chat.type)
        reply_to = self._reply_target(params, chat)
        self._check_rate(chat)
        body: dict[str, Any] = {"text": plain}
        if entities:
            body["entities"] = entities
        message = self._new_bot_message(
            chat,
            body,
            kind="text",
            markup=markup,
            parse_mode=parse_mode if isinstance(parse_mode, str) else None,
            source=text,
            reply_to=reply_to,
        )
        return copy.deepcopy(message.raw)

    async def _send_media(self, params: dict[str, Any], field: str) -> dict[str, Any]:
        chat_id = self._chat_ref(params)
        caption = params.get("caption")
        caption_text = caption if isinstance(caption, str) and caption else None
        parse_mode = params.get("parse_mode") or None
        plain: str | None = None
        entities: list[dict[str, Any]] = []
        if caption_text is not None:
            plain, entities = self._format(
                caption_text, parse_mode, params.get("caption_entities"), caption=True
            )
        markup = self._reply_markup(params, inline_only=False)
        chat = self._writable_chat(chat_id)
        _check_web_app(markup, chat.type)
        reply_to = self._reply_target(params, chat)
        value = params.get(field)
        self._check_file_input(value, field)
        self._check_rate(chat)
        stored = self._resolve_file(value, field)
        body: dict[str, Any] = {}
        if field == "photo":
            body["photo"] = stored.photo_json()
        else:
            body["document"] = stored.document_json()
        if plain:
            body["caption"] = plain
            if entities:
                body["caption_entities"] = entities
        message = self._new_bot_message(
            chat,
            body,
            kind=field,
            markup=markup,
            parse_mode=parse_mode if isinstance(parse_mode, str) else None,
            source=caption_text,
            reply_to=reply_to,
            file_id=stored.file_id,
        )
        return copy.deepcopy(message.raw)

    def _check_file_input(self, value: Any, field: str) -> None:
        if value is None or value == "":
            raise _bad(f"there is no {field} in the request")
        if isinstance(value, UploadedFile):
            if not value.data:
                raise _bad("file must be non-empty")
            if field == "photo":
                self._check_photo(value.data)
            return
        if isinstance(value, str):
            if value.startswith(("http://", "https://")):
                raise _bad("failed to get HTTP URL content")
            stored = self._state.files.get(value)
            if stored is None or value in self._forgotten_files:
                raise _bad("wrong file identifier/HTTP URL specified")
            if stored.kind != field and not (field == "document" and stored.kind == "sticker"):
                raise _bad(
                    f"can't use file of type {stored.kind.capitalize()} as {field.capitalize()}"
                )
            return
        raise _bad("wrong file identifier/HTTP URL specified")

    @staticmethod
    def _check_photo(data: bytes) -> None:
        """Telegram's limits for an uploaded photo, with its error descriptions."""
        if len(data) > MAX_PHOTO_BYTES:
            raise _bad("PHOTO_SAVE_FILE_INVALID")
        size = image_size(data)
        if size is None or not all(size):
            raise _bad("IMAGE_PROCESS_FAILED")
        width, height = size
        if width + height > MAX_PHOTO_SIDES or max(size) > MAX_PHOTO_RATIO * min(size):
            raise _bad("PHOTO_INVALID_DIMENSIONS")

    def _resolve_file(self, value: Any, field: str) -> StoredFile:
        if isinstance(value, UploadedFile):
            self.uploads += 1
            if field == "photo":
                return self._state.add_file("photo", value.data)
            name = value.file_name or "file"
            guessed = mimetypes.guess_type(name)[0]
            mime = guessed or value.mime_type or "application/octet-stream"
            return self._state.add_file(field, value.data, file_name=name, mime_type=mime)
        return self._state.files[str(value)]

    async def _send_document(self, params: dict[str, Any]) -> dict[str, Any]:
        return await self._send_media(params, "document")

    async def _send_photo(self, params: dict[str, Any]) -> dict[str, Any]:
        return await self._send_media(params, "photo")

    async def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._editable(params)
        if message.kind != "text":
            raise _bad("there is no text in the message to edit")
        text = params.get("text")
        if not isinstance(text, str) or not text:
            raise _bad("message text is empty")
        parse_mode = params.get("parse_mode") or None
        plain, entities = self._format(text, parse_mode, params.get("entities"), caption=False)
        markup = self._reply_markup(params, inline_only=True)
        raw = message.raw
        _check_web_app(markup, str((raw.get("chat") or {}).get("type", "")))
        if (
            raw.get("text") == plain
            and raw.get("entities", []) == entities
            and raw.get("reply_markup") == markup
        ):
            raise _bad(_NOT_MODIFIED)
        raw["text"] = plain
        _set_or_pop(raw, "entities", entities or None)
        _set_or_pop(raw, "reply_markup", markup)
        raw["edit_date"] = self._state.now()
        message.reply_markup = copy.deepcopy(markup)
        message.parse_mode = parse_mode if isinstance(parse_mode, str) else None
        message.source_text = text
        self._state.note_edit(message)
        return copy.deepcopy(raw)

    async def _edit_message_caption(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._editable(params)
        if message.kind not in ("document", "photo"):
            raise _bad("there is no caption in the message to edit")
        caption = params.get("caption")
        caption_text = caption if isinstance(caption, str) and caption else ""
        parse_mode = params.get("parse_mode") or None
        plain, entities = self._format(
            caption_text, parse_mode, params.get("caption_entities"), caption=True
        )
        markup = self._reply_markup(params, inline_only=True)
        raw = message.raw
        _check_web_app(markup, str((raw.get("chat") or {}).get("type", "")))
        if (
            raw.get("caption", "") == plain
            and raw.get("caption_entities", []) == entities
            and raw.get("reply_markup") == markup
        ):
            raise _bad(_NOT_MODIFIED)
        _set_or_pop(raw, "caption", plain or None)
        _set_or_pop(raw, "caption_entities", entities or None)
        _set_or_pop(raw, "reply_markup", markup)
        raw["edit_date"] = self._state.now()
        message.reply_markup = copy.deepcopy(markup)
        message.parse_mode = parse_mode if isinstance(parse_mode, str) else None
        message.source_text = caption_text or None
        self._state.note_edit(message)
        return copy.deepcopy(raw)

    async def _edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._editable(params)
        markup = self._reply_markup(params, inline_only=True)
        raw = message.raw
        _check_web_app(markup, str((raw.get("chat") or {}).get("type", "")))
        if raw.get("reply_markup") == markup:
            raise _bad(_NOT_MODIFIED)
        _set_or_pop(raw, "reply_markup", markup)
        raw["edit_date"] = self._state.now()
        message.reply_markup = copy.deepcopy(markup)
        self._state.note_edit(message)
        return copy.deepcopy(raw)

    async def _delete_message(self, params: dict[str, Any]) -> bool:
        chat_id = self._chat_ref(params)
        message_id = self._message_id(params)
        chat = self._state.chats.get(chat_id)
        if chat is None:
            raise _bad("chat not found")
        message = self._state.get_message(chat.id, message_id)
        if message is None:
            raise _bad("message to delete not found")
        is_admin = self._state.status_of(chat.id, self.bot_id) in ("creator", "administrator")
        if chat.is_group and not message.from_bot and not is_admin:
            raise _bad("message can't be deleted")
        if self._state.now() - message.date > DELETE_WINDOW:
            raise _bad("message can't be deleted for everyone")
        message.deleted = True
        return True

    async def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        record = self._state.callbacks.get(query_id)
        if (
            record is None
            or record.answer is not None
            or self._clock() - record.created_at > CALLBACK_ANSWER_TIMEOUT
        ):
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        text = params.get("text")
        if isinstance(text, str) and len(text) > 200:
            raise _bad("MESSAGE_TOO_LONG")
        record.answer = dict(params)
        self.callback_answers.append(dict(params))
        return True

    async def _get_file(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = str(params.get("file_id") or "")
        if not file_id:
            raise _bad("file_id not specified")
        stored = self._state.files.get(file_id)
        if stored is None:
            raise _bad("invalid file_id")
        if stored.file_size > MAX_DOWNLOAD_BYTES:
            raise _bad("file is too big")
        return stored.file_json()

    def _command_key(self, params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope")
        if scope is None or scope == "":
            scope_key = self._state.scope_key(None)
        else:
            if isinstance(scope, str):
                try:
                    scope = json.loads(scope)
                except ValueError as exc:
                    raise _bad("can't parse BotCommandScope JSON object") from exc
            if not isinstance(scope, dict):
                raise _bad("can't parse BotCommandScope: Object expected")
            scope_type = scope.get("type")
            if scope_type not in _SCOPE_TYPES:
                raise _bad("can't parse BotCommandScope: Unsupported type specified")
            normalised: dict[str, Any] = {"type": scope_type}
            if scope_type in ("chat", "chat_administrators", "chat_member"):
                if scope.get("chat_id") in (None, ""):
                    raise _bad("can't parse BotCommandScope: Empty chat_id specified")
                chat = self._known_chat(self._chat_ref(scope))
                normalised["chat_id"] = chat.id
                if scope_type == "chat_member":
                    user_id = self._int_arg(scope, "user_id", 0)
                    if user_id <= 0:
                        raise _bad("can't parse BotCommandScope: Invalid user_id specified")
                    normalised["user_id"] = user_id
            scope_key = self._state.scope_key(normalised)
        language = params.get("language_code") or ""
        if not isinstance(language, str) or (language and not re.fullmatch(r"[a-z]{2}", language)):
            raise _bad("invalid language code specified")
        return scope_key, language

    async def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if commands is None or commands == "":
            commands = []
        if isinstance(commands, str):
            try:
                commands = json.loads(commands)
            except ValueError as exc:
                raise _bad("can't parse commands JSON object") from exc
        if not isinstance(commands, list):
            raise _bad("expected an Array of BotCommand")
        if len(commands) > 100:
            raise _bad("BOT_COMMANDS_TOO_MUCH")
        cleaned: list[dict[str, Any]] = []
        for command in commands:
            if not isinstance(command, dict):
                raise _bad("can't parse BotCommand: expected an Object")
            name = command.get("command")
            description = command.get("description")
            if not isinstance(name, str) or not isinstance(description, str):
                raise _bad('can\'t parse BotCommand: Field "command" must be of type String')
            if not _COMMAND_RE.fullmatch(name):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(description.strip()) <= 256 or len(description) > 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": name, "description": description})
        key = self._command_key(params)
        if cleaned:
            self.my_commands[key] = cleaned
        else:
            self.my_commands.pop(key, None)
        return True

    async def _get_my_commands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return copy.deepcopy(self.my_commands.get(self._command_key(params), []))

    async def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        self.my_commands.pop(self._command_key(params), None)
        return True

    async def _get_chat_member(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._known_chat(self._chat_ref(params))
        user_id = self._int_arg(params, "user_id", 0)
        if user_id <= 0:
            raise _bad("invalid user_id specified")
        if user_id not in self._state.users:
            raise _bad("user not found")
        if chat.type == "private" and user_id not in (chat.id, self.bot_id):
            raise _bad("user not found")
        return self._state.chat_member_json(chat.id, user_id)

    async def _get_chat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._known_chat(self._chat_ref(params))
        return self._state.chat_full_json(chat.id)

    async def _send_chat_action(self, params: dict[str, Any]) -> bool:
        chat_id = self._chat_ref(params)
        action = params.get("action")
        if action not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        self._writable_chat(chat_id)
        return True

    async def _set_chat_menu_button(self, params: dict[str, Any]) -> bool:
        """Telegram's checks: the chat, if given, is a private chat the bot knows; the button is
        one of the three types; a ``web_app`` one has a text and an https URL."""
        chat_id = params.get("chat_id")
        if chat_id not in (None, ""):
            chat = self._known_chat(self._chat_ref(params))
            if chat.type != "private":
                raise _bad("chat is not private")
        key = f"menu_button:{chat_id or ''}"
        button = params.get("menu_button")
        if button is not None and not isinstance(button, dict):
            raise _bad("can't parse menu button: MenuButton must be an Object")
        _check_menu_button(button)
        self.bot_settings[key] = button or {"type": "default"}
        return True

    async def _get_chat_menu_button(self, params: dict[str, Any]) -> dict[str, Any]:
        key = f"menu_button:{params.get('chat_id') or ''}"
        value = self.bot_settings.get(key) or {"type": "commands"}
        return dict(value)

    def _set_text_setting(self, params: dict[str, Any], field: str, limit: int) -> bool:
        value = params.get(field) or ""
        if not isinstance(value, str) or len(value) > limit:
            raise _bad(f"{field} is too long")
        key = f"{field}:{params.get('language_code') or ''}"
        self.bot_settings[key] = value
        return True

    def _get_text_setting(self, params: dict[str, Any], field: str) -> dict[str, Any]:
        key = f"{field}:{params.get('language_code') or ''}"
        default = self.bot_first_name if field == "name" else ""
        return {field: self.bot_settings.get(key, default)}

    async def _set_my_description(self, params: dict[str, Any]) -> bool:
        return self._set_text_setting(params, "description", 512)

    async def _get_my_description(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._get_text_setting(params, "description")

    async def _set_my_short_description(self, params: dict[str, Any]) -> bool:
        return self._set_text_setting(params, "short_description", 120)

    async def _get_my_short_description(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._get_text_setting(params, "short_description")

    async def _set_my_name(self, params: dict[str, Any]) -> bool:
        return self._set_text_setting(params, "name", 64)

    async def _get_my_name(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._get_text_setting(params, "name")

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
