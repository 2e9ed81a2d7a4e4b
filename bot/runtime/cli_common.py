"""What every ``phoihop`` command shares once it runs: the settings, the database, the error lines.

Imported by ``bot.runtime.cli`` only after the arguments are parsed (see its docstring). It loads
the settings and SQLAlchemy, which every command needs, but not the models or the domain, which
``phoihop db current`` does not: those come with the command's own module.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from sqlalchemy.exc import DBAPIError, OperationalError

from bot.logging_setup import install_redaction, redact
from bot.runtime.cli import CliError
from bot.settings import Settings, SettingsError, load_settings
from storage import migrate
from storage.db import Database
from storage.engine import DatabaseConfigError, safe_url

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from storage.models import Unit

Handler = Callable[[argparse.Namespace, Settings, Database], Awaitable[int]]
Command = Callable[[argparse.Namespace, Settings], int]


def run_command(args: argparse.Namespace) -> int:
    """Load the settings and run the parsed command; an expected failure is one line, status 2."""
    try:
        settings = load_settings(
            **({"database_url": args.database_url} if getattr(args, "database_url", None) else {})
        )
        # Error lines may quote a Bot API URL or an exception carrying it: never print the token.
        install_redaction(settings.bot_token)
        result: int = args.handler(args, settings)
        return result
    except (SettingsError, CliError, DatabaseConfigError) as exc:
        _error_line(str(exc))
        return 2
    except Exception as exc:
        lines = _domain_error_lines(exc)
        if lines is None:
            raise  # a bug: the traceback is what the operator should report
        for line in lines:
            _error_line(line)
        return 2


def _domain_error_lines(exc: Exception) -> list[str] | None:
    """The lines for an expected failure of the domain (a bad file, a bad unit), else None.

    The error types are imported here, once something failed, so that a command which never
    loads the domain (``db current``) does not load it to be ready for its errors; a command
    that raised one of them has its module loaded already.
    """
    from bot.catalog import CatalogError
    from bot.template_files import TemplateError
    from bot.units import ImportFailed
    from storage.queries.units import UnitError

    if isinstance(exc, UnitError):
        return [str(exc)]
    if isinstance(exc, ImportFailed | CatalogError | TemplateError):
        return [*(str(error) for error in exc.errors), "nothing was imported"]
    return None


def _error_line(text: str) -> None:
    print(f"phoihop: {redact(text)}", file=sys.stderr)


def command(handler: Handler, *, needs_schema: bool = True) -> Command:
    """Wrap an async command: open the database, check the schema, turn failures into one line."""

    def run(args: argparse.Namespace, settings: Settings) -> int:
        async def go() -> int:
            db = Database(settings.database_url, busy_timeout=settings.db_busy_timeout)
            try:
                if needs_schema:
                    await check_schema(db)
                return await handler(args, settings, db)
            except (OperationalError, DBAPIError, OSError) as exc:
                raise CliError(
                    f"cannot use the database {safe_url(db.url)}: {_reason(exc)}"
                ) from None
            finally:
                await db.dispose()

        return asyncio.run(go())

    return run


def _reason(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


async def check_schema(db: Database) -> None:
    ok, current, head = await migrate.is_up_to_date(db)
    if not ok:
        state = "empty" if current is None else f"at revision {current}"
        raise CliError(
            f"the database schema is {state}, this version needs {head}: run `phoihop db upgrade`"
        )


async def find_unit(session: AsyncSession, code: str) -> Unit:
    from storage.queries import units as units_q  # with the models, which `db` commands skip

    unit = await units_q.by_code(session, code)
    if unit is None:
        raise CliError(f"no unit with code {code!r} (see `phoihop units list`)")
    return unit
