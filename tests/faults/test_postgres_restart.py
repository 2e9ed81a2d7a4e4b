"""PostgreSQL restarting under a running bot. A private cluster is started for the test (never
the shared server other tests use), restarted mid-conversation, and the bot carries on."""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from bot.schema import prepare_database
from storage.db import Database
from storage.models import LogDraft
from storage.queries import people as people_q
from tests.conftest import POSTGRES_URL
from tests.harness import Harness, text_of

BINARIES = sorted(glob.glob("/usr/lib/postgresql/*/bin"))

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="PHOIHOP_TEST_POSTGRES_URL is not set"),
    pytest.mark.skipif(not BINARIES, reason="PostgreSQL's initdb is not installed"),
]


class Cluster:
    """A throw-away PostgreSQL cluster in a temporary directory, on a free port."""

    def __init__(self) -> None:
        self.bin = Path(BINARIES[-1])
        self.dir = Path(tempfile.mkdtemp(prefix="phoihop-pg-"))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.as_user: list[str] = []
        if os.geteuid() == 0:  # initdb refuses to run as root
            shutil.chown(self.dir, "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, capture_output=True, timeout=120)

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def pg_ctl(self, *args: str) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        # -l always: without a log file the server keeps pg_ctl's output pipes open.
        log = str(self.dir / "log")
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-o", options, "-l", log, "-w",
            *args,
        )  # fmt: skip

    def init(self) -> None:
        self._run(
            str(self.bin / "initdb"), "-D", str(self.dir / "data"), "-U", "postgres",
            "--auth=trust", "--no-sync",
        )  # fmt: skip
        self.pg_ctl("start")

    def remove(self) -> None:
        try:
            self.pg_ctl("-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def backend() -> str:
    return "postgresql"


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    c = Cluster()
    c.init()
    try:
        yield c
    finally:
        c.remove()


@pytest.fixture
async def pg(cluster: Cluster, clock: FakeClock) -> AsyncIterator[Database]:
    db = Database(cluster.url)
    await prepare_database(db, clock.now())
    yield db
    await db.dispose()


async def test_the_bot_carries_on_after_postgresql_restarts(
    cluster: Cluster, pg: Database, clock: FakeClock
) -> None:
    """Protection: pool_pre_ping (storage/engine.py) tests pooled connections when they are taken, so
    the connections the restart killed are replaced instead of failing the next update."""
    async with Harness(pg, clock) as h:
        await h.seed_demo()
        nam = h.user(1004, "Nam")
        await nam.send("/log")
        await nam.press("Nhà Đại đoàn kết")
        assert "Sửa chữa (căn)?" in text_of((await nam.send("2"))[0])
        await asyncio.to_thread(cluster.pg_ctl, "-m", "fast", "restart")
        assert "Giá trị (đồng)?" in text_of((await nam.send("0"))[0])
        async with h.db.session() as session:
            person = await people_q.by_telegram_id(session, 1004)
            assert person is not None
            draft = await session.scalar(select(LogDraft).where(LogDraft.person_id == person.id))
        assert draft is not None and draft.data["values"] == {"built": "2", "repaired": "0"}
