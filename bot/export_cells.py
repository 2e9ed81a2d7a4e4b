"""Typed cells for the ``/export`` workbook: one writer that every sheet writes through.

The workbook's promises (numbers are numbers, money whole đồng with ``#,##0``; days are dates and
moments local date-times, since Excel has no time zones; text is text, never a formula) are kept
here once, with the formats of one workbook, so each sheet module (``bot.export``,
``bot.export_reports``, ``bot.export_meetings``, ``bot.export_petitions``) only says what goes in
which cell.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

__all__ = ["CellWriter", "naive_local"]


def _amount(value: int | Decimal) -> int | float:
    """A value for a number cell: whole numbers stay exact integers."""
    decimal = value if isinstance(value, Decimal) else Decimal(value)
    return int(decimal) if decimal == decimal.to_integral_value() else float(decimal)


def naive_local(value: datetime, tz: ZoneInfo) -> datetime:
    return value.astimezone(tz).replace(tzinfo=None)


class CellWriter:
    """Formats and typed cell writing for one workbook."""

    def __init__(self, book: xlsxwriter.Workbook) -> None:
        self.header = book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
        self.integer = book.add_format({"num_format": "#,##0"})
        self.decimal = book.add_format({"num_format": "#,##0.###"})
        self.day = book.add_format({"num_format": "dd/mm/yyyy"})
        self.moment = book.add_format({"num_format": "dd/mm/yyyy hh:mm"})
        self.bold = book.add_format({"bold": True})

    def headers(self, sheet: Worksheet, labels: list[str], widths: list[int]) -> None:
        for col, (label, width) in enumerate(zip(labels, widths, strict=True)):
            sheet.set_column(col, col, width)
            sheet.write_string(0, col, label, self.header)
        sheet.freeze_panes(1, 0)

    def number(self, sheet: Worksheet, row: int, col: int, value: int | Decimal) -> None:
        amount = _amount(value)
        sheet.write_number(
            row, col, amount, self.integer if isinstance(amount, int) else self.decimal
        )

    def text(
        self, sheet: Worksheet, row: int, col: int, value: str | None, fmt: Any = None
    ) -> None:
        if value:
            sheet.write_string(row, col, value, fmt)

    def date(self, sheet: Worksheet, row: int, col: int, value: date | datetime | None) -> None:
        if value is not None:
            fmt: Format = self.moment if isinstance(value, datetime) else self.day
            sheet.write_datetime(row, col, value, fmt)
