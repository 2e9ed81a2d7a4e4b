"""Names as Vietnamese people write them, whichever way they filled in Telegram's two fields."""

from __future__ import annotations

import pytest

from bot.names import full_name, given_name


@pytest.mark.parametrize(
    ("first", "last", "language", "name", "given"),
    [
        ("Nam", "Lê Văn", "vi", "Lê Văn Nam", "Nam"),  # Telegram's fields, Western order
        ("Lê Văn", "Nam", "vi", "Lê Văn Nam", "Nam"),  # family and middle name first
        ("Lê Văn Nam", None, "vi", "Lê Văn Nam", "Nam"),  # the whole name in one field
        ("Lan", "Nguyễn Thị", None, "Nguyễn Thị Lan", "Lan"),
        (
            "Mai",
            "Hoàng Thị",
            "vi",
            "Hoàng Thị Mai",
            "Mai",
        ),  # a given name that is also a family name
        ("Hoàng Thị", "Mai", "vi", "Hoàng Thị Mai", "Mai"),
        ("Nam", "Le Van", "vi", "Le Van Nam", "Nam"),  # typed without diacritics
        ("Anna", "Nguyen", "en", "Anna Nguyen", "Anna"),  # an English speaker keeps her order
        ("Anna", "Smith", "vi", "Anna Smith", "Anna"),
        ("Sơn", None, "vi", "Sơn", "Sơn"),
        ("", None, "vi", "", ""),
    ],
)
def test_telegram_fields_in_vietnamese_order(
    first: str, last: str | None, language: str, name: str, given: str
) -> None:
    assert full_name(first, last, None, language) == name
    assert given_name(first, last, None, language) == given


def test_a_name_set_by_the_person_wins() -> None:
    assert full_name("Nam", "Lê Văn", "Lê Văn Nam (Tổ 3)", "vi") == "Lê Văn Nam (Tổ 3)"
    assert full_name("Nam Lê", None, "  Lê Hoài Nam ", "vi") == "Lê Hoài Nam"
    assert given_name("x", None, "Lê Hoài Nam", "vi") == "Nam"
    assert given_name("x", None, "Anna Nguyen", "en") == "Anna"
