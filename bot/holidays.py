"""Vietnam's public holidays (Labour Code 2019, art. 112), for choosing days nobody meets on.

Solar holidays: 1/1, 30/4, 1/5, 2/9 with the day before and after it (the law gives one of them;
both are avoided). Lunar ones: Tết (the last day of the old year and the first four of the new)
and the Hùng Kings' commemoration (10/3 lunar). Lunar dates come from a table; a year outside it
has only its solar holidays, so extend the table rather than guess.
"""

from __future__ import annotations

from datetime import date, timedelta

#: The first day of the lunar year (mùng 1 Tết) and 10/3 lunar (Giỗ Tổ Hùng Vương), by year.
_LUNAR = {
    2024: (date(2024, 2, 10), date(2024, 4, 18)),
    2025: (date(2025, 1, 29), date(2025, 4, 7)),
    2026: (date(2026, 2, 17), date(2026, 4, 26)),
    2027: (date(2027, 2, 6), date(2027, 4, 16)),
    2028: (date(2028, 1, 26), date(2028, 4, 4)),
    2029: (date(2029, 2, 13), date(2029, 4, 23)),
    2030: (date(2030, 2, 3), date(2030, 4, 12)),
}
_SOLAR = ((1, 1), (4, 30), (5, 1), (9, 1), (9, 2), (9, 3))


def is_public_holiday(day: date) -> bool:
    if (day.month, day.day) in _SOLAR:
        return True
    lunar = _LUNAR.get(day.year)
    if lunar is None:
        return False
    tet, hung_kings = lunar
    return tet - timedelta(days=1) <= day <= tet + timedelta(days=3) or day == hung_kings


def is_working_day(day: date) -> bool:
    """Monday to Friday and not a public holiday."""
    return day.weekday() < 5 and not is_public_holiday(day)


def next_working_day(day: date) -> date:
    """``day`` itself when people work on it, else the first working day after it."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day
