"""``BotApiEmulator``'s message methods: send/edit/delete messages, documents and photos (with
Telegram's file and photo checks), answerCallbackQuery and getFile."""

from __future__ import annotations

import copy
import mimetypes
from typing import Any

from .api import (
    _NOT_MODIFIED,
    CALLBACK_ANSWER_TIMEOUT,
    DELETE_WINDOW,
    MAX_DOWNLOAD_BYTES,
    MAX_PHOTO_BYTES,
    MAX_PHOTO_RATIO,
    MAX_PHOTO_SIDES,
    _bad,
    _check_web_app,
    _set_or_pop,
)
from .checks import _EmulatorChecks
from .files import StoredFile, UploadedFile, image_size


class _MessageMethods(_EmulatorChecks):
    """The Bot API methods that create, change or read messages and files."""

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
