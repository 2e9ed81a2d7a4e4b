"""Engine, sessions and schema checks for SQLite (default) and PostgreSQL.

SQLite gets WAL, a busy timeout and foreign keys on every connection (ENGINEERING_NOTES): without
them concurrent writers fail with "database is locked" and foreign keys are silently ignored.
"""

from __future__ import annotations

import asyncio
import sqlite3
import weakref
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Select, event, make_url
from sqlalchemy.dialects import registry
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import ORMExecuteState, Session

from storage.prepared import Statements
from storage.sqlite_inline import BUSY_SLICE_MS, InlineConnection, Reader

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


def _sqlite_pragmas(busy_timeout: float) -> Callable[[Any, Any], None]:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module (it would issue no BEGIN for
        # reads) so that ``_sqlite_begin`` decides: see the "read-modify-write loses updates" note.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # Another writer (a CLI command, a second process) holds the lock: wait for it this long
        # instead of failing at once with "database is locked".
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return on_connect


def _sqlite_begin(conn: Any) -> None:
    # IMMEDIATE takes the write lock at the start, so a transaction never fails half-way with
    # "database is locked" on a lock upgrade; WAL keeps readers of other processes unblocked.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


registry.register("sqlite.inline", "storage.sqlite_inline", "InlineSQLiteDialect")

#: ``inline``: sqlite3 on the loop's thread, one connection (storage/sqlite_inline.py);
#: ``aiosqlite``: a worker thread per connection (kept for comparison in bench/).
SQLITE_DRIVERS = ("inline", "aiosqlite")


def create_engine(
    url: str, *, echo: bool = False, busy_timeout: float = 10.0, sqlite_driver: str = "inline"
) -> AsyncEngine:
    parsed = parse_database_url(url)
    kwargs: dict[str, Any] = {"echo": echo}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database in {"", ":memory:"}:
            raise DatabaseConfigError(
                "an in-memory SQLite database cannot be shared by the bot's connections; "
                "give a file, e.g. sqlite+aiosqlite:///phoihop.db"
            )
        if sqlite_driver not in SQLITE_DRIVERS:
            raise DatabaseConfigError(f"unknown SQLite driver {sqlite_driver!r}")
        kwargs["connect_args"] = {"timeout": busy_timeout}
        if sqlite_driver == "inline":
            parsed = parsed.set(drivername="sqlite+inline")
            kwargs.update(pool_size=1, max_overflow=0, pool_timeout=60)
    else:
        # A restarted PostgreSQL server leaves dead connections in the pool: test each one when
        # it is taken, so the first update after the restart does not fail.
        kwargs["pool_pre_ping"] = True
    engine = create_async_engine(parsed, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        # The inline driver lets SQLite wait only a short slice and does the rest of the waiting
        # with asyncio.sleep (storage/sqlite_inline.py), so the loop is never held for long.
        wait = BUSY_SLICE_MS / 1000 if sqlite_driver == "inline" else busy_timeout
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas(wait))
        if sqlite_driver != "inline":  # the inline dialect begins the same way itself
            event.listen(engine.sync_engine, "begin", _sqlite_begin)
    return engine


class _TrackingSession(Session):
    """A session that notes whether it changed anything (``info["wrote"]``), for ``WriteMark``."""


def _note_dml(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info["wrote"] = True


def _note_flush(session: Session, _context: Any, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        session.info["wrote"] = True


@dataclass
class _InlineEngine:
    """What ``connection_of`` needs of an engine on the inline SQLite driver: its prepared
    statements, and its one connection (set each time the pool connects)."""

    statements: Statements
    shim: Any = None


#: Engines on the inline SQLite driver (weakly: a disposed engine's entry goes with it).
_INLINE: weakref.WeakKeyDictionary[Any, _InlineEngine] = weakref.WeakKeyDictionary()


async def connection_of(session: AsyncSession) -> AsyncConnection | InlineConnection:
    """The connection of the session's current transaction, for Core statements on hot paths.

    ``AsyncSession.connection()`` costs ~50 µs a call (it runs through the greenlet bridge); a
    ``/log`` made eight of them. Kept per transaction, so a commit inside the session never
    leaves a stale connection behind. On the inline SQLite driver it is an ``InlineConnection``,
    which runs each statement straight on ``sqlite3`` (storage/prepared.py) and, in a session of
    ``Database.session``, begins the transaction itself (``InlineConnection.begin``)."""
    direct = session.info.get("direct")
    if direct is not None:
        return direct
    transaction = session.sync_session.get_transaction()
    kept = session.info.get("connection")
    if kept is not None and transaction is not None and kept[0] is transaction:
        return kept[1]
    inline = _INLINE.get(session.bind.sync_engine) if session.bind is not None else None
    if inline is None:
        conn = await session.connection()
        session.info["connection"] = (session.sync_session.get_transaction(), conn)
        return conn

    async def engine_connection() -> AsyncConnection:
        return await session.connection()

    engine = session.bind.sync_engine if session.bind is not None else None
    shim = inline.shim
    if (
        session.info.get("owner") is not None
        and transaction is None  # nothing begun through the engine yet
        and shim is not None
        and shim.open
        and not shim.direct
        and engine is not None
        and engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    ):
        direct = await InlineConnection.begin(
            shim, engine.dialect, inline.statements, engine_connection
        )
        session.info["direct"] = direct
        return direct
    async_conn = await session.connection()
    sync_conn: Any = async_conn.sync_connection
    raw: Any = sync_conn.connection.driver_connection
    conn_inline = InlineConnection(
        raw._conn, async_conn.dialect, inline.statements, raw._timeout, engine_connection
    )
    session.info["connection"] = (session.sync_session.get_transaction(), conn_inline)
    return conn_inline


def note_write(session: AsyncSession | Session) -> None:
    """Statements run on the session's connection (Core, for speed) bypass the ORM events above:
    their callers say that they wrote, so the transaction still carries its ``WriteMark``."""
    session.info["wrote"] = True


event.listen(_TrackingSession, "do_orm_execute", _note_dml)
event.listen(_TrackingSession, "before_flush", _note_flush)


@dataclass
class WriteMark:
    """Something to write in the first transaction that changes data, and only there.

    The bot sets one per Telegram update (the update's id, see ``handlers/replay.py``) so that
    "this update took effect" commits atomically with the effect itself.
    """

    apply: Callable[[AsyncSession], Awaitable[None]]
    done: bool = False


_write_mark: ContextVar[WriteMark | None] = ContextVar("phoihop_write_mark", default=None)

AfterCommit = Callable[[], Awaitable[Any]]

#: The after-commit work of each ``Database.session`` block the current task is inside, innermost
#: last (empty: no open transaction).
_open_sessions: ContextVar[tuple[list[AfterCommit], ...]] = ContextVar(
    "phoihop_open_sessions", default=()
)


def in_transaction() -> bool:
    """Whether the current task holds an open ``Database.session`` transaction.

    The Bot API layer asks this before every request (``bot/runtime/api_retry.py``): a request
    awaited inside a transaction holds SQLite's write lock (and every other writer) for as long
    as Telegram takes, up to a minute of retries. Replies go after the commit."""
    return bool(_open_sessions.get())


def after_commit(work: AfterCommit) -> None:
    """Run ``work`` once the current transaction has committed; never if it rolls back.

    How a handler answers from inside a transaction (handlers/common.py ``reply``): the answer
    says what was saved, so it must neither go out before the save is durable nor hold the
    write lock while Telegram answers. A block nested in another hands its work to the outer
    one. Outside any transaction the caller should just do the work."""
    stack = _open_sessions.get()
    if not stack:
        raise RuntimeError("after_commit outside a transaction")
    stack[-1].append(work)


def set_write_mark(mark: WriteMark | None) -> None:
    """Attach ``mark`` to the current task's next writing transaction (None: no mark)."""
    _write_mark.set(mark)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=_TrackingSession)


#: Seconds a session waits for its turn on SQLite: the busy timeout, so a nested session still
#: fails with "database is locked" instead of hanging.
SQLITE_TURN_TIMEOUT = 10.0


class Turns:
    """One transaction at a time in this process, first come first served, except that urgent
    sessions go before every waiting ordinary one.

    Urgent is for short writes recording what already happened outside the database: the outbox's
    ``mark_sent`` after Telegram accepted a message. Until it commits, a crash sends that message
    again, so it must not queue behind the renders of the notices still to send
    (docs/bench-fanout.md). The turn is handed to the next waiter directly on release, so nobody
    can barge in between.
    """

    def __init__(self) -> None:
        self._busy = False
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._ordinary: deque[asyncio.Future[None]] = deque()

    @property
    def waiting(self) -> int:
        return sum(not f.done() for f in (*self._urgent, *self._ordinary))

    async def acquire(self, urgent: bool = False) -> None:
        if not self._busy:
            self._busy = True
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        lane = self._urgent if urgent else self._ordinary
        lane.append(waiter)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed the turn just as we were cancelled: pass it on
            elif waiter in lane:
                lane.remove(waiter)
            raise

    def release(self) -> None:
        for lane in (self._urgent, self._ordinary):
            while lane:
                waiter = lane.popleft()
                if not waiter.done():
                    waiter.set_result(None)  # stays busy: the turn goes to this waiter
                    return
        self._busy = False


def _commit_and_close(session: Session) -> None:
    try:
        session.commit()
    finally:
        session.close()


def _rollback_and_close(session: Session) -> None:
    try:
        session.rollback()
    finally:
        session.close()


class Database:
    """The engine and its session factory, passed to services as one object.

    On SQLite every transaction is a writer (``BEGIN IMMEDIATE``), so only one runs at a time.
    Sessions of this process take turns (``Turns``) before they begin: a waiting coroutine is
    woken the moment the previous transaction ends, instead of SQLite's busy handler sleeping
    and retrying (measured with aiosqlite: with the outbox sending to eight chats at once, those
    sleeps, not the SQL, were what limited it; docs/bench-fanout.md), and urgent sessions go
    first. The default inline driver has one connection anyway (storage/sqlite_inline.py); the
    turns also give a nested session the "database is locked" error instead of a pool timeout.
    Other processes (the CLI) still meet the busy timeout.
    """

    def __init__(
        self,
        url: str,
        *,
        echo: bool = False,
        busy_timeout: float = 10.0,
        sqlite_driver: str = "inline",
    ) -> None:
        self.url = url
        self.busy_timeout = busy_timeout
        self.engine = create_engine(
            url, echo=echo, busy_timeout=busy_timeout, sqlite_driver=sqlite_driver
        )
        self.sessionmaker = create_sessionmaker(self.engine)
        self._serial = self.engine.dialect.name == "sqlite"
        self._turns: dict[asyncio.AbstractEventLoop, Turns] = {}
        self._inline = self.engine.dialect.driver == "inline"
        #: The inline driver's read-only connection (``read``); None on other drivers.
        self._reader = (
            Reader(self.engine.url.database or "", busy_timeout) if self._inline else None
        )
        self.statements = Statements(self.engine.dialect)
        if self._inline:
            inline = _INLINE[self.engine.sync_engine] = _InlineEngine(self.statements)

            def remember(dbapi_connection: Any, _record: Any) -> None:
                inline.shim = dbapi_connection._connection

            event.listen(self.engine.sync_engine, "connect", remember)

    def turns(self) -> Turns:
        """This event loop's turns (a test or a CLI command may run several loops in turn)."""
        loop = asyncio.get_running_loop()
        turns = self._turns.get(loop)
        if turns is None:
            self._turns = {k: v for k, v in self._turns.items() if not k.is_closed()}
            turns = self._turns[loop] = Turns()
        return turns

    @asynccontextmanager
    async def _turn(self, urgent: bool) -> AsyncIterator[None]:
        if not self._serial:
            yield
            return
        turns = self.turns()
        try:
            async with asyncio.timeout(SQLITE_TURN_TIMEOUT):
                await turns.acquire(urgent)
        except TimeoutError:
            raise OperationalError(
                "BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked")
            ) from None
        try:
            yield
        finally:
            turns.release()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def session(self, *, urgent: bool = False) -> AsyncIterator[AsyncSession]:
        """A session in a transaction: committed when the block ends, rolled back on error.
        ``urgent``: on SQLite, before every ordinary session waiting for its turn (``Turns``)."""
        outer = _open_sessions.get()
        pending: list[AfterCommit] = []
        token = _open_sessions.set((*outer, pending))
        try:
            async with self._session(urgent) as session:
                yield session
        finally:
            _open_sessions.reset(token)
        # Committed (an exception skips this: rolled back, the work is dropped).
        if outer:
            outer[-1].extend(pending)
        else:
            for work in pending:
                await work()

    @asynccontextmanager
    async def _session(self, urgent: bool) -> AsyncIterator[AsyncSession]:
        marked: WriteMark | None = None
        async with self._turn(urgent):
            session = self.sessionmaker()
            # Its transaction is ended below, so connection_of may begin it directly.
            session.info["owner"] = self
            try:
                yield session
                mark = _write_mark.get()
                if mark is not None and not mark.done and session.info.get("wrote"):
                    await mark.apply(session)
                    marked = mark
            except BaseException:
                await self._end(session, commit=False)
                raise
            await self._end(session, commit=True)
            if marked is not None:  # committed
                marked.done = True

    async def _end(self, session: AsyncSession, *, commit: bool) -> None:
        """Commit (or roll back) and close in one pass through SQLAlchemy's greenlet bridge.

        ``async with session.begin()`` and then the session's own ``async with`` cost four such
        passes and, for the close, a task of its own (shielded from cancellation) with two turns
        of the event loop: a tenth of a short transaction. The inline driver never suspends, so
        nothing can cancel it half-way; other drivers keep SQLAlchemy's shielded close."""
        if self._inline:
            direct: InlineConnection | None = session.info.get("direct")
            sync = session.sync_session
            if sync.get_transaction() is None and not (sync.new or sync.dirty or sync.deleted):
                # Nothing went through the engine (the hot paths' statements run directly):
                # its commit would be a no-op, and closing does no I/O.
                sync.close()
                if direct is not None:
                    direct.finish(commit=commit)
                return
            try:
                await session.run_sync(_commit_and_close if commit else _rollback_and_close)
            except BaseException:
                if direct is not None:
                    direct.finish(commit=False)
                raise
            if direct is not None:
                direct.finish(commit=commit)
            return
        try:
            if commit:
                await session.commit()
            else:
                await session.rollback()
        finally:
            await session.__aexit__(None, None, None)

    async def read(
        self, stmt: Select[Any], params: dict[str, Any], *, typed: bool = True
    ) -> list[tuple[Any, ...]]:
        """The rows of one SELECT as of the last commit, outside any transaction.

        For the reads every update starts with (who is writing, was this update handled): with
        the inline SQLite driver they go straight to a read-only connection (``Reader``), a few
        tens of microseconds instead of a session's turn, transaction and commit (most of the
        cost of such a read, docs/benchmarks.md). Other drivers run it in a session. Rows are
        plain tuples in ``stmt``'s column order, values typed as the ORM would type them; with
        ``typed=False`` as the driver gave them (``typed_rows`` types them later): enough to
        compare with rows read before, and typing thirty columns cost more than the read."""
        if self._reader is None:
            async with self.session() as session:
                conn = await connection_of(session)
                return [tuple(row) for row in (await conn.execute(stmt, params)).all()]
        prepared = self.statements.get(stmt)
        assert prepared is not None, "a plain SELECT always qualifies"
        values = prepared.parameters(params)
        try:
            raw = await self._reader.fetch(prepared.sql, values)
        except sqlite3.Error as error:
            raise DBAPIError.instance(prepared.sql, values, error, sqlite3.Error) from error
        return [prepared.row(row) for row in raw] if typed else raw

    async def read_in(
        self, session: AsyncSession, stmt: Select[Any], params: dict[str, Any]
    ) -> list[tuple[Any, ...]]:
        """``read(stmt, params, typed=False)`` inside the session's transaction: the rows as
        this transaction sees them (after its own writes), in the same form."""
        conn = await connection_of(session)
        if isinstance(conn, InlineConnection):
            return list(await conn.execute(stmt, params, typed=False))
        return [tuple(row) for row in (await conn.execute(stmt, params)).all()]

    def typed_rows(self, stmt: Select[Any], rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """Rows of ``read(stmt, ..., typed=False)``, typed as ``read`` would have typed them."""
        if self._reader is None:
            return rows
        prepared = self.statements.get(stmt)
        assert prepared is not None
        return [prepared.row(row) for row in rows]

    async def dispose(self) -> None:
        if self._reader is not None:
            self._reader.close()
        await self.engine.dispose()


def storage_problem(exc: BaseException) -> str | None:
    """Classify a database failure the user should hear about: ``"locked"`` (another writer held
    SQLite's lock longer than the busy timeout), ``"full"`` (the disk or the file's size limit),
    ``"unavailable"`` (the server went away); None for anything else (a bug)."""
    if not isinstance(exc, DBAPIError):
        return None
    text = str(exc.orig if exc.orig is not None else exc).lower()
    if "database is locked" in text or "database table is locked" in text:
        return "locked"
    if "disk is full" in text or "no space left" in text or "could not extend file" in text:
        return "full"
    if exc.connection_invalidated or (
        "connection" in text
        and ("closed" in text or "refused" in text or "terminat" in text or "lost" in text)
    ):
        return "unavailable"
    return None
