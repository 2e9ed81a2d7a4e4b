"""``/totals kiến nghị`` (``/totals petitions``) and the "Kiến nghị" button of /totals: citizens'
recommendations received in a period in a subtree, by status, category and authority, the share
answered on time and the median days to answer (``bot/petition_stats.py``).

The view rides on /totals' own buttons (``tot:<unit>:<period>:~kn:u:0``, ``PETITIONS`` in the type
field, which no activity type's key can be), so the same access rule checks every press afresh
and the access-matrix probes cover it. Counts only: no text of an item, no citizen."""

from __future__ import annotations

from datetime import date

from telegram import InlineKeyboardMarkup

from bot import petition_stats
from bot.i18n import Translator
from bot.periods import Period, Rule, period_containing
from bot.petitions import CATEGORIES, STATUSES
from handlers import render
from handlers.common import esc
from handlers.petitions.digest_lines import days_text, overdue_lines
from handlers.totals_view import PERIOD_BUTTONS, View


def _counts(tr: Translator, names: dict[str, str], counts: dict[str, int]) -> str:
    """ "Mới 2, Đã chuyển 1" in the order of ``names``."""
    return ", ".join(
        f"{esc(tr._(label))} {tr.number(counts[key])}"
        for key, label in names.items()
        if counts.get(key)
    )


def render_petitions(
    tr: Translator, result: petition_stats.PetitionTotals, unit_name: str, view: View
) -> str:
    return "\n".join([head_line(tr, unit_name, view.period), *petition_lines(tr, result)])


def head_line(tr: Translator, unit_name: str, period: Period) -> str:
    """ "Kiến nghị: <unit> — Tháng 11/2026 (15/10/2026 – 14/11/2026)" (HTML)."""
    return tr._("<b>Recommendations: {unit}</b> — {period} ({range})").format(
        unit=esc(unit_name),
        period=esc(period.label(tr.locale)),
        range=period.range_label(tr.locale),
    )


def petition_lines(tr: Translator, result: petition_stats.PetitionTotals) -> list[str]:
    """The lines under the head (HTML): the dashboard's petitions tab shows these very lines,
    so the two say the same."""
    if not result.total:
        return [tr._("No recommendation was received in this period.")]
    lines = [
        tr._("Received: {n}").format(n=tr.number(result.total)),
        tr._("By status: {counts}").format(counts=_counts(tr, STATUSES, result.by_status)),
        tr._("By category: {counts}").format(counts=_counts(tr, CATEGORIES, result.by_category)),
    ]
    if result.by_authority:
        lines.append(
            tr._("Forwarded to: {counts}").format(
                counts=", ".join(f"{esc(name)} {tr.number(n)}" for name, n in result.by_authority)
            )
        )
    if result.answered:
        lines.append(
            tr._("Answered on time: {on_time} of {answered} ({percent})").format(
                on_time=tr.number(result.on_time),
                answered=tr.number(result.answered),
                percent=f"{tr.number(round(result.on_time * 100 / result.answered))}%",
            )
        )
    if result.median_days is not None:
        lines.append(
            tr._("Median time to answer: {days} days").format(
                days=days_text(tr, result.median_days)
            )
        )
    if result.overdue:
        lines.append(tr._("Overdue now:"))
        lines += overdue_lines(tr, result.overdue)
    return lines


def petition_buttons(
    tr: Translator, view: View, today: date, rule: Rule
) -> InlineKeyboardMarkup | None:
    """The period buttons, and back to the activities."""
    periods = []
    for label, kind, back in PERIOD_BUTTONS:
        period = period_containing(today, kind, rule)  # type: ignore[arg-type]
        for _ in range(-back):
            period = period.previous()
        mark = "✓ " if period == view.period else ""
        periods.append((mark + tr._(label), view.data(period=period, page=0)))
    rows = [periods[:2], periods[2:], [(tr._("Activities"), view.data(type_key=None, page=0))]]
    return render.keyboard(rows)
