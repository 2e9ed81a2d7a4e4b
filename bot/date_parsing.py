"""Reading the days cadres type: an activity's date (``hôm qua``, ``16/11``, ``16/11/2026``),
never in the future, and a round's deadline, always ahead. Errors are ``bot.parsing.ParseError``
codes, which the bot translates; this module writes no prose."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Final

from bot.date_window import FIRST_DAY
from bot.parsing import ParseError, clean_input
from storage.text import fold

#: Relative days, on diacritic-free text: how many days before today.
_DAYS_AGO: Final[dict[str, int]] = {
    "hom nay": 0,
    "nay": 0,
    "today": 0,
    "hom qua": 1,
    "qua": 1,
    "yesterday": 1,
    "hom kia": 2,
}
_DAY_FIRST: Final = re.compile(r"([0-9]{1,2})[/.-]([0-9]{1,2})(?:[/.-]([0-9]{4}|[0-9]{2}))?")
_YEAR_FIRST: Final = re.compile(r"([0-9]{4})[/.-]([0-9]{1,2})[/.-]([0-9]{1,2})")
_AROUND_MARK: Final = re.compile(r" ?([/.-]) ?")


def parse_date(text: str, today: date) -> date:
    """The day ``text`` names, relative to the user's ``today``; never a day after it.

    Activities are reported after they happen, so a future date is a typo (``"future_date"``).
    Without a year the date is this year's, or last year's when this year's is still to come
    (typing ``28/12`` on 2 January means the December just gone). A day-month that does not exist
    this year (``29/02`` in a non-leap year) is ``"bad_date"`` rather than silently moved to
    another year. Two-digit years are 20yy. A day before ``bot.date_window.FIRST_DAY`` is
    ``"out_of_range"``: year 1 or 999 is a typo, and the calendar arithmetic of the periods an
    entry counts in would step outside ``date``'s range near year 1.
    """
    cleaned = _cleaned_date(text)
    year_first = _YEAR_FIRST.fullmatch(cleaned)
    day_first = _DAY_FIRST.fullmatch(cleaned)
    try:
        if cleaned in _DAYS_AGO:
            result = today - timedelta(days=_DAYS_AGO[cleaned])
        elif year_first is not None:
            year, month, day = (int(g) for g in year_first.groups())
            result = date(year, month, day)
        elif day_first is not None:
            day, month = int(day_first.group(1)), int(day_first.group(2))
            year_text = day_first.group(3)
            if year_text is None:
                result = date(today.year, month, day)
                if result > today:
                    result = date(today.year - 1, month, day)
            else:
                year = int(year_text) + (2000 if len(year_text) == 2 else 0)
                result = date(year, month, day)
        else:
            raise ParseError("bad_date", text)
    except ParseError:
        raise
    except (ValueError, OverflowError):
        # Impossible day or month (31/02), or a step past the calendar's ends (date.min - 1).
        raise ParseError("bad_date", text) from None
    if result > today:
        raise ParseError("future_date", text)
    if result < FIRST_DAY:
        raise ParseError("out_of_range", text)
    return result


def _cleaned_date(text: str) -> str:
    """A typed date folded and tidied ("ngày 20 / 12" → "20/12"), or ParseError."""
    if not isinstance(text, str) or len(text) > 64:
        raise ParseError("bad_date", str(text)[:64])
    cleaned = fold(clean_input(text))
    if not cleaned:
        raise ParseError("empty", text)
    if cleaned.startswith("ngay "):
        cleaned = cleaned[5:]
    return _AROUND_MARK.sub(r"\1", cleaned)


def parse_deadline(text: str, today: date) -> date:
    """A day after ``today``, as a deadline is typed: ``20/12/2027`` as written; ``20/12`` the next
    20 December (this year's, or next year's once it has passed), never one two years on; a day
    that is not after today is ``"past_date"``; one that is no day at all (``31/02/2027``) or
    cannot be read is ``"bad_date"``. Within ``bot.date_window`` like any date."""
    cleaned = _cleaned_date(text)
    if cleaned in _DAYS_AGO:  # "hôm nay", "hôm qua": not after today
        raise ParseError("past_date", text)
    day_first = _DAY_FIRST.fullmatch(cleaned)
    if day_first is not None and day_first.group(3) is None:
        day, month = int(day_first.group(1)), int(day_first.group(2))
        code = "bad_date"
        for year in (today.year, today.year + 1):
            try:
                candidate = date(year, month, day)
            except ValueError:  # 31/02, or 29/02 of a year that has none
                continue
            if candidate > today:
                return candidate
            code = "past_date"
            if candidate == today:  # today's date typed: not a deadline ahead, nor next year's
                break
        raise ParseError(code, text)
    # With a year: read as written. The reference is far enough ahead that no typed deadline is
    # "in the future" to parse_date; days, not replace(year=), since 29 February has no twin.
    result = parse_date(text, today + timedelta(days=_DEADLINE_REACH_DAYS))
    if result <= today:
        raise ParseError("past_date", text)
    return result


#: How far ahead a deadline with a year may be typed (the date window allows five years).
_DEADLINE_REACH_DAYS: Final = 6 * 366
