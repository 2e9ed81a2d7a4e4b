"""``phoihop db``, ``backup``, ``restore`` and ``rollup``: the database as a whole.

Imported only when one of these commands runs (see ``bot.runtime.cli``).
"""

from __future__ import annotations

import argparse
import sqlite3

from bot.clock import SystemClock
from bot.runtime.cli import CliError
from bot.runtime.cli_common import command
from bot.settings import Settings
from storage import migrate
from storage.db import Database
from storage.engine import safe_url


async def _db_upgrade(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    from bot.schema import prepare_database  # loads the domain, which `db current` skips

    await prepare_database(db, SystemClock().now())
    print(f"database {safe_url(db.url)} is at revision {await migrate.current_revision(db)}")
    return 0


async def _db_current(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    ok, current, head = await migrate.is_up_to_date(db)
    print(
        f"current: {current or 'empty'}; head: {head}; {'up to date' if ok else 'run `phoihop db upgrade`'}"
    )
    return 0 if ok else 1


async def _rollup_rebuild(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    from storage.queries import rollup as rollup_q

    async with db.session() as session:
        rows = await rollup_q.rebuild(session)
    print(f"rollup rebuilt: {rows} rows")
    return 0


def backup(args: argparse.Namespace, settings: Settings) -> int:
    from bot.backup import BackupError
    from bot.backup import backup as make_backup

    try:
        done = make_backup(settings.database_url, args.out, SystemClock().now())
    except (BackupError, sqlite3.Error, OSError) as exc:
        raise CliError(f"backup failed: {exc}") from None
    print(done.message)
    return 0


def restore(args: argparse.Namespace, settings: Settings) -> int:
    from bot.backup import BackupError
    from bot.backup import restore as put_back

    try:
        done = put_back(settings.database_url, args.file, force=args.force)
    except (BackupError, sqlite3.Error, OSError) as exc:
        raise CliError(f"restore failed: {exc}") from None
    print(done.message)
    print("check it with `phoihop db current`, then start the bot")
    return 0


upgrade = command(_db_upgrade, needs_schema=False)
current = command(_db_current, needs_schema=False)
rollup_rebuild = command(_rollup_rebuild)
