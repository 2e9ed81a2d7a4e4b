"""The activity rollup: kept in step with every entry write, read by totals and digests.

Every entry adds to one row per (ancestor unit, organisation, type, measure) in each of five spans
that contain its day: its half-month bucket, and the quarter and the year that contain it under
both cut-off rules (calendar: starting on the 1st; Decree 09: starting on the 15th). A period is read
as the fewest spans that tile it exactly (``cover``): a Decree 09 quarter is one quarter row per
cell instead of six half-month rows, a year one instead of twenty-four. Writes cost five rows per
ancestor and measure instead of one; reads of long periods over many units stop growing with the
number of half-months.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import connection_of, note_write
from storage.models import Activity, ActivityRollup, ActivityValue, PeriodLock, Unit
from storage.queries import activities as act_q

#: The largest a rollup cell may hold, in thousandths (10^15 units: a million tỷ đồng). Sums are
#: BIGINT, and integers stop at 2^63 ≈ 9.2 × 10^18: past it SQLite turns ``value + excluded``
#: and the cell into an inexact float and PostgreSQL fails the statement. Below this limit a read
#: that adds several cells (a month's two half-months, a week across a new year) stays exact.
SUM_LIMIT_MILLI = 10**18

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


def _span_end(start: date, months: int) -> date:
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
            if _is_start(day, months) and _span_end(day, months) <= end:
                result.append((span, day))
                day = _span_end(day, months) + timedelta(days=1)
                break
        else:
            result.append((HALF, day))
            day = _next_bucket(day)
    return result


def _next_bucket(bucket: date) -> date:
    if bucket.day == 1:
        return date(bucket.year, bucket.month, 15)
    return _add_months(date(bucket.year, bucket.month, 1), 1)


def ancestors(unit: Unit) -> list[int]:
    return _ancestor_ids(unit.path)


async def apply(
    session: AsyncSession,
    unit: Unit,
    type_key: str,
    values_milli: dict[str, int],
    day: date,
    sign: int,
) -> None:
    """Add (sign=1) or remove (sign=-1) one entry's values for its unit and every ancestor, in every
    span containing ``day``: one upsert statement run for all rows (executemany).

    The rows go to the driver as plain tuples through the statement compiled once: SQLAlchemy's
    per-row parameter processing cost ~10 µs a row, three times what SQLite's upsert itself
    costs, and a ``/log`` of two measures in a residential area writes 54 rows."""
    conn = await connection_of(session)
    cells = _cells(unit.path, unit.org, day, conn.dialect.name == "sqlite")
    rows = [
        (*cell, type_key, measure_key, sign * value, sign)
        for cell in cells
        for measure_key, value in values_milli.items()
    ]
    if rows:
        await conn.exec_driver_sql(_upsert_sql(conn.dialect), rows)
        note_write(session)


async def add_within(
    session: AsyncSession, unit: Unit, type_key: str, values_milli: dict[str, int], day: date
) -> bool:
    """``apply(..., +1)`` if every cell stays at most ``SUM_LIMIT_MILLI`` and no period lock
    covers the unit on ``day``, else nothing: whether it was added (the caller tells the two
    refusals apart, ``bot.activities.create_entry``). One statement for both checks and the
    writes: issue 15 §5 first read the fullest cells in a query of its own, and the lock was
    another, each a statement and three hand-offs to the driver per entry.

    Every cell an entry adds to holds at most what the two year cells (both cut-off rules) of
    its tree's root hold for all organisations (values are never negative), so those two decide.
    The rows are one ``INSERT ... SELECT`` from a ``VALUES`` list whose ``WHERE NOT EXISTS`` reads
    them: evaluated once for the statement, before any row is written (PostgreSQL reads the
    statement's snapshot; SQLite, reading the table it writes, fills a temporary table first),
    so the entry is added whole or not at all and the row count says which. (A ``WHERE`` on the
    ``DO UPDATE`` alone would decide row by row, and a new cell is inserted without it: half an
    entry.)"""
    if not values_milli:
        return True
    prefixes = act_q.lock_prefixes(unit)
    if prefixes is None and await act_q.locked(session, unit, day):
        return False  # a unit deeper than the statement's prefixes: the lock asked apart
    conn = await connection_of(session)
    sqlite_dates = conn.dialect.name == "sqlite"
    cells = _cells(unit.path, unit.org, day, sqlite_dates)
    measures = list(values_milli.items())
    params: list[Any] = [
        x
        for cell in cells
        for measure_key, value in measures
        for x in (*cell, type_key, measure_key, value, 1)
    ]
    years = [start for span, start in spans_of(day) if span == "y"]
    params += [
        ancestors(unit)[0],
        "y",
        ALL_ORGS,
        type_key,
        *(y.isoformat() if sqlite_dates else y for y in years),
        *(x for key, value in measures for x in (key, SUM_LIMIT_MILLI - value)),
    ]
    if prefixes is not None:
        on = day.isoformat() if sqlite_dates else day
        params += [*prefixes, unit.org, on, on]
    sql = _guarded_sql(
        conn.dialect, len(cells) * len(measures), len(measures), prefixes is not None
    )
    result = await conn.exec_driver_sql(sql, tuple(params))
    note_write(session)
    return int(result.rowcount) == len(cells) * len(measures)


_GUARDED_SQL: dict[tuple[str, int, int, bool], str] = {}


def _guarded_sql(dialect: Any, rows: int, measures: int, lock: bool) -> str:
    """``add_within``'s statement for so many rows and measures, with or without the lock
    check, as the driver takes it (a handful of shapes: ancestors × 9 cells × measures),
    compiled once each."""
    key = (dialect.name, rows, measures, lock)
    sql = _GUARDED_SQL.get(key)
    if sql is None:
        stmt = _guarded(dialect.name, rows, measures, lock)
        compiled = stmt.compile(dialect=dialect)
        expected = [f"r{i}_{c}" for i in range(rows) for c in _UPSERT_COLUMNS]
        expected += ["root", "year_span", "all_orgs", "type_key", "y0", "y1"]
        expected += [x for j in range(measures) for x in (f"m{j}", f"room{j}")]
        if lock:
            expected += [f"lp{i}" for i in range(act_q.LOCK_DEPTH)] + [
                "lock_org",
                "lock_day",
                "lock_day_again",
            ]
        if list(compiled.positiontup or ()) != expected:
            raise AssertionError(f"unexpected parameters {compiled.positiontup}")
        sql = _GUARDED_SQL[key] = compiled.string
    return sql


def _guarded(dialect: str, rows: int, measures: int, lock: bool) -> Any:
    columns = [ActivityRollup.__table__.c[name] for name in _UPSERT_COLUMNS]
    binds = [bindparam(f"r{i}_{c.key}", type_=c.type) for i in range(rows) for c in columns]
    listed = ", ".join(
        "(" + ", ".join(f":r{i}_{c.key}" for c in columns) + ")" for i in range(rows)
    )
    # A derived table, not SQLAlchemy's ``values()``: that one names its columns ``AS v (a, b)``,
    # which SQLite does not parse, or becomes a CTE, and a statement that begins with ``WITH``
    # gets no row count from Python's sqlite3. ``SELECT *`` takes the columns in order.
    rows_of = text(f"(VALUES {listed}) AS v").bindparams(*binds)
    full = exists().where(
        ActivityRollup.unit_id == bindparam("root"),
        ActivityRollup.span == bindparam("year_span", "y"),
        ActivityRollup.org == bindparam("all_orgs", ALL_ORGS),
        ActivityRollup.type_key == bindparam("type_key"),
        ActivityRollup.bucket.in_(
            [
                bindparam("y0", type_=ActivityRollup.bucket.type),
                bindparam("y1", type_=ActivityRollup.bucket.type),
            ]
        ),
        or_(
            *(
                and_(
                    ActivityRollup.measure_key == bindparam(f"m{j}"),
                    ActivityRollup.value_milli
                    > bindparam(f"room{j}", type_=ActivityRollup.value_milli.type),
                )
                for j in range(measures)
            )
        ),
    )
    refused: ColumnElement[bool] = full
    if lock:
        date_type = PeriodLock.starts_on.type
        prefixes: list[Any] = [bindparam(f"lp{i}") for i in range(act_q.LOCK_DEPTH)]
        covering = act_q.covering_lock(
            prefixes,
            bindparam("lock_org"),
            bindparam("lock_day", type_=date_type),
            bindparam("lock_day_again", type_=date_type),
        )
        refused = or_(full, exists().where(covering))
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(ActivityRollup)
    stmt = stmt.from_select(
        _UPSERT_COLUMNS, select(literal_column("*")).select_from(rows_of).where(~refused)
    )
    return stmt.on_conflict_do_update(
        index_elements=_CELL_KEY,
        set_={
            "value_milli": ActivityRollup.value_milli + stmt.excluded.value_milli,
            "entries": ActivityRollup.entries + stmt.excluded.entries,
        },
    )


@lru_cache(maxsize=4096)
def _cells(path: str, org: str, day: date, text_dates: bool) -> tuple[tuple[Any, ...], ...]:
    """(unit, span, bucket, organisation) of every rollup row an entry of ``org`` in the unit at
    ``path`` on ``day`` counts in. A pure function of its arguments, and a burst of entries
    repeats the same few: remembered, the rows of a ``/log`` are one comprehension."""
    return tuple(
        (unit_id, span, bucket.isoformat() if text_dates else bucket, each_org)
        for unit_id in _ancestor_ids(path)
        for span, bucket in spans_of(day)
        for each_org in ((org,) if span == HALF else (org, ALL_ORGS))
    )


def _ancestor_ids(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/") if part]


_UPSERT_SQL: dict[str, str] = {}


def _upsert_sql(dialect: Any) -> str:
    """The upsert as the driver takes it, columns in ``apply``'s tuple order."""
    sql = _UPSERT_SQL.get(dialect.name)
    if sql is None:
        compiled = _upsert(dialect.name).compile(dialect=dialect)
        if list(compiled.positiontup or ()) != _UPSERT_COLUMNS:
            raise AssertionError(f"unexpected upsert parameters {compiled.positiontup}")
        sql = _UPSERT_SQL[dialect.name] = compiled.string
    return sql


_UPSERT_COLUMNS = [
    "unit_id",
    "span",
    "bucket",
    "org",
    "type_key",
    "measure_key",
    "value_milli",
    "entries",
]


#: The unique key of a rollup cell (the conflict target of the upserts).
_CELL_KEY = [
    ActivityRollup.unit_id,
    ActivityRollup.span,
    ActivityRollup.bucket,
    ActivityRollup.type_key,
    ActivityRollup.measure_key,
    ActivityRollup.org,
]


@cache
def _upsert(dialect: str) -> Any:
    """Built once per database kind: the same statement object each time spares SQLAlchemy the
    work of building and keying it for every entry."""
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(ActivityRollup)
    return stmt.on_conflict_do_update(
        index_elements=_CELL_KEY,
        set_={
            "value_milli": ActivityRollup.value_milli + stmt.excluded.value_milli,
            "entries": ActivityRollup.entries + stmt.excluded.entries,
        },
    )


async def fullest(
    session: AsyncSession, unit: Unit, type_key: str, measure_keys: Iterable[str], day: date
) -> dict[str, int]:
    """What the fullest rollup cells an entry of ``unit`` on ``day`` would add to hold now, per
    measure: the two years (both cut-off rules) of the root of its tree, all organisations. Values
    are never negative, so every other cell the entry counts in holds at most this."""
    root = ancestors(unit)[0]
    years = [start for span, start in spans_of(day) if span == "y"]
    rows = await session.execute(
        select(ActivityRollup.measure_key, func.max(ActivityRollup.value_milli))
        .where(
            ActivityRollup.unit_id == root,
            ActivityRollup.span == "y",
            ActivityRollup.bucket.in_(years),
            ActivityRollup.org == ALL_ORGS,
            ActivityRollup.type_key == type_key,
            ActivityRollup.measure_key.in_(list(measure_keys)),
        )
        .group_by(ActivityRollup.measure_key)
    )
    return {key: int(value or 0) for key, value in rows.all()}


def check_aligned(start: date, end: date) -> None:
    if start.day not in (1, 15) or (end + timedelta(days=1)).day not in (1, 15):
        raise ValueError(f"{start}..{end} is not a whole number of half-month buckets")


async def totals(
    session: AsyncSession,
    unit_ids: Sequence[int],
    start: date,
    end: date,
    *,
    org: str | None = None,
    type_key: str | None = None,
    by_org: bool = False,
) -> dict[tuple[int, str, str, str], int]:
    """Sums in thousandths, keyed (unit_id, org or "", type_key, measure_key).

    When the period is one span and the rows read are one per key (a Front-wide quarter or year
    read from the "*" rows, or one organisation, or a breakdown by organisation) the rows are
    the sums already: no GROUP BY, which was half of SQLite's time for a province's quarter."""
    if not unit_ids:
        return {}
    spans = cover(start, end)
    all_orgs = org is None and not by_org
    grouped = len(spans) > 1 or (all_orgs and spans[0][0] == HALF)
    value = func.sum(ActivityRollup.value_milli) if grouped else ActivityRollup.value_milli
    stmt = select(
        ActivityRollup.unit_id,
        ActivityRollup.type_key,
        ActivityRollup.measure_key,
        value,
        *([ActivityRollup.org] if by_org else []),
    ).where(ActivityRollup.unit_id.in_(unit_ids), _spans_clause(spans, all_orgs=all_orgs))
    if org is not None:
        stmt = stmt.where(ActivityRollup.org == org)
    if type_key is not None:
        stmt = stmt.where(ActivityRollup.type_key == type_key)
    if grouped:
        group = [ActivityRollup.unit_id, ActivityRollup.type_key, ActivityRollup.measure_key]
        if by_org:
            group.append(ActivityRollup.org)
        stmt = stmt.group_by(*group)
    # Core, not the ORM's execute: plain tuples, no ORM result set-up, for thousands of rows.
    rows = (await (await session.connection()).execute(stmt)).all()
    if by_org:
        return {(r[0], r[4], r[1], r[2]): int(r[3] or 0) for r in rows}
    return {(r[0], "", r[1], r[2]): int(r[3] or 0) for r in rows}


async def entry_counts(
    session: AsyncSession,
    unit_ids: Sequence[int],
    start: date,
    end: date,
    *,
    org: str | None = None,
    type_key: str | None = None,
) -> dict[int, int]:
    """How many entries each unit's subtree logged in the period (for ranking /totals' rows), read
    from the rollup's ``entries``: an entry counts once in every measure it gave a value for, so a
    type's entries are its busiest measure's, and a unit's the sum over its types."""
    if not unit_ids:
        return {}
    spans = cover(start, end)
    stmt = (
        select(
            ActivityRollup.unit_id,
            ActivityRollup.type_key,
            ActivityRollup.measure_key,
            func.sum(ActivityRollup.entries),
        )
        .where(ActivityRollup.unit_id.in_(unit_ids), _spans_clause(spans, all_orgs=org is None))
        .group_by(ActivityRollup.unit_id, ActivityRollup.type_key, ActivityRollup.measure_key)
    )
    if org is not None:
        stmt = stmt.where(ActivityRollup.org == org)
    if type_key is not None:
        stmt = stmt.where(ActivityRollup.type_key == type_key)
    busiest: dict[tuple[int, str], int] = {}
    for unit_id, kind, _measure, count in (await (await session.connection()).execute(stmt)).all():
        key = (unit_id, kind)
        busiest[key] = max(busiest.get(key, 0), int(count or 0))
    result: dict[int, int] = {}
    for (unit_id, _kind), count in busiest.items():
        result[unit_id] = result.get(unit_id, 0) + count
    return result


def _spans_clause(spans: list[tuple[str, date]], *, all_orgs: bool) -> Any:
    """Rows of these spans: for every organisation together (``all_orgs``), the quarter and year
    rows marked ``ALL_ORGS`` and the half-month rows of each organisation; otherwise the rows of
    each organisation only."""
    by_span: dict[str, list[date]] = {}
    for span, bucket in spans:
        by_span.setdefault(span, []).append(bucket)
    return or_(
        *(
            and_(
                ActivityRollup.span == span,
                ActivityRollup.bucket.in_(buckets),
                ActivityRollup.org == ALL_ORGS
                if all_orgs and span != HALF
                else ActivityRollup.org != ALL_ORGS,
            )
            for span, buckets in by_span.items()
        )
    )


async def rebuild(session: AsyncSession) -> int:
    """Recompute the whole rollup from the entries (``phoihop rollup rebuild``): half-months summed
    from the entries, quarters and years from the half-months, inserted in batches of plain rows."""
    await session.execute(delete(ActivityRollup))
    units = {u.id: u for u in (await session.scalars(select(Unit))).all()}
    rows = await session.execute(
        select(
            Activity.unit_id,
            Activity.type_key,
            Activity.occurred_on,
            ActivityValue.measure_key,
            ActivityValue.value_milli,
        )
        .join(ActivityValue, ActivityValue.activity_id == Activity.id)
        .where(Activity.deleted_at.is_(None))
    )
    sums: dict[tuple[int, str, date, str, str, str], list[int]] = {}
    for unit_id, type_key, day, measure_key, value in rows.all():
        unit = units[unit_id]
        for ancestor in ancestors(unit):
            cell = sums.setdefault(
                (ancestor, HALF, bucket_of(day), unit.org, type_key, measure_key), [0, 0]
            )
            cell[0] += value
            cell[1] += 1
    sums.update(coarse_sums(sums))
    batch: list[dict[str, Any]] = []
    for row in _rows(sums.items()):
        batch.append(row)
        if len(batch) == 5000:
            await session.execute(insert(ActivityRollup), batch)
            batch = []
    if batch:
        await session.execute(insert(ActivityRollup), batch)
    return len(sums)


def coarse_sums(
    halves: dict[tuple[int, str, date, str, str, str], list[int]],
) -> dict[tuple[int, str, date, str, str, str], list[int]]:
    """Quarter and year rows, per organisation and for all organisations, from half-month rows:
    each half-month lies in exactly one span of each kind and alignment."""
    result: dict[tuple[int, str, date, str, str, str], list[int]] = {}
    for (unit_id, _half, bucket, org, type_key, measure_key), (value, entries) in halves.items():
        for span, start in spans_of(bucket)[1:]:
            for key_org in (org, ALL_ORGS):
                key = (unit_id, span, start, key_org, type_key, measure_key)
                cell = result.setdefault(key, [0, 0])
                cell[0] += value
                cell[1] += entries
    return result


def _rows(
    items: Iterable[tuple[tuple[int, str, date, str, str, str], list[int]]],
) -> Iterable[dict[str, Any]]:
    for (unit_id, span, bucket, org, type_key, measure_key), (value, entries) in items:
        yield {
            "unit_id": unit_id,
            "span": span,
            "bucket": bucket,
            "org": org,
            "type_key": type_key,
            "measure_key": measure_key,
            "value_milli": value,
            "entries": entries,
        }
