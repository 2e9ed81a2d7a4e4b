"""The migrations build exactly the schema the models describe, on both databases: a model change
without its Alembic migration (or a migration that drifts from the model) fails here."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text
from sqlalchemy.engine import Connection

from bot.clock import FakeClock
from bot.demo import seed_demo, seed_demo_round
from bot.schema import prepare_database
from storage import migrate
from storage.db import Database
from storage.models import Base, PeriodLock
from storage.queries import reports as reports_q
from storage.queries import units as units_q


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_migrated_schema_matches_the_models(db: Database) -> None:
    async with db.engine.connect() as conn:
        diff = await conn.run_sync(_diff)
    assert diff == []


async def test_lock_scope_migration_fills_prefix_org_and_report(
    tmp_path: Path, clock: FakeClock
) -> None:
    """Locks from before issue 16 (unit and "report:<id>" only, as the downgrade leaves them):
    the upgrade gives each its report unit's anchor path and organisation, and its report."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    try:
        await prepare_database(db, clock.now())
        async with db.session() as session:
            demo = await seed_demo(session, clock.now())
            row = await seed_demo_round(session, demo, clock.now(), ZoneInfo("Asia/Ho_Chi_Minh"))
            assert row is not None
            report = (await reports_q.reports_of_round(session, row.id))[0]
            unit = await units_q.get(session, report.unit_id)
            union = await units_q.by_code(session, "02365-phu_nu")
            assert unit is not None and union is not None
            day = date(2026, 10, 1)
            await reports_q.lock_period(session, report.id, unit, day, day, clock.now())
            await reports_q.lock_period(session, report.id, union, day, day, clock.now())
        await migrate.downgrade(db, "d5e1f0a2b3c4")
        async with db.session() as session:
            await session.execute(text("UPDATE period_locks SET reason = 'test' WHERE id = 2"))
        await migrate.upgrade(db, "head")
        async with db.session() as session:
            locks = (await session.scalars(select(PeriodLock).order_by(PeriodLock.id))).all()
            migrated = [(lock.report_id, lock.prefix, lock.org) for lock in locks]
    finally:
        await db.dispose()
    # A member organisation under its area's Front: its anchor is the area (the commune).
    assert union.anchor_path != union.path
    assert migrated == [(report.id, unit.path, "mttq"), (None, union.anchor_path, "phu_nu")]
