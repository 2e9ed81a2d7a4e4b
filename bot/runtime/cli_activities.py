"""``phoihop activities parse``: what the free-text reader makes of a sentence (issue 18), for
operators tuning the catalog's words and for evaluation.

Imported only when the command runs (see ``bot.runtime.cli``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from bot import activities as acts
from bot.catalog import DEFAULT_CATALOG, TypeSpec, parse_catalog
from bot.clock import SystemClock
from bot.free_text import Reader, Reading
from bot.runtime.cli import CliError
from bot.runtime.cli_common import command
from bot.settings import Settings
from storage.db import Database


async def _parse(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    today = _today(args.today, settings)
    async with db.session() as session:
        kinds: Sequence[acts.Kind | TypeSpec] = await acts.active_kinds(session)
    if not kinds:
        # A database no catalog was loaded into yet reads with the catalog it would get.
        kinds = parse_catalog(DEFAULT_CATALOG.read_text(encoding="utf-8"))
    elif not any(kind.words for kind in kinds):
        print("phoihop: the catalog has no words yet: run `phoihop catalog load`", file=sys.stderr)
    reader = Reader(kinds)
    lines: Iterable[str] = [args.text] if args.text is not None else sys.stdin
    for line in lines:
        text = line.removesuffix("\n").removesuffix("\r")
        print(json.dumps(as_json(reader.read(text, today)), ensure_ascii=False), flush=True)
    return 0


def as_json(reading: Reading) -> dict[str, Any]:
    """The issue's JSON: money in đồng and counts as integers, a decimal as a number."""
    return {
        "text": reading.text,
        "activities": [
            {
                "type": proposal.type,
                "measures": {key: _number(value) for key, value in proposal.measures.items()},
                "date": proposal.date.isoformat() if proposal.date else None,
            }
            for proposal in reading.activities
        ],
        "note": reading.note,
    }


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _today(text: str | None, settings: Settings) -> date:
    if text is None:
        return SystemClock().now().astimezone(settings.tz).date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CliError(f"--today must be YYYY-MM-DD, not {text!r}") from None


parse = command(_parse)
