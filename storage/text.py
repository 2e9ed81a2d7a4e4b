"""Text folding for search: NFC, no diacritics, lower case ("Hoá" = "Hóa" = "hoa")."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """The one folding of the code base (unit search, activity codes, money and period words):
    cadres often type without diacritics (Telex off, or to save time) and some keyboards send
    decomposed letters, so words are compared on their bare, lower-case letters."""
    if text.isascii():
        return text.casefold().strip()  # nothing to decompose: the common case, kept cheap
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFC", text))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return stripped.replace("đ", "d").replace("Đ", "D").casefold().strip()


def nfc(text: str) -> str:
    """User text as stored: NFC, and without NUL characters, which PostgreSQL text columns refuse
    ("invalid byte sequence for encoding UTF8: 0x00") while SQLite keeps them."""
    return unicodedata.normalize("NFC", text).replace("\x00", "")
