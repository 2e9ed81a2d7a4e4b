"""``phoihop``: the operator's command line (PRODUCT §8).

Every expected failure (a bad setting, an unreachable database, an out-of-date schema, a bad CSV)
ends with one clear line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import sys
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import reports
from bot.access import Actor, Role
from bot.catalog import DEFAULT_CATALOG, CatalogError, load_catalog, parse_catalog
from bot.clock import SystemClock
from bot.logging_setup import install_redaction, redact
from bot.onboarding import INVITE_ROLES, MAX_USES, create_invite, invite_link, parse_duration
from bot.periods import parse_period, period_containing
from bot.schema import prepare_database
from bot.settings import Settings, SettingsError, load_settings
from bot.template_files import TemplateError, load_template_file
from bot.units import ImportFailed, import_areas, import_csv
from storage import migrate
from storage.db import Database, DatabaseConfigError, safe_url
from storage.models import Person, Unit
from storage.queries import people as people_q
from storage.queries import units as units_q
from storage.queries.units import UnitError


class CliError(Exception):
    """One line for the operator."""


#: The webhook server listens on loopback by default: a reverse proxy terminates TLS in front of it.
DEFAULT_LISTEN = "127.0.0.1:8443"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    try:
        settings = load_settings(
            **({"database_url": args.database_url} if getattr(args, "database_url", None) else {})
        )
        # Error lines may quote a Bot API URL or an exception carrying it: never print the token.
        install_redaction(settings.bot_token)
        result: int = args.handler(args, settings)
        return result
    except (SettingsError, CliError, DatabaseConfigError, UnitError) as exc:
        _error_line(str(exc))
        return 2
    except (ImportFailed, CatalogError, TemplateError) as exc:
        for error in exc.errors:
            _error_line(str(error))
        _error_line("nothing was imported")
        return 2
    except KeyboardInterrupt:
        return 130


def _error_line(text: str) -> None:
    print(f"phoihop: {redact(text)}", file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="phoihop", description="Phối hợp: the Front's coordination bot"
    )
    parser.add_argument("--database-url", help="overrides PHOIHOP_DATABASE_URL")
    sub = parser.add_subparsers(metavar="COMMAND")

    run = sub.add_parser(
        "run", help="run the bot (long polling, or a webhook server with --webhook)"
    )
    run.add_argument(
        "--webhook",
        metavar="URL",
        help="serve a webhook: the public https:// URL Telegram posts to (needs PHOIHOP_WEBHOOK_SECRET)",
    )
    run.add_argument(
        "--listen",
        metavar="HOST:PORT",
        default=DEFAULT_LISTEN,
        help=f"where the webhook server listens, behind the proxy (default {DEFAULT_LISTEN})",
    )
    run.set_defaults(handler=_run_entry)

    console = sub.add_parser(
        "console", help="chat with the bot in this terminal (no token, no internet)"
    )
    console.add_argument("--demo", action="store_true", help="seed a demo province with people")
    console.add_argument(
        "--db", help="SQLite file to use (default: a fresh temporary file with --demo)"
    )
    console.set_defaults(handler=_console)

    db = sub.add_parser("db", help="database schema").add_subparsers(metavar="ACTION")
    up = db.add_parser("upgrade", help="apply all migrations (Alembic)")
    up.set_defaults(handler=_cmd(_db_upgrade, needs_schema=False))
    cur = db.add_parser("current", help="show the schema revision")
    cur.set_defaults(handler=_cmd(_db_current, needs_schema=False))

    areas = sub.add_parser("areas", help="official areas").add_subparsers(metavar="ACTION")
    imp = areas.add_parser(
        "import", help="provinces and communes from vietnam-provinces (extra 'areas')"
    )
    imp.add_argument("--province", help="NSO code or codename, e.g. 08 or tuyen_quang")
    imp.set_defaults(handler=_cmd(_areas_import))

    catalog = sub.add_parser("catalog", help="the activity catalog").add_subparsers(
        metavar="ACTION"
    )
    cload = catalog.add_parser("load", help="add, update or retire activity types from YAML")
    cload.add_argument(
        "file", type=Path, nargs="?", help="default: the catalog shipped with Phối hợp"
    )
    cload.set_defaults(handler=_cmd(_catalog_load))

    templates = sub.add_parser("templates", help="report templates").add_subparsers(
        metavar="ACTION"
    )
    tload = templates.add_parser(
        "load", help="load a report template (YAML); a changed file is a new version"
    )
    tload.add_argument("file", type=Path)
    tload.set_defaults(handler=_cmd(_templates_load))
    tlist = templates.add_parser("list", help="list the latest version of each template")
    tlist.set_defaults(handler=_cmd(_templates_list))

    rounds = sub.add_parser("rounds", help="report rounds").add_subparsers(metavar="ACTION")
    ropen = rounds.add_parser("open", help="open a report round and tell the units' cadres")
    ropen.add_argument("--template", required=True, help="template key, e.g. quarterly_front")
    ropen.add_argument("--period", required=True, help="e.g. 'Q4 2026', 'quý 4', 'tháng 11/2026'")
    ropen.add_argument("--unit", required=True, help="the unit whose sub-units report")
    ropen.add_argument("--deadline", required=True, help="dd/mm/yyyy (end of that day, local time)")
    ropen.add_argument(
        "--kind", help="every descendant of this kind reports (default: the direct children)"
    )
    ropen.add_argument("--org", help="only units of this organisation")
    ropen.set_defaults(handler=_cmd(_rounds_open))
    rlist = rounds.add_parser("list", help="rounds and their completeness")
    rlist.set_defaults(handler=_cmd(_rounds_list))

    export = sub.add_parser(
        "export", help="an .xlsx of a unit's subtree for a period (the same workbook as /export)"
    )
    export.add_argument("--unit", required=True, help="unit code; its whole subtree is exported")
    export.add_argument(
        "--period",
        help="e.g. 'quý 3/2026', 'tháng 11', 'Q4 2026', 'năm 2026' (default: this month)",
    )
    export.add_argument(
        "--out", type=Path, help="where to write (default: phoihop-<unit>-<period>.xlsx here)"
    )
    export.set_defaults(handler=_cmd(_export))

    rollup = sub.add_parser("rollup", help="pre-aggregated totals").add_subparsers(metavar="ACTION")
    rrebuild = rollup.add_parser(
        "rebuild", help="recompute the totals rollup from the activity log"
    )
    rrebuild.set_defaults(handler=_cmd(_rollup_rebuild))

    units = sub.add_parser("units", help="the unit tree").add_subparsers(metavar="ACTION")
    uimp = units.add_parser(
        "import", help="units from CSV: code,name,kind,org,parent[,official_code]"
    )
    uimp.add_argument("file", type=Path)
    uimp.set_defaults(handler=_cmd(_units_import))
    add = units.add_parser("add", help="add one unit")
    add.add_argument("--parent", help="parent unit code (none for a top-level unit)")
    add.add_argument("--kind", required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--org", default="mttq")
    add.add_argument("--code", help="unit code (default: parent code + running number)")
    add.set_defaults(handler=_cmd(_units_add))
    lst = units.add_parser("list", help="list units")
    lst.add_argument("--under", help="only this unit and its subtree")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(handler=_cmd(_units_list))

    bak = sub.add_parser(
        "backup", help="a consistent copy of the database, safe while the bot runs"
    )
    bak.add_argument("--out", type=Path, help="file to write (default phoihop-backup-DATE.db)")
    bak.set_defaults(handler=_backup)
    res = sub.add_parser("restore", help="put a backup made by `phoihop backup` in place")
    res.add_argument("file", type=Path)
    res.add_argument("--force", action="store_true", help="replace an existing database")
    res.set_defaults(handler=_restore)

    admin = sub.add_parser("admin", help="people and invites").add_subparsers(metavar="ACTION")
    inv = admin.add_parser("invite", help="make an invite link; the link is the last line")
    inv.add_argument("--unit", required=True)
    inv.add_argument("--role", required=True, choices=INVITE_ROLES)
    inv.add_argument("--uses", type=int, default=1)
    inv.add_argument("--expires", default="7d", help="7d, 12h, 30m (default 7d)")
    inv.set_defaults(handler=_cmd(_admin_invite))
    grant = admin.add_parser("grant", help="give a Telegram user a role in a unit")
    grant.add_argument("telegram_id", type=int)
    grant.add_argument("--unit", required=True)
    grant.add_argument("--role", required=True, choices=people_q.ROLES)
    grant.set_defaults(handler=_cmd(_admin_grant))
    return parser


Handler = Callable[[argparse.Namespace, Settings, Database], Awaitable[int]]


def _cmd(
    handler: Handler, *, needs_schema: bool = True
) -> Callable[[argparse.Namespace, Settings], int]:
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


async def _db_upgrade(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    await prepare_database(db, SystemClock().now())
    print(f"database {safe_url(db.url)} is at revision {await migrate.current_revision(db)}")
    return 0


async def _db_current(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    ok, current, head = await migrate.is_up_to_date(db)
    print(
        f"current: {current or 'empty'}; head: {head}; {'up to date' if ok else 'run `phoihop db upgrade`'}"
    )
    return 0 if ok else 1


async def _areas_import(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    async with db.session() as session:
        report = await import_areas(session, SystemClock().now(), province=args.province)
    print(f"added {len(report.added)} units, {len(report.skipped)} already present")
    return 0


async def _catalog_load(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    path = args.file or DEFAULT_CATALOG
    try:
        specs = parse_catalog(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {path}: {exc}") from None
    async with db.session() as session:
        report = await load_catalog(session, specs, SystemClock().now())
    print(
        f"{len(report.added)} added, {len(report.updated)} updated, {len(report.retired)} retired"
    )
    return 0


async def _templates_load(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    async with db.session() as session:
        try:
            template = load_template_file(
                args.file, known_activities=await reports.known_activities(session)
            )
        except OSError as exc:
            raise CliError(f"cannot read {args.file}: {exc}") from None
        row, created = await reports.store_template(session, template, SystemClock().now())
    print(f"{row.key} version {row.version} {'loaded' if created else 'unchanged'}")
    return 0


async def _templates_list(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    async with db.session() as session:
        for row in await reports.latest_templates(session):
            print(f"{row.key}  v{row.version}  [{row.period}]  {row.title_vi}")
    return 0


async def _rounds_open(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    clock = SystemClock()
    today = clock.now().astimezone(settings.tz).date()
    try:
        period = parse_period(args.period, today, settings.period_rule)
        day = datetime.strptime(args.deadline, "%d/%m/%Y").date()
    except ValueError as exc:
        raise CliError(f"{exc} (period like 'Q4 2026', deadline like 20/12/2026)") from None
    deadline = datetime.combine(day, time(23, 59), tzinfo=settings.tz)
    async with db.session() as session:
        rows = [t for t in await reports.latest_templates(session) if t.key == args.template]
        if not rows:
            raise CliError(f"no template {args.template!r} (see `phoihop templates list`)")
        root = await _unit(session, args.unit)
        try:
            row = await reports.open_round(
                session,
                None,
                template_row=rows[0],
                period=period,
                root=root,
                deadline=deadline,
                now=clock.now(),
                kind=args.kind,
                org=args.org,
            )
        except reports.ReportError as exc:
            raise CliError(f"cannot open the round: {exc.code.replace('_', ' ')}") from None
        count = len(await reports.round_status(session, row))
    print(
        f"round #{row.id} open: {rows[0].key} v{rows[0].version}, {period.label('en')}, {count} units, deadline {day:%d/%m/%Y}"
    )
    return 0


async def _rounds_list(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    from sqlalchemy import select

    from storage.models import ReportRound

    async with db.session() as session:
        for row in (await session.scalars(select(ReportRound).order_by(ReportRound.id))).all():
            info = await reports.round_info(session, row.id)
            assert info is not None
            states = [s.status for s in await reports.round_status(session, row)]
            done = sum(1 for s in states if s in ("submitted", "approved"))
            print(
                f"#{row.id}  {info.template.key}  {info.period.label('en')}  {info.unit.code}  {done}/{len(states)} submitted"
            )
    return 0


async def _export(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    """The operator's /export: an owner's view of the unit, written next to the final path and
    renamed into place, so a failed run leaves no half-written workbook."""
    from bot.export import export_in_thread, filename_for
    from bot.i18n import I18n

    clock = SystemClock()
    today = clock.now().astimezone(settings.tz).date()
    try:
        period = (
            parse_period(args.period, today, settings.period_rule)
            if args.period
            else period_containing(today, "month", settings.period_rule)
        )
    except ValueError as exc:
        raise CliError(
            f"cannot read the period {args.period!r}: {exc} (e.g. 'quý 3/2026', 'tháng 11', 'Q4 2026')"
        ) from None
    async with db.session() as session:
        unit = await _unit(session, args.unit)
    out: Path = args.out or Path(filename_for(unit, period))
    part = _part_file(out)
    try:
        # As /export does: in a worker thread, from a snapshot on a connection of its own, so a
        # running bot's writers are not held up for the minutes a province-year takes.
        summary = await export_in_thread(
            db.url,
            operator_actor(unit),
            unit.id,
            period,
            str(part),
            tr=I18n(settings.tz).translator(settings.default_locale),
            tz=settings.tz,
        )
        _put_in_place(part, out)
    finally:
        _discard(part)
    print(
        f"{summary.unit.name} ({summary.unit.code}), {period.label('en')} "
        f"({period.start:%d/%m/%Y}–{period.end:%d/%m/%Y}): {summary.entries} entries, "
        f"{summary.answers} report answers, {summary.attendees} meeting replies"
    )
    print(out)
    return 0


def _part_file(out: Path) -> Path:
    """An empty file beside ``out`` (same file system, so the final rename is atomic)."""
    if not out.parent.is_dir():
        raise CliError(f"cannot write {out}: folder {out.parent} does not exist")
    try:
        with tempfile.NamedTemporaryFile(
            dir=out.parent, prefix=f".{out.name}.", suffix=".part", delete=False
        ) as handle:
            return Path(handle.name)
    except OSError as exc:
        raise CliError(f"cannot write {out}: {exc.strerror or exc}") from None


def _put_in_place(part: Path, out: Path) -> None:
    try:
        part.replace(out)
    except OSError as exc:
        raise CliError(f"cannot write {out}: {exc.strerror or exc}") from None


def _discard(part: Path) -> None:
    part.unlink(missing_ok=True)


def operator_actor(unit: Unit) -> Actor:
    """Operators run the server: they see every unit, like the owner. Nothing is written as them."""
    person = Person(id=0, telegram_id=0, first_name="phoihop")
    return Actor(person=person, roles=[Role(unit=unit, role="owner", scope=units_q.EVERYTHING)])


async def _rollup_rebuild(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    from storage.queries import rollup as rollup_q

    async with db.session() as session:
        rows = await rollup_q.rebuild(session)
    print(f"rollup rebuilt: {rows} rows")
    return 0


async def _units_import(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    try:
        text = args.file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {args.file}: {exc}") from None
    async with db.session() as session:
        report = await import_csv(session, text, SystemClock().now())
    print(f"added {len(report.added)} units, {len(report.skipped)} already present")
    return 0


async def _unit(session: AsyncSession, code: str) -> Unit:
    unit = await units_q.by_code(session, code)
    if unit is None:
        raise CliError(f"no unit with code {code!r} (see `phoihop units list`)")
    return unit


async def _units_add(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    async with db.session() as session:
        parent = None
        if args.parent:
            parent = await _unit(session, args.parent)
        code = args.code or await _next_code(session, parent)
        unit = await units_q.add(
            session,
            code=code,
            name=args.name,
            kind=args.kind,
            org=args.org,
            parent=parent,
            now=SystemClock().now(),
        )
    print(f"added {unit.code}: {unit.name}")
    return 0


async def _next_code(session: Any, parent: Any) -> str:
    base = parent.code if parent is not None else "u"
    n = (
        len(await units_q.children(session, parent.id)) + 1
        if parent is not None
        else await units_q.count(session) + 1
    )
    while await units_q.by_code(session, f"{base}-{n}") is not None:
        n += 1
    return f"{base}-{n}"


async def _units_list(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    async with db.session() as session:
        under = None
        if args.under:
            under = await _unit(session, args.under)
        rows = await units_q.list_units(session, under)
        codes = await units_q.by_ids(session, [u.parent_id for u in rows if u.parent_id])
    items = [
        {
            "code": u.code,
            "name": u.name,
            "kind": u.kind,
            "org": u.org,
            "parent": codes[u.parent_id].code if u.parent_id else None,
        }
        for u in rows
    ]
    if args.json:
        print(json.dumps(items, ensure_ascii=False, indent=2))
    else:
        base = under.path.count("/") if under else 2
        for u, item in zip(rows, items, strict=True):
            indent = "  " * (u.path.count("/") - base)
            print(f"{indent}{item['code']}  {item['name']}  [{item['kind']}, {item['org']}]")
    return 0


async def _admin_invite(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    try:
        valid = parse_duration(args.expires)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if not 1 <= args.uses <= MAX_USES:
        raise CliError(f"--uses must be between 1 and {MAX_USES}")
    username = await bot_username(settings)
    clock = SystemClock()
    async with db.session() as session:
        unit = await _unit(session, args.unit)
        code = await create_invite(
            session, unit=unit, role=args.role, now=clock.now(), valid_for=valid, max_uses=args.uses
        )
    until = (clock.now() + valid).astimezone(settings.tz).strftime("%d/%m/%Y %H:%M")
    print(
        f"invite for {args.role} of {unit.name} ({unit.code}), {args.uses} use(s), valid until {until}:"
    )
    print(invite_link(username, code))
    return 0


async def bot_username(settings: Settings) -> str:
    """PHOIHOP_BOT_USERNAME, else ask the Bot API with the token."""
    if settings.bot_username:
        return settings.bot_username.lstrip("@")
    if not settings.bot_token:
        raise CliError(
            "set PHOIHOP_BOT_USERNAME (or PHOIHOP_BOT_TOKEN) so the link can name the bot"
        )
    from telegram import Bot
    from telegram.error import TelegramError

    try:
        async with Bot(settings.bot_token, base_url=settings.bot_api_url) as bot:
            return str(bot.username)
    except TelegramError as exc:
        raise CliError(f"cannot ask the Bot API for the bot's username: {exc}") from None


async def _admin_grant(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    clock = SystemClock()
    async with db.session() as session:
        unit = await _unit(session, args.unit)
        person = await people_q.ensure(session, args.telegram_id, clock.now())
        held = await people_q.grant(session, person.id, unit.id, args.role, clock.now(), "cli")
    print(f"{args.telegram_id} is now {held} of {unit.name} ({unit.code})")
    return 0


def _backup(args: argparse.Namespace, settings: Settings) -> int:
    from bot.backup import BackupError, backup

    try:
        done = backup(settings.database_url, args.out, SystemClock().now())
    except (BackupError, sqlite3.Error, OSError) as exc:
        raise CliError(f"backup failed: {exc}") from None
    print(done.message)
    return 0


def _restore(args: argparse.Namespace, settings: Settings) -> int:
    from bot.backup import BackupError, restore

    try:
        done = restore(settings.database_url, args.file, force=args.force)
    except (BackupError, sqlite3.Error, OSError) as exc:
        raise CliError(f"restore failed: {exc}") from None
    print(done.message)
    print("check it with `phoihop db current`, then start the bot")
    return 0


def _run_entry(args: argparse.Namespace, settings: Settings) -> int:
    settings.require_token()  # the missing token is the first thing to say, before the database
    if args.webhook is not None:
        settings.require_webhook_secret()
        args.webhook = check_webhook_url(args.webhook)
        args.host, args.port = parse_listen(args.listen)
    return _cmd(_run)(args, settings)


def _run(args: argparse.Namespace, settings: Settings, db: Database) -> Awaitable[int]:
    from bot.runtime.runner import run_polling, run_webhook

    if args.webhook is not None:
        return run_webhook(settings, db, url=args.webhook, host=args.host, port=args.port)
    return run_polling(settings, db)


def check_webhook_url(url: str) -> str:
    """Telegram posts only to HTTPS; a query string would be dropped by path routing."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise CliError(
            f"--webhook must be a public https:// URL (Telegram posts only over HTTPS), not {url!r}"
        )
    if parts.query or parts.fragment:
        raise CliError("--webhook URL must have no ?query or #fragment")
    return url


def parse_listen(value: str) -> tuple[str, int]:
    """``HOST:PORT`` or ``[IPv6]:PORT``."""
    host, sep, port = value.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise CliError(f"--listen must be HOST:PORT, e.g. {DEFAULT_LISTEN}, not {value!r}")
    return host, int(port)


def _console(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runtime.console import run_console

    return run_console(settings, demo=args.demo, db_file=args.db)


def entry() -> None:  # pragma: no cover - console_scripts wrapper
    sys.exit(main())
