"""The "Báo cáo" sheet of ``/export``: one row per report answer, for the rounds whose period
overlaps the export period and the units of the subtree (a report without answers still gets one
row, for its status).

Answers are written by their question's type (numbers as numbers, a choice by its label, a date
as a date), so the sheet reads like the report card rather than its stored JSON.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import xlsxwriter
from sqlalchemy.ext.asyncio import AsyncSession
from xlsxwriter.worksheet import Worksheet

from bot.export_cells import CellWriter, naive_local
from bot.i18n import Translator
from bot.periods import Period
from bot.reports import template_of
from bot.templates import Question, Template
from storage.models import ReportRound
from storage.queries import export as export_q
from storage.queries.units import Scope

__all__ = ["SHEET_REPORTS", "reports_sheet"]

SHEET_REPORTS = "Báo cáo"
NUMERIC_QUESTIONS = ("integer", "money", "decimal")


def _answer_cell(
    out: CellWriter,
    sheet: Worksheet,
    row: int,
    col: int,
    tr: Translator,
    q: Question | None,
    v: Any,
) -> None:
    if v is None or v == "" or v == []:
        return
    kind = q.type if q is not None else None
    if kind in NUMERIC_QUESTIONS or (kind is None and isinstance(v, int | float)):
        try:
            out.number(sheet, row, col, Decimal(str(v)))
            return
        except ArithmeticError:
            pass
    if kind == "yesno":
        out.text(sheet, row, col, tr._("Yes") if v else tr._("No"))
    elif kind == "choice" and q is not None:
        out.text(sheet, row, col, next((o.label(tr.locale) for o in q.options if o.key == v), v))
    elif kind == "multi" and q is not None and isinstance(v, list):
        out.text(sheet, row, col, ", ".join(o.label(tr.locale) for o in q.options if o.key in v))
    elif kind == "date" and isinstance(v, str):
        try:
            out.date(sheet, row, col, date.fromisoformat(v))
        except ValueError:
            out.text(sheet, row, col, v)
    elif kind == "photo":
        out.text(sheet, row, col, tr._("photo attached"))
    else:
        out.text(sheet, row, col, str(v))


def _report_status(tr: Translator, status: str) -> str:
    labels = {
        "draft": tr._("not submitted"),
        "submitted": tr._("submitted"),
        "approved": tr._("approved"),
        "returned": tr._("returned"),
    }
    return labels.get(status, status)


async def reports_sheet(
    session: AsyncSession,
    book: xlsxwriter.Workbook,
    out: CellWriter,
    tr: Translator,
    scope: Scope,
    period: Period,
    tz: ZoneInfo,
) -> int:
    sheet = book.add_worksheet(SHEET_REPORTS)
    out.headers(
        sheet,
        [
            tr._("Round"),
            tr._("Report"),
            tr._("Period"),
            tr._("Unit code"),
            tr._("Unit"),
            tr._("Status"),
            tr._("Submitted at"),
            tr._("Question"),
            tr._("Answer"),
        ],
        [8, 36, 16, 14, 36, 14, 17, 50, 30],
    )
    rounds: dict[int, tuple[ReportRound, Template, Period]] = {}
    for round_row, template_row in await export_q.rounds_with_templates(session):
        try:
            asked = Period.from_key(round_row.period_key)
        except ValueError:
            continue
        if asked.start <= period.end and asked.end >= period.start:
            rounds[round_row.id] = (round_row, template_of(template_row), asked)
    if not rounds:
        return 0
    reports = await export_q.reports_in_scope(session, rounds, scope)
    answers: dict[int, dict[str, Any]] = {}
    if reports:
        for answer in await export_q.answers_of_reports(session, [r.id for r, _u in reports]):
            answers.setdefault(answer.report_id, {})[answer.question_key] = answer.value.get("v")
    row = 0
    for report, unit in reports:
        round_row, template, asked = rounds[report.round_id]
        given = answers.get(report.id, {})
        keys: list[str | None] = [q.key for q in template.questions if q.key in given]
        keys += sorted(set(given) - set(keys))
        for key in keys or [None]:
            row += 1
            sheet.write_number(row, 0, round_row.id)
            out.text(sheet, row, 1, template.title(tr.locale))
            out.text(sheet, row, 2, asked.label(tr.locale))
            out.text(sheet, row, 3, unit.code)
            out.text(sheet, row, 4, unit.name)
            out.text(sheet, row, 5, _report_status(tr, report.status))
            if report.submitted_at is not None:
                out.date(sheet, row, 6, naive_local(report.submitted_at, tz))
            if key is None:
                continue
            question = next((q for q in template.questions if q.key == key), None)
            out.text(sheet, row, 7, question.label(tr.locale) if question else key)
            _answer_cell(out, sheet, row, 8, tr, question, given[key])
    return row
