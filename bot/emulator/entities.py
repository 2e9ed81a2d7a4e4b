"""What every parse mode shares: the error Telegram answers with, the units it counts text in, and
the order it returns entities in.

The HTML and Markdown parsers (``parse_mode_html``, ``parse_mode_markdown``), entity detection
(``formatting``), the length checks and the update builder all need the same two units: entity
offsets, lengths and message limits are UTF-16 code units as the Bot API specifies, while TDLib's
``can't parse entities`` texts give positions in UTF-8 bytes. Keeping them here, apart from the
parsers, lets each parse mode live in its own module without importing the others.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "EntityParseError",
    "UnsupportedParseModeError",
    "sort_entities",
    "utf8_offset",
    "utf16_len",
    "utf16_prefix",
    "utf16_slice",
]


class EntityParseError(ValueError):
    """The text cannot be parsed in the requested parse mode.

    ``str(exc)`` is the part after ``Bad Request: can't parse entities: `` in Telegram's reply.
    """


class UnsupportedParseModeError(ValueError):
    """``parse_mode`` is not one of HTML, Markdown, MarkdownV2."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: the unit of every offset and length in the Bot API."""
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


def utf16_slice(text: str, offset: int, length: int) -> str:
    """The substring an entity covers (entity offsets are UTF-16 code units, not characters)."""
    data = text.encode("utf-16-le")
    return data[offset * 2 : (offset + length) * 2].decode("utf-16-le", errors="replace")


def utf8_offset(text: str, index: int) -> int:
    """UTF-8 byte offset of ``text[index]``; TDLib reports error positions in bytes."""
    return len(text[:index].encode("utf-8"))


def utf16_prefix(text: str) -> list[int]:
    """``result[i]`` = UTF-16 offset of ``text[i]`` (``result[len(text)]`` = total length)."""
    offsets = [0] * (len(text) + 1)
    acc = 0
    for i, ch in enumerate(text):
        offsets[i] = acc
        acc += 2 if ord(ch) > 0xFFFF else 1
    offsets[len(text)] = acc
    return offsets


def sort_entities(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Order entities like the server: by offset, outer (longer) entities first."""
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))
