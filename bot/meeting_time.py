"""Meeting times and durations typed the way cadres say them (PRODUCT §5): ``20/12 8h30``,
``mai 8h`` (tomorrow), ``thứ 2 14h`` (Monday), ``2h chiều``, ``1h30``, ``nửa ngày``.

Why a module of its own: it is pure (text, a clock reading and a zone in; an aware datetime or a
:class:`TimeParseError` with a code out), so it is tested and fuzzed without a database, and the
/meeting wizard and the reschedule prompt share one reading of what a cadre typed. The result is
in the deployment's zone; the domain stores it as aware UTC. Durations outside
``MIN_DURATION`` .. ``MAX_DURATION`` are refused here, and :func:`bot.meetings.create_meeting`
holds the same bounds.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from storage.text import fold

MIN_DURATION: Final = 15
MAX_DURATION: Final = 24 * 60
#: A meeting further ahead than this is almost surely a typo (20/12/2062).
MAX_AHEAD: Final = timedelta(days=2 * 366)


class TimeParseError(ValueError):
    """Why some text is not a usable meeting time. Codes: ``empty``, ``bad_time`` (unreadable),
    ``no_time`` (a day without an hour), ``bad_date`` (31/02), ``bad_hour`` (25h),
    ``weekday_mismatch`` (``thứ 2 20/12`` when 20/12 is a Sunday; ``day`` holds the date),
    ``past`` (``day``, when set, is the next such day to come: the suggestion for a day typed
    without a year that has just gone) and ``too_far``."""

    def __init__(
        self, code: str, text: str, day: date | None = None, clock: time | None = None
    ) -> None:
        super().__init__(code, text)
        self.code = code
        self.text = text
        self.day = day
        self.clock = clock


def _fold(text: str) -> str:
    """Lower case, no diacritics (``đ`` -> ``d``, storage.text.fold), ASCII digits, single
    spaces, and no control or invisible characters."""
    # NFKC folds the full-width forms of "wide" phone keyboards (１４ｈ) to ASCII.
    text = unicodedata.normalize("NFKC", text)
    kept = "".join(
        " " if ch.isspace() else ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf")
    )
    return " ".join(fold(kept).split())


_TOKEN: Final = re.compile(
    r"(?P<date>\d{1,2}[/.\-]\d{1,2}(?:[/.\-](?:\d{4}|\d{2}))?)(?![\d:])"
    r"|(?P<time>\d{1,2} ?(?:gio|g|h|:) ?(?:\d{2}(?![\d/.\-]))? ?(?:phut|ph|p(?![a-z]))?)"
    r"|(?P<tday>t[2-7])(?![a-z\d])"
    r"|(?P<word>[a-z]+)"
    r"|(?P<num>\d+)"
    r"|(?P<sep>[,;\-–]| )",
    re.ASCII,  # digits of other scripts ("٨h") are not read as hours: ASCII only, like amounts
)
_TIME_PARTS: Final = re.compile(r"(\d{1,2}) ?(?:gio|g|h|:) ?(\d{2})?", re.ASCII)

#: Words that only decorate a time ("lúc 8h", "vào ngày 20/12", "at 2pm on Monday").
_FILLERS: Final = frozenset({"luc", "vao", "ngay", "at", "on", "the", "bat", "dau", "hop", "o"})
_PERIODS: Final = frozenset({"am", "pm", "sang", "trua", "chieu", "toi", "dem"})
_RELATIVE: Final[dict[str, int]] = {"nay": 0, "today": 0, "mai": 1, "tomorrow": 1, "kia": 2}
_VI_WEEKDAYS: Final[dict[str, int]] = {
    "hai": 0,
    "ba": 1,
    "tu": 2,
    "nam": 3,
    "sau": 4,
    "bay": 5,
    "2": 0,
    "3": 1,
    "4": 2,
    "5": 3,
    "6": 4,
    "7": 5,
}
_EN_WEEKDAYS: Final[dict[str, int]] = {
    name: index
    for index, names in enumerate(
        [
            ("monday", "mon"),
            ("tuesday", "tue", "tues"),
            ("wednesday", "wed"),
            ("thursday", "thu", "thurs"),
            ("friday", "fri"),
            ("saturday", "sat"),
            ("sunday", "sun"),
        ]
    )
    for name in names
}


@dataclass
class _Parsed:
    day: date | None = None
    relative: int | None = None
    weekday: int | None = None
    week: int | None = None  # 0 = this week, 1 = next week
    hour: int | None = None
    minute: int = 0
    period: str | None = None
    no_year: bool = False


def parse_meeting_time(text: str, now: datetime, tz: ZoneInfo) -> datetime:
    """The start ``text`` names, in ``tz``, strictly after ``now``; or a :class:`TimeParseError`.

    Accepted: ``20/12 8h30``, ``20/12/2026 14:00``, ``8h30 20/12``, ``mai 8h`` (tomorrow),
    ``ngày kia 9h``, ``thứ 2 14h`` / ``thứ hai 14h`` / ``T2 14h`` / ``chủ nhật 8h`` (the next
    such day whose hour is still ahead; ``tuần sau`` = next week's), ``8h30`` alone (today),
    ``2h chiều`` / ``2pm`` (14:00), ``8 giờ 30``. A date without a year is the nearest such day:
    one just gone is ``past`` (with next year's as ``day``), never silently next year's.
    """
    if not isinstance(text, str) or len(text) > 100:
        raise TimeParseError("bad_time", str(text)[:100])
    cleaned = _fold(text)
    if not cleaned:
        raise TimeParseError("empty", text)
    parsed = _tokens(cleaned, text)
    today = now.astimezone(tz).date()
    if parsed.hour is None:
        if parsed.day or parsed.relative is not None or parsed.weekday is not None:
            raise TimeParseError("no_time", text)
        raise TimeParseError("bad_time", text)
    hour = _apply_period(parsed.hour, parsed.period, text)
    if not 0 <= hour <= 23 or not 0 <= parsed.minute <= 59:
        raise TimeParseError("bad_hour", text)
    clock = time(hour, parsed.minute)
    day = _resolve_day(parsed, today, clock, now, tz, text)
    result = datetime.combine(day, clock, tzinfo=tz)
    if result <= now:
        raise TimeParseError("past", text)
    if result - now > MAX_AHEAD:
        raise TimeParseError("too_far", text)
    return result


def _tokens(cleaned: str, text: str) -> _Parsed:
    parsed = _Parsed()
    items: list[tuple[str, str]] = []
    pos = 0
    while pos < len(cleaned):
        match = _TOKEN.match(cleaned, pos)
        if match is None:
            raise TimeParseError("bad_time", text)
        pos = match.end()
        kind = match.lastgroup or ""
        if kind != "sep":
            items.append((kind, match.group().strip()))
    index = 0
    while index < len(items):
        kind, value = items[index]
        following = items[index + 1] if index + 1 < len(items) else ("", "")
        step = 1
        if kind == "date":
            _set_day(parsed, _day_of(value), text)
        elif kind == "time":
            _set_time(parsed, value, text)
        elif kind == "tday":
            _set_weekday(parsed, int(value[1]) - 2, text)
        elif kind == "num" and following[1] in _PERIODS:
            _set_time(parsed, value + "h", text)  # 2pm, 7 tối
        elif kind == "num":
            raise TimeParseError("bad_time", text)
        elif value == "thu" and following[1] in _VI_WEEKDAYS:
            _set_weekday(parsed, _VI_WEEKDAYS[following[1]], text)
            step = 2
        elif (value == "chu" and following[1] == "nhat") or value == "cn":
            _set_weekday(parsed, 6, text)
            step = 2 if value == "chu" else 1
        elif value == "tuan" and following[1] in ("sau", "toi", "nay"):
            parsed.week = 0 if following[1] == "nay" else 1
            step = 2
        elif value == "next" and following[1] == "week":
            parsed.week = 1
            step = 2
        elif value == "hom" and following[1] == "nay":
            _set_relative(parsed, 0, text)
            step = 2
        elif value == "hom" and following[1] in ("qua", "kia"):
            raise TimeParseError("past", text)  # yesterday, the day before
        elif value == "ngay" and following[1] == "kia":
            _set_relative(parsed, 2, text)
            step = 2
        elif value == "mot":
            _set_relative(parsed, 2, text)  # "mốt": the day after tomorrow
        elif value == "next" and following[1] in _EN_WEEKDAYS:
            parsed.week = 1  # "next Monday": next week's
        elif value in _RELATIVE:
            _set_relative(parsed, _RELATIVE[value], text)
        elif value in _EN_WEEKDAYS:
            _set_weekday(parsed, _EN_WEEKDAYS[value], text)
        elif value in _PERIODS:
            if parsed.period is not None:
                raise TimeParseError("bad_time", text)
            parsed.period = value
        elif value not in _FILLERS:
            raise TimeParseError("bad_time", text)
        index += step
    return parsed


def _day_of(value: str) -> tuple[int, int, int | None]:
    parts = re.split(r"[/.\-]", value)
    year = None
    if len(parts) == 3:
        year = int(parts[2]) + (2000 if len(parts[2]) == 2 else 0)
    return int(parts[0]), int(parts[1]), year


def _set_day(parsed: _Parsed, dmy: tuple[int, int, int | None], text: str) -> None:
    if parsed.day is not None or parsed.relative is not None:
        raise TimeParseError("bad_time", text)
    day, month, year = dmy
    try:
        # Without a year, check against a leap year; _resolve_day settles the real one.
        parsed.day = date(year or 2028, month, day)
    except ValueError:
        raise TimeParseError("bad_date", text) from None
    parsed.no_year = year is None


def _set_time(parsed: _Parsed, value: str, text: str) -> None:
    if parsed.hour is not None:
        raise TimeParseError("bad_time", text)
    match = _TIME_PARTS.match(value)
    if match is None:
        raise TimeParseError("bad_time", text)
    parsed.hour = int(match.group(1))
    parsed.minute = int(match.group(2) or 0)


def _set_weekday(parsed: _Parsed, weekday: int, text: str) -> None:
    if parsed.weekday is not None or parsed.relative is not None:
        raise TimeParseError("bad_time", text)
    parsed.weekday = weekday


def _set_relative(parsed: _Parsed, days: int, text: str) -> None:
    if parsed.relative is not None or parsed.day is not None or parsed.weekday is not None:
        raise TimeParseError("bad_time", text)
    parsed.relative = days


def _apply_period(hour: int, period: str | None, text: str) -> int:
    if period is None:
        return hour
    if hour > 12:
        if period in ("am", "sang"):
            raise TimeParseError("bad_hour", text)
        return hour
    if period in ("pm", "chieu", "toi"):
        return hour + 12 if hour < 12 else hour
    if period == "trua":
        return hour + 12 if hour <= 3 else hour
    if period == "dem":
        return hour + 12 if 7 <= hour < 12 else (0 if hour == 12 else hour)
    return 0 if hour == 12 and period == "am" else hour


def _resolve_day(
    parsed: _Parsed, today: date, clock: time, now: datetime, tz: ZoneInfo, text: str
) -> date:
    def ahead(day: date) -> bool:
        return datetime.combine(day, clock, tzinfo=tz) > now

    if parsed.relative is not None:
        if parsed.week is not None:
            raise TimeParseError("bad_time", text)
        return today + timedelta(days=parsed.relative)
    if parsed.day is not None:
        day = parsed.day
        if parsed.no_year:
            day = _nearest(day.month, day.day, today, clock, text)
        if parsed.weekday is not None and day.weekday() != parsed.weekday:
            raise TimeParseError("weekday_mismatch", text, day)
        return day
    if parsed.weekday is not None:
        if parsed.week is not None and parsed.week >= 0:
            monday = today - timedelta(days=today.weekday()) + timedelta(weeks=parsed.week)
            return monday + timedelta(days=parsed.weekday)
        day = today + timedelta(days=(parsed.weekday - today.weekday()) % 7)
        return day if ahead(day) else day + timedelta(days=7)
    if parsed.week is not None:
        raise TimeParseError("bad_time", text)
    return today


def _nearest(month: int, day: int, today: date, clock: time, text: str) -> date:
    """The such day nearest to ``today`` (last year's, this year's or next year's); one that has
    passed is refused as ``past`` with the next one to come in ``day``, the suggestion: "01/12"
    typed on 02/12 is a slip for a day already gone, not a meeting a year on. A day further
    behind than ahead (15/01 typed in November) is the next one to come."""
    candidates = []
    for year in (today.year - 1, today.year, today.year + 1, today.year + 2):
        try:
            candidates.append(date(year, month, day))
        except ValueError:  # 29/02 of a year that has none
            continue
    near = [d for d in candidates if abs((d - today).days) <= 366]
    if not near:
        raise TimeParseError("bad_date", text)
    nearest = min(near, key=lambda d: (abs((d - today).days), d < today))
    if nearest < today:
        upcoming = next((d for d in candidates if d >= today), None)
        raise TimeParseError("past", text, upcoming, clock if upcoming else None)
    return nearest


_DURATION: Final = re.compile(
    r"(?P<num>\d+(?:[.,]\d+)?) ?(?P<unit>gio|tieng|h|g|hours?|hrs?|phut|ph|p|minutes?|mins?|m)?"
    r"(?: ?(?P<min>\d{1,2}) ?(?:phut|ph|p|minutes?|mins?|m)?)?",
    re.ASCII,
)
_HALF_DAY: Final = frozenset({"nua ngay", "half day", "half a day", "buoi", "mot buoi", "1 buoi"})
_WHOLE_DAY: Final = frozenset({"ca ngay", "1 ngay", "mot ngay", "full day", "whole day", "all day"})


def parse_duration(text: str) -> int:
    """Minutes from ``2h``, ``1h30``, ``1,5 giờ``, ``90 phút``, ``3 tiếng``, ``nửa ngày`` (4 h),
    ``cả ngày`` (8 h); a bare number is hours up to 24, minutes above. ``TimeParseError``
    (``bad_duration``) otherwise, including anything outside 15 minutes .. 24 hours."""
    cleaned = _fold(text or "")
    if cleaned in _HALF_DAY:
        return 240
    if cleaned in _WHOLE_DAY:
        return 480
    match = _DURATION.fullmatch(cleaned)
    if match is None:
        raise TimeParseError("bad_duration", text)
    number = float(match.group("num").replace(",", "."))
    unit = match.group("unit")
    extra = match.group("min")
    if extra is not None and int(extra) >= 60:
        raise TimeParseError("bad_duration", text)
    if unit is None:
        if extra is not None:
            raise TimeParseError("bad_duration", text)
        minutes = number * 60 if number <= 24 else number
    elif unit.startswith(("gio", "tieng", "h", "g")):
        minutes = number * 60 + (int(extra) if extra else 0)
    else:
        if extra is not None:
            raise TimeParseError("bad_duration", text)
        minutes = number
    if minutes != int(minutes) or not MIN_DURATION <= minutes <= MAX_DURATION:
        raise TimeParseError("bad_duration", text)
    return int(minutes)
