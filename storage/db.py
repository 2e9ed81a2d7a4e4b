"""Engine, sessions and schema checks for SQLite (default) and PostgreSQL.

SQLite gets WAL, a busy timeout and foreign keys on every connection (ENGINEERING_NOTES): without
them concurrent writers fail with "database is locked" and foreign keys are silently ignored.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, make_url
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class DatabaseConfigError(ValueError):
    """The database URL cannot be used; the message is one line for the operator."""


def parse_database_url(url: str) -> URL:
    """Validate a database URL and accept the usual driverless spellings."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseConfigError(f"not a database URL: {url!r}") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite")
    if backend in {"postgresql", "postgres"}:
        return parsed.set(drivername="postgresql+asyncpg")
    raise DatabaseConfigError(
        f"unsupported database {backend!r}: use sqlite+aiosqlite:///FILE or postgresql+asyncpg://..."
    )


def safe_url(url: str | URL) -> str:
    """The URL with any password hidden, for messages and logs."""
    parsed = url if isinstance(url, URL) else make_url(url)
    return parsed.render_as_string(hide_password=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control away from the sqlite3 module (it would issue no BEGIN for reads) so
    # that ``_sqlite_begin`` decides: see the "read-modify-write loses updates" note.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # IMMEDIATE takes the write lock at the start, so a transaction never fails half-way with
    # "database is locked" on a lock upgrade; WAL keeps readers of other processes unblocked.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    parsed = parse_database_url(url)
    kwargs: dict[str, Any] = {"echo": echo}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database in {"", ":memory:"}:
            raise DatabaseConfigError(
                "an in-memory SQLite database cannot be shared by the bot's connections; "
                "give a file, e.g. sqlite+aiosqlite:///phoihop.db"
            )
        kwargs["connect_args"] = {"timeout": 10}
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_async_engine(parsed, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
    return engine


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


#: Seconds a session waits for its turn on SQLite: the busy timeout, so a nested session still
#: fails with "database is locked" instead of hanging.
SQLITE_TURN_TIMEOUT = 10.0


class Database:
    """The engine and its session factory, passed to services as one object.

    On SQLite every transaction is a writer (``BEGIN IMMEDIATE``), so only one runs at a time.
    Sessions of this process take turns on an asyncio lock before they begin: a waiting
    coroutine is woken the moment the previous transaction ends, instead of SQLite's busy handler
    sleeping and retrying in aiosqlite's threads (measured: with the outbox sending to eight
    chats at once, those sleeps, not the SQL, were what limited it; docs/bench-fanout.md).
    Other processes (the CLI) still meet the busy timeout.
    """

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = create_engine(url, echo=echo)
        self.sessionmaker = create_sessionmaker(self.engine)
        self._serial = self.engine.dialect.name == "sqlite"
        self._turns: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        if not self._serial:
            yield
            return
        loop = asyncio.get_running_loop()
        lock = self._turns.get(loop)
        if lock is None:
            self._turns = {k: v for k, v in self._turns.items() if not k.is_closed()}
            lock = self._turns[loop] = asyncio.Lock()
        try:
            async with asyncio.timeout(SQLITE_TURN_TIMEOUT):
                await lock.acquire()
        except TimeoutError:
            raise OperationalError(
                "BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked")
            ) from None
        try:
            yield
        finally:
            lock.release()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction: committed when the block ends, rolled back on error."""
        async with self._turn(), self.sessionmaker() as session, session.begin():
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()
