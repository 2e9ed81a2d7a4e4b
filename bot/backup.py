"""``phoihop backup`` and ``phoihop restore``: a consistent copy of the database while the bot runs.

SQLite: the online backup API (``sqlite3.Connection.backup``) copies the file page by page through
SQLite itself, so the copy is consistent even while the bot writes (a copy of the file with ``cp``
during a write, or without its ``-wal`` file, may not be). The copy is checked with
``PRAGMA integrity_check`` before it is reported done.

PostgreSQL: ``pg_dump --format=custom`` with the URL's host, port, user and database (the password
through ``PGPASSWORD``, never on the command line); when ``pg_dump`` is not installed, the command
to run is printed instead.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from storage.engine import DatabaseURL, parse_database_url


class BackupError(Exception):
    """One line for the operator."""


@dataclass(frozen=True)
class Done:
    path: Path | None
    message: str


def default_name(now: datetime, suffix: str) -> Path:
    return Path(f"phoihop-backup-{now:%Y%m%d-%H%M%S}{suffix}")


def sqlite_file(url: DatabaseURL) -> Path:
    return Path(url.database or "")


def _check(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    conn.close()
    if result != "ok":
        raise BackupError(f"{path} failed SQLite's integrity check: {result}")
    if "alembic_version" not in tables:
        raise BackupError(f"{path} is not a Phối hợp database (no alembic_version table)")


def backup_sqlite(source: Path, out: Path) -> Done:
    if not source.exists():
        raise BackupError(f"no database file at {source}")
    if out.exists():
        raise BackupError(f"{out} already exists: choose another --out")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(out)
    try:
        # Pages in steps so the bot's writers are not held up for the whole copy.
        src.backup(dst, pages=256)
    finally:
        dst.close()
        src.close()
    _check(out)
    return Done(out, f"backed up {source} to {out} ({out.stat().st_size} bytes, integrity ok)")


def restore_sqlite(backup: Path, target: Path, *, force: bool) -> Done:
    if not backup.exists():
        raise BackupError(f"no backup file at {backup}")
    _check(backup)
    if target.exists() and target.stat().st_size > 0 and not force:
        raise BackupError(
            f"{target} already exists: stop the bot and add --force to replace it, "
            "or restore to a new PHOIHOP_DATABASE_URL"
        )
    src = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    _check(target)
    return Done(target, f"restored {backup} into {target}")


def _pg_args(url: DatabaseURL) -> tuple[list[str], dict[str, str]]:
    args = []
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    env = {"PGPASSWORD": url.password} if url.password else {}
    return [*args, "--dbname", url.database or ""], env


def backup_postgres(url: DatabaseURL, out: Path) -> Done:
    args, env = _pg_args(url)
    command = ["pg_dump", "--format=custom", "--no-owner", "--file", str(out), *args]
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        return Done(
            None,
            "pg_dump is not installed here. On a machine with PostgreSQL's client tools run:\n"
            f"  {' '.join(command)}\n"
            "(give the password with PGPASSWORD or ~/.pgpass), and restore with:\n"
            f"  pg_restore --clean --if-exists --no-owner {' '.join(args)} {out}",
        )
    if out.exists():
        raise BackupError(f"{out} already exists: choose another --out")
    done = subprocess.run(
        [pg_dump, *command[1:]], env={**os.environ, **env}, capture_output=True, text=True
    )
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        raise BackupError(f"pg_dump failed: {lines[-1] if lines else done.returncode}")
    return Done(out, f"pg_dump wrote {out} ({out.stat().st_size} bytes)")


def backup(database_url: str, out: Path | None, now: datetime) -> Done:
    url = parse_database_url(database_url)
    if url.get_backend_name() == "sqlite":
        return backup_sqlite(sqlite_file(url), out or default_name(now, ".db"))
    return backup_postgres(url, out or default_name(now, ".dump"))


def restore(database_url: str, backup_file: Path, *, force: bool) -> Done:
    url = parse_database_url(database_url)
    if url.get_backend_name() == "sqlite":
        return restore_sqlite(backup_file, sqlite_file(url), force=force)
    args, _ = _pg_args(url)
    raise BackupError(
        "restore a PostgreSQL dump with pg_restore, the bot stopped: "
        f"pg_restore --clean --if-exists --no-owner {' '.join(args)} {backup_file}"
    )
