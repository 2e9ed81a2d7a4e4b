"""A read-only snapshot of the database on a connection of its own, for long reads (``/export``).

A province-year export reads for minutes. Through the bot's own engine it would hold one of the
bot's connections (on SQLite: its one writer turn) all that time, and it would run on the bot's
event loop. Here the reader opens its own engine on the same database, with no pool (``NullPool``:
the connection is closed with the engine, nothing lingers in a worker thread), and reads inside
one transaction that sees one consistent state of the data while the bot keeps writing:

- SQLite: a deferred ``BEGIN`` on a WAL database takes a read snapshot at the first read and no
  lock that stops writers (the bot's engine begins ``IMMEDIATE``, which would). ``query_only``
  makes any write attempt an error. This is SQLAlchemy's documented recipe for controlling
  pysqlite/aiosqlite transactions (``isolation_level = None`` + a ``begin`` event).
- PostgreSQL: ``REPEATABLE READ``, ``READ ONLY``: every statement sees the snapshot of the first.

Only public SQLAlchemy APIs; the async engine so that the domain's async queries run unchanged.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.pool import NullPool

from storage.engine import parse_database_url


def _sqlite_reader(busy_timeout: float) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we say BEGIN ourselves (``_begin``)
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    return on_connect


def _begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN")  # deferred: a read snapshot, no write lock


def snapshot_engine(url: str, *, busy_timeout: float = 10.0) -> AsyncEngine:
    """An engine of its own on the database at ``url``, for one long read-only transaction."""
    parsed = parse_database_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_async_engine(
            parsed, poolclass=NullPool, connect_args={"timeout": busy_timeout}
        )
        event.listen(engine.sync_engine, "connect", _sqlite_reader(busy_timeout))
        event.listen(engine.sync_engine, "begin", _begin)
        return engine
    return create_async_engine(
        parsed,
        poolclass=NullPool,
        isolation_level="REPEATABLE READ",
        execution_options={"postgresql_readonly": True},
    )


@asynccontextmanager
async def snapshot_session(url: str, *, busy_timeout: float = 10.0) -> AsyncIterator[AsyncSession]:
    """A session whose statements all read one consistent state of the database; nothing it
    does is committed. Objects it loaded stay readable after the block (the session is closed,
    not rolled back, so they are not expired)."""
    engine = snapshot_engine(url, busy_timeout=busy_timeout)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            yield session
    finally:
        await engine.dispose()
