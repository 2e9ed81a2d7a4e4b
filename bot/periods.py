"""Reporting periods (month, quarter, half-year, year) and how cadres name them.

Periodic reports of the Front are made for a period. By default the cut-off rule of Decree
09/2019/NĐ-CP ("thời gian chốt số liệu") applies: a month runs from the 15th of the previous month
to the 14th, and longer periods are runs of such months (Q1 = 15/12 of the previous year to 14/03,
the year = 15/12 of the previous year to 14/12). Deployments that report on plain calendar periods
choose ``rule="calendar"``. Both rules tile the timeline: every day belongs to exactly one period
of each kind, which is what lets entries be summed per period without double counting.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from typing import Final, Literal, get_args

from babel.dates import get_month_names

from bot.date_window import FIRST_DAY, YEARS_AHEAD, year_within
from storage.text import fold

__all__ = [
    "Kind",
    "Period",
    "PeriodOutOfRange",
    "Rule",
    "parse_period",
    "period_containing",
    "periods_between",
]

Kind = Literal["month", "quarter", "half", "year"]
Rule = Literal["decree09", "calendar"]

#: Months in one period of each kind; a period is a run of this many whole "report months".
_SPAN: Final[dict[str, int]] = {"month": 1, "quarter": 3, "half": 6, "year": 12}
_RULES: Final[frozenset[str]] = frozenset(get_args(Rule))
#: Under Decree 09 a report month ends on this day; the next one starts the day after.
_CUTOFF_DAY: Final = 14
_ROMAN: Final[tuple[str, ...]] = ("I", "II", "III", "IV")
_KEY_LETTER: Final[dict[str, str]] = {"month": "M", "quarter": "Q", "half": "H", "year": "Y"}
_CALENDAR_SUFFIX: Final = "@calendar"
_KEY_RE: Final = re.compile(
    r"(?P<year>[0-9]{4})-(?:M(?P<month>[1-9]|1[0-2])|Q(?P<quarter>[1-4])|H(?P<half>[12])|(?P<y>Y))"
    r"(?P<calendar>@calendar)?"
)


def _language(locale: str) -> str:
    """``vi`` for any Vietnamese locale (``vi``, ``vi_VN``, ``vi-VN``), else ``en``.

    Same convention as :mod:`bot.parsing`; repeated here so this module stands alone.
    """
    return "vi" if locale.replace("-", "_").split("_")[0].lower() == "vi" else "en"


def _format_day(day: date) -> str:
    """``dd/MM/yyyy``, the way Vietnamese documents write dates, in both languages.

    Built by hand because ``strftime("%Y")`` does not zero-pad years below 1000 on every platform.
    """
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def _bounds(kind: str, year: int, index: int, rule: str) -> tuple[date, date]:
    """First and last day (inclusive) of a period; ``ValueError`` when outside ``date``'s range."""
    span = _SPAN[kind]
    last_month = span * index
    first_month = last_month - span + 1
    if rule == "calendar":
        start = date(year, first_month, 1)
        end = date(year, last_month, calendar.monthrange(year, last_month)[1])
    else:
        # The report month named M starts the day after the previous month's cut-off.
        before_year, before_month = (year - 1, 12) if first_month == 1 else (year, first_month - 1)
        start = date(before_year, before_month, _CUTOFF_DAY + 1)
        end = date(year, last_month, _CUTOFF_DAY)
    return start, end


@dataclass(frozen=True, order=True)
class Period:
    """One reporting period: ``kind`` number ``index`` of ``year`` under ``rule``.

    ``year`` is the year the period is *named* after: under Decree 09, Q1/2027 starts on
    15/12/2026. Ordering compares kind, then year and index, so within one kind and rule it is
    chronological.
    """

    kind: Kind
    year: int
    index: int  # month 1–12, quarter 1–4, half 1–2, year 1
    rule: Rule = "decree09"

    def __post_init__(self) -> None:
        """Refuse periods that do not exist, so every ``Period`` has real start and end days."""
        if self.kind not in _SPAN:
            raise ValueError(f"unknown period kind: {self.kind!r}")
        if self.rule not in _RULES:
            raise ValueError(f"unknown period rule: {self.rule!r}")
        for name in ("year", "index"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"period {name} must be an int, not {value!r}")
        count = 12 // _SPAN[self.kind]
        if not 1 <= self.index <= count:
            raise ValueError(f"{self.kind} index must be 1–{count}, not {self.index}")
        try:
            _bounds(self.kind, self.year, self.index, self.rule)
        except (ValueError, OverflowError):
            raise ValueError(f"period year out of range: {self.year}") from None

    @property
    def start(self) -> date:
        """First day of the period (inclusive)."""
        return _bounds(self.kind, self.year, self.index, self.rule)[0]

    @property
    def end(self) -> date:
        """Last day of the period (inclusive): entries dated on it still count."""
        return _bounds(self.kind, self.year, self.index, self.rule)[1]

    def contains(self, day: date) -> bool:
        """Whether ``day`` falls within the period, both ends included."""
        start, end = _bounds(self.kind, self.year, self.index, self.rule)
        return start <= day <= end

    def _shift(self, step: int) -> Period:
        """The period ``step`` places later (earlier when negative) of the same kind and rule."""
        count = 12 // _SPAN[self.kind]
        position = self.year * count + (self.index - 1) + step
        year, index = divmod(position, count)
        return Period(self.kind, year, index + 1, self.rule)

    def next(self) -> Period:
        """The period that starts the day after this one ends."""
        return self._shift(1)

    def previous(self) -> Period:
        """The period that ends the day before this one starts."""
        return self._shift(-1)

    def key(self) -> str:
        """A stable identifier for storage: ``2026-M11``, ``2026-Q3``, ``2026-H1``, ``2026-Y``.

        Months are not zero-padded (``2026-M3``), like quarters. The rule is part of the identity,
        so calendar periods carry an ``@calendar`` suffix; Decree 09 (the default) has none.
        """
        letter = _KEY_LETTER[self.kind]
        number = "" if self.kind == "year" else str(self.index)
        suffix = _CALENDAR_SUFFIX if self.rule == "calendar" else ""
        return f"{self.year:04d}-{letter}{number}{suffix}"

    @classmethod
    def from_key(cls, key: str) -> Period:
        """The period :meth:`key` produced; only the canonical form is accepted.

        Strict so that each period has exactly one key (keys are compared and stored as-is).
        """
        match = _KEY_RE.fullmatch(key) if isinstance(key, str) else None
        if match is None:
            raise ValueError(f"not a period key: {key!r}")
        rule: Rule = "calendar" if match["calendar"] else "decree09"
        year = int(match["year"])
        if match["month"]:
            return cls("month", year, int(match["month"]), rule)
        if match["quarter"]:
            return cls("quarter", year, int(match["quarter"]), rule)
        if match["half"]:
            return cls("half", year, int(match["half"]), rule)
        return cls("year", year, 1, rule)

    def label(self, locale: str) -> str:
        """The period's name as reports title it (``Quý III/2026``, ``Q3 2026``).

        Vietnamese documents write quarters in Roman numerals; English month names come from
        Babel. The rule is not shown: a deployment uses one rule, and :meth:`range_label` gives
        the exact days.
        """
        if _language(locale) == "vi":
            if self.kind == "month":
                return f"Tháng {self.index}/{self.year}"
            if self.kind == "quarter":
                return f"Quý {_ROMAN[self.index - 1]}/{self.year}"
            if self.kind == "half":
                part = "đầu" if self.index == 1 else "cuối"
                return f"6 tháng {part} năm {self.year}"
            return f"Năm {self.year}"
        if self.kind == "month":
            month = get_month_names("wide", "stand-alone", locale="en")[self.index]
            return f"{month} {self.year}"
        if self.kind == "quarter":
            return f"Q{self.index} {self.year}"
        if self.kind == "half":
            part = "First" if self.index == 1 else "Second"
            return f"{part} half of {self.year}"
        return f"Year {self.year}"

    def range_label(self, locale: str) -> str:
        """The exact days, ``15/06/2026 – 14/09/2026``, identical in both languages.

        ``locale`` is accepted for symmetry with :meth:`label`; Vietnamese-context documents use
        ``dd/MM/yyyy`` whatever the reader's language.
        """
        del locale
        start, end = _bounds(self.kind, self.year, self.index, self.rule)
        return f"{_format_day(start)} – {_format_day(end)}"


def period_containing(day: date, kind: Kind, rule: Rule = "decree09") -> Period:
    """The period of ``kind`` whose ``[start, end]`` contains ``day``.

    Under Decree 09 a day after the 14th belongs to the next report month, so 20/12/2026 is in
    month 1, Q1, H1 and the year of 2027.
    """
    if kind not in _SPAN:
        raise ValueError(f"unknown period kind: {kind!r}")
    if rule not in _RULES:
        raise ValueError(f"unknown period rule: {rule!r}")
    year, month = day.year, day.month
    if rule == "decree09" and day.day > _CUTOFF_DAY:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return Period(kind, year, (month - 1) // _SPAN[kind] + 1, rule)


def periods_between(start: date, end: date, kind: Kind, rule: Rule = "decree09") -> list[Period]:
    """Every period of ``kind`` that overlaps ``[start, end]`` (both included), in order.

    A reversed range is refused rather than answered with ``[]``: it is always a caller's bug.
    """
    if start > end:
        raise ValueError(f"range starts after it ends: {start} > {end}")
    period = period_containing(start, kind, rule)
    result = [period]
    while period.end < end:
        period = period.next()
        result.append(period)
    return result


# --------------------------------------------------------------------------------------------------
# Parsing what cadres type
# --------------------------------------------------------------------------------------------------

_MAX_INPUT: Final = 64
_SEPARATORS: Final = re.compile(r"[^0-9a-z]+")
_LETTER_DIGIT: Final = re.compile(r"(?<=[a-z])(?=[0-9])|(?<=[0-9])(?=[a-z])")

#: Phrases for "this/previous period": kind and how many periods back from the current one.
_RELATIVE: Final[dict[str, tuple[Kind, int]]] = {
    "thang nay": ("month", 0),
    "this month": ("month", 0),
    "thang truoc": ("month", -1),
    "last month": ("month", -1),
    "previous month": ("month", -1),
    "quy nay": ("quarter", 0),
    "this quarter": ("quarter", 0),
    "quy truoc": ("quarter", -1),
    "last quarter": ("quarter", -1),
    "previous quarter": ("quarter", -1),
    "this half": ("half", 0),
    "last half": ("half", -1),
    "previous half": ("half", -1),
    "nam nay": ("year", 0),
    "this year": ("year", 0),
    "nam ngoai": ("year", -1),
    "nam truoc": ("year", -1),
    "last year": ("year", -1),
    "previous year": ("year", -1),
}
_MONTH_WORDS: Final = frozenset({"thang", "t", "month"})
_QUARTER_WORDS: Final = frozenset({"quy", "q", "quarter"})
_HALF_WORDS: Final = frozenset({"h", "half"})
#: Words that may stand between a period and its year: "quý 3 năm 2026", "first half of 2026".
_YEAR_LINKS: Final = frozenset({"nam", "year", "of"})
_ROMAN_VALUES: Final[dict[str, int]] = {r.lower(): i for i, r in enumerate(_ROMAN, start=1)}


def _english_months() -> dict[str, int]:
    """Lower-case English month names and abbreviations (``november``, ``nov``, ``sept``)."""
    names: dict[str, int] = {}
    for width in ("wide", "abbreviated"):
        for number, name in get_month_names(width, "format", locale="en").items():
            names[name.lower()] = number
    names["sept"] = 9
    return names


_MONTH_NAMES: Final[dict[str, int]] = _english_months()


def _tokens(text: str) -> list[str]:
    """Words and numbers: separators (``/``, ``-``, ``.``) become spaces and ``q3`` is ``q 3``."""
    spaced = _SEPARATORS.sub(" ", fold(text))
    return _LETTER_DIGIT.sub(" ", spaced).split()


def _number(token: str) -> int | None:
    """An ASCII decimal number, or ``None`` (``str.isdigit`` alone would accept ``²``)."""
    return int(token) if token.isascii() and token.isdigit() else None


def _checked(value: int | None, kind: str, count: int) -> int:
    """``value`` when it is a valid index for a kind with ``count`` periods a year."""
    if value is None or not 1 <= value <= count:
        raise ValueError(f"{kind} must be 1–{count}")
    return value


def _head(words: list[str], year: int | None) -> tuple[Kind, int]:
    """Kind and index named by the words before the year, or ``ValueError``."""
    if not words and year is not None:
        return "year", 1
    if len(words) == 1:
        (word,) = words
        if word in _MONTH_NAMES:
            return "month", _MONTH_NAMES[word]
        number = _number(word)
        if number is not None and year is not None:
            # "11/2026": a bare number is a month only when a year follows.
            return "month", _checked(number, "month", 12)
    if len(words) == 2:
        first, second = words
        if first in _MONTH_WORDS:
            return "month", _checked(_number(second), "month", 12)
        if first in _QUARTER_WORDS:
            value = _ROMAN_VALUES.get(second, _number(second))
            return "quarter", _checked(value, "quarter", 4)
        if first in _HALF_WORDS:
            return "half", _checked(_number(second), "half", 2)
        if second == "half" and first in ("first", "second"):
            return "half", 1 if first == "first" else 2
    if words[:2] in (["6", "thang"], ["sau", "thang"]) and words[2:] in (
        ["dau"],
        ["dau", "nam"],
        ["cuoi"],
        ["cuoi", "nam"],
    ):
        return "half", 1 if words[2] == "dau" else 2
    raise ValueError("not a period I recognise")


class PeriodOutOfRange(ValueError):
    """A period named right but outside the years this bot keeps (``bot.date_window``): "năm 9999"
    is a typo, and under calendar periods its last day has no next one to end a span on."""

    def __init__(self, text: str, year: int, today: date) -> None:
        self.text, self.year = text, year
        self.first, self.last = FIRST_DAY.year, today.year + YEARS_AHEAD
        super().__init__(f"the year must be from {self.first} to {self.last}, not {year}")


def parse_period(text: str, today: date, rule: Rule = "decree09") -> Period:
    """The period ``text`` names, as cadres type it, relative to the user's ``today``.

    Reads ``quý 3``, ``Quý III/2026``, ``q3/2026``, ``tháng 11``, ``11/2026``, ``6 tháng đầu năm``,
    ``h1 2026``, ``năm 2026``, ``2026``, ``quý này`` / ``quý trước``, English ``last month``,
    ``November 2026``, ``Q3``, ``First half of 2026`` (so every :meth:`Period.label` reads back).
    Case and diacritics do not matter. Without a year, a month, quarter or half means the most
    recent one that has already started on ``today``: on 21/11/2026 ``quý 1`` is Q1/2026, not the
    Q1/2027 still to come, because reports look back.
    """
    if not isinstance(text, str):
        raise ValueError("period must be text")
    if len(text) > _MAX_INPUT:
        raise ValueError("period text too long")
    words = _tokens(text)
    if not words:
        raise ValueError("empty period")
    relative = _RELATIVE.get(" ".join(words))
    if relative is not None:
        kind, offset = relative
        current = period_containing(today, kind, rule)
        return current if offset == 0 else current._shift(offset)

    year: int | None = None
    if len(words[-1]) == 4 and (number := _number(words[-1])) is not None:
        year = number
        words = words[:-1]
        if words and words[-1] in _YEAR_LINKS:
            words = words[:-1]
    kind, index = _head(words, year)
    if year is None:
        current = period_containing(today, kind, rule)
        # Later indices of the current period's year have not started yet: take last year's.
        year = current.year if index <= current.index else current.year - 1
    if not year_within(year, today):
        raise PeriodOutOfRange(text, year, today)
    return Period(kind, year, index, rule)


def heading(title: str, period_label: str) -> str:
    """A report's title with its period, as a document heads it.

    When the title ends with the words the period's name begins with, they are said once:
    "Báo cáo công tác Mặt trận quý" + "Quý IV/2026" → "Báo cáo công tác Mặt trận Quý IV/2026",
    "Báo cáo sơ kết 6 tháng" + "6 tháng đầu năm 2026" → "Báo cáo sơ kết 6 tháng đầu năm 2026".
    Otherwise the two are joined by a dash ("Quarterly Front work report — Q4 2026").
    """
    words, head = title.split(), period_label.split()
    for size in (2, 1):
        if len(words) > size and [w.casefold() for w in words[-size:]] == [
            w.casefold() for w in head[:size]
        ]:
            return " ".join([*words[:-size], period_label])
    return f"{title} — {period_label}"
