"""The name and phone a person sets themselves (/me → change): checked here, stored on ``people``.

Telegram's first/last name fields are unreliable for Vietnamese names (bot/names.py), so a person
may write their full name once, as on their papers, and it then wins everywhere. A phone number
lets a leader call a cadre who does not answer in the chat; it is stored as 0xxxxxxxxx and
erased with the person by /forgetme.
"""

from __future__ import annotations

import re

from sqlalchemy.ext.asyncio import AsyncSession

from storage.queries import people as people_q
from storage.text import nfc

NAME_MIN, NAME_MAX = 2, 100
#: Letters of any script, spaces and the marks names carry ("Nguyễn Thị Minh-Khai", "O'Neil").
_NAME = re.compile(r"[^\W\d_]+(?:[ .'\-]+[^\W\d_]+)*\.?")
#: What people put between digits: spaces, dots, dashes, brackets.
_PHONE_SEPARATORS = re.compile(r"[ .\-()]")
#: ASCII digits only: a superscript or another script's digit is not a phone number.
_PHONE = re.compile(r"0[0-9]{9,10}")


class ProfileError(ValueError):
    """``code``: ``name_length``, ``name_chars`` or ``phone``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def parse_full_name(text: str) -> str:
    """The name as typed, tidied (NFC, single spaces), or ProfileError."""
    name = " ".join(nfc(text).split())
    if not NAME_MIN <= len(name) <= NAME_MAX:
        raise ProfileError("name_length")
    if not _NAME.fullmatch(name):
        raise ProfileError("name_chars")
    return name


def parse_phone(text: str) -> str:
    """A Vietnamese number as 0xxxxxxxxx (10 digits, 11 for a landline), from the ways people
    write it: "0912 345 678", "0912.345.678", "+84 912 345 678", "84912345678"."""
    digits = _PHONE_SEPARATORS.sub("", nfc(text).strip())
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    if not _PHONE.fullmatch(digits):
        raise ProfileError("phone")
    return digits


def format_phone(phone: str) -> str:
    """0912 345 678; a landline 024 3825 1234."""
    if len(phone) == 10:
        return f"{phone[:4]} {phone[4:7]} {phone[7:]}"
    return f"{phone[:3]} {phone[3:7]} {phone[7:]}"


async def save_profile(
    session: AsyncSession, person_id: int, *, full_name: str | None, phone: str | None
) -> None:
    """Both fields as they are to be (None clears one)."""
    await people_q.set_profile(session, person_id, full_name=full_name, phone=phone)
