"""Text folding for search: NFC, no diacritics, lower case ("Hoá" = "Hóa" = "hoa")."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFC", text))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return stripped.replace("đ", "d").replace("Đ", "D").casefold().strip()


def nfc(text: str) -> str:
    """User text as stored: NFC, and without NUL characters, which PostgreSQL text columns refuse
    ("invalid byte sequence for encoding UTF8: 0x00") while SQLite keeps them."""
    return unicodedata.normalize("NFC", text).replace("\x00", "")
