"""The spreadsheet export (PRODUCT §6 ``/export``): one ``.xlsx`` for a unit's subtree and a period.

Five sheets, written in order with xlsxwriter's ``constant_memory`` mode so that a province-year
export streams instead of holding every row in memory:

1. "Tổng hợp" — the totals of ``/totals`` (the unit itself, then each child unit), one column per
   (activity type, measure) that has a value.
2. "Nhật ký hoạt động" — every entry that is not deleted, one row per entry, one column per
   (activity type, measure) that occurs in the period (a wide layout: an entry fills only the
   columns of its own type). Streamed from the database.
3. "Báo cáo" — one row per report answer, for rounds whose period overlaps the export period and
   units in the subtree (a report without answers still gets one row, for its status;
   ``bot/export_reports.py``).
4. "Họp" — one row per person who answered (or was marked present) for meetings of the subtree
   starting within the period; a meeting nobody answered gets one row (``bot/export_meetings.py``).
5. "Kiến nghị" — one row per recommendation received in the period (``bot/export_petitions.py``).

Numbers are numbers (money as whole đồng with ``#,##0``), days are dates (``dd/mm/yyyy``) and
moments are local date-times (Excel has no time zones). Text is written as text, never as a
formula (``bot/export_cells.py``, which every sheet writes through). Sheet names are Vietnamese;
headers follow the locale.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import IO
from zoneinfo import ZoneInfo

import xlsxwriter
from sqlalchemy.ext.asyncio import AsyncSession

from bot import totals as totals_q
from bot.access import Actor
from bot.activities import Kind, catalog_kinds, from_milli
from bot.export_cells import CellWriter
from bot.export_meetings import SHEET_MEETINGS, meetings_sheet
from bot.export_petitions import SHEET_PETITIONS, petitions_sheet
from bot.export_reports import SHEET_REPORTS, reports_sheet
from bot.i18n import I18n, Translator
from bot.names import full_name
from bot.periods import Period
from bot.totals import row_label
from storage.models import Unit
from storage.queries import export as export_q
from storage.queries import units as units_q
from storage.queries.units import Scope
from storage.snapshot import snapshot_session

SHEET_TOTALS = "Tổng hợp"
SHEET_LOG = "Nhật ký hoạt động"
SHEETS = (SHEET_TOTALS, SHEET_LOG, SHEET_REPORTS, SHEET_MEETINGS, SHEET_PETITIONS)

#: Rows fetched per round trip while streaming the activity log.
BATCH = 500

#: Called in the building thread after each batch of the activity log with the rows written so
#: far: a progress report, and a place where a test holds the export half-way.
Progress = Callable[[int], None]


class ExportError(Exception):
    """The export cannot be made; ``code`` says why (for a localized message)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class ExportSummary:
    unit: Unit
    period: Period
    filename: str
    #: Data rows written per sheet, in sheet order.
    totals_rows: int
    entries: int
    answers: int
    attendees: int
    petitions: int = 0


def filename_for(unit: Unit, period: Period) -> str:
    """``phoihop-<unit code>-<period key>.xlsx`` with anything odd in the code replaced."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", f"{unit.code}-{period.key()}").strip("-")
    return f"phoihop-{safe}.xlsx"


def _measure_header(kinds: dict[str, Kind], type_key: str, measure_key: str, locale: str) -> str:
    found = kinds.get(type_key)
    measure = found.measure(measure_key) if found else None
    name = found.name(locale) if found else type_key
    if measure is None:
        return f"{name} — {measure_key}"
    unit = measure.unit(locale)
    return f"{name} — {measure.label(locale)}" + (f" ({unit})" if unit else "")


def _ordered(kinds: list[Kind], keys: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Columns in catalog order; anything the catalog no longer knows goes last, sorted."""
    wanted = set(keys)
    ordered = [(k.key, m.key) for k in kinds for m in k.measures if (k.key, m.key) in wanted]
    return ordered + sorted(wanted - set(ordered))


async def build_export(
    session: AsyncSession,
    actor: Actor,
    unit: Unit,
    period: Period,
    path_or_buffer: str | IO[bytes],
    *,
    locale: str = "vi",
    tr: Translator | None = None,
    tz: ZoneInfo | None = None,
    progress: Progress | None = None,
) -> ExportSummary:
    """Write the workbook for ``unit``'s subtree over ``period``; ``ExportError("forbidden")`` when
    the actor does not lead the unit (PRODUCT §1: exports are the leaders'; the workbook names
    colleagues' absence reasons, which a cadre's /totals does not)."""
    if not actor.can_admin(unit):
        raise ExportError("forbidden")
    tr = tr or I18n(tz).translator(locale)
    tz = tz or tr.tz
    kinds = await catalog_kinds(session)
    by_key = {k.key: k for k in kinds}
    node, org = await totals_q.scope_node(session, unit)
    # Units counted under ``node`` (and ``org``): the same rule as the rollup behind /totals.
    scope = Scope(prefix=node.path, org=org)
    book = xlsxwriter.Workbook(path_or_buffer, {"constant_memory": True})
    try:
        out = CellWriter(book)
        totals_rows = await _totals_sheet(session, book, out, tr, actor, unit, period, kinds)
        entries = await _log_sheet(session, book, out, tr, scope, period, kinds, by_key, progress)
        answers = await reports_sheet(session, book, out, tr, scope, period, tz)
        attendees = await meetings_sheet(session, book, out, tr, scope, period, tz)
        petitions = await petitions_sheet(session, book, out, tr, actor, scope, period, tz)
    finally:
        book.close()
    return ExportSummary(
        unit=unit,
        period=period,
        filename=filename_for(unit, period),
        totals_rows=totals_rows,
        entries=entries,
        answers=answers,
        attendees=attendees,
        petitions=petitions,
    )


async def export_in_thread(
    url: str,
    actor: Actor,
    unit_id: int,
    period: Period,
    path: str,
    *,
    tr: Translator,
    tz: ZoneInfo,
    progress: Progress | None = None,
) -> ExportSummary:
    """``build_export`` in a worker thread, reading a snapshot through a connection of its own.

    The caller's event loop only waits: it keeps serving other users while the workbook is
    built (a province-year takes minutes). ``unit_id`` is read again in the snapshot, so the
    summary's unit is the one the workbook describes; ``ExportError("missing")`` if it is gone."""
    return await asyncio.to_thread(
        export_from_snapshot, url, actor, unit_id, period, path, tr=tr, tz=tz, progress=progress
    )


def export_from_snapshot(
    url: str,
    actor: Actor,
    unit_id: int,
    period: Period,
    path: str,
    *,
    tr: Translator,
    tz: ZoneInfo,
    progress: Progress | None = None,
) -> ExportSummary:
    """The body of ``export_in_thread``, for a thread that has no event loop: it runs one of
    its own, so the domain's async queries serve unchanged (storage/snapshot.py)."""

    async def build() -> ExportSummary:
        async with snapshot_session(url) as session:
            unit = await units_q.get(session, unit_id)
            if unit is None:
                raise ExportError("missing")
            return await build_export(
                session,
                actor,
                unit,
                period,
                path,
                locale=tr.locale,
                tr=tr,
                tz=tz,
                progress=progress,
            )

    return asyncio.run(build())


async def _totals_sheet(
    session: AsyncSession,
    book: xlsxwriter.Workbook,
    out: CellWriter,
    tr: Translator,
    actor: Actor,
    unit: Unit,
    period: Period,
    kinds: list[Kind],
) -> int:
    sheet = book.add_worksheet(SHEET_TOTALS)
    result = await totals_q.compute(session, actor, unit, period)
    rows = [(unit.name, result.total)] + [(row_label(tr, r), r.cells) for r in result.rows]
    columns = _ordered(kinds, {key for _label, cells in rows for key in cells})
    by_key = {k.key: k for k in kinds}
    out.headers(
        sheet,
        [tr._("Unit")] + [_measure_header(by_key, t, m, tr.locale) for t, m in columns],
        [40] + [18] * len(columns),
    )
    for number, (label, cells) in enumerate(rows, start=1):
        out.text(sheet, number, 0, label, out.bold if number == 1 else None)
        for col, key in enumerate(columns, start=1):
            if cells.get(key):
                out.number(sheet, number, col, from_milli(cells[key]))
    return len(rows)


async def _log_sheet(
    session: AsyncSession,
    book: xlsxwriter.Workbook,
    out: CellWriter,
    tr: Translator,
    scope: Scope,
    period: Period,
    kinds: list[Kind],
    by_key: dict[str, Kind],
    progress: Progress | None = None,
) -> int:
    sheet = book.add_worksheet(SHEET_LOG)
    present = await export_q.measure_columns(session, scope, period.start, period.end)
    columns = _ordered(kinds, present)
    fixed = [
        tr._("Entry no."),
        tr._("Date"),
        tr._("Unit code"),
        tr._("Unit"),
        tr._("Activity"),
    ]
    measures = [_measure_header(by_key, t, m, tr.locale) for t, m in columns]
    note_col = len(fixed) + len(columns)
    out.headers(
        sheet,
        [*fixed, *measures, tr._("Note"), tr._("Logged by")],
        [9, 12, 14, 36, 30, *([16] * len(columns)), 40, 22],
    )
    position = {key: i for i, key in enumerate(columns, start=len(fixed))}
    row, current = 0, None
    # Streamed: constant_memory writes each row out as the next begins, and rows come from the
    # server a batch at a time, so a province-year never sits in memory.
    batches = export_q.log_batches(session, scope, period.start, period.end, BATCH)
    async with contextlib.aclosing(batches):
        async for batch in batches:
            for (
                entry_id,
                day,
                code,
                name,
                type_key,
                note,
                *author,
                measure_key,
                milli,
            ) in batch:
                if entry_id != current:
                    current, row = entry_id, row + 1
                    found = by_key.get(type_key)
                    sheet.write_number(row, 0, entry_id)
                    out.date(sheet, row, 1, day)
                    out.text(sheet, row, 2, code)
                    out.text(sheet, row, 3, name)
                    out.text(sheet, row, 4, found.name(tr.locale) if found else type_key)
                    out.text(sheet, row, note_col, note)
                    out.text(sheet, row, note_col + 1, full_name(*author))
                col = position.get((type_key, measure_key)) if measure_key is not None else None
                if col is not None and milli is not None:
                    # The row is still the current one: constant_memory keeps it until the next row.
                    out.number(sheet, row, col, from_milli(int(milli)))
            if progress is not None:
                progress(row)
    return row
