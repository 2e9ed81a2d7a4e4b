"""Latency of `/totals` read from the rollup, against a naive GROUP BY over the raw entries.

    .venv/bin/python bench/totals.py [--sqlite-rows 1000000] [--pg-rows 10000000] [--skip-pg]
                                     [--skip-sqlite] [--reps 50] [--out FILE]

One province (``--communes`` communes, each with a Front committee, 5 member-organisation units and
``--areas`` residential areas: 6 organisations), the catalog's first 15 activity types, two years of
entries (2025-01-01 .. 2026-12-31), spread evenly over the leaf units. Units are created with
``storage.queries.units.add`` (real paths / anchor paths); entries and values are bulk loaded through
the sync driver (``sqlite3`` executemany, asyncpg ``copy_records_to_table``). The rollup is built
with ``rollup.rebuild`` on SQLite, and on PostgreSQL with an ``INSERT ... SELECT ... GROUP BY`` over
the ancestors whose output is checked, on the SQLite run, to equal ``rebuild``'s row for row.

Measured (``--reps`` repetitions after warm-up, each in a fresh session like a handler):

* ``ours``: ``bot.totals.compute`` for (a) the province x a quarter, broken down by commune, and
  (b) one commune x a month, broken down by its child units;
* ``naive``: the same numbers from one GROUP BY over ``activities ⋈ activity_values ⋈ units``,
  grouped by the child unit the entry's unit lies under (repeated until ``--naive-seconds``).

Both must give exactly the same totals and rows (else exit 1). Targets: p95 < 20 ms on SQLite at
1M rows, p95 < 50 ms on PostgreSQL at 10M rows.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import numpy as np
import sqlalchemy
from sqlalchemy import and_, func, select, text, true
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.province import build_province, catalog  # noqa: E402
from bot import totals as totals_mod  # noqa: E402
from bot.access import Actor, Role  # noqa: E402
from bot.periods import Period  # noqa: E402
from bot.runtime.runner import settle_heap  # noqa: E402
from bot.schema import prepare_database  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Activity, ActivityRollup, ActivityValue, Person, Unit  # noqa: E402
from storage.queries import rollup as rollup_q  # noqa: E402
from storage.queries import units as units_q  # noqa: E402

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
FIRST_DAY = date(2025, 1, 1)
DAYS = 730
TYPES = 15
QUARTER = Period("quarter", 2026, 3)
MONTH = Period("month", 2026, 6)
CHUNK = 1_000_000
TARGET_SQLITE_MS = 20.0
TARGET_PG_MS = 50.0
DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/bench_totals"

Cells = dict[tuple[str, str], int]


class BenchError(Exception):
    """The run is invalid (different numbers, wrong rollup): fail loudly."""


@dataclass
class Tree:
    province: Unit
    communes: list[Unit]
    #: (unit id, org) of every unit entries are logged for.
    leaves: list[tuple[int, str]]
    #: (unit id, ancestor id, org of the unit) for every unit and each of its ancestors (itself too).
    ancestors: list[tuple[int, int, str]]


@dataclass
class Timing:
    case: str
    impl: str
    reps: int
    p50_ms: float
    p95_ms: float
    max_ms: float


# --------------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------------


async def build_tree(db: Database, communes: int, areas: int) -> Tree:
    """The province of ``bench/province.py``, plus every (unit, ancestor) pair for the SQL rollup."""
    built = await build_province(db, communes, areas)
    made = [built.province, *built.units]
    ancestors = [(u.id, anc, u.org) for u in made for anc in rollup_q.ancestors(u)]
    return Tree(built.province, built.communes, built.leaves, ancestors)


async def catalog_measures(db: Database) -> list[tuple[str, list[str]]]:
    """The first ``TYPES`` catalog types with their measure keys."""
    return (await catalog(db))[:TYPES]


def generate(
    rows: int, tree: Tree, kinds: list[tuple[str, list[str]]], seed: int
) -> Iterator[tuple[list[int], list[int], list[int], list[int], list[tuple[int, str, int]]]]:
    """Chunks of (ids, unit ids, type indexes, day offsets, values (activity id, measure, milli))."""
    rng = np.random.default_rng(seed)
    leaf_ids = np.array([u for u, _ in tree.leaves], dtype=np.int64)
    counts = np.array([len(m) for _, m in kinds], dtype=np.int64)
    measure_keys = [m for _, ms in kinds for m in ms]
    first_measure = np.concatenate([[0], np.cumsum(counts)[:-1]])
    for start in range(0, rows, CHUNK):
        n = min(CHUNK, rows - start)
        ids = np.arange(start + 1, start + n + 1, dtype=np.int64)
        units = leaf_ids[rng.integers(0, len(leaf_ids), n)]
        types = rng.integers(0, len(kinds), n)
        days = rng.integers(0, DAYS, n)
        per = counts[types]
        value_ids = np.repeat(ids, per)
        offsets = np.arange(len(value_ids)) - np.repeat(np.cumsum(per) - per, per)
        measure_idx = np.repeat(first_measure[types], per) + offsets
        milli = rng.integers(1, 200, len(value_ids)) * 1000
        values = list(
            zip(
                value_ids.tolist(),
                [measure_keys[i] for i in measure_idx.tolist()],
                milli.tolist(),
                strict=True,
            )
        )
        yield ids.tolist(), units.tolist(), types.tolist(), days.tolist(), values


# --------------------------------------------------------------------------------------------------
# Rollup by SQL (checked against rollup.rebuild on SQLite)
# --------------------------------------------------------------------------------------------------

SQLITE_BUCKET = (
    "substr(a.occurred_on, 1, 8) || "
    "CASE WHEN substr(a.occurred_on, 9, 2) < '15' THEN '01' ELSE '15' END"
)
PG_BUCKET = (
    "(date_trunc('month', a.occurred_on)::date "
    "+ CASE WHEN extract(day FROM a.occurred_on) >= 15 THEN 14 ELSE 0 END)"
)
LEAF_SQL = (
    "CREATE TEMP TABLE bench_leaf AS SELECT a.unit_id AS unit_id, a.type_key AS type_key, "
    "v.measure_key AS measure_key, {bucket} AS bucket, SUM(v.value_milli) AS value_milli, "
    "COUNT(*) AS entries FROM activities a JOIN activity_values v ON v.activity_id = a.id "
    "WHERE a.deleted_at IS NULL GROUP BY a.unit_id, a.type_key, v.measure_key, {bucket}"
)
ROLLUP_SQL = (
    "INSERT INTO {table} (unit_id, span, bucket, org, type_key, measure_key, value_milli, "
    "entries) SELECT x.ancestor_id, 'h', l.bucket, x.org, l.type_key, l.measure_key, "
    "SUM(l.value_milli), SUM(l.entries) FROM bench_leaf l JOIN bench_anc x ON x.unit_id = l.unit_id "
    "GROUP BY x.ancestor_id, x.org, l.type_key, l.measure_key, l.bucket"
)
#: Quarter and year rows from the half-month rows, through a (bucket -> span start) table.
COARSE_SQL = (
    "INSERT INTO {table} (unit_id, span, bucket, org, type_key, measure_key, value_milli, "
    "entries) SELECT r.unit_id, m.span, m.start, r.org, r.type_key, r.measure_key, "
    "SUM(r.value_milli), SUM(r.entries) FROM {table} r JOIN bench_span m ON m.bucket = r.bucket "
    "WHERE r.span = 'h' GROUP BY r.unit_id, m.span, m.start, r.org, r.type_key, r.measure_key"
)
#: The same for all organisations together (org '*').
ALL_ORGS_SQL = (
    "INSERT INTO {table} (unit_id, span, bucket, org, type_key, measure_key, value_milli, "
    "entries) SELECT r.unit_id, m.span, m.start, '*', r.type_key, r.measure_key, "
    "SUM(r.value_milli), SUM(r.entries) FROM {table} r JOIN bench_span m ON m.bucket = r.bucket "
    "WHERE r.span = 'h' GROUP BY r.unit_id, m.span, m.start, r.type_key, r.measure_key"
)


def span_map() -> list[tuple[date, str, date]]:
    """(half-month bucket, span, span start) for every bucket of the generated days."""
    rows = []
    day = rollup_q.bucket_of(FIRST_DAY)
    while day < FIRST_DAY + timedelta(days=DAYS):
        rows += [(day, span, start) for span, start in rollup_q.spans_of(day)[1:]]
        day = rollup_q.next_bucket(day)
    return rows


ROLLUP_COLUMNS = "unit_id, span, bucket, org, type_key, measure_key, value_milli, entries"


# --------------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------------


def load_sqlite(path: str, rows: int, tree: Tree, kinds: list[tuple[str, list[str]]]) -> int:
    day_text = [(FIRST_DAY + timedelta(days=d)).isoformat() for d in range(DAYS)]
    stamp = NOW.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    type_keys = [k for k, _ in kinds]
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("BEGIN")
    values_total = 0
    for ids, units, types, days, values in generate(rows, tree, kinds, seed=1):
        con.executemany(
            "INSERT INTO activities (id, unit_id, type_key, occurred_on, source, created_at, "
            "updated_at, version) VALUES (?, ?, ?, ?, 'bench', ?, ?, 1)",
            (
                (i, u, type_keys[t], day_text[d], stamp, stamp)
                for i, u, t, d in zip(ids, units, types, days, strict=True)
            ),
        )
        con.executemany(
            "INSERT INTO activity_values (activity_id, measure_key, value_milli) VALUES (?, ?, ?)",
            values,
        )
        values_total += len(values)
    con.execute("COMMIT")
    con.execute("ANALYZE")
    con.close()
    return values_total


def sqlite_sql_rollup(path: str, tree: Tree) -> None:
    """The SQL rollup into ``bench_sql_rollup`` (same shape as activity_rollup)."""
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("DROP TABLE IF EXISTS bench_sql_rollup")
    con.execute(
        "CREATE TABLE bench_sql_rollup (unit_id INTEGER, span TEXT, bucket TEXT, org TEXT, "
        "type_key TEXT, measure_key TEXT, value_milli INTEGER, entries INTEGER)"
    )
    con.execute("CREATE TEMP TABLE bench_span (bucket TEXT, span TEXT, start TEXT)")
    con.executemany(
        "INSERT INTO bench_span VALUES (?, ?, ?)",
        [(b.isoformat(), span, start.isoformat()) for b, span, start in span_map()],
    )
    con.execute("CREATE TEMP TABLE bench_anc (unit_id INTEGER, ancestor_id INTEGER, org TEXT)")
    con.executemany("INSERT INTO bench_anc VALUES (?, ?, ?)", tree.ancestors)
    con.execute(LEAF_SQL.format(bucket=SQLITE_BUCKET))
    con.execute(ROLLUP_SQL.format(table="bench_sql_rollup"))
    con.execute(COARSE_SQL.format(table="bench_sql_rollup"))
    con.execute(ALL_ORGS_SQL.format(table="bench_sql_rollup"))
    con.close()


def sqlite_compare_rollups(path: str) -> tuple[int, int, int]:
    """(rows in activity_rollup, rows only there, rows only in the SQL rollup)."""
    con = sqlite3.connect(path, isolation_level=None)
    total = con.execute("SELECT count(*) FROM activity_rollup").fetchone()[0]
    only_rebuild = con.execute(
        f"SELECT count(*) FROM (SELECT {ROLLUP_COLUMNS} FROM activity_rollup "
        f"EXCEPT SELECT {ROLLUP_COLUMNS} FROM bench_sql_rollup)"
    ).fetchone()[0]
    only_sql = con.execute(
        f"SELECT count(*) FROM (SELECT {ROLLUP_COLUMNS} FROM bench_sql_rollup "
        f"EXCEPT SELECT {ROLLUP_COLUMNS} FROM activity_rollup)"
    ).fetchone()[0]
    con.execute("DROP TABLE bench_sql_rollup")
    con.execute("ANALYZE")
    con.close()
    return total, only_rebuild, only_sql


def pg_params(url: str) -> dict[str, Any]:
    u = make_url(url)
    return {
        "user": u.username or "postgres",
        "password": u.password,
        "host": u.host or "127.0.0.1",
        "port": u.port or 5432,
        "database": u.database,
    }


async def pg_recreate(url: str, drop_only: bool = False) -> None:
    params = pg_params(url)
    name = params.pop("database")
    con = await asyncpg.connect(**params, database="postgres")
    try:
        await con.execute(f'DROP DATABASE IF EXISTS "{name}"')
        if not drop_only:
            await con.execute(f'CREATE DATABASE "{name}"')
    finally:
        await con.close()


async def load_pg(url: str, rows: int, tree: Tree, kinds: list[tuple[str, list[str]]]) -> int:
    """COPY the entries with secondary indexes dropped and FK triggers off (replica role), then
    recreate the indexes exactly as they were (their saved definitions)."""
    day_obj = [FIRST_DAY + timedelta(days=d) for d in range(DAYS)]
    type_keys = [k for k, _ in kinds]
    con = await asyncpg.connect(**pg_params(url))
    values_total = 0
    try:
        indexes = await con.fetch(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = 'public' "
            "AND i.tablename IN ('activities', 'activity_values') AND NOT EXISTS (SELECT 1 FROM "
            "pg_constraint c WHERE c.conname = i.indexname)"
        )
        for ix in indexes:
            await con.execute(f'DROP INDEX "{ix["indexname"]}"')
        await con.execute("SET session_replication_role = replica")
        for ids, units, types, days, values in generate(rows, tree, kinds, seed=1):
            await con.copy_records_to_table(
                "activities",
                columns=[
                    "id",
                    "unit_id",
                    "type_key",
                    "occurred_on",
                    "source",
                    "created_at",
                    "updated_at",
                    "version",
                ],
                records=[
                    (i, u, type_keys[t], day_obj[d], "bench", NOW, NOW, 1)
                    for i, u, t, d in zip(ids, units, types, days, strict=True)
                ],
            )
            await con.copy_records_to_table(
                "activity_values",
                columns=["activity_id", "measure_key", "value_milli"],
                records=values,
            )
            values_total += len(values)
            print(f"  postgresql: {ids[-1]:,} activities copied", flush=True)
        await con.execute("SET session_replication_role = DEFAULT")
        await con.execute("SET maintenance_work_mem = '256MB'")
        for ix in indexes:
            await con.execute(ix["indexdef"])
        await con.execute(
            "SELECT setval(pg_get_serial_sequence('activities', 'id'), "
            "(SELECT max(id) FROM activities))"
        )
        await con.execute("ANALYZE activities")
        await con.execute("ANALYZE activity_values")
    finally:
        await con.close()
    return values_total


async def pg_sql_rollup(url: str, tree: Tree) -> None:
    con = await asyncpg.connect(**pg_params(url))
    try:
        await con.execute("SET work_mem = '256MB'")
        await con.execute("DELETE FROM activity_rollup")
        await con.execute(
            "CREATE TEMP TABLE bench_anc (unit_id bigint, ancestor_id bigint, org text)"
        )
        await con.copy_records_to_table("bench_anc", records=tree.ancestors)
        await con.execute(LEAF_SQL.format(bucket=PG_BUCKET))
        await con.execute(ROLLUP_SQL.format(table="activity_rollup"))
        await con.execute("CREATE TEMP TABLE bench_span (bucket date, span text, start date)")
        await con.copy_records_to_table("bench_span", records=span_map())
        await con.execute(COARSE_SQL.format(table="activity_rollup"))
        await con.execute(ALL_ORGS_SQL.format(table="activity_rollup"))
        await con.execute("ANALYZE activity_rollup")
    finally:
        await con.close()


# --------------------------------------------------------------------------------------------------
# The two ways to get the numbers
# --------------------------------------------------------------------------------------------------


def owner_actor(province: Unit) -> Actor:
    person = Person(id=0, telegram_id=0, first_name="bench")
    return Actor(person=person, roles=[Role(unit=province, role="owner", scope=units_q.EVERYTHING)])


async def ours(
    s: AsyncSession, actor: Actor, unit: Unit, period: Period
) -> tuple[Cells, dict[str, Cells]]:
    result = await totals_mod.compute(s, actor, unit, period)
    return result.total, {r.label_vi: r.cells for r in result.rows if not r.direct}


def naive_statement(node: Unit, period: Period) -> Any:
    """Every entry under ``node`` in the period, summed per child unit it lies under."""
    entry_unit = aliased(Unit)
    child = aliased(Unit)
    return (
        select(
            child.name,
            Activity.type_key,
            ActivityValue.measure_key,
            func.sum(ActivityValue.value_milli),
        )
        .select_from(Activity)
        .join(ActivityValue, ActivityValue.activity_id == Activity.id)
        .join(entry_unit, entry_unit.id == Activity.unit_id)
        .join(
            child,
            and_(
                child.parent_id == node.id,
                child.active == true(),
                entry_unit.path.startswith(child.path),
            ),
        )
        .where(
            Activity.deleted_at.is_(None),
            Activity.occurred_on >= period.start,
            Activity.occurred_on <= period.end,
        )
        .group_by(child.name, Activity.type_key, ActivityValue.measure_key)
    )


async def naive(s: AsyncSession, node: Unit, period: Period) -> tuple[Cells, dict[str, Cells]]:
    total: Cells = {}
    rows: dict[str, Cells] = {}
    for name, type_key, measure_key, value in (
        await s.execute(naive_statement(node, period))
    ).all():
        if not value:
            continue
        rows.setdefault(name, {})[(type_key, measure_key)] = int(value)
        total[(type_key, measure_key)] = total.get((type_key, measure_key), 0) + int(value)
    return total, rows


async def scanned(db: Database, node: Unit, period: Period) -> tuple[int, int]:
    """(raw value rows under node in the period, rollup rows compute reads)."""
    async with db.session() as s:
        raw = await s.scalar(
            select(func.count())
            .select_from(Activity)
            .join(ActivityValue, ActivityValue.activity_id == Activity.id)
            .join(Unit, Unit.id == Activity.unit_id)
            .where(
                Unit.path.startswith(node.path),
                Activity.deleted_at.is_(None),
                Activity.occurred_on >= period.start,
                Activity.occurred_on <= period.end,
            )
        )
        ids = [node.id, *(c.id for c in await units_q.children(s, node.id))]
        rolled = await s.scalar(
            select(func.count()).where(
                ActivityRollup.unit_id.in_(ids),
                rollup_q.spans_clause(rollup_q.cover(period.start, period.end), all_orgs=True),
            )
        )
    return int(raw or 0), int(rolled or 0)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


async def timed(
    db: Database,
    fn: Callable[[AsyncSession], Awaitable[Any]],
    reps: int,
    seconds: float | None = None,
) -> tuple[list[float], Any]:
    """One warm-up call, then ``reps`` calls (or fewer once ``seconds`` have passed, at least 3)."""
    async with db.session() as s:
        result = await fn(s)
    samples: list[float] = []
    began = time.perf_counter()
    for i in range(reps):
        t0 = time.perf_counter()
        async with db.session() as s:
            await fn(s)
        samples.append((time.perf_counter() - t0) * 1000)
        if seconds is not None and i >= 2 and time.perf_counter() - began > seconds:
            break
    return samples, result


def stats(case: str, impl: str, samples: list[float]) -> Timing:
    return Timing(
        case=case,
        impl=impl,
        reps=len(samples),
        p50_ms=round(statistics.median(samples), 2),
        p95_ms=round(pct(samples, 0.95), 2),
        max_ms=round(max(samples), 2),
    )


async def measure(db: Database, tree: Tree, args: argparse.Namespace) -> dict[str, Any]:
    # As `phoihop run` does once started (bot/runtime/runner.py): what lives now is out of the GC's walk.
    settle_heap()
    actor = owner_actor(tree.province)
    commune = tree.communes[len(tree.communes) // 2]
    cases = (
        ("province x quarter, by commune", tree.province, QUARTER),
        ("commune x month, by child unit", commune, MONTH),
    )
    timings: list[Timing] = []
    scans: dict[str, dict[str, int]] = {}
    for label, unit, period in cases:
        ours_samples, ours_result = await timed(
            db, lambda s, u=unit, p=period: ours(s, actor, u, p), args.reps
        )
        naive_samples, naive_result = await timed(
            db, lambda s, u=unit, p=period: naive(s, u, p), args.reps, args.naive_seconds
        )
        if ours_result != naive_result:
            raise BenchError(f"{label}: ours and naive disagree")
        if not ours_result[0] or len(ours_result[1]) < 2:
            raise BenchError(f"{label}: empty result, nothing was measured")
        timings.append(stats(label, "ours", ours_samples))
        timings.append(stats(label, "naive", naive_samples))
        raw, rolled = await scanned(db, unit, period)
        scans[label] = {
            "raw_value_rows": raw,
            "rollup_rows": rolled,
            "result_rows": len(ours_result[1]),
            "grand_total_milli": sum(ours_result[0].values()),
        }
    return {"timings": [asdict(t) for t in timings], "scans": scans}


# --------------------------------------------------------------------------------------------------
# Backends
# --------------------------------------------------------------------------------------------------


async def reuse_sqlite(args: argparse.Namespace) -> dict[str, Any]:
    """Measure a file kept by an earlier ``--keep-sqlite`` run (generation skipped)."""
    url = f"sqlite+aiosqlite:///{args.reuse_sqlite}"
    db = Database(url)
    report: dict[str, Any] = {"backend": "sqlite", "reused": args.reuse_sqlite}
    async with db.session() as s:
        province = await units_q.by_code(s, "bt")
        if province is None:
            raise BenchError(f"{args.reuse_sqlite} holds no bench province")
        communes = [c for c in await units_q.children(s, province.id) if c.code.startswith("bt-")]
        for key, table in (("rows", Activity), ("values", ActivityValue)):
            report[key] = int(await s.scalar(select(func.count()).select_from(table)) or 0)
        report["rollup_rows"] = int(
            await s.scalar(select(func.count()).select_from(ActivityRollup)) or 0
        )
        report["units"] = int(await s.scalar(select(func.count()).select_from(Unit)) or 0)
    report["types"] = TYPES
    report["seconds"] = {}
    tree = Tree(province, sorted(communes, key=lambda u: u.code), [], [])
    report.update(await measure(db, tree, args))
    await db.dispose()
    return report


async def run_sqlite(args: argparse.Namespace) -> dict[str, Any]:
    if args.reuse_sqlite:
        return await reuse_sqlite(args)
    folder = tempfile.mkdtemp(prefix="bench-totals-")
    path = os.path.join(folder, "bench.sqlite")
    url = f"sqlite+aiosqlite:///{path}"
    report: dict[str, Any] = {"backend": "sqlite", "rows": args.sqlite_rows}
    try:
        t0 = time.perf_counter()
        db = Database(url)
        await prepare_database(db, NOW)
        tree = await build_tree(db, args.communes, args.areas)
        kinds = await catalog_measures(db)
        await db.dispose()
        t1 = time.perf_counter()
        report["values"] = load_sqlite(path, args.sqlite_rows, tree, kinds)
        t2 = time.perf_counter()
        sqlite_sql_rollup(path, tree)
        t3 = time.perf_counter()
        db = Database(url)
        async with db.session() as s:
            report["rollup_rows"] = await rollup_q.rebuild(s)
        t4 = time.perf_counter()
        total, only_rebuild, only_sql = sqlite_compare_rollups(path)
        if only_rebuild or only_sql or total != report["rollup_rows"]:
            raise BenchError(
                f"SQL rollup differs from rollup.rebuild: {only_rebuild} rows only in rebuild, "
                f"{only_sql} only in SQL"
            )
        report["sql_rollup_equals_rebuild"] = True
        report["units"] = len({a for a, _, _ in tree.ancestors})
        report["types"] = len(kinds)
        report["seconds"] = {
            "schema_and_units": round(t1 - t0, 1),
            "entries": round(t2 - t1, 1),
            "sql_rollup": round(t3 - t2, 1),
            "rebuild_rollup": round(t4 - t3, 1),
        }
        print(f"sqlite: loaded in {report['seconds']}", flush=True)
        report.update(await measure(db, tree, args))
        await db.dispose()
    finally:
        if args.keep_sqlite:
            print(f"sqlite: kept {path}", flush=True)
        else:
            for name in os.listdir(folder):
                os.remove(os.path.join(folder, name))
            os.rmdir(folder)
    return report


async def run_pg(args: argparse.Namespace) -> dict[str, Any]:
    url = args.pg_url
    report: dict[str, Any] = {"backend": "postgresql", "rows": args.pg_rows}
    await pg_recreate(url)
    try:
        t0 = time.perf_counter()
        db = Database(url)
        await prepare_database(db, NOW)
        tree = await build_tree(db, args.communes, args.areas)
        kinds = await catalog_measures(db)
        async with db.session() as s:
            report["server"] = await s.scalar(text("SHOW server_version"))
        await db.dispose()
        t1 = time.perf_counter()
        report["values"] = await load_pg(url, args.pg_rows, tree, kinds)
        t2 = time.perf_counter()
        await pg_sql_rollup(url, tree)
        t3 = time.perf_counter()
        db = Database(url)
        async with db.session() as s:
            report["rollup_rows"] = int(
                await s.scalar(select(func.count()).select_from(ActivityRollup)) or 0
            )
        report["units"] = len({a for a, _, _ in tree.ancestors})
        report["types"] = len(kinds)
        report["seconds"] = {
            "schema_and_units": round(t1 - t0, 1),
            "entries": round(t2 - t1, 1),
            "sql_rollup": round(t3 - t2, 1),
        }
        print(f"postgresql: loaded in {report['seconds']}", flush=True)
        report.update(await measure(db, tree, args))
        await db.dispose()
    finally:
        if not args.keep_pg:
            await pg_recreate(url, drop_only=True)
    return report


# --------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "date_utc": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "cpus": os.cpu_count(),
        "cpu_model": model or platform.processor(),
        "python": sys.version.split()[0],
        "sqlalchemy": sqlalchemy.__version__,
        "sqlite": sqlite3.sqlite_version,
        "asyncpg": asyncpg.__version__,
    }


def evaluate(report: dict[str, Any]) -> dict[str, bool]:
    targets: dict[str, bool] = {}
    for backend, limit, wanted in (
        ("sqlite", TARGET_SQLITE_MS, report.get("sqlite_rows_target")),
        ("postgresql", TARGET_PG_MS, report.get("pg_rows_target")),
    ):
        result = report.get(backend)
        if not result:
            continue
        worst = max(t["p95_ms"] for t in result["timings"] if t["impl"] == "ours")
        note = "" if result["rows"] >= (wanted or 0) else f" (at {result['rows']:,} rows only)"
        targets[f"{backend}: ours p95 < {limit:.0f} ms{note}"] = worst < limit
    return targets


def render(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        f"machine: {m['cpus']} CPUs, {m['cpu_model']}; Python {m['python']}, "
        f"SQLAlchemy {m['sqlalchemy']}, SQLite {m['sqlite']}, asyncpg {m['asyncpg']}; "
        f"{m['date_utc']}",
    ]
    for backend in ("sqlite", "postgresql"):
        r = report.get(backend)
        if not r:
            continue
        lines += [
            "",
            f"{backend}{' ' + r['server'] if r.get('server') else ''}: {r['rows']:,} activities, "
            f"{r['values']:,} values, {r['units']:,} units, {r['types']} types, "
            f"{r['rollup_rows']:,} rollup rows; load seconds {r['seconds']}",
            f"{'case':34}{'impl':>7}{'reps':>6}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}"
            f"{'naive/ours p50':>16}{'p95':>8}",
        ]
        by_case: dict[str, dict[str, dict[str, Any]]] = {}
        for t in r["timings"]:
            by_case.setdefault(t["case"], {})[t["impl"]] = t
        for case, impls in by_case.items():
            o, n = impls["ours"], impls["naive"]
            for impl, t in (("ours", o), ("naive", n)):
                ratio = (
                    f"{n['p50_ms'] / o['p50_ms']:>16.1f}{n['p95_ms'] / o['p95_ms']:>8.1f}"
                    if impl == "naive"
                    else ""
                )
                lines.append(
                    f"{case:34}{impl:>7}{t['reps']:>6}{t['p50_ms']:>10.2f}{t['p95_ms']:>10.2f}"
                    f"{t['max_ms']:>10.2f}{ratio}"
                )
            sc = r["scans"][case]
            lines.append(
                f"{'':34}rows read: naive {sc['raw_value_rows']:,} raw values, ours "
                f"{sc['rollup_rows']:,} rollup rows; {sc['result_rows']} result rows, same totals"
            )
    lines.append("")
    lines.append("naive query (province x quarter, as compiled for the last backend):")
    lines.append("  " + report["naive_sql"].replace("\n", "\n  "))
    lines.append("")
    for name, ok in report["targets"].items():
        lines.append(f"  {'PASS' if ok else 'FAIL'}  {name}")
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sqlite-rows", type=int, default=1_000_000)
    parser.add_argument("--pg-rows", type=int, default=10_000_000)
    parser.add_argument("--skip-pg", action="store_true", help="SQLite only")
    parser.add_argument("--skip-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument(
        "--pg-url", default=DEFAULT_PG_URL, help="a database of its own (recreated)"
    )
    parser.add_argument(
        "--keep-pg", action="store_true", help="do not drop the database at the end"
    )
    parser.add_argument(
        "--keep-sqlite", action="store_true", help="leave the SQLite file and print its path"
    )
    parser.add_argument(
        "--reuse-sqlite", metavar="FILE", help="measure a file kept by --keep-sqlite (no load)"
    )
    parser.add_argument("--communes", type=int, default=100)
    parser.add_argument("--areas", type=int, default=10, help="residential areas per commune")
    parser.add_argument("--reps", type=int, default=50, help="timed calls per case (default 50)")
    parser.add_argument(
        "--naive-seconds", type=float, default=20.0, help="stop the naive reps after this long"
    )
    parser.add_argument("--out", help="also write the results as JSON to this file")
    parser.add_argument("--strict", action="store_true", help="exit 3 when a target fails")
    args = parser.parse_args(argv)
    if args.sqlite_rows < 1 or args.pg_rows < 1 or args.reps < 1:
        parser.error("row counts and --reps must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    report: dict[str, Any] = {
        "machine": machine(),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "sqlite_rows_target": 1_000_000,
        "pg_rows_target": 10_000_000,
        "periods": {"quarter": QUARTER.key(), "month": MONTH.key()},
    }
    try:
        if not args.skip_sqlite:
            report["sqlite"] = asyncio.run(run_sqlite(args))

        if not args.skip_pg:
            report["postgresql"] = asyncio.run(run_pg(args))
    except BenchError as exc:
        print(f"BENCHMARK FAILED: {exc}", file=sys.stderr)
        return 1
    sample = Unit(id=1, path="/1/")
    dialect = sqlite_dialect.dialect() if args.skip_pg else pg_dialect.dialect()
    report["naive_sql"] = str(naive_statement(sample, QUARTER).compile(dialect=dialect))
    report["targets"] = evaluate(report)
    print(render(report))
    if args.out:
        Path(args.out).write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    if args.strict and not all(report["targets"].values()):
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
