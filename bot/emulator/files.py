"""Files on the emulated server: what the bot uploaded (``UploadedFile``), what the server stores
under a ``file_id`` (``StoredFile`` with its ``Document``/``PhotoSize``/``Sticker`` JSON), and the
image sizes a ``PhotoSize`` needs (``image_size`` reads PNG, GIF and JPEG headers).

Kept apart from the chat/message state because files have their own shapes and checks
(sendPhoto's size and ratio limits read ``image_size``); ``EmulatorState.add_file`` mints the ids.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

__all__ = ["StoredFile", "UploadedFile", "image_size"]


@dataclass
class UploadedFile:
    """A multipart file part as the bot uploaded it (appears in ``emulator.calls`` params)."""

    field: str
    file_name: str | None
    mime_type: str | None
    data: bytes

    def __repr__(self) -> str:
        return f"UploadedFile({self.field!r}, {self.file_name!r}, {len(self.data)} bytes)"


@dataclass
class StoredFile:
    """A file known to the server, addressable by ``file_id`` and downloadable by ``file_path``."""

    file_id: str
    file_unique_id: str
    kind: str  # "document", "photo", "sticker"
    data: bytes
    file_name: str | None
    mime_type: str | None
    file_path: str
    width: int = 0
    height: int = 0

    @property
    def file_size(self) -> int:
        """Size in bytes, reported in every file JSON."""
        return len(self.data)

    def file_json(self) -> dict[str, Any]:
        """``File`` as returned by getFile (``file_path`` relative, PTB prefixes the file URL)."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
            "file_path": self.file_path,
        }

    def document_json(self) -> dict[str, Any]:
        """``Document`` object."""
        data: dict[str, Any] = {"file_id": self.file_id, "file_unique_id": self.file_unique_id}
        if self.file_name:
            data["file_name"] = self.file_name
        if self.mime_type:
            data["mime_type"] = self.mime_type
        data["file_size"] = self.file_size
        return data

    def photo_json(self) -> list[dict[str, Any]]:
        """``PhotoSize[]`` (a single size: enough for ``message.photo[-1]``)."""
        return [
            {
                "file_id": self.file_id,
                "file_unique_id": self.file_unique_id,
                "file_size": self.file_size,
                "width": self.width,
                "height": self.height,
            }
        ]

    def sticker_json(self) -> dict[str, Any]:
        """``Sticker`` object (a static regular sticker)."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "type": "regular",
            "width": self.width,
            "height": self.height,
            "is_animated": False,
            "is_video": False,
            "emoji": "👍",
            "file_size": self.file_size,
        }


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width/height of a PNG, GIF or JPEG (PhotoSize needs them); ``None`` if unknown."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return int(width), int(height)
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                i += 2
                continue
            (seg_len,) = struct.unpack(">H", data[i + 2 : i + 4])
            i += 2 + int(seg_len)
    return None
