"""``phoihop backup`` of a live database and a tested restore: back up while the bot runs,
restore to a new file, run the bot on it and find the data."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.runtime.cli import main
from storage.db import Database
from tests.conftest import POSTGRES_URL
from tests.harness import Harness, text_of


@pytest.fixture
def backend() -> str:
    return "sqlite"


async def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = await asyncio.to_thread(main, list(args))
    out, err = capsys.readouterr()
    return code, out, err


async def test_backup_while_running_then_restore_and_run(
    db: Database, clock: FakeClock, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Protection: the backup goes through SQLite's online backup API (consistent while the bot
    writes) and is integrity-checked; restore refuses to overwrite by accident."""
    out = tmp_path / "backup.db"
    async with Harness(db, clock) as h:
        await h.seed_demo()
        nam = h.user(1004, "Nam")
        saved = await nam.send('/log nha_dai_doan_ket 2 120tr "thôn 3"')
        assert text_of(saved[0]).startswith("Đã lưu thành mục #1.")
        backup = asyncio.create_task(
            cli(capsys, "--database-url", db.url, "backup", "--out", str(out))
        )
        await nam.send("/log xoa_nha_tam 1")  # the bot keeps writing during the backup
        code, text, err = await backup
        assert code == 0 and "integrity ok" in text, err
        code, _, err = await cli(capsys, "--database-url", db.url, "backup", "--out", str(out))
        assert code == 2 and "already exists" in err

    target = tmp_path / "restored" / "phoihop.db"
    target.parent.mkdir()
    url = f"sqlite+aiosqlite:///{target}"
    code, text, err = await cli(capsys, "--database-url", url, "restore", str(out))
    assert code == 0 and text.startswith(f"restored {out} into {target}"), err
    assert (await cli(capsys, "--database-url", url, "db", "current"))[0] == 0
    code, _, err = await cli(capsys, "--database-url", url, "restore", str(out))
    assert code == 2 and "--force" in err
    assert (await cli(capsys, "--database-url", url, "restore", str(out), "--force"))[0] == 0

    restored = Database(url)
    try:
        async with Harness(restored, clock) as h:
            # An update the backup caught stored but not yet handled runs first (its effect,
            # if the backup caught that too, is not applied twice: handlers/replay.py).
            assert h.app is not None
            await h.app.bot_data["poller"].settled()
            listing = text_of((await h.user(1004, "Nam").send("/mine"))[0])
            assert "Nhà Đại đoàn kết" in listing, listing
            me = text_of((await h.user(1002, "Lan").send("/me"))[0])
            assert "Ủy ban MTTQ xã Yên Nguyên" in me
    finally:
        await restored.dispose()


async def test_restore_rejects_a_file_that_is_not_a_backup(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    url = f"sqlite+aiosqlite:///{tmp_path / 'new.db'}"
    code, _, err = await cli(capsys, "--database-url", url, "restore", str(junk))
    assert code == 2 and err.startswith("phoihop: restore failed:")
    assert not (tmp_path / "new.db").exists()


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason="PHOIHOP_TEST_POSTGRES_URL is not set")
@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed")
async def test_postgres_backup_runs_pg_dump(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], postgres_schema: str
) -> None:
    out = tmp_path / "pg.dump"
    code, text, err = await cli(
        capsys, "--database-url", postgres_schema, "backup", "--out", str(out)
    )
    assert code == 0 and text.startswith("pg_dump wrote"), err
    assert out.stat().st_size > 0 and out.read_bytes()[:5] == b"PGDMP"
    assert os.environ.get("PGPASSWORD") is None  # the password went to the child only
