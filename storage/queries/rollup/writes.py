"""Keeping the rollup in step with every entry write: ``apply`` (add or remove an entry's values)
and ``add_within`` (add it only if no cell overflows and no period lock covers it).

Each is one statement run for all the entry's cells, compiled once per shape and handed to the
driver as plain tuples: a ``/log`` in a residential area writes dozens of rows, and SQLAlchemy's
per-row work cost more than the database's. The checks that keep a cell exact
(``SUM_LIMIT_MILLI``) live here with the statement that enforces them.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, exists, literal_column, or_, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import connection_of, note_write
from storage.models import ActivityRollup, PeriodLock, Unit
from storage.queries import activities as act_q

from .cells import ALL_ORGS, ancestors, entry_cells, spans_of

__all__ = ["SUM_LIMIT_MILLI", "add_within", "apply"]


#: The largest a rollup cell may hold, in thousandths (10^15 units: a million tỷ đồng). Sums are
#: BIGINT, and integers stop at 2^63 ≈ 9.2 × 10^18: past it SQLite turns ``value + excluded``
#: and the cell into an inexact float and PostgreSQL fails the statement. Below this limit a read
#: that adds several cells (a month's two half-months, a week across a new year) stays exact.
SUM_LIMIT_MILLI = 10**18


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
    cells = entry_cells(unit.path, unit.org, day, conn.dialect.name == "sqlite")
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
    cells = entry_cells(unit.path, unit.org, day, sqlite_dates)
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
