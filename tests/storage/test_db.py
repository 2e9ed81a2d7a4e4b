"""Sessions on SQLite take turns in the process: concurrent transactions never meet SQLite's busy
handler, and a nested session still fails the way SQLite would instead of hanging."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

import storage.db
from storage.db import Database


async def test_concurrent_sessions_take_turns(db: Database) -> None:
    if db.dialect != "sqlite":
        pytest.skip("PostgreSQL sessions run side by side")
    inside = 0
    most = 0

    async def bump(n: int) -> None:
        nonlocal inside, most
        async with db.session() as s:
            inside += 1
            most = max(most, inside)
            await s.execute(text("SELECT 1"))
            await asyncio.sleep(0)  # give the others every chance to barge in
            inside -= 1

    await asyncio.gather(*(bump(n) for n in range(20)))
    assert most == 1


async def test_a_nested_session_fails_like_a_locked_database(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    if db.dialect != "sqlite":
        pytest.skip("PostgreSQL sessions do not take turns")
    monkeypatch.setattr(storage.db, "SQLITE_TURN_TIMEOUT", 0.05)
    async with db.session():
        with pytest.raises(OperationalError, match="database is locked"):
            async with db.session():
                pass
    async with db.session() as s:  # the turn was given back
        assert await s.scalar(text("SELECT 1")) == 1
