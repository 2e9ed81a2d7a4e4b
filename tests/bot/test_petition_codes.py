"""Petition codes as cadres type them back (issue 17): one code per item, any spacing or case."""

from datetime import date

from bot.petitions import code_for, due_date, parse_code


def test_a_code_is_the_year_and_a_four_digit_number() -> None:
    assert code_for(2026, 42) == "KN-2026-0042"
    assert code_for(2026, 12345) == "KN-2026-12345"


def test_typed_codes_are_read_loosely() -> None:
    for typed in ("KN-2026-0042", "kn-2026-42", "KN 2026 0042", " kn2026-042 "):
        assert parse_code(typed) == (2026, 42), typed
    for typed in ("KN-26-42", "2026-0042", "KN-2026-", "KN-2026-42x", ""):
        assert parse_code(typed) is None, typed


def test_due_dates_come_from_configuration_with_a_default() -> None:
    assert due_date("dat_dai", date(2026, 12, 3), {}) == date(2027, 1, 2)
    assert due_date("dat_dai", date(2026, 12, 3), {"dat_dai": 45}) == date(2027, 1, 17)
