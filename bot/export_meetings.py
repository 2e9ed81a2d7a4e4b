"""The "Họp" sheet of ``/export``: one row per person who answered (or was marked present) for the
meetings of the subtree starting within the period; a meeting nobody answered gets one row.

A module per sheet, as for the petitions: each reads its own tables and speaks its own vocabulary
(here the RSVP answers and attendance); ``bot.export`` only puts the sheets in order.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import xlsxwriter
from sqlalchemy.ext.asyncio import AsyncSession

from bot.export_cells import CellWriter, naive_local
from bot.i18n import Translator
from bot.names import full_name
from bot.periods import Period
from storage.queries import export as export_q
from storage.queries.units import Scope

__all__ = ["SHEET_MEETINGS", "meetings_sheet"]

SHEET_MEETINGS = "Họp"


async def meetings_sheet(
    session: AsyncSession,
    book: xlsxwriter.Workbook,
    out: CellWriter,
    tr: Translator,
    scope: Scope,
    period: Period,
    tz: ZoneInfo,
) -> int:
    sheet = book.add_worksheet(SHEET_MEETINGS)
    out.headers(
        sheet,
        [
            tr._("Meeting"),
            tr._("Starts"),
            tr._("Unit"),
            tr._("Person"),
            tr._("Answer"),
            tr._("Reason or delegate"),
            tr._("Attended"),
        ],
        [40, 17, 36, 24, 14, 36, 10],
    )
    start = datetime.combine(period.start, time(0), tz)
    end = datetime.combine(period.end + timedelta(days=1), time(0), tz)
    rows = await export_q.meeting_rows(session, scope, start, end)
    answers = {
        "yes": tr._("attending"),
        "no": tr._("not attending"),
        "delegate": tr._("sending a delegate"),
    }
    row = 0
    for meeting, unit_name, rsvp, *answerer in rows:
        row += 1
        title = meeting.title
        if meeting.status == "cancelled":
            title = tr._("{title} (cancelled)").format(title=title)
        out.text(sheet, row, 0, title)
        out.date(sheet, row, 1, naive_local(meeting.starts_at, tz))
        out.text(sheet, row, 2, unit_name)
        if rsvp is None:
            continue
        out.text(sheet, row, 3, full_name(*answerer))
        out.text(sheet, row, 4, answers.get(rsvp.answer, ""))
        out.text(sheet, row, 5, rsvp.delegate if rsvp.answer == "delegate" else rsvp.reason)
        if rsvp.attended is not None:
            out.text(sheet, row, 6, tr._("Yes") if rsvp.attended else tr._("No"))
    return row
