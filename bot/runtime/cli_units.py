"""``phoihop units`` and ``phoihop areas``: the unit tree.

Imported only when one of these commands runs (see ``bot.runtime.cli``).
"""

from __future__ import annotations

import argparse
import json

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import SystemClock
from bot.runtime.cli import CliError
from bot.runtime.cli_common import command, find_unit
from bot.settings import Settings
from bot.units import import_areas, import_csv
from storage.db import Database
from storage.models import Unit
from storage.queries import units as units_q


async def _areas_import(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    async with db.session() as session:
        report = await import_areas(session, SystemClock().now(), province=args.province)
    print(f"added {len(report.added)} units, {len(report.skipped)} already present")
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


async def _units_add(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    async with db.session() as session:
        parent = None
        if args.parent:
            parent = await find_unit(session, args.parent)
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


async def _next_code(session: AsyncSession, parent: Unit | None) -> str:
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
            under = await find_unit(session, args.under)
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


areas_import = command(_areas_import)
units_import = command(_units_import)
units_add = command(_units_add)
units_list = command(_units_list)
