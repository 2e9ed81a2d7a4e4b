"""Bringing a database to what this version needs: migrations, then the reference data a new
deployment ships with (the §7 catalog)."""

from __future__ import annotations

from datetime import datetime

from bot.catalog import ensure_default_catalog
from storage import migrate
from storage.db import Database


async def prepare_database(db: Database, now: datetime) -> None:
    await migrate.upgrade(db)
    async with db.session() as session:
        await ensure_default_catalog(session, now)
