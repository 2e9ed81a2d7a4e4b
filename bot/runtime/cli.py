"""``phoihop``: the operator's command line (PRODUCT §8).

Every expected failure (a bad setting, an unreachable database, an out-of-date schema, a bad CSV)
ends with one clear line on stderr and exit status 2, never a traceback.

This module is the parser and the dispatch, and it imports only the standard library: the
settings, SQLAlchemy, the domain and python-telegram-bot cost about a second of imports, which
``--help``, a mistyped command or a bad option should not pay. Each command imports the module of
its family only when it runs (the small functions under "Commands" below):

- ``cli_common``: settings, the database wrapper, the error lines;
- ``cli_db``: ``db``, ``backup``, ``restore``, ``rollup``;
- ``cli_units``: ``units``, ``areas``;
- ``cli_reports``: ``catalog``, ``templates``, ``rounds``;
- ``cli_export``: ``export``;
- ``cli_activities``: ``activities parse``;
- ``cli_admin``: ``admin invite|grant``; ``cli_members``: ``admin list|remove|role|revoke``;
- ``cli_server``: ``run``, ``console``;
- ``cli_petitions``: ``petitions list``.

``tests/bot/test_cli_startup.py`` checks that parsing stays free of the heavy imports.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from bot.access import Actor
    from bot.settings import Settings
    from storage.models import Unit


class CliError(Exception):
    """One line for the operator."""


#: The webhook server listens on loopback by default: a reverse proxy terminates TLS in front of it.
DEFAULT_LISTEN = "127.0.0.1:8443"

#: ``bot.onboarding.INVITE_ROLES`` and ``storage.queries.people.ROLES``, spelled out so that the
#: parser needs no domain import; tests/bot/test_cli_startup.py checks that they stay equal.
INVITE_ROLES = ("cadre", "admin")
GRANT_ROLES = ("cadre", "admin", "owner")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    try:
        # Only now that a command is known: the settings, the database and the error types.
        from bot.runtime.cli_common import run_command

        return run_command(args)
    except KeyboardInterrupt:
        return 130


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
    run.set_defaults(handler=_run)

    console = sub.add_parser(
        "console", help="chat with the bot in this terminal (no token, no internet)"
    )
    console.add_argument("--demo", action="store_true", help="seed a demo province with people")
    console.add_argument(
        "--db", help="SQLite file to use (default: a fresh temporary file with --demo)"
    )
    console.add_argument(
        "--files",
        help="folder for the files and photos the bot sends (default: a new temporary folder)",
    )
    console.set_defaults(handler=_console)

    db = sub.add_parser("db", help="database schema").add_subparsers(metavar="ACTION")
    up = db.add_parser("upgrade", help="apply all migrations (Alembic)")
    up.set_defaults(handler=_db_upgrade)
    cur = db.add_parser("current", help="show the schema revision")
    cur.set_defaults(handler=_db_current)

    areas = sub.add_parser("areas", help="official areas").add_subparsers(metavar="ACTION")
    imp = areas.add_parser(
        "import", help="provinces and communes from vietnam-provinces (extra 'areas')"
    )
    imp.add_argument("--province", help="NSO code or codename, e.g. 08 or tuyen_quang")
    imp.set_defaults(handler=_areas_import)

    catalog = sub.add_parser("catalog", help="the activity catalog").add_subparsers(
        metavar="ACTION"
    )
    cload = catalog.add_parser("load", help="add, update or retire activity types from YAML")
    cload.add_argument(
        "file", type=Path, nargs="?", help="default: the catalog shipped with Phối hợp"
    )
    cload.set_defaults(handler=_catalog_load)

    activities = sub.add_parser(
        "activities", help="activities as cadres write them"
    ).add_subparsers(metavar="ACTION")
    aparse = activities.add_parser(
        "parse",
        help="what the bot reads in a sentence: one JSON object per line (TEXT, or standard input)",
    )
    aparse.add_argument("text", nargs="?", help="one sentence (default: one per line on stdin)")
    aparse.add_argument("--today", help="the day relative dates count from, YYYY-MM-DD")
    aparse.set_defaults(handler=_activities_parse)

    templates = sub.add_parser("templates", help="report templates").add_subparsers(
        metavar="ACTION"
    )
    tload = templates.add_parser(
        "load", help="load a report template (YAML); a changed file is a new version"
    )
    tload.add_argument("file", type=Path)
    tload.set_defaults(handler=_templates_load)
    tlist = templates.add_parser("list", help="list the latest version of each template")
    tlist.set_defaults(handler=_templates_list)

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
    ropen.add_argument(
        "--before-cutoff",
        action="store_true",
        help="confirm a deadline before the period's last day (its cut-off for figures)",
    )
    ropen.set_defaults(handler=_rounds_open)
    rlist = rounds.add_parser("list", help="rounds and their completeness")
    rlist.set_defaults(handler=_rounds_list)

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
    export.set_defaults(handler=_export)

    rollup = sub.add_parser("rollup", help="pre-aggregated totals").add_subparsers(metavar="ACTION")
    rrebuild = rollup.add_parser(
        "rebuild", help="recompute the totals rollup from the activity log"
    )
    rrebuild.set_defaults(handler=_rollup_rebuild)

    units = sub.add_parser("units", help="the unit tree").add_subparsers(metavar="ACTION")
    uimp = units.add_parser(
        "import", help="units from CSV: code,name,kind,org,parent[,official_code]"
    )
    uimp.add_argument("file", type=Path)
    uimp.set_defaults(handler=_units_import)
    add = units.add_parser("add", help="add one unit")
    add.add_argument("--parent", help="parent unit code (none for a top-level unit)")
    add.add_argument("--kind", required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--org", default="mttq")
    add.add_argument("--code", help="unit code (default: parent code + running number)")
    add.set_defaults(handler=_units_add)
    lst = units.add_parser("list", help="list units")
    lst.add_argument("--under", help="only this unit and its subtree")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(handler=_units_list)

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
    inv.set_defaults(handler=_admin_invite)
    grant = admin.add_parser("grant", help="give a Telegram user a role in a unit")
    grant.add_argument("telegram_id", type=int)
    grant.add_argument("--unit", required=True)
    grant.add_argument("--role", required=True, choices=GRANT_ROLES)
    grant.set_defaults(handler=_admin_grant)
    menus = admin.add_parser(
        "menu-buttons", help="give every leader the dashboard's menu button (PHOIHOP_WEB_URL)"
    )
    menus.set_defaults(handler=_admin_menu_buttons)
    listing = admin.add_parser("list", help="a unit's members and its invite links still open")
    listing.add_argument("--unit", required=True)
    listing.set_defaults(handler=_admin_members, members_action="list")
    remove = admin.add_parser("remove", help="end a Telegram user's membership of a unit")
    remove.add_argument("telegram_id", type=int)
    remove.add_argument("--unit", required=True)
    remove.set_defaults(handler=_admin_members, members_action="remove")
    role = admin.add_parser("role", help="change a member's role, higher or lower")
    role.add_argument("telegram_id", type=int)
    role.add_argument("--unit", required=True)
    role.add_argument("--role", required=True, choices=GRANT_ROLES)
    role.set_defaults(handler=_admin_members, members_action="role")
    revoke = admin.add_parser("revoke", help="withdraw an invite link (its number: admin list)")
    revoke.add_argument("invite_id", type=int)
    revoke.set_defaults(handler=_admin_members, members_action="revoke")
    petitions = sub.add_parser("petitions", help="citizens' recommendations (kiến nghị)")
    pactions = petitions.add_subparsers(metavar="ACTION")
    plist = pactions.add_parser("list", help="items, by code, with their status and dates")
    plist.add_argument("--unit", help="only items placed in this unit's subtree")
    plist.add_argument(
        "--status",
        help="recorded, forwarded, acknowledged, answered, closed, declined or merged",
    )
    plist.add_argument("--json", action="store_true", help="a JSON array ([] when none)")
    plist.set_defaults(handler=_petitions_list)
    return parser


# Commands. Each imports its family's module when it runs, not when the parser is built, so that
# `phoihop --help` and argument errors need only argparse (see the module docstring).


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runtime import cli_server

    return cli_server.run(args, settings)


def _console(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runtime import cli_server

    return cli_server.console(args, settings)


def _db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runtime import cli_db

    return cli_db.upgrade(args, settings)


def _db_current(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runtime import cli_db

    return cli_db.current(args, settings)


def _backup(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runtime import cli_db

    return cli_db.backup(args, settings)


def _restore(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runtime import cli_db

    return cli_db.restore(args, settings)


def _rollup_rebuild(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runtime import cli_db

    return cli_db.rollup_rebuild(args, settings)


def _areas_import(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runtime import cli_units

    return cli_units.areas_import(args, settings)


def _units_import(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runtime import cli_units

    return cli_units.units_import(args, settings)


def _units_add(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runtime import cli_units

    return cli_units.units_add(args, settings)


def _units_list(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runtime import cli_units

    return cli_units.units_list(args, settings)


def _catalog_load(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runtime import cli_reports

    return cli_reports.catalog_load(args, settings)


def _activities_parse(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runtime import cli_activities

    return cli_activities.parse(args, settings)


def _templates_load(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runtime import cli_reports

    return cli_reports.templates_load(args, settings)


def _templates_list(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runtime import cli_reports

    return cli_reports.templates_list(args, settings)


def _rounds_open(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runtime import cli_reports

    return cli_reports.rounds_open(args, settings)


def _rounds_list(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runtime import cli_reports

    return cli_reports.rounds_list(args, settings)


def _export(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runtime import cli_export

    return cli_export.export(args, settings)


def _admin_invite(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runtime import cli_admin

    return cli_admin.invite(args, settings)


def _admin_grant(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runtime import cli_admin

    return cli_admin.grant(args, settings)


def _admin_menu_buttons(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runtime import cli_admin

    return cli_admin.menu_buttons(args, settings)


def _admin_members(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runtime import cli_members

    return cli_members.members(args, settings)


def _petitions_list(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runtime import cli_petitions

    return cli_petitions.petitions_list(args, settings)


def operator_actor(unit: Unit) -> Actor:
    """Operators run the server: they see every unit, like the owner. Nothing is written as them."""
    from bot.runtime import cli_export

    return cli_export.operator_actor(unit)


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
    from bot.parsing import ascii_int  # "²" passes str.isdigit() and crashes int()

    number = ascii_int(port, max_digits=5)
    if not sep or not host or number is None or not 0 <= number <= 65535:
        raise CliError(f"--listen must be HOST:PORT, e.g. {DEFAULT_LISTEN}, not {value!r}")
    return host, number


def entry() -> None:  # pragma: no cover - console_scripts wrapper
    sys.exit(main())
