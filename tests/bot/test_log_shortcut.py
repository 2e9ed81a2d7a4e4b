"""The one-line /log shortcut read without Telegram (bot.log_shortcut), and the ceiling rule it and
every other way of typing a value share (bot.activities.above_ceiling)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot.activities import Kind, Measure, above_ceiling, first_above_ceiling
from bot.log_shortcut import (
    AmountError,
    TwoNotes,
    UnclosedQuote,
    assign,
    find_kind,
    join_words,
    lead_kind,
    split_note,
)

TODAY = date(2026, 11, 16)


def measure(key: str, kind: str, ceiling: int | None = None) -> Measure:
    return Measure(key, kind, key, key, "", "", ceiling)


HOUSES = Kind(
    "nha_dai_doan_ket",
    "Nhà Đại đoàn kết",
    "Great Unity houses",
    False,
    (measure("built", "count", 50), measure("value", "money", 5_000_000_000)),
)
MEDIATION = Kind("hoa_giai", "Hòa giải", "Mediation", False, (measure("cases", "count", 100),))
HEALTH = Kind("hoat_dong_y_te", "Y tế", "Health", False, (measure("people", "count"),))


def test_the_note_is_the_quoted_part_straight_or_curly() -> None:
    assert split_note('nha 2 120tr "thôn 3"') == (["nha", "2", "120tr"], "thôn 3")
    assert split_note("nha 2 “ thôn 3 ” 120tr") == (["nha", "2", "120tr"], "thôn 3")
    assert split_note("hoa_giai 1") == (["hoa_giai", "1"], None)
    with pytest.raises(UnclosedQuote):
        split_note('hoa_giai 1 "thôn 3')


def test_a_quoted_number_or_sum_is_a_value_in_its_place() -> None:
    """Issue 16 §4: only the note goes between quotes; "120tr" quoted is still the money."""
    assert split_note('nha 1 "120tr"') == (["nha", "1", "120tr"], None)
    assert split_note('nha "1,5 tỷ" 2 "thôn 3"') == (["nha", "1,5 tỷ", "2"], "thôn 3")
    assert split_note('nha 1 "99999999999999tr"')[1] is None  # too large: said, not a note
    assert split_note('hoa_giai 1 "2 hộ"') == (["hoa_giai", "1"], "2 hộ")
    with pytest.raises(TwoNotes):
        split_note('hoa_giai 1 "thôn 3" "thôn 4"')


def test_money_for_a_count_is_refused_as_such() -> None:
    with pytest.raises(AmountError) as caught:
        assign(MEDIATION, ["20tr", "vụ"], TODAY)
    assert caught.value.error.code == "money_form"
    assert caught.value.measure is not None and caught.value.measure.key == "cases"
    assert assign(HOUSES, ["2", "120tr"], TODAY)[0]["value"] == Decimal(120_000_000)


def test_an_activity_is_found_by_its_code_or_an_unambiguous_start() -> None:
    kinds = [HOUSES, MEDIATION, HEALTH]
    assert find_kind(kinds, "hoa_giai") is MEDIATION
    assert find_kind(kinds, "HÒA-GIẢI") is MEDIATION  # folded, dashes for underscores
    assert find_kind(kinds, "nha") is HOUSES
    assert find_kind(kinds, "ho") is None  # hoa_giai or hoat_dong_y_te
    assert find_kind(kinds, "") is None


def test_an_activity_is_found_by_its_name_typed_as_words() -> None:
    """ "/log hòa giải 2": the name as a cadre says it, with or without diacritics, before the
    numbers; how many tokens it took comes back, so the numbers are what follows."""
    kinds = [HOUSES, MEDIATION, HEALTH]
    assert lead_kind(kinds, ["hòa", "giải", "2"]) == (MEDIATION, 2)
    assert lead_kind(kinds, ["Nhà", "Đại", "đoàn", "kết", "2", "120tr"]) == (HOUSES, 4)
    assert lead_kind(kinds, ["nha", "dai", "2"]) == (HOUSES, 2)  # the start of one name
    assert lead_kind(kinds, ["great", "unity", "houses", "1"]) == (HOUSES, 3)  # English
    assert lead_kind(kinds, ["hoa_giai", "2", "hôm", "qua"]) == (MEDIATION, 1)
    assert lead_kind(kinds, ["mediation", "1"]) == (MEDIATION, 1)  # a whole one-word name
    assert lead_kind(kinds, ["ho", "2"]) == (None, 0)  # hoa_giai or hoat_dong_y_te
    assert lead_kind(kinds, ["2"]) == (None, 0)
    assert lead_kind(kinds, []) == (None, 0)


def test_numbers_fill_the_measures_money_by_its_look() -> None:
    assert assign(HOUSES, ["2", "120tr"], TODAY) == (
        {"built": Decimal(2), "value": Decimal(120_000_000)},
        TODAY,
    )
    # Money-looking first, count after: each goes to its own kind of measure.
    assert assign(HOUSES, ["1,5", "tỷ", "3"], TODAY)[0] == {
        "built": Decimal(3),
        "value": Decimal(1_500_000_000),
    }
    # A plain number left over goes to money; a missing measure is 0.
    assert assign(HOUSES, ["2", "68000000"], TODAY)[0]["value"] == Decimal(68_000_000)
    assert assign(HOUSES, ["2"], TODAY)[0] == {"built": Decimal(2), "value": Decimal(0)}


def test_a_date_word_or_date_sets_the_day() -> None:
    assert assign(MEDIATION, ["1", "hôm", "qua"], TODAY)[1] == date(2026, 11, 15)
    assert assign(MEDIATION, ["1", "12/11"], TODAY)[1] == date(2026, 11, 12)
    assert join_words(["1", "hôm", "qua", "500", "triệu"]) == ["1", "hôm_qua", "500 triệu"]


@pytest.mark.parametrize(
    "tokens",
    [["2", "3"], ["1,5"], ["0"], ["abc"], ["1", "31/02"], []],
    ids=["left-over", "fraction", "all-zero", "not-a-number", "bad-date", "nothing"],
)
def test_what_cannot_be_read_is_refused(tokens: list[str]) -> None:
    with pytest.raises(ValueError):
        assign(MEDIATION, tokens, TODAY)


def test_the_ceiling_rule() -> None:
    cases = MEDIATION.measures[0]
    assert not above_ceiling(cases, Decimal(100))
    assert above_ceiling(cases, Decimal(101))
    assert not above_ceiling(HEALTH.measures[0], Decimal(10**9))  # no ceiling: never asks
    over = {"built": Decimal(2), "value": Decimal(6_000_000_000)}
    assert first_above_ceiling(HOUSES, over) is HOUSES.measures[1]
    assert first_above_ceiling(HOUSES, {"built": Decimal(2)}) is None
