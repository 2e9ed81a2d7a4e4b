"""Leadership among bot processes: a PostgreSQL session-level advisory lock on a dedicated connection.

Why a session lock on its own connection: PostgreSQL releases it when that connection ends, for
whatever reason — a clean stop, the process killed with SIGKILL, the machine gone (once TCP
keepalives notice) — so a dead leader never blocks the others, and no lease or heartbeat table is
needed. A transaction-level lock would not do: the leader holds the lock for hours, not for one
transaction. The connection is kept out of the pool so that no other work can run on it and release
or share the lock by accident.

SQLite has one process by construction (one file, one bot), so there the lock is always granted.
"""

from __future__ import annotations

import contextlib
import logging

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from storage.db import Database

log = logging.getLogger(__name__)

#: "phoihop" as a 64-bit number: the key every process of one deployment (one database) competes for.
SCHEDULER_LOCK = int.from_bytes(b"phoihop", "big")


class LeaderLock:
    """``acquire()`` tries once (never waits); ``held()`` re-checks that the lock is still ours."""

    def __init__(self, db: Database, *, key: int = SCHEDULER_LOCK, name: str = "phoihop") -> None:
        self.db = db
        self.key = key
        #: Shown in pg_stat_activity.application_name, so an operator can see who leads.
        self.name = name[:63]
        self._conn: AsyncConnection | None = None
        self._engine: AsyncEngine | None = None

    def _lock_engine(self) -> AsyncEngine:
        """An engine of our own without a pool: the lock's connection is never reused for other
        work, and closing it really closes it."""
        if self._engine is None:
            self._engine = create_async_engine(
                self.db.engine.url,
                poolclass=NullPool,
                isolation_level="AUTOCOMMIT",  # a session-level lock is tied to no transaction
                connect_args={
                    "timeout": 10,
                    "command_timeout": 10,
                    "server_settings": {"application_name": self.name},
                },
            )
        return self._engine

    @property
    def is_postgres(self) -> bool:
        return self.db.dialect == "postgresql"

    async def acquire(self) -> bool:
        """True if this process holds the lock now (already held counts)."""
        if not self.is_postgres:
            return True
        if self._conn is not None:
            return await self.held()
        try:
            conn = await self._lock_engine().connect()
        except (OperationalError, DBAPIError, OSError) as exc:
            log.warning("scheduler lock: cannot connect to the database: %s", exc)
            return False
        try:
            got = bool(await conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}))
        except (OperationalError, DBAPIError, OSError) as exc:
            log.warning("scheduler lock: cannot ask the database: %s", exc)
            await _close(conn, invalidate=True)
            return False
        if not got:
            await _close(conn)
            return False
        self._conn = conn
        return True

    async def held(self) -> bool:
        """Whether the lock's connection is alive (a dead connection has lost the lock)."""
        if not self.is_postgres:
            return True
        if self._conn is None:
            return False
        try:
            await self._conn.execute(text("SELECT 1"))
        except (OperationalError, DBAPIError, OSError) as exc:
            log.warning("scheduler lock: its connection is gone (%s); the lock is lost", exc)
            conn, self._conn = self._conn, None
            await _close(conn, invalidate=True)
            return False
        return True

    async def release(self) -> None:
        """Let another process lead (closing the connection alone would do; unlock says so)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            # If the connection is gone, so is the lock.
            with contextlib.suppress(OperationalError, DBAPIError, OSError):
                await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
            await _close(conn)
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None


async def _close(conn: AsyncConnection, *, invalidate: bool = False) -> None:
    with contextlib.suppress(OperationalError, DBAPIError, OSError):
        if invalidate:
            await conn.invalidate()
        await conn.close()
