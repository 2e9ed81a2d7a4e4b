"""The "Kiến nghị" sheet of ``/export`` (issue 17): one row per recommendation received in the
period and placed in the subtree, streamed from the database like the activity log.

Citizens' name and phone are personal data kept only with consent (law 91/2025/QH15): the
exporter gets them only for items whose chain they are in (``bot.petitions.can_see``: the
recorder, leaders over the place or the supervising Front, the authority's officers); for the
others the two cells stay empty, so one workbook never hands a wider audience more than the bot
would show them. Erased items have nothing to show anyway.
"""

from __future__ import annotations

import contextlib
from datetime import date, datetime
from typing import Final
from zoneinfo import ZoneInfo

import xlsxwriter
from sqlalchemy.ext.asyncio import AsyncSession

from bot.access import Actor
from bot.export_cells import CellWriter
from bot.i18n import N_, Translator
from bot.periods import Period
from bot.petitions import CATEGORIES, SOURCES, STATUSES, can_see
from storage.queries import export as export_q
from storage.queries.units import Scope

SHEET_PETITIONS: Final = "Kiến nghị"
BATCH: Final = 500
RATINGS: Final = {
    "satisfactory": N_("Satisfactory"),
    "unsatisfactory": N_("Not satisfactory"),
}


async def petitions_sheet(
    session: AsyncSession,
    book: xlsxwriter.Workbook,
    out: CellWriter,
    tr: Translator,
    actor: Actor,
    scope: Scope,
    period: Period,
    tz: ZoneInfo,
) -> int:
    """Write the sheet; the number of rows written."""
    sheet = book.add_worksheet(SHEET_PETITIONS)
    out.headers(
        sheet,
        [
            tr._("Code"),
            tr._("Received on"),
            tr._("Unit code"),
            tr._("Unit"),
            tr._("Category"),
            tr._("Source"),
            tr._("Recommendation"),
            tr._("Citizens"),
            tr._("Status"),
            tr._("Authority"),
            tr._("Forwarded on"),
            tr._("Due on"),
            tr._("Answered on"),
            tr._("Answer"),
            tr._("Rating"),
            tr._("Citizens told on"),
            tr._("Citizen's name"),
            tr._("Citizen's phone"),
        ],
        [14, 12, 14, 36, 24, 24, 60, 9, 14, 30, 12, 12, 12, 60, 16, 12, 24, 14],
    )

    def label(names: dict[str, str], key: str | None) -> str | None:
        return tr._(names[key]) if key in names else key

    def day(moment: datetime | None) -> date | None:
        """The local day of a moment (the sheet shows days, as the card does)."""
        return moment.astimezone(tz).date() if moment is not None else None

    row = 0
    batches = export_q.petition_batches(session, scope, period.start, period.end, BATCH)
    async with contextlib.aclosing(batches):
        async for batch in batches:
            for item, place, front, authority in batch:
                row += 1
                out.text(sheet, row, 0, item.code)
                out.date(sheet, row, 1, item.received_on)
                out.text(sheet, row, 2, place.code)
                out.text(sheet, row, 3, place.name)
                out.text(sheet, row, 4, label(CATEGORIES, item.category))
                out.text(sheet, row, 5, label(SOURCES, item.source))
                out.text(sheet, row, 6, item.text)
                out.number(sheet, row, 7, item.people_count)
                out.text(sheet, row, 8, label(STATUSES, item.status))
                out.text(sheet, row, 9, authority)
                out.date(sheet, row, 10, day(item.forwarded_at))
                out.date(sheet, row, 11, item.due_on)
                out.date(sheet, row, 12, day(item.answered_at))
                out.text(sheet, row, 13, item.answer)
                out.text(sheet, row, 14, label(RATINGS, item.rating))
                out.date(sheet, row, 15, day(item.informed_at))
                if can_see(actor, item, place, front):
                    out.text(sheet, row, 16, item.citizen_name)
                    out.text(sheet, row, 17, item.citizen_phone)
    return row
