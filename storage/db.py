"""Sessions and transactions on SQLite (default) and PostgreSQL: ``Database`` (the engine and its
session factory), the update's write mark, work that waits for the commit, and the transaction
opened ahead for an update.

The engine itself (the URLs accepted, SQLite's per-connection set-up, ``BEGIN IMMEDIATE``) is made
in ``storage.engine``. On SQLite every transaction is a writer: the sessions of one process queue
on the loop first (``Database``; the long poller's store goes before the others), so SQLite's busy
handler only arbitrates between processes: a writer of another process (the CLI, a second bot) is
waited for through the busy timeout, which SQLite waits out in the connection's thread. WAL keeps
readers unblocked. The one exception is ``Database.read``, for work that only reads and must not
wait behind the writers (the dashboard's screens): a deferred ``BEGIN`` on connections of its own,
``query_only``, outside the queue.
"""

from __future__ import annotations

import asyncio
import collections
import sqlite3
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
)
from sqlalchemy.orm import ORMExecuteState, Session

from storage.engine import create_engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class _TrackingSession(Session):
    """A session that notes whether it changed anything (``info["wrote"]``), for ``WriteMark``."""


def _note_dml(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info["wrote"] = True


def _note_flush(session: Session, _context: Any, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        session.info["wrote"] = True


async def connection_of(session: AsyncSession) -> AsyncConnection:
    """The connection of the session's current transaction, for Core statements on hot paths.

    Kept per transaction in ``session.info`` (``AsyncSession.connection()`` runs through the
    greenlet bridge on every call), so a commit inside the session never leaves a stale
    connection behind."""
    transaction = session.sync_session.get_transaction()
    kept = session.info.get("connection")
    if kept is not None and transaction is not None and kept[0] is transaction:
        conn: AsyncConnection = kept[1]
        return conn
    conn = await session.connection()
    session.info["connection"] = (session.sync_session.get_transaction(), conn)
    return conn


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


@dataclass
class _Held:
    """A transaction opened ahead for the current update (``Database.hold``)."""

    db: Database
    task: asyncio.Task[Any] | None
    session: AsyncSession
    #: The queue's turn and the session's block, entered and not yet left.
    stack: AsyncExitStack


_held: ContextVar[_Held | None] = ContextVar("phoihop_held", default=None)


def _take_held(db: Database) -> _Held | None:
    """The transaction this task holds for ``db``, handed over (None when there is none)."""
    held = _held.get()
    if held is None or held.db is not db or held.task is not asyncio.current_task():
        return None
    _held.set(None)
    return held


async def release_held(failed: BaseException | None = None) -> None:
    """End the transaction the current task opened ahead and no block took over (it only read):
    before a Bot API request, which must never wait with the write lock held, and when the
    update ends; rolled back when reading in it ``failed``. A child task, which sees its
    parent's context, leaves it alone."""
    held = _held.get()
    if held is None or held.task is not asyncio.current_task():
        return
    _held.set(None)
    if failed is None:
        await held.stack.aclose()
    else:
        await held.stack.__aexit__(type(failed), failed, failed.__traceback__)


async def commit_apart(session: AsyncSession) -> None:
    """Commit what the session wrote so far as a transaction of its own, which the update's
    replay mark (``WriteMark``) does not ride on; the session goes on in a new one. For a
    transaction opened ahead (``Database.hold``) that had to write before any block took it
    over: the person behind the update, new or refreshed (handlers/context.py)."""
    await session.commit()
    session.info.pop("wrote", None)


def set_write_mark(mark: WriteMark | None) -> None:
    """Attach ``mark`` to the current task's next writing transaction (None: no mark)."""
    _write_mark.set(mark)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=_TrackingSession)


def _locked_error() -> OperationalError:
    return OperationalError("BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked"))


class _WriterQueue:
    """This process's queue for SQLite's one writer: first come, first served, except that an
    urgent session goes before every ordinary one waiting (``Database.session(urgent=True)``).

    ``asyncio.Lock`` has one queue; this has two, with the same hand-over: a releasing holder
    passes the lock straight to the next waiter, so nobody arriving meanwhile slips in."""

    def __init__(self) -> None:
        self._held = False
        self._urgent: collections.deque[asyncio.Future[None]] = collections.deque()
        self._ordinary: collections.deque[asyncio.Future[None]] = collections.deque()

    async def acquire(self, urgent: bool) -> None:
        if not self._held and not self._urgent and not self._ordinary:
            self._held = True
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._urgent if urgent else self._ordinary
        queue.append(waiter)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed over, then cancelled (a timeout): pass it on
            else:
                queue.remove(waiter)
            raise

    def release(self) -> None:
        for queue in (self._urgent, self._ordinary):
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(None)  # still held: now by the waiter
                    return
        self._held = False


class Database:
    """The engine and its session factory, passed to services as one object.

    Sessions are independent: several may be open at once in one process (the engine's pool
    gives each its own connection). On SQLite every transaction is a writer (``BEGIN
    IMMEDIATE``), so only one runs at a time anyway; the sessions of this process queue for it
    first come, first served (``_sqlite_queue``), and only then wait for the file lock, which is
    then held by another process at most. Left to SQLite's busy handler alone, concurrent
    writers of one process starve each other: it sleeps and retries (1, 2, 5 … 100 ms) and
    whoever retries at the right instant wins, so with ten concurrent writers a ``BEGIN
    IMMEDIATE`` failed with "database is locked" after its whole 10 s timeout
    (``bench/storage_modes.py``, loaded VM, 03/12/2026). An urgent session goes before the
    ordinary ones: the long poller's store of a ``getUpdates`` batch, which everybody's next
    update waits for (behind eight handlers' transactions, the six batches fetched after a burst
    of 500 waited about 0.6 s in all for the lock, ``bench/fairness.py``). A session waits at most
    ``busy_timeout`` seconds in either queue; then "database is locked" is raised (the error
    handler turns it into a "send it again" for the user, ``storage_problem``).
    """

    def __init__(self, url: str, *, echo: bool = False, busy_timeout: float = 10.0) -> None:
        self.url = url
        self.busy_timeout = busy_timeout
        self.engine = create_engine(url, echo=echo, busy_timeout=busy_timeout)
        self.sessionmaker = create_sessionmaker(self.engine)
        #: Per event loop (a test or a CLI command may run several loops in turn).
        self._queues: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _WriterQueue] = (
            weakref.WeakKeyDictionary()
        )
        #: SQLite's engine for ``read`` (deferred BEGIN, query_only), made on first use.
        self._reader: AsyncEngine | None = None
        self._reader_sessions: async_sessionmaker[AsyncSession] | None = None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def _sqlite_queue(self, urgent: bool) -> AsyncIterator[None]:
        """This process's queue for SQLite's one writer (see the class docstring)."""
        if self.engine.dialect.name != "sqlite":
            yield
            return
        loop = asyncio.get_running_loop()
        queue = self._queues.get(loop)
        if queue is None:
            queue = self._queues[loop] = _WriterQueue()
        try:
            async with asyncio.timeout(self.busy_timeout):
                await queue.acquire(urgent)
        except TimeoutError:
            raise _locked_error() from None
        try:
            yield
        finally:
            queue.release()

    @asynccontextmanager
    async def session(self, *, urgent: bool = False) -> AsyncIterator[AsyncSession]:
        """A session in a transaction: committed when the block ends, rolled back on error; the
        work given to ``after_commit`` inside it runs after the commit, outside the queue.

        ``urgent``: on SQLite, go before this process's ordinary sessions waiting for the write
        lock. For short transactions that other work waits for, and rare enough not to starve
        the rest (the long poller stores one batch per ``getUpdates``)."""
        outer = _open_sessions.get()
        pending: list[AfterCommit] = []
        token = _open_sessions.set((*outer, pending))
        try:
            held = None if outer else _take_held(self)
            if held is not None:
                # The update's transaction, opened ahead by ``hold``: this block owns it now.
                async with held.stack:
                    yield held.session
            else:
                await release_held()  # another database's: its lock must not wait on ours
                async with self._sqlite_queue(urgent), self._session() as session:
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
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session for reading only, which waits for no writer: never committed (rolled back
        when the block ends), outside this process's writer queue, no ``after_commit``.

        For the leaders' dashboard's GET requests (bot/runtime/webapp.py): on SQLite a
        ``session`` takes the write lock (``BEGIN IMMEDIATE``) and queues behind every handler's
        transaction to read a screen. Here, on SQLite, its own engine's connections begin with
        a deferred ``BEGIN`` (WAL: the last committed state, one snapshot, never blocked by the
        writer) and are ``query_only``, so a write in it fails; on PostgreSQL a plain session
        of the same engine (READ COMMITTED readers never wait for writers) that is rolled back."""
        if self.engine.dialect.name != "sqlite":
            maker = self.sessionmaker
        else:
            if self._reader_sessions is None:
                self._reader = create_engine(
                    self.url, busy_timeout=self.busy_timeout, read_only=True
                )
                self._reader_sessions = create_sessionmaker(self._reader)
            maker = self._reader_sessions
        async with maker() as session:
            try:
                yield session
            finally:
                await session.rollback()

    async def hold(self) -> AsyncSession:
        """Open the current update's transaction ahead, for reading: the first ``session`` block
        of the same task takes it over (and commits it with its own work), else
        ``release_held`` ends it, at the update's first Bot API request or at its end.

        Who is talking is read this way (handlers/context.py): a transaction of its own for two
        reads cost a ``BEGIN IMMEDIATE``, a commit and a session per update, a sixth of a
        ``/log`` shortcut's CPU. Nothing may be written in it before a block takes it over: its
        writes would carry the update's replay mark (``WriteMark``) with the block's."""
        await release_held()
        stack = AsyncExitStack()
        try:
            await stack.enter_async_context(self._sqlite_queue(urgent=False))
            session = await stack.enter_async_context(self._session())
        except BaseException:
            await stack.aclose()
            raise
        _held.set(_Held(self, asyncio.current_task(), session, stack))
        return session

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[AsyncSession]:
        marked: WriteMark | None = None
        # The session's own ``async with`` closes it shielded from cancellation, so a cancelled
        # task still returns its connection (and SQLite's write lock) to the pool.
        async with self.sessionmaker() as session:
            try:
                yield session
                mark = _write_mark.get()
                if mark is not None and not mark.done and session.info.get("wrote"):
                    await mark.apply(session)
                    marked = mark
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
        if marked is not None:  # committed
            marked.done = True

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self._reader is not None:
            await self._reader.dispose()


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
