"""``phoihop petitions list``: citizens' recommendations as the operator sees them (issue 17).

Imported only when the command runs (see ``bot.runtime.cli``). The JSON shape is for scripts and
stays fixed: one object per item with ``code``, ``status``, ``category``, ``unit`` and
``authority`` (unit codes), ``received_on``, ``due_on``, ``answered_on`` (ISO dates, the answer's
in the deployment's time zone) and ``rating``; ``[]`` when there are none.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from bot.petitions import STATUSES
from bot.runtime.cli import CliError
from bot.runtime.cli_common import command, find_unit
from bot.settings import Settings
from storage.db import Database
from storage.queries import petition_stats as stats_q


async def _petitions_list(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    status = args.status.strip().lower() if args.status else None
    if status is not None and status not in STATUSES:
        raise CliError(f"unknown status {args.status!r} (one of: {', '.join(STATUSES)})")
    async with db.session() as session:
        under = await find_unit(session, args.unit) if args.unit else None
        rows = await stats_q.listing(session, under=under, status=status)
    items: list[dict[str, Any]] = [
        {
            "code": row.petition.code,
            "status": row.petition.status,
            "category": row.petition.category,
            "unit": row.unit_code,
            "authority": row.authority_code,
            "received_on": row.petition.received_on.isoformat(),
            "due_on": row.petition.due_on.isoformat() if row.petition.due_on else None,
            "answered_on": (
                row.petition.answered_at.astimezone(settings.tz).date().isoformat()
                if row.petition.answered_at
                else None
            ),
            "rating": row.petition.rating,
        }
        for row in rows
    ]
    if args.json:
        print(json.dumps(items, ensure_ascii=False, indent=2))
        return 0
    if not items:
        print("no recommendations")
        return 0
    columns = list(items[0])
    table = [[str(item[c] if item[c] is not None else "-") for c in columns] for item in items]
    widths = [max(len(c), *(len(r[i]) for r in table)) for i, c in enumerate(columns)]
    for line in [columns, *table]:
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())
    return 0


petitions_list = command(_petitions_list)
