"""What the bot sent, as a user sees it: ``BotMessage`` snapshots and finding their buttons.

Every ``UserClient`` action, ``GroupChat.messages`` and ``BotApiEmulator.messages`` answer with
these, and the console prints them; they are plain snapshots of the emulator's stored messages
(later edits do not change one), so they sit apart from the clients that act.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from .records import StoredMessage
from .state import EmulatorState

__all__ = ["BotMessage", "ButtonNotFoundError"]


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
