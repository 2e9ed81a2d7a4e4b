"""Dialect-aware ``INSERT ... ON CONFLICT`` (SQLite and PostgreSQL spell it the same way in SQLAlchemy,
but through different ``insert`` constructs)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def insert_for(session: AsyncSession, table: Any) -> Any:
    """An ``insert`` construct that supports ``on_conflict_do_*`` for the session's database."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    if dialect == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
