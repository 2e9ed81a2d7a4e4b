"""The core of ``BotApiEmulator``: its shared state, lifecycle, the HTTP layer (routing, parameter
decoding, faults and holds) and the long-poll wake-up plumbing. The Bot API methods live in mixins
(``messages``, ``updates``, ``settings_methods``) on top of ``checks``; ``server`` assembles them."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from .api import (
    _JSON_PARAMS,
    _STRING_PARAMS,
    MAX_UPLOAD_BYTES,
    ApiError,
    Handler,
    _bad,
    _Bucket,
    _dumps,
    _Fault,
)
from .chats import GroupChat
from .client import UserClient
from .files import UploadedFile
from .records import UserInfo
from .state import EmulatorState
from .webhook import WebhookDeliverer

_log = logging.getLogger(__name__)


class _EmulatorCore(ABC):
    """State and HTTP plumbing shared by every part of ``BotApiEmulator``."""

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
        self._methods: dict[str, Handler] = self._method_table()

    @abstractmethod
    def _method_table(self) -> dict[str, Handler]:
        """The served Bot API methods by lower-case name (``BotApiEmulator`` fills it in)."""

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
