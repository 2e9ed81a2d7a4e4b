"""SQLite under the async engine without a worker thread.

aiosqlite runs every call (cursor, execute, fetch, close) on its own thread and wakes the event loop
for each result. For our statements, which take microseconds in SQLite itself, that hand-off was
most of the cost of an update (``docs/benchmarks.md``: ~140 round trips of ~0.1 ms per ``/log``).
This driver runs ``sqlite3`` directly on the event loop's thread, behind SQLAlchemy's own aiosqlite
adapter (so the dialect, its SQL and its type handling are unchanged).

What keeps the loop responsive:

* The engine has one connection (``pool_size=1``): SQLite serialises writers anyway and every
  transaction here is ``BEGIN IMMEDIATE``, so a second task waiting for the connection awaits the
  pool (the loop runs on) instead of blocking inside SQLite.
* Another *process* holding the write lock (an operator's CLI command, a backup) must not freeze
  the loop for the busy timeout: the connection's own busy timeout is short, and a statement that
  fails with "database is locked" is retried after an ``asyncio.sleep``, with a growing pause, until
  the engine's timeout has passed; then the error is raised as before. A statement that failed
  with SQLITE_BUSY had no effect, so running it again is safe.

Beside the engine's connection, a read-only one (``Reader``) serves the reads every update starts
with, and the hot paths' statements skip SQLAlchemy's execution path (``InlineConnection``, which
in a ``Database.session`` also begins the transaction itself; the pool's checkout then adopts it).
That relies on every use of the engine while the bot runs going through ``Database.session``
(which takes the process's turn) or ``Database.read``; only migrations, before the bot starts,
use the engine directly.

Long statements (a province-year export) do hold the loop while SQLite works; such reads are rare
and an operator's, and on PostgreSQL (the deployment for large installations) nothing changes.
"""

from __future__ import annotations

import asyncio
import collections
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any, TypeVar

from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)
from sqlalchemy.exc import DBAPIError, MultipleResultsFound, NoResultFound
from sqlalchemy.util.concurrency import await_

from storage.prepared import Statements

#: How long SQLite itself may block the loop waiting for another process's lock, per attempt
#: (storage/db.py sets the same value as the connection's busy_timeout pragma).
BUSY_SLICE_MS = 20
T = TypeVar("T")


def _locked(error: sqlite3.OperationalError) -> bool:
    text = str(error).lower()
    return "database is locked" in text or "database is busy" in text


async def _retrying(call: Callable[[], T], patience: float) -> T:
    """Run ``call``; while another process holds the lock, yield to the loop and try again."""
    deadline = time.monotonic() + patience
    pause = 0.005
    while True:
        try:
            return call()
        except sqlite3.OperationalError as error:
            if not _locked(error) or time.monotonic() >= deadline:
                raise
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.2)


async def _statement(call: Callable[[], T], patience: float) -> T:
    """A statement, as the one awaitable SQLAlchemy's async engine requires of every execution
    (it checks that the driver awaited something): the call itself runs at once, and only a lock
    held by another process makes it wait on the loop (``_retrying``)."""
    try:
        return call()
    except sqlite3.OperationalError as error:
        if not _locked(error):
            raise
    return await _retrying(call, patience)


def _in_place(call: Callable[[], T], patience: float) -> T:
    """``_statement`` for calls made where nothing requires an await (commit): no hop to the
    loop unless another process holds the lock."""
    try:
        return call()
    except sqlite3.OperationalError as error:
        if not _locked(error):
            raise
    return await_(_retrying(call, patience))


class _Cursor:
    """The slice of aiosqlite's cursor that SQLAlchemy's adapter uses, run in place."""

    def __init__(self, cursor: sqlite3.Cursor, timeout: float) -> None:
        self._cursor = cursor
        self._timeout = timeout

    async def __aenter__(self) -> _Cursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Any = ()) -> _Cursor:
        await _retrying(lambda: self._cursor.execute(sql, parameters), self._timeout)
        return self

    async def executemany(self, sql: str, seq: Iterable[Any]) -> _Cursor:
        rows = list(seq)
        await _retrying(lambda: self._cursor.executemany(sql, rows), self._timeout)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    async def __aiter__(self) -> AsyncIterator[Any]:
        for row in self._cursor:
            yield row

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class _Connection:
    """The slice of aiosqlite's connection that SQLAlchemy's adapter uses, run in place."""

    def __init__(self, conn: sqlite3.Connection, timeout: float) -> None:
        self._conn = conn
        self._connection: sqlite3.Connection | None = conn
        self._timeout = timeout
        #: A session's transaction was begun on this connection without SQLAlchemy
        #: (``InlineConnection.begin``): SQLAlchemy's own begin then adopts it.
        self.direct = False

    @property
    def open(self) -> bool:
        return self._connection is not None

    def cursor(self) -> _Cursor:
        return _Cursor(self._conn.cursor(), self._timeout)

    async def commit(self) -> None:
        await _retrying(self._conn.commit, self._timeout)

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        if self._connection is not None:
            self._connection = None
            self._conn.close()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level


class _InlineCursor(AsyncAdapt_aiosqlite_cursor):
    """SQLAlchemy's cursor adapter over a plain ``sqlite3`` cursor.

    SQLAlchemy's async adapters hand every driver call to the loop's greenlet and back
    (``await_``: two greenlet switches and a coroutine each). The aiosqlite adapter makes three
    such hops per statement (open the cursor, execute and fetch, close) and one per commit; here
    the cursor is opened and closed in place and only the execution is one hop."""

    __slots__ = ()
    _awaitable_cursor_close = False  # ``close`` is a plain call, and nothing is soft-closed

    def _make_new_cursor(self, connection: Any) -> Any:
        return connection._conn.cursor()

    def _aenter_cursor(self, cursor: Any) -> Any:
        return cursor

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        cursor: sqlite3.Cursor = self._cursor  # type: ignore[assignment]
        params = () if parameters is None else parameters
        try:
            result = await_(
                _statement(lambda: cursor.execute(operation, params), self._connection._timeout)
            )
            if cursor.description:
                self._rows = collections.deque(cursor.fetchall())
            return result
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        cursor: sqlite3.Cursor = self._cursor  # type: ignore[assignment]
        rows = list(seq_of_parameters)
        try:
            return await_(
                _statement(lambda: cursor.executemany(operation, rows), self._connection._timeout)
            )
        except Exception as error:
            self._adapt_connection._handle_exception(error)


class _AdaptedConnection(AsyncAdapt_aiosqlite_connection):
    """SQLAlchemy's connection adapter whose ordinary cursors, commit and rollback run in place
    (``_InlineCursor``); server-side cursors (streamed exports) keep the awaitable ``_Cursor``."""

    __slots__ = ()
    _cursor_cls = _InlineCursor

    def commit(self) -> None:
        conn: sqlite3.Connection = self._connection._conn
        try:
            _in_place(conn.commit, self._connection._timeout)
        except Exception as error:
            self._handle_exception(error)

    def rollback(self) -> None:
        conn: sqlite3.Connection = self._connection._conn
        try:
            conn.rollback()
        except Exception as error:
            self._handle_exception(error)

    @property
    def isolation_level(self) -> str | None:
        conn: sqlite3.Connection = self._connection._conn
        return conn.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        conn: sqlite3.Connection = self._connection._conn
        conn.isolation_level = value  # type: ignore[assignment]


class _DBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *args: Any, **kwargs: Any) -> _AdaptedConnection:
        timeout = float(kwargs.pop("timeout", 5.0))
        kwargs.pop("async_creator_fn", None)
        kwargs["check_same_thread"] = False
        conn = sqlite3.connect(*args, timeout=BUSY_SLICE_MS / 1000, **kwargs)  # type: ignore[call-overload]
        adapted: Any = _Connection(conn, timeout)  # duck-typed as aiosqlite's connection
        return _AdaptedConnection(self, adapted)


class InlineSQLiteDialect(SQLiteDialect_aiosqlite):
    """``sqlite+aiosqlite`` semantics, ``sqlite3`` calls made on the loop's thread."""

    driver = "inline"
    supports_statement_cache = True
    has_terminate = False

    def do_begin(self, dbapi_connection: Any) -> None:
        """Every transaction takes the write lock at once (see storage/db.py's ``_sqlite_begin``,
        which the aiosqlite driver uses): issued straight on ``sqlite3`` in place, since a full
        SQLAlchemy statement execution here cost a tenth of a short transaction. A lock held by
        another process is waited for like any statement's (``_retrying``)."""
        shim: _Connection = dbapi_connection._connection
        conn = shim._conn
        if shim.direct and conn.in_transaction:
            return  # the session began it directly (InlineConnection.begin): carry on in it
        _in_place(lambda: conn.execute("BEGIN IMMEDIATE").close(), shim._timeout)

    @classmethod
    def import_dbapi(cls) -> _DBAPI:
        return _DBAPI(sqlite3, sqlite3)


class Reader:
    """A second, read-only ``sqlite3`` connection for the reads every update starts with.

    WAL lets it read the last committed state while the engine's one connection is inside a
    transaction (possibly another task's, waiting on the network), so these reads need neither
    a turn nor a transaction of their own: one statement is one consistent snapshot. Calls run on
    the loop's thread like the engine's (see the module's docstring), so the connection is only
    ever used by one statement at a time.
    """

    def __init__(self, path: str, patience: float) -> None:
        self._path = path
        self._patience = patience
        self._conn: sqlite3.Connection | None = None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(
                self._path, timeout=BUSY_SLICE_MS / 1000, check_same_thread=False
            )
            conn.isolation_level = None  # autocommit: each SELECT is its own read transaction
            conn.execute("PRAGMA query_only=ON")
            self._conn = conn
        return self._conn

    async def fetch(self, sql: str, parameters: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        def run() -> list[tuple[Any, ...]]:
            return self._connection().execute(sql, parameters).fetchall()

        return await _statement(run, self._patience)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class Rows(list[tuple[Any, ...]]):
    """The result of a statement run by ``InlineConnection``: its rows, with the few readers of
    SQLAlchemy's ``Result`` that the hot paths use."""

    def all(self) -> list[tuple[Any, ...]]:
        return list(self)

    def one(self) -> tuple[Any, ...]:
        if len(self) != 1:
            raise NoResultFound("no row") if not self else MultipleResultsFound("several rows")
        return self[0]

    def scalar(self) -> Any:
        return self[0][0] if self else None

    def scalar_one(self) -> Any:
        return self.one()[0]


class InlineConnection:
    """A session's SQLite connection for the Core statements of hot paths, each run straight on
    ``sqlite3`` (``storage.prepared``); a statement that does not qualify goes through the engine.
    ``storage.db.connection_of`` hands it out on the inline driver; it offers what those paths
    call on an ``AsyncConnection``.

    Made by ``begin`` it also owns the transaction: ``BEGIN IMMEDIATE`` on the engine's idle
    connection instead of SQLAlchemy's checkout, connection and transaction objects, which cost
    more than all the statements of a ``/log`` (docs/benchmarks.md). If the session then needs
    the engine (the ORM, a statement that does not qualify), the engine checks out that same
    connection and adopts the transaction (``InlineSQLiteDialect.do_begin``); ``finish`` ends it
    either way.
    """

    def __init__(
        self,
        raw: sqlite3.Connection,
        dialect: Any,
        statements: Statements,
        patience: float,
        engine_connection: Callable[[], Awaitable[Any]],
        shim: _Connection | None = None,
    ) -> None:
        self._raw = raw
        self.dialect = dialect
        self._statements = statements
        self._patience = patience
        self._engine_connection = engine_connection
        self._shim = shim

    @classmethod
    async def begin(
        cls,
        shim: _Connection,
        dialect: Any,
        statements: Statements,
        engine_connection: Callable[[], Awaitable[Any]],
    ) -> InlineConnection:
        """A transaction begun straight on the engine's connection ``shim``, which the caller
        holds the process's turn for and which no one has checked out."""
        conn = cls(shim._conn, dialect, statements, shim._timeout, engine_connection, shim)
        await conn._run("BEGIN IMMEDIATE", lambda: shim._conn.execute("BEGIN IMMEDIATE"), ())
        shim.direct = True
        return conn

    def finish(self, commit: bool) -> None:
        """End a transaction made by ``begin``: commit or roll back what the engine did not
        already end (it commits an adopted one itself)."""
        shim, raw = self._shim, self._raw
        if shim is None:
            return
        shim.direct = False
        if not raw.in_transaction:
            return
        if not commit:
            raw.rollback()
            return
        try:
            _in_place(raw.commit, self._patience)
        except sqlite3.Error as error:
            raw.rollback()
            raise DBAPIError.instance("COMMIT", (), error, sqlite3.Error) from error

    async def _run(self, sql: str, call: Callable[[], T], params: Any) -> T:
        try:
            return await _statement(call, self._patience)
        except sqlite3.Error as error:
            raise DBAPIError.instance(sql, params, error, sqlite3.Error) from error

    async def execute(self, stmt: Any, params: Any = None, *, typed: bool = True) -> Any:
        """Like ``AsyncConnection.execute``; ``typed=False`` leaves a SELECT's values as the
        driver gives them (see ``Database.read``)."""
        many = isinstance(params, list)
        first = (params[0] if params else {}) if many else (params or {})
        prepared = self._statements.get(stmt, tuple(sorted(first)))
        if prepared is None:
            return await (await self._engine_connection()).execute(stmt, params)
        cursor = self._raw.cursor()
        try:
            if many:
                rows = [prepared.parameters(p) for p in params]
                await self._run(prepared.sql, lambda: cursor.executemany(prepared.sql, rows), rows)
                return Rows()
            values = prepared.parameters(first)
            await self._run(prepared.sql, lambda: cursor.execute(prepared.sql, values), values)
            if not cursor.description:
                return Rows()
            return Rows(prepared.row(r) if typed else r for r in cursor.fetchall())
        finally:
            cursor.close()

    async def scalar(self, stmt: Any, params: Any = None) -> Any:
        return (await self.execute(stmt, params)).scalar()

    async def exec_driver_sql(self, sql: str, params: Any = None) -> Rows:
        cursor = self._raw.cursor()
        try:
            if isinstance(params, list):
                await self._run(sql, lambda: cursor.executemany(sql, params), params)
                return Rows()
            await self._run(sql, lambda: cursor.execute(sql, params or ()), params)
            return Rows(cursor.fetchall()) if cursor.description else Rows()
        finally:
            cursor.close()
