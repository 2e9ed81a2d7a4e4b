"""Every number and date form cadres type is read right or refused with a reason code (bot.parsing)."""

from __future__ import annotations

import pickle
import unicodedata
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.amount_display import format_amount, money_words
from bot.date_parsing import parse_date, parse_deadline
from bot.date_window import FIRST_DAY
from bot.parsing import (
    ERROR_CODES,
    MAX_VALUE,
    Kind,
    ParseError,
    ascii_int,
    parse_amount,
)

FAST = settings(max_examples=150, deadline=None)
LOCALES = ("vi", "en")
KINDS: tuple[Kind, ...] = ("count", "money", "decimal")


def code_of(text: str, kind: Kind) -> str:
    with pytest.raises(ParseError) as caught:
        parse_amount(text, kind)
    assert caught.value.text == text
    return caught.value.code


# --------------------------------------------------------------------------------------------------
# parse_amount: accepted forms
# --------------------------------------------------------------------------------------------------

B68 = Decimal(68_000_000_000)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Plain digits and thousands separators.
        ("68000000000", B68),
        ("68.000.000.000", B68),
        ("68 000 000 000", B68),
        ("68\u00a0000\u00a0000\u00a0000", B68),
        ("68\u202f000\u202f000\u202f000", B68),
        ("68,000,000,000", B68),
        ("2.500", 2_500),
        ("12 345", 12_345),
        # Currency words and symbols.
        ("68.000.000.000 đ", B68),
        ("68.000.000.000đ", B68),
        ("68.000.000.000 ₫", B68),
        ("68.000.000.000\u00a0₫", B68),
        ("68.000.000.000 đồng", B68),
        ("68000000000 VND", B68),
        ("68000000000 vnd", B68),
        ("68000000000 VNĐ", B68),
        ("68000000000d", B68),
        ("68000000000 dong", B68),
        ("₫68,000,000,000", B68),
        ("68 tỷ đồng", B68),
        # Multipliers, with and without space, diacritics, case.
        ("68 tỷ", B68),
        ("68tỷ", B68),
        ("68 tỉ", B68),
        ("68 ty", B68),
        ("68 ti", B68),
        ("68 TỶ", B68),
        ("68Ty", B68),
        ("68 tỏi", B68),
        ("1,4 tỷ", 1_400_000_000),
        ("1.4 tỷ", 1_400_000_000),
        ("1.5 tỷ", 1_500_000_000),
        ("1.500 tỷ", 1_500_000_000_000),
        ("1,500 tỷ", 1_500_000_000),
        ("1,25 tỷ", 1_250_000_000),
        ("500tr", 500_000_000),
        ("500 triệu", 500_000_000),
        ("500 trieu", 500_000_000),
        ("500 TR", 500_000_000),
        ("120tr", 120_000_000),
        ("5m", 5_000_000),
        ("5 M", 5_000_000),
        ("5 củ", 5_000_000),
        ("2,5k", 2_500),
        ("2.5k", 2_500),
        ("2,5 nghìn", 2_500),
        ("2,5 nghin", 2_500),
        ("2,5 ngàn", 2_500),
        ("2,5 ngan", 2_500),
        ("1.4 billion đồng", 1_400_000_000),
        ("2.5 thousand", 2_500),
        ("1,234 billion", 1_234_000_000_000),
        ("1,234.57 billion đồng", 1_234_570_000_000),
        ("1.234,57 tỷ đồng", 1_234_570_000_000),
        # Compounds and colloquial tails.
        ("1 tỷ 200 triệu", 1_200_000_000),
        ("1tỷ200tr", 1_200_000_000),
        ("2 triệu 500 nghìn", 2_500_000),
        ("1 tỷ 200 triệu 300 nghìn", 1_200_300_000),
        ("1 tỷ 500k", 1_000_500_000),
        ("3tr5", 3_500_000),
        ("3 tr 5", 3_500_000),
        ("3tr05", 3_050_000),
        ("3tr500", 3_500_000),
        ("1 tỷ 2", 1_200_000_000),
        ("1 tỷ 25", 1_250_000_000),
        ("2k5", 2_500),
        ("2 triệu 500", 2_500_000),
        # Signs, spaces, invisible characters, Unicode forms.
        ("  68 tỷ  ", B68),
        ("+68 tỷ", B68),
        ("+ 5", 5),
        ("-0", 0),
        ("0", 0),
        ("007", 7),
        (unicodedata.normalize("NFD", "68 tỷ"), B68),
        (unicodedata.normalize("NFD", "500 TRIỆU ĐỒNG"), 500_000_000),
        ("６８ tỷ", B68),
        ("６８，５ tỷ", 68_500_000_000),
        ("\u200f68 tỷ\u200e", B68),
        ("68\u200b000", 68_000),
        ("\ufeff5đ", 5),
        ("68\t000", 68_000),
        ("1,0", 1),
        ("1,50 triệu", 1_500_000),
        ("1 000,0", 1_000),
    ],
)
def test_money_forms(text: str, expected: int | Decimal) -> None:
    value = parse_amount(text, "money")
    assert value == expected
    assert value.as_tuple().exponent == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2", 2),
        ("2 căn", 2),
        ("2 người", 2),
        ("15 hộ", 15),
        ("3 buổi", 3),
        ("1 cuộc", 1),
        ("4 vụ", 4),
        ("3 mô hình", 3),
        ("12 hộ gia đình", 12),
        ("1.045", 1_045),
        ("1.045 người", 1_045),
        ("1 045", 1_045),
        ("1,234,567", 1_234_567),
        ("2k", 2_000),
        ("2k người", 2_000),
        ("2 triệu người", 2_000_000),
        ("1,5 nghìn hộ", 1_500),
        ("200 m", 200),  # metres: "m" multiplies money only
        ("+7", 7),
        ("７", 7),
        ("2 m²", 2),
    ],
)
def test_count_forms(text: str, expected: int) -> None:
    value = parse_amount(text, "count")
    assert value == expected
    assert value.as_tuple().exponent == 0


@pytest.mark.parametrize(
    "text",
    ["20tr vụ", "20tr", "3tr5", "1 tỷ", "2 tỉ người", "5 đồng", "5đ", "₫5", "5 VND", "20 tr vụ"],
)
@pytest.mark.parametrize("kind", ["count", "decimal"])
def test_money_forms_are_not_counts(text: str, kind: Kind) -> None:
    """Issue 16 §4: a sum of money typed for a count is refused as such, not read as millions."""
    with pytest.raises(ParseError) as caught:
        parse_amount(text, kind)
    assert caught.value.code == "money_form"
    assert parse_amount(text.replace(" vụ", "").replace(" người", ""), "money") > 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,5", "1.5"),
        ("1.5", "1.5"),
        ("0,5", "0.5"),
        ("0.500", "0.5"),
        ("0,500", "0.5"),
        ("2,500", "2.5"),  # the lone a,bbb is a Vietnamese decimal
        ("12,125", "12.125"),
        ("1,250", "1.25"),
        ("1.000,5", "1000.5"),
        ("1,000.5", "1000.5"),
        ("1 000,5", "1000.5"),
        ("1.500", "1500"),  # a dot before three digits groups thousands (Vietnamese)
        ("1,2340", "1.234"),  # trailing zeros are not decimals
        ("3,75 ha", "3.75"),
        ("2,5 km", "2.5"),
        ("2,5k", "2500"),
        ("1,2345 k", "1234.5"),
        ("10", "10"),
        ("1,0", "1"),
        ("0", "0"),
    ],
)
def test_decimal_forms(text: str, expected: str) -> None:
    value = parse_amount(text, "decimal")
    assert value == Decimal(expected)
    assert str(value) == expected  # normalized: no trailing zeros, no exponent notation


# --------------------------------------------------------------------------------------------------
# parse_amount: refusals
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "code"),
    [
        ("", "money", "empty"),
        ("   ", "count", "empty"),
        ("\u00a0\t\n", "decimal", "empty"),
        ("\u200f", "count", "empty"),
        ("-5", "count", "negative"),
        ("−5", "count", "negative"),
        ("–5", "money", "negative"),
        ("âm 5", "count", "negative"),
        ("am 5", "count", "negative"),
        ("âm5", "count", "negative"),
        ("- 68 tỷ", "money", "negative"),
        ("-1,5", "money", "negative"),
        ("-99999999999999999999", "money", "negative"),
        ("-₫5", "money", "negative"),
        ("abc", "count", "not_a_number"),
        ("abc", "money", "not_a_number"),
        ("1 2 3", "count", "not_a_number"),
        ("1 2 3", "money", "not_a_number"),
        ("12a", "count", "not_a_number"),
        ("12a", "money", "not_a_number"),
        ("12a", "decimal", "not_a_number"),
        ("1..2", "count", "not_a_number"),
        ("1,2,3", "count", "not_a_number"),
        ("1.23.456", "count", "not_a_number"),
        ("1,2.3", "decimal", "not_a_number"),
        ("5.", "count", "not_a_number"),
        (".5", "decimal", "not_a_number"),
        ("1e5", "count", "not_a_number"),
        ("0x10", "count", "not_a_number"),
        ("-", "count", "not_a_number"),
        ("+", "count", "not_a_number"),
        ("-abc", "count", "not_a_number"),
        ("tỷ", "money", "not_a_number"),
        ("tỷ 5", "money", "not_a_number"),
        ("5 tỷ tỷ", "money", "not_a_number"),
        ("1 tỷ 1500 triệu", "money", "not_a_number"),
        ("2 nghìn 3 triệu", "money", "not_a_number"),
        ("1,5 tỷ 200 triệu", "money", "not_a_number"),
        ("1 tỷ 2345", "money", "not_a_number"),
        ("5 căn", "money", "not_a_number"),  # money takes currency words only
        ("5m", "count", "not_a_number"),
        ("đ5", "money", "not_a_number"),
        ("₫5", "count", "money_form"),  # a sum of money is not a count (issue 16)
        ("٣", "count", "not_a_number"),  # other scripts' digits are refused, not guessed
        ("5%", "decimal", "not_a_number"),
        ("1234 567", "count", "not_a_number"),
        ("1,4", "money", "fraction"),
        ("1,5", "money", "fraction"),
        ("1,5", "count", "fraction"),
        ("2.5", "count", "fraction"),
        ("2,500", "money", "fraction"),  # ambiguous 2,5 / 2 500: refused, never guessed
        ("2,500", "count", "fraction"),
        ("2,000", "count", "fraction"),
        ("2,500 đ", "money", "fraction"),
        ("1,0005 k", "money", "fraction"),
        ("0,5 đ", "money", "fraction"),
        ("1,2345", "decimal", "too_many_decimals"),
        ("0,0001", "decimal", "too_many_decimals"),
        ("1," + "1" * 40, "decimal", "too_many_decimals"),
        ("1," + "1" * 40, "money", "fraction"),
        ("20000 tỷ", "money", "too_large"),
        ("10000000000001", "count", "too_large"),
        ("999.999.999.999.999 đ", "money", "too_large"),
        ("9" * 400, "money", "too_large"),
        ("9" * 400, "decimal", "too_large"),
        ("9" * 100_000, "count", "too_large"),
        ("x" * 100_000, "count", "not_a_number"),
        ("10.000.000.000.001 đ", "money", "too_large"),
    ],
)
def test_refusals(text: str, kind: Kind, code: str) -> None:
    assert code_of(text, kind) == code


def test_max_value_is_inclusive() -> None:
    assert parse_amount("10.000.000.000.000", "money") == MAX_VALUE
    assert parse_amount("10000 tỷ", "money") == MAX_VALUE
    assert parse_amount("9999999999999,999", "decimal") == Decimal("9999999999999.999")


def test_parse_error_is_a_value_error_with_code_and_text() -> None:
    error = ParseError("fraction", "1,5")
    assert isinstance(error, ValueError)
    assert (error.code, error.text) == ("fraction", "1,5")
    again = pickle.loads(pickle.dumps(error))
    assert (again.code, again.text) == ("fraction", "1,5")
    with pytest.raises(ValueError, match="unknown ParseError code"):
        ParseError("nope", "x")
    assert {
        "empty",
        "negative",
        "not_a_number",
        "fraction",
        "too_many_decimals",
        "too_large",
        "money_form",
        "bad_date",
        "future_date",
        "past_date",
        "out_of_range",
    } == ERROR_CODES


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7", 7),
        (" 42 ", 42),
        ("007", 7),
        ("²", None),  # str.isdigit() says yes; int() raises
        ("1²", None),
        ("٣", None),  # int() reads it as 3
        ("１０", 10),  # full-width, folded as amounts are
        ("", None),
        ("-1", None),
        ("+1", None),
        ("1.0", None),
        ("9" * 19, None),  # past a 64-bit column
    ],
)
def test_ascii_int_takes_ascii_digits_only(text: str, expected: int | None) -> None:
    assert ascii_int(text) == expected


def test_unknown_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError) as caught:
        parse_amount("5", "percent")  # type: ignore[arg-type]
    assert not isinstance(caught.value, ParseError)


# --------------------------------------------------------------------------------------------------
# Display
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "vi", "en"),
    [
        (68_000_000_000, "68 tỷ đồng", "68 billion đồng"),
        (174_000_000_000, "174 tỷ đồng", "174 billion đồng"),
        (1_400_000_000, "1,4 tỷ đồng", "1.4 billion đồng"),
        (500_000_000, "500 triệu đồng", "500 million đồng"),
        (120_000_000, "120 triệu đồng", "120 million đồng"),
        (2_500, "2,5 nghìn đồng", "2.5 thousand đồng"),
        (1_000, "1 nghìn đồng", "1 thousand đồng"),
        (950, "950 đồng", "950 đồng"),
        (0, "0 đồng", "0 đồng"),
        (1_234_567_890_000, "1.234,57 tỷ đồng", "1,234.57 billion đồng"),
        (1_005_000, "1,01 triệu đồng", "1.01 million đồng"),  # display rounding is half-up
        (999_999_999, "1 tỷ đồng", "1 billion đồng"),  # rounding to 1 000 moves up a unit
        (999_999, "1 triệu đồng", "1 million đồng"),
        (994_999, "995 nghìn đồng", "995 thousand đồng"),
        (Decimal("0.004"), "0 đồng", "0 đồng"),
        (-1_500_000, "-1,5 triệu đồng", "-1.5 million đồng"),
        (Decimal(68_000_000_000), "68 tỷ đồng", "68 billion đồng"),
    ],
)
def test_money_words(amount: int | Decimal, vi: str, en: str) -> None:
    assert money_words(amount, "vi") == vi
    assert money_words(amount, "vi_VN") == vi
    assert money_words(amount, "en") == en


@pytest.mark.parametrize(
    ("value", "kind", "vi", "en"),
    [
        (Decimal(68_000_000_000), "money", "68.000.000.000\u00a0₫", "₫68,000,000,000"),
        (Decimal(0), "money", "0\u00a0₫", "₫0"),
        (Decimal(1_045), "count", "1.045", "1,045"),
        (Decimal(7), "count", "7", "7"),
        (Decimal("1.5"), "decimal", "1,5", "1.5"),
        (Decimal("1234.125"), "decimal", "1.234,125", "1,234.125"),
        (Decimal("2"), "decimal", "2", "2"),
    ],
)
def test_format_amount(value: Decimal, kind: Kind, vi: str, en: str) -> None:
    assert format_amount(value, kind, "vi") == vi
    assert format_amount(value, kind, "en") == en


# --------------------------------------------------------------------------------------------------
# parse_date
# --------------------------------------------------------------------------------------------------

TODAY = date(2026, 11, 16)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hôm nay", TODAY),
        ("Hôm nay", TODAY),
        ("hom nay", TODAY),
        ("nay", TODAY),
        ("today", TODAY),
        ("  TODAY ", TODAY),
        (unicodedata.normalize("NFD", "hôm nay"), TODAY),
        ("hôm qua", date(2026, 11, 15)),
        ("hom qua", date(2026, 11, 15)),
        ("qua", date(2026, 11, 15)),
        ("yesterday", date(2026, 11, 15)),
        ("hôm kia", date(2026, 11, 14)),
        ("hom kia", date(2026, 11, 14)),
        ("16/11", TODAY),
        ("1/11", date(2026, 11, 1)),
        ("01/11", date(2026, 11, 1)),
        ("17/11", date(2025, 11, 17)),  # still to come this year: last year's
        ("31/12", date(2025, 12, 31)),
        ("16/11/2026", TODAY),
        ("2/4/2021", date(2021, 4, 2)),
        ("2/4/21", date(2021, 4, 2)),
        ("16-11-2026", TODAY),
        ("16.11.2026", TODAY),
        ("16.11", TODAY),
        ("16 / 11 / 2026", TODAY),
        ("ngày 16/11", TODAY),
        ("2026-11-16", TODAY),
        ("2021-04-02", date(2021, 4, 2)),
        ("１６/１１", TODAY),
        ("29/02/2024", date(2024, 2, 29)),
        ("28/02/2026", date(2026, 2, 28)),
    ],
)
def test_dates(text: str, expected: date) -> None:
    assert parse_date(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("31/02", "bad_date"),
        ("31/04/2026", "bad_date"),
        ("29/02/2026", "bad_date"),
        ("29/02/2100", "bad_date"),  # divisible by 100, not by 400
        ("29/02", "bad_date"),  # 2026 is not a leap year; not silently moved to 2024
        ("32/1", "bad_date"),
        ("0/1", "bad_date"),
        ("1/13", "bad_date"),
        ("2026-02-30", "bad_date"),
        ("1/1/202", "bad_date"),
        ("16/11/2026/1", "bad_date"),
        ("abc", "bad_date"),
        ("ngày mai", "bad_date"),
        ("16", "bad_date"),
        ("x" * 1000, "bad_date"),
        ("", "empty"),
        ("   ", "empty"),
        ("17/11/2026", "future_date"),
        ("1/1/27", "future_date"),
        ("2027-01-01", "future_date"),
        # Before 2000: a typo, and year 1 broke the periods an entry counts in (issue 15 §5).
        ("01/01/0001", "out_of_range"),
        ("0001-01-01", "out_of_range"),
        ("15/06/0999", "out_of_range"),
        ("31/12/1999", "out_of_range"),
    ],
)
def test_date_refusals(text: str, code: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_date(text, TODAY)
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("today", "text", "expected"),
    [
        (date(2026, 1, 1), "hôm qua", date(2025, 12, 31)),
        (date(2026, 1, 1), "hôm kia", date(2025, 12, 30)),
        (date(2026, 1, 1), "31/12", date(2025, 12, 31)),
        (date(2026, 1, 1), "1/1", date(2026, 1, 1)),
        (date(2026, 1, 1), "2/1", date(2025, 1, 2)),
        (date(2025, 12, 31), "31/12", date(2025, 12, 31)),
        (date(2025, 12, 31), "1/1", date(2025, 1, 1)),
        (date(2024, 3, 1), "hôm qua", date(2024, 2, 29)),
        (date(2024, 3, 1), "29/02", date(2024, 2, 29)),
        (date(2025, 3, 1), "hôm qua", date(2025, 2, 28)),
        (date(2024, 2, 29), "29/2", date(2024, 2, 29)),
    ],
)
def test_dates_around_year_ends_and_leap_days(today: date, text: str, expected: date) -> None:
    assert parse_date(text, today) == expected


def test_leap_day_without_year_before_it_comes() -> None:
    # On 15/01/2024 this year's 29/02 is still to come and 2023 has none.
    with pytest.raises(ParseError) as caught:
        parse_date("29/02", date(2024, 1, 15))
    assert caught.value.code == "bad_date"


def test_dates_at_the_ends_of_the_calendar() -> None:
    with pytest.raises(ParseError) as caught:
        parse_date("hôm qua", date.min)
    assert caught.value.code == "bad_date"
    with pytest.raises(ParseError):
        parse_date("31/12", date.min)
    assert parse_date("31/12", date.max) == date.max


# --------------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------------

amounts = st.one_of(
    st.integers(min_value=0, max_value=int(MAX_VALUE)),
    st.integers(min_value=0, max_value=10**7),
    st.sampled_from([0, 999, 1_000, 999_999, 1_000_000, int(MAX_VALUE) - 1, int(MAX_VALUE)]),
)


@FAST
@given(n=amounts, locale=st.sampled_from(LOCALES))
def test_money_round_trips_through_display(n: int, locale: str) -> None:
    assert parse_amount(format_amount(Decimal(n), "money", locale), "money") == n


@FAST
@given(n=amounts)
def test_money_round_trips_through_plain_and_dotted_digits(n: int) -> None:
    assert parse_amount(str(n), "money") == n
    assert parse_amount(f"{n:,}".replace(",", "."), "money") == n
    assert parse_amount(f"{n:,}".replace(",", " "), "money") == n
    assert parse_amount(f"{n:,}".replace(",", "\u00a0") + " đ", "money") == n


@FAST
@given(
    n=st.integers(min_value=0, max_value=10**5 - 1).map(lambda k: k * 10**7),
    locale=st.sampled_from(LOCALES),
)
def test_money_words_round_trip_when_exact(n: int, locale: str) -> None:
    # Multiples of 10^7 below 10^12 need at most two decimals of tỷ / triệu: the words are exact.
    assert parse_amount(money_words(n, locale), "money") == n


@FAST
@given(n=st.integers(min_value=0, max_value=int(MAX_VALUE)), locale=st.sampled_from(LOCALES))
def test_counts_round_trip_through_display(n: int, locale: str) -> None:
    shown = format_amount(Decimal(n), "count", locale)
    if locale == "en" and 1_000 <= n < 1_000_000:
        # "1,045" is Vietnamese 1,045 or English 1 045: refused rather than guessed (documented).
        with pytest.raises(ParseError) as caught:
            parse_amount(shown, "count")
        assert caught.value.code == "fraction"
    else:
        assert parse_amount(shown, "count") == n


@FAST
@given(
    value=st.decimals(
        min_value=0, max_value=MAX_VALUE, places=3, allow_nan=False, allow_infinity=False
    )
)
def test_decimals_round_trip_in_vietnamese(value: Decimal) -> None:
    parsed = parse_amount(format_amount(value, "decimal", "vi"), "decimal")
    assert parsed == value
    exponent = parsed.as_tuple().exponent
    assert isinstance(exponent, int) and -3 <= exponent <= 0


PIECES = [
    *"0123456789",
    "00",
    "000",
    "999",
    "9" * 12,
    ".",
    ",",
    " ",
    "\u00a0",
    "\u202f",
    "+",
    "-",
    "−",
    "âm ",
    "k",
    "tr",
    "m",
    " tỷ",
    "tỉ",
    " triệu",
    "nghìn",
    "ngàn",
    "billion",
    "tỏi",
    "đ",
    " đồng",
    "₫",
    "VND",
    " căn",
    " mô hình",
    "６",
    "，",
    "\u200f",
    "\u0301",
    "e",
    "/",
]
amount_like = st.lists(st.sampled_from(PIECES), max_size=12).map("".join)


def check_amount_contract(text: str, kind: Kind) -> None:
    try:
        value = parse_amount(text, kind)
    except ParseError as error:
        assert error.code in ERROR_CODES and error.text == text
        return
    assert isinstance(value, Decimal)
    assert Decimal(0) <= value <= MAX_VALUE
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    if kind == "decimal":
        assert exponent >= -3
    else:
        assert exponent == 0


@settings(max_examples=300, deadline=None)
@given(text=st.text(), kind=st.sampled_from(KINDS))
def test_arbitrary_text_only_raises_parse_error(text: str, kind: Kind) -> None:
    check_amount_contract(text, kind)


@settings(max_examples=400, deadline=None)
@given(text=amount_like, kind=st.sampled_from(KINDS))
def test_amount_like_text_only_raises_parse_error(text: str, kind: Kind) -> None:
    check_amount_contract(text, kind)


date_like = st.one_of(
    st.text(),
    st.lists(
        st.sampled_from([*"0123456789", "/", "-", ".", " ", "hôm ", "nay", "qua", "kia", "２"]),
        max_size=12,
    ).map("".join),
)


@settings(max_examples=300, deadline=None)
@given(text=date_like, today=st.dates())
def test_parse_date_only_raises_parse_error_and_never_returns_the_future(
    text: str, today: date
) -> None:
    try:
        result = parse_date(text, today)
    except ParseError as error:
        assert error.code in {"empty", "bad_date", "future_date", "out_of_range"}
        return
    assert FIRST_DAY <= result <= today


@FAST
@given(days_ago=st.integers(min_value=0, max_value=3000))
def test_every_recent_day_round_trips_as_dd_mm_yyyy(days_ago: int) -> None:
    day = TODAY - timedelta(days=days_ago)
    assert parse_date(day.strftime("%d/%m/%Y"), TODAY) == day
    assert parse_date(day.isoformat(), TODAY) == day
    if days_ago < 365:
        assert parse_date(f"{day.day}/{day.month}", TODAY) == day


def test_the_one_folding_drops_every_tone_and_the_bar_of_d() -> None:
    """storage.text.fold is the only folding (units, activity codes, money and period words): every
    vowel with each of the five tones, the hat/horn/breve letters and đ/Đ fold to bare ASCII."""
    from storage.text import fold

    vowels = "aăâeêioôơuưy"
    bare = "aaaeeiooouuy"
    tones = ("\u0300", "\u0301", "\u0309", "\u0303", "\u0323")  # huyền sắc hỏi ngã nặng
    for letter, plain in zip(vowels, bare, strict=True):
        for tone in ("", *tones):
            composed = unicodedata.normalize("NFC", letter + tone)
            assert fold(composed) == plain, composed
            assert fold(composed.upper()) == plain, composed.upper()
            assert fold(unicodedata.normalize("NFD", composed)) == plain
    assert fold("đĐ") == "dd"
    assert fold("  Xã Yên Nguyên ") == "xa yen nguyen"
    assert fold("Quý III/2026 — ĐẦU NĂM") == "quy iii/2026 — dau nam"
    assert fold("TRIỆU") == fold("triệu") == fold(unicodedata.normalize("NFD", "triệu")) == "trieu"


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("18/12", date(2026, 12, 3), date(2026, 12, 18)),  # this year's, not 2027's
        ("05/01", date(2026, 12, 3), date(2027, 1, 5)),  # passed this year: next year's
        ("18/12/2027", date(2026, 12, 3), date(2027, 12, 18)),  # a year given is kept
        ("15/03", date(2028, 2, 29), date(2028, 3, 15)),  # today a 29 February: no crash
        ("29/02", date(2027, 3, 1), date(2028, 2, 29)),  # the next one that exists
        ("ngày 20 / 12", date(2026, 12, 3), date(2026, 12, 20)),
    ],
)
def test_deadlines_lie_ahead(text: str, today: date, expected: date) -> None:
    assert parse_deadline(text, today) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("03/12", "past_date"),
        ("02/12/2026", "past_date"),
        ("hôm qua", "past_date"),
        ("31/02", "bad_date"),
        ("abc", "bad_date"),
        ("29/02/2027", "bad_date"),
        ("31/02/2027", "bad_date"),
    ],
)
def test_a_deadline_not_after_today_or_not_a_day_is_refused(text: str, code: str) -> None:
    """A day gone by and a day that does not exist are told apart (issue 16 §5: “31/02/2027” is
    not a valid date, not "not a date in the future")."""
    with pytest.raises(ParseError) as caught:
        parse_deadline(text, date(2026, 12, 3))
    assert caught.value.code == code
