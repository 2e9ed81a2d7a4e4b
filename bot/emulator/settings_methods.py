"""``BotApiEmulator``'s bot and chat settings methods: commands per scope and language, chat
member/chat lookups, chat actions, the menu button, and the bot's name and descriptions."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from .api import _CHAT_ACTIONS, _COMMAND_RE, _SCOPE_TYPES, _bad, _check_menu_button
from .checks import _EmulatorChecks


class _SettingsMethods(_EmulatorChecks):
    """Commands, chat lookups, chat actions, menu button, name and descriptions."""

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
