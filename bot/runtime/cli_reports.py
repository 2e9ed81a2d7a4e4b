"""``phoihop catalog``, ``templates`` and ``rounds``: what cadres log and report.

Imported only when one of these commands runs (see ``bot.runtime.cli``).
"""

from __future__ import annotations

import argparse
from datetime import datetime, time

from sqlalchemy import select

from bot import date_window, report_templates, reports
from bot.catalog import DEFAULT_CATALOG, load_catalog, parse_catalog
from bot.clock import SystemClock
from bot.periods import parse_period
from bot.runtime.cli import CliError
from bot.runtime.cli_common import command, find_unit
from bot.settings import Settings
from bot.templates import Template
from storage.db import Database
from storage.models import ReportRound


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
            template = await report_templates.load_file(session, args.file)
        except OSError as exc:
            raise CliError(f"cannot read {args.file}: {exc}") from None
        row, created = await reports.store_template(session, template, SystemClock().now())
    print(f"{row.key} version {row.version} {'loaded' if created else 'unchanged'}")
    return 0


async def _templates_list(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    async with db.session() as session:
        for row in await reports.latest_templates(session):
            print(
                f"{row.key}  v{row.version}  [{row.period}]  {row.title_vi}  "
                f"for: {_audience(reports.template_of(row))}"
            )
    return 0


def _audience(template: Template) -> str:
    """Whom a template is for, as its file says (``for:``)."""
    kinds = ", ".join(template.kinds) or "any kind"
    orgs = ", ".join(template.orgs) or "any organisation"
    return f"{orgs} / {kinds}"


async def _rounds_open(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    clock = SystemClock()
    today = clock.now().astimezone(settings.tz).date()
    try:
        period = parse_period(args.period, today, settings.period_rule)
        day = datetime.strptime(args.deadline, "%d/%m/%Y").date()
        if not date_window.within(day, today):
            raise ValueError(
                f"the deadline must be from {date_window.FIRST_DAY:%d/%m/%Y} to "
                f"{date_window.last_day(today):%d/%m/%Y}, not {day.isoformat()}"
            )
    except ValueError as exc:
        raise CliError(f"{exc} (period like 'Q4 2026', deadline like 20/12/2026)") from None
    deadline = datetime.combine(day, time(23, 59), tzinfo=settings.tz)
    async with db.session() as session:
        rows = [t for t in await reports.latest_templates(session) if t.key == args.template]
        if not rows:
            raise CliError(f"no template {args.template!r} (see `phoihop templates list`)")
        root = await find_unit(session, args.unit)
        template = reports.template_of(rows[0])
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
                early=args.before_cutoff,
            )
        except reports.ReportError as exc:
            if exc.code == "duplicate":
                raise CliError(
                    f"cannot open the round: round #{exc.round_id} already asks the same "
                    f"template for {period.label('en')} of this unit"
                ) from None
            if exc.code.startswith("template_"):
                raise CliError(
                    f"cannot open the round: template {template.key} is for "
                    f"{_audience(template)}, and none of the units asked is (see --kind, --org)"
                ) from None
            if exc.code == "before_cutoff":
                raise CliError(
                    f"the deadline {day:%d/%m/%Y} is before the end of {period.label('en')} "
                    f"({period.end:%d/%m/%Y}, its cut-off for figures): units would report before "
                    "the period is over; add --before-cutoff to open it anyway"
                ) from None
            raise CliError(f"cannot open the round: {exc.code.replace('_', ' ')}") from None
        count = len(await reports.round_status(session, row))
    print(
        f"round #{row.id} open: {rows[0].key} v{rows[0].version}, {period.label('en')}, {count} units, deadline {day:%d/%m/%Y}"
    )
    return 0


async def _rounds_list(args: argparse.Namespace, settings: Settings, db: Database) -> int:
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


catalog_load = command(_catalog_load)
templates_load = command(_templates_load)
templates_list = command(_templates_list)
rounds_open = command(_rounds_open)
rounds_list = command(_rounds_list)
