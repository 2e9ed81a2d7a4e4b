"""The two standard ways to run SQLite under asyncio, on the statements of one ``/log`` shortcut.

    .venv/bin/python bench/storage_modes.py [--units 2000] [--rounds 5]

Issue 14 asks to choose between (a) the stock ``sqlite+aiosqlite`` dialect (``AsyncSession``; each
connection's sqlite3 calls in a thread of its own) and (b) each unit of work as a sync function over
a sync ``Session`` (``sqlite+pysqlite``) run in a worker thread (``asyncio.to_thread``). Both are
public SQLAlchemy API. This measures what the choice costs by itself: one unit of work is what a
``/log`` shortcut runs against the database today (the person and memberships, the replay guard,
the period lock, the entry, its values, history and rollup rows, the update's mark), in one
``BEGIN IMMEDIATE`` transaction, ten at a time, each mode queueing the process's writers on an
``asyncio.Lock`` as ``Database.session`` does. CPU is this process's (every thread), per unit.

(a) hands each statement to the connection's thread and back about four times (cursor, execute,
fetch, close); (b) hands over the whole unit once.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from bot.demo import seed_demo
from bot.schema import prepare_database
from storage.db import Database
from storage.engine import sqlite_begin, sqlite_pragmas
from storage.models import Activity, PeriodLock
from storage.queries import activities as act_q
from storage.queries import people as people_q
from storage.queries import units as units_q
from storage.queries import updates as updates_q

NOW = datetime(2026, 11, 16, 1, 30, tzinfo=UTC)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def statements(unit_id: int, person_id: int, n: int) -> list[tuple[Any, Any]]:
    """The shortcut's statements with their parameters (the SQL a ``/log`` runs)."""
    fields = {
        "unit_id": unit_id,
        "person_id": person_id,
        "type_key": "hoa_giai",
        "occurred_on": date(2026, 11, 16),
        "note": None,
        "photo_file_id": None,
        "source": "bench",
        "created_at": NOW,
        "updated_at": NOW,
        "version": 1,
    }
    return [
        (people_q._KNOWN, {"telegram_id": 1004}),
        (updates_q._FINGERPRINT, {"update_id": n}),
        (
            select(func.count()).where(
                PeriodLock.unit_id == unit_id, PeriodLock.starts_on <= date(2026, 11, 16)
            ),
            {},
        ),
        (act_q._INSERT_ACTIVITY, fields),
    ]


def follow_ups(activity_id: int, person_id: int, n: int) -> list[tuple[Any, Any]]:
    return [
        (
            act_q._INSERT_VALUE,
            [{"activity_id": activity_id, "measure_key": "cases", "value_milli": 1000}],
        ),
        (
            act_q._INSERT_HISTORY,
            {
                "activity_id": activity_id,
                "person_id": person_id,
                "at": NOW,
                "action": "create",
                "before": None,
                "after": {"values": {"cases": "1"}},
            },
        ),
        (
            updates_q._mark("sqlite"),
            {"update_id": n, "fingerprint": f"fp{n}", "handled_at": NOW},
        ),
    ]


def unit_sync(session: Session, unit_id: int, person_id: int, n: int) -> None:
    new_id = 0
    for stmt, params in statements(unit_id, person_id, n):
        result = session.execute(stmt, params)
        new_id = result.scalar() or 0
    for stmt, params in follow_ups(new_id, person_id, n):
        session.execute(stmt, params)


async def unit_async(session: AsyncSession, unit_id: int, person_id: int, n: int) -> None:
    new_id = 0
    for stmt, params in statements(unit_id, person_id, n):
        result = await session.execute(stmt, params)
        new_id = result.scalar() or 0
    for stmt, params in follow_ups(new_id, person_id, n):
        await session.execute(stmt, params)


async def measure(run: Callable[[int], Awaitable[None]], units: int, start: int) -> float:
    """ms of CPU per unit of work, ``units`` of them, 10 at a time (concurrent updates)."""
    cpu, wall = cpu_seconds(), time.perf_counter()

    async def worker(k: int) -> None:
        for i in range(k, units, 10):
            await run(start + i)

    await asyncio.gather(*(worker(k) for k in range(10)))
    _ = time.perf_counter() - wall
    return (cpu_seconds() - cpu) * 1000 / units


async def main_async(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="phoihop-modes-") as tmp:
        path = Path(tmp) / "modes.db"
        db = Database(f"sqlite+aiosqlite:///{path}")
        await prepare_database(db, NOW)
        async with db.session() as s:
            await seed_demo(s, NOW)
            unit = await units_q.by_code(s, "02365-t1")
            person = await people_q.by_telegram_id(s, 1004)
            assert unit is not None and person is not None
        unit_id, person_id = unit.id, person.id

        sync_engine = create_engine(f"sqlite+pysqlite:///{path}", connect_args={"timeout": 10})
        event.listen(sync_engine, "connect", sqlite_pragmas(10.0))
        event.listen(sync_engine, "begin", sqlite_begin)

        def in_thread(n: int) -> None:
            with Session(sync_engine) as session, session.begin():
                unit_sync(session, unit_id, person_id, n)

        async def mode_a(n: int) -> None:
            async with db.session() as session:
                await unit_async(session, unit_id, person_id, n)

        queue = asyncio.Lock()  # as Database.session queues the process's SQLite writers

        async def mode_b(n: int) -> None:
            async with queue:
                await asyncio.to_thread(in_thread, n)

        results: dict[str, list[float]] = {"a: aiosqlite": [], "b: sync Session in a thread": []}
        n = 1_000_000
        await measure(mode_a, 50, n)  # warm both
        await measure(mode_b, 50, n + 100)
        n += 200
        for _ in range(args.rounds):
            for name, run in (("a: aiosqlite", mode_a), ("b: sync Session in a thread", mode_b)):
                results[name].append(await measure(run, args.units, n))
                n += args.units
        async with db.session() as s:
            total = await s.scalar(select(func.count()).select_from(Activity))
        sync_engine.dispose()
        await db.dispose()
    expected = 100 + 2 * args.rounds * args.units
    if total != expected:
        raise SystemExit(f"expected {expected} activities, found {total}")
    for name, values in results.items():
        print(
            f"{name:30} {statistics.median(values):6.2f} ms CPU per unit of work "
            f"(rounds: {', '.join(f'{v:.2f}' for v in values)})"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--units", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    asyncio.run(main_async(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
