"""The span calendar of the rollup and the cells an entry counts in.

Pure date and path arithmetic, no database: an entry on a day counts in five spans (its half-month
and, under both cut-off rules, its quarter and year; ``spans_of``), for its unit and every ancestor
(``ancestors``), for its organisation and, above the half-month, for all organisations
(``ALL_ORGS``). A period is read as the fewest spans that tile it (``cover``). The writes, the reads
and the rebuild all count with these, so they must agree.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from storage.models import Unit

__all__ = [
    "ALL_ORGS",
    "COARSE",
    "HALF",
    "ancestor_ids",
    "ancestors",
    "bucket_of",
    "check_aligned",
    "cover",
    "entry_cells",
    "next_bucket",
    "span_end",
    "spans_of",
]


HALF = "h"
#: The organisation of the rows that sum every organisation, kept for quarters and years only: a
#: Front committee's long-period totals (all organisations of its area) read one row per cell.
ALL_ORGS = "*"
#: Coarse spans and their length in months.
COARSE = (("y", 12), ("q", 3))


def bucket_of(day: date) -> date:
    """Half-month buckets: days 1–14 and 15–end."""
    return date(day.year, day.month, 1 if day.day < 15 else 15)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, day.day)


def _is_start(day: date, months: int) -> bool:
    """Calendar spans start on the 1st of months 1, 4, 7, 10 (quarters) or 1 (years); Decree 09
    spans on the 15th of the month before: 12, 3, 6, 9 or 12."""
    if day.day == 1:
        return (day.month - 1) % months == 0
    return day.day == 15 and day.month % months == 0


def span_end(start: date, months: int) -> date:
    return _add_months(start, months) - timedelta(days=1)


def spans_of(day: date) -> list[tuple[str, date]]:
    """The five (span, start) rows an entry on ``day`` counts in."""
    result = [(HALF, bucket_of(day))]
    for span, months in COARSE:
        for anchor in (1, 15):
            start = date(day.year, day.month, anchor)
            if anchor == 15 and day.day < 15:
                start = _add_months(start, -1)
            while not _is_start(start, months):
                start = _add_months(start, -1)
            result.append((span, start))
    return result


def cover(start: date, end: date) -> list[tuple[str, date]]:
    """The fewest spans that tile ``start..end`` exactly (greedy: a year, else a quarter, else a
    half-month, at each step)."""
    check_aligned(start, end)
    result: list[tuple[str, date]] = []
    day = start
    while day <= end:
        for span, months in COARSE:
            if _is_start(day, months) and span_end(day, months) <= end:
                result.append((span, day))
                day = span_end(day, months) + timedelta(days=1)
                break
        else:
            result.append((HALF, day))
            day = next_bucket(day)
    return result


def next_bucket(bucket: date) -> date:
    if bucket.day == 1:
        return date(bucket.year, bucket.month, 15)
    return _add_months(date(bucket.year, bucket.month, 1), 1)


def check_aligned(start: date, end: date) -> None:
    if start.day not in (1, 15) or (end + timedelta(days=1)).day not in (1, 15):
        raise ValueError(f"{start}..{end} is not a whole number of half-month buckets")


def ancestors(unit: Unit) -> list[int]:
    return ancestor_ids(unit.path)


def ancestor_ids(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/") if part]


@lru_cache(maxsize=4096)
def entry_cells(path: str, org: str, day: date, text_dates: bool) -> tuple[tuple[Any, ...], ...]:
    """(unit, span, bucket, organisation) of every rollup row an entry of ``org`` in the unit at
    ``path`` on ``day`` counts in. A pure function of its arguments, and a burst of entries
    repeats the same few: remembered, the rows of a ``/log`` are one comprehension."""
    return tuple(
        (unit_id, span, bucket.isoformat() if text_dates else bucket, each_org)
        for unit_id in ancestor_ids(path)
        for span, bucket in spans_of(day)
        for each_org in ((org,) if span == HALF else (org, ALL_ORGS))
    )
