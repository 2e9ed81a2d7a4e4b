"""``phoihop export``: the operator's /export, an .xlsx of a unit's subtree for a period.

Imported only when the command runs (see ``bot.runtime.cli``).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bot.access import Actor, Role
from bot.clock import SystemClock
from bot.periods import parse_period, period_containing
from bot.runtime.cli import CliError
from bot.runtime.cli_common import command, find_unit
from bot.settings import Settings
from storage.db import Database
from storage.models import Person, Unit
from storage.queries import units as units_q


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
        unit = await find_unit(session, args.unit)
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
        f"{summary.answers} report answers, {summary.attendees} meeting replies, {summary.petitions} recommendations"
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


export = command(_export)
