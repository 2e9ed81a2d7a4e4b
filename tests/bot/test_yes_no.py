"""A yes or a no typed instead of pressed."""

from __future__ import annotations

import pytest

from bot.yes_no import parse_yes_no


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("có", True),
        ("Có.", True),
        ("co", True),
        ("C", True),
        ("yes", True),
        ("rồi", True),
        ("không", False),
        ("KHÔNG!", False),
        ("khong", False),
        ("k", False),
        ("ko", False),
        ("no", False),
        ("chưa", False),
        ("không có", False),
        ("", None),
        ("có lẽ", None),
        ("2", None),
        ("cũng được", None),
    ],
)
def test_typed_yes_and_no(text: str, expected: bool | None) -> None:
    assert parse_yes_no(text) is expected
