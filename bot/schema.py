"""Bringing a database to what this version needs: migrations, then the reference data a new
deployment ships with (the §7 catalog)."""

from __future__ import annotations

from datetime import datetime

from bot.catalog import ensure_default_catalog
from bot.reports import ensure_default_templates
from storage import migrate
from storage.db import Database


async def prepare_database(db: Database, now: datetime) -> None:
    await migrate.upgrade(db)
    await ensure_reference_data(db, now)


async def ensure_reference_data(db: Database, now: datetime) -> None:
    """The catalog every deployment starts with (when still empty) and the shipped templates it
    lacks."""
    async with db.session() as session:
        await ensure_default_catalog(session, now)
    async with db.session() as session:
        await ensure_default_templates(session, now)
