"""The days any date in this bot may name: from 01/01/2000 to the end of the year five years ahead.

Every date a person or an operator types is checked against this window where it is read (an
activity's day, a deadline, a meeting, a reporting period), so nothing outside it is stored or
computed with. Outside it, dates are typos ("01/01/0001", "2062" for "2026"), and they broke
what relies on neighbouring days existing: an entry dated in year 1 crashed its save (the
Decree 09 quarter it counts in starts in year 0) and kept crashing from its draft; years 2–999
were stored; year 9999 under calendar periods crashed /totals and /export (the year after).
"""

from __future__ import annotations

from datetime import date
from typing import Final

#: The earliest day: the Front's grassroots records kept in this bot start well after it.
FIRST_DAY: Final = date(2000, 1, 1)
#: How many years after the current one a deadline, a meeting or a period may lie.
YEARS_AHEAD: Final = 5


def last_day(today: date) -> date:
    """The latest day a date may name, seen from ``today``."""
    return date(today.year + YEARS_AHEAD, 12, 31)


def within(day: date, today: date) -> bool:
    return FIRST_DAY <= day <= last_day(today)


def year_within(year: int, today: date) -> bool:
    return FIRST_DAY.year <= year <= today.year + YEARS_AHEAD
