"""Making the engine: which database URLs are accepted, and how each SQLite connection is set up.

Only public SQLAlchemy API: the stock ``sqlite+aiosqlite`` dialect (each connection's sqlite3 calls
run in a thread of its own, so a statement never blocks the event loop) and ``postgresql+asyncpg``.

SQLite gets WAL, a busy timeout and foreign keys on every connection (ENGINEERING_NOTES): without
them concurrent writers fail with "database is locked" and foreign keys are silently ignored. Every
transaction begins with ``BEGIN IMMEDIATE`` (the ``begin`` event recipe of SQLAlchemy's SQLite
documentation): the write lock is taken at the start, so a read-modify-write never loses an update
and a transaction never fails half-way on a lock upgrade. A read-only engine (``Database.read``)
begins deferred and is ``query_only``. Apart from ``storage.db`` because the settings, the backup
and the CLI check and show URLs without opening a database.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event, make_url
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

__all__ = [
    "DatabaseConfigError",
    "DatabaseURL",
    "create_engine",
    "parse_database_url",
    "safe_url",
    "sqlite_begin",
    "sqlite_begin_read",
    "sqlite_pragmas",
]


#: A parsed database URL, under a name of this layer: the domain (``bot/backup.py``) hands it
#: around without importing SQLAlchemy (``tests/test_layers.py``).
DatabaseURL = URL


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


def sqlite_pragmas(busy_timeout: float, read_only: bool = False) -> Callable[[Any, Any], None]:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module (it would issue no BEGIN for
        # reads) so that ``sqlite_begin`` decides: see the "read-modify-write loses updates" note.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if read_only:
            # ``Database.read``: a statement that would write fails instead ("attempt to write a
            # readonly database"); the file's journal mode is the writers' engine's to set.
            cursor.execute("PRAGMA query_only=ON")
        else:
            cursor.execute("PRAGMA journal_mode=WAL")
        # Another writer (this process's other connections, a CLI command, a second process)
        # holds the lock: wait for it this long instead of failing at once with "database is
        # locked". SQLite waits in the connection's thread, not on the event loop.
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return on_connect


def sqlite_begin(conn: Any) -> None:
    # IMMEDIATE takes the write lock at the start, so a transaction never fails half-way with
    # "database is locked" on a lock upgrade; WAL keeps readers of other processes unblocked.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def sqlite_begin_read(conn: Any) -> None:
    # A deferred BEGIN takes no lock until the first read, and in WAL mode a reader never waits
    # for the writer: it reads the last committed state, one snapshot for the transaction.
    conn.exec_driver_sql("BEGIN")


def create_engine(
    url: str, *, echo: bool = False, busy_timeout: float = 10.0, read_only: bool = False
) -> AsyncEngine:
    parsed = parse_database_url(url)
    kwargs: dict[str, Any] = {"echo": echo}
    sqlite = parsed.get_backend_name() == "sqlite"
    if sqlite:
        database = parsed.database or ""
        if database in {"", ":memory:"}:
            raise DatabaseConfigError(
                "an in-memory SQLite database cannot be shared by the bot's connections; "
                "give a file, e.g. sqlite+aiosqlite:///phoihop.db"
            )
        folder = Path(database).expanduser().parent
        if not folder.is_dir():
            # Said here, not by the driver: aiosqlite's failed connect leaves its thread to finish
            # on an event loop that a one-shot command (`phoihop …`) has closed by then.
            raise DatabaseConfigError(
                f"cannot use the database {safe_url(url)}: the folder {folder} does not exist"
            )
        kwargs["connect_args"] = {"timeout": busy_timeout}
    else:
        # A restarted PostgreSQL server leaves dead connections in the pool: test each one when
        # it is taken, so the first update after the restart does not fail.
        kwargs["pool_pre_ping"] = True
    engine = create_async_engine(parsed, **kwargs)
    if sqlite:
        event.listen(engine.sync_engine, "connect", sqlite_pragmas(busy_timeout, read_only))
        event.listen(engine.sync_engine, "begin", sqlite_begin_read if read_only else sqlite_begin)
    return engine
