"""Recommendations (kiến nghị) as lines of the digest and of ``/totals petitions``, in the
reader's language with Babel's numbers. The figures come from ``bot/petition_stats.py``; this
only words them, so the digest and /totals say the same thing the same way."""

from __future__ import annotations

from bot.i18n import Translator
from bot.petition_stats import DigestLine
from handlers.common import esc


def days_text(tr: Translator, days: float) -> str:
    """12,5 (vi) / 12.5 (en): one decimal at most."""
    return tr.number(round(days, 1))


def overdue_lines(tr: Translator, overdue: list[tuple[str, int]]) -> list[str]:
    """ "• UBND xã Yên Nguyên: 2 quá hạn", one line per authority, most first."""
    return [
        "• "
        + tr._("{authority}: {n} overdue").format(
            authority=esc(name or tr._("(no authority)")), n=tr.number(n)
        )
        for name, n in overdue
    ]


def digest_lines(tr: Translator, line: DigestLine | None) -> list[str]:
    """Nothing when the subtree had no item to speak of in the period."""
    if line is None or line.empty:
        return []
    head = tr._("<b>Recommendations</b>: {new} new, {answered} answered").format(
        new=tr.number(line.new), answered=tr.number(line.answered)
    )
    if line.average_days is not None:
        head += "; " + tr._("{days} days to answer on average").format(
            days=days_text(tr, line.average_days)
        )
    return [head, *overdue_lines(tr, line.overdue)]
