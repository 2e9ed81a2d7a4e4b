"""The dashboard's petitions tab (``GET /app/api/petitions``, bot/runtime/webapp.py): above the
list, the counts of ``/totals kiến nghị`` for the person's own unit over a period — its very
lines, made by the same functions (``bot.petition_stats.totals``, the handler's
``petition_lines``), so the tab and the chat say the same — then what /petitions lists for the
person, by status, overdue first.

Never the citizen's name or phone, nor an item's text (it may name people): codes, categories,
places, dates and counts."""

from __future__ import annotations

import html
import re
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot import dashboard, date_window
from bot import webapp_strings as words
from bot.access import Actor
from bot.i18n import Translator
from bot.periods import Period, Rule, period_containing
from bot.petitions import CATEGORIES, STATUSES
from handlers.petitions import totals as petition_totals
from handlers.petitions.texts import category_label, status_label
from handlers.totals_view import PERIOD_BUTTONS


class BadPeriod(Exception):
    """``?period=`` is not a period key, or names a period outside the years kept."""


def period_choices(tr: Translator, today: date, rule: Rule) -> list[dict[str, str]]:
    """The periods ``/totals kiến nghị``'s buttons offer; the first is its default."""
    choices = []
    for label, kind, back in PERIOD_BUTTONS:
        period = period_containing(today, kind, rule)  # type: ignore[arg-type]
        for _ in range(-back):
            period = period.previous()
        choices.append({"key": period.key(), "label": tr._(label)})
    return choices


async def payload(
    session: AsyncSession,
    actor: Actor,
    tr: Translator,
    *,
    today: date,
    rule: Rule,
    tz: ZoneInfo,
    period_key: str | None,
) -> dict[str, Any]:
    choices = period_choices(tr, today, rule)
    try:
        period = Period.from_key(period_key or choices[0]["key"])
    except ValueError:
        raise BadPeriod(period_key) from None
    if not date_window.within(period.start, today):
        raise BadPeriod(period_key)
    found = await dashboard.petition_summary(session, actor, period, today, tz)
    board = await dashboard.petition_board(session, actor, today)
    return {
        "summary": _summary(tr, found, choices) if found is not None else None,
        "counts": [
            {"status": status, "label": status_label(tr, status), "count": board.counts[status]}
            for status in STATUSES
            if board.counts.get(status)
        ],
        "items": [
            {
                "code": line.petition.code,
                "status": line.petition.status,
                "status_label": status_label(tr, line.petition.status),
                "category": category_label(tr, line.petition.category),
                "place": line.place.name if line.place else "",
                "authority": line.authority.name if line.authority else None,
                "received": tr.day(line.petition.received_on),
                "due": tr.day(line.petition.due_on) if line.petition.due_on else None,
                "overdue": words.overdue(tr, line.overdue_days) if line.overdue_days else None,
            }
            for line in board.items
        ],
    }


def _summary(
    tr: Translator, found: dashboard.PetitionSummary, choices: list[dict[str, str]]
) -> dict[str, Any]:
    """The lines as the chat writes them (plain text), and the figures behind them."""
    counted, period, unit = found.totals, found.period, found.unit
    return {
        "unit": {"id": unit.id, "name": unit.name, "kind": unit.kind, "org": unit.org},
        "period": {"key": period.key(), "label": period.label(tr.locale)},
        "periods": choices,
        "head": _plain(petition_totals.head_line(tr, unit.name, period)),
        "lines": [_plain(line) for line in petition_totals.petition_lines(tr, counted)],
        "received": counted.total,
        "by_status": [
            {"status": key, "label": status_label(tr, key), "count": counted.by_status[key]}
            for key in STATUSES
            if counted.by_status.get(key)
        ],
        "by_category": [
            {"category": key, "label": category_label(tr, key), "count": counted.by_category[key]}
            for key in (*CATEGORIES, *sorted(set(counted.by_category) - set(CATEGORIES)))
            if counted.by_category.get(key)
        ],
        "by_authority": [{"name": name, "count": n} for name, n in counted.by_authority],
        "answered": counted.answered,
        "on_time": counted.on_time,
        "median_days": counted.median_days,
    }


def _plain(line: str) -> str:
    """A line the chat writes in HTML, as the page shows it (text, not markup)."""
    return html.unescape(re.sub(r"<[^>]+>", "", line))
