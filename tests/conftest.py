"""Test fixtures: a real database (a SQLite file, or PostgreSQL when PHOIHOP_TEST_POSTGRES_URL is
set), a fake clock, and the real Application talking HTTP to the Bot API emulator on 127.0.0.1.

Every database-backed test runs once per backend: ``[sqlite]`` always, ``[postgresql]`` only when
the server is configured (CI sets it; see .ci/run).
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Coroutine
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import text

from bot.clock import FakeClock
from bot.i18n import I18n
from bot.schema import ensure_reference_data, prepare_database
from bot.services import Services
from bot.settings import Settings
from storage.db import Database
from storage.models import Base

if TYPE_CHECKING:
    from tests.harness import Harness

POSTGRES_URL = os.environ.get("PHOIHOP_TEST_POSTGRES_URL")
REFERENCE_TABLES = {"unit_kinds", "organisations"}

#: Monday 16/11/2026 08:30 in Hà Nội.
T0 = datetime(2026, 11, 16, 1, 30, tzinfo=UTC)


def _run_outside_loop(coro: Coroutine[Any, Any, None]) -> None:
    """Session set-up may be requested from inside a test's event loop: run it on its own thread."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coro).result()


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param(
            "postgresql",
            marks=[
                pytest.mark.postgres,
                pytest.mark.skipif(not POSTGRES_URL, reason="PHOIHOP_TEST_POSTGRES_URL is not set"),
            ],
        ),
    ]
)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file per session, copied for each test (migrations run once)."""
    path = tmp_path_factory.mktemp("template") / "template.db"

    async def build() -> None:
        db = Database(f"sqlite+aiosqlite:///{path}")
        await prepare_database(db, T0)
        await db.dispose()

    _run_outside_loop(build())
    return path


@pytest.fixture(scope="session")
def postgres_schema() -> str:
    """Migrate the PostgreSQL test database from scratch once per session."""
    assert POSTGRES_URL

    async def build() -> None:
        db = Database(POSTGRES_URL)
        async with db.engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await prepare_database(db, T0)
        await db.dispose()

    _run_outside_loop(build())
    return POSTGRES_URL


@pytest.fixture
async def db(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Database]:
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "phoihop.db"
        shutil.copy(template, path)
        database = Database(f"sqlite+aiosqlite:///{path}")
    else:
        url: str = request.getfixturevalue("postgres_schema")
        database = Database(url)
        tables = [t.name for t in Base.metadata.sorted_tables if t.name not in REFERENCE_TABLES]
        async with database.engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        await ensure_reference_data(database, T0)
    yield database
    await database.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def i18n() -> I18n:
    return I18n()


@pytest.fixture
def services(db: Database, clock: FakeClock, i18n: I18n) -> Services:
    settings = Settings(_env_file=None, database_url=db.url, bot_token=None)  # type: ignore[call-arg]
    return Services(settings=settings, db=db, clock=clock, i18n=i18n)


@pytest.fixture
async def harness(db: Database, clock: FakeClock) -> AsyncIterator[Harness]:
    from tests.harness import Harness

    async with Harness(db, clock) as h:
        yield h
