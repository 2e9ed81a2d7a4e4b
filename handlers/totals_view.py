"""How /totals looks: the totals, the breakdown a page at a time, and the buttons that change
what is shown (period, by unit / by organisation, a sub-unit, the unit above, the next page).

A province has a hundred communes: listing them all took several screens on a phone. The first
page shows the unit's totals and its busiest sub-units (at most ``PAGE_ROWS``, within
``PAGE_BUDGET`` characters; none when the totals alone fill it, as a province's fifteen types
do, and the sub-units start on the next page); « / » buttons page through the rest (``render.page_rows``, as
/status pages a round). Every button carries the whole view in its data
(``tot:<unit>:<period>:<type or ->:<u|o>:<page>``), so the handler checks it afresh on the
server and edits the same message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from telegram import InlineKeyboardMarkup

from bot.activities import Kind, from_milli
from bot.i18n import N_, Translator
from bot.periods import Period, Rule, period_containing
from bot.totals import Cells, Row, Totals, row_label
from handlers import render
from handlers.common import esc
from handlers.entry_cards import figure
from handlers.text_limits import visible_length

PREFIX = "tot:"
#: Sub-units on one page, and the characters a page may take (about a phone's screen: 2,500
#: was two screens and more for a province that logged every type).
PAGE_ROWS = 10
PAGE_BUDGET = 1600
#: Callback data is at most 64 bytes.
DATA_LIMIT = 64
#: The type field of a view of citizens' recommendations (handlers/petitions/totals.py): "~" is in
#: no activity type's key.
PETITIONS = "~kn"

#: The period buttons: (label, kind, periods back from the current one).
PERIOD_BUTTONS = (
    (N_("This month"), "month", 0),
    (N_("This quarter"), "quarter", 0),
    (N_("This year"), "year", 0),
    (N_("Last quarter"), "quarter", -1),
)


@dataclass(frozen=True)
class View:
    """What one /totals message shows."""

    unit_id: int
    period: Period
    type_key: str | None = None
    by_org: bool = False
    page: int = 0

    def data(self, **changes: object) -> str:
        """The callback data of a button showing this view with ``changes``."""
        fields = {**self.__dict__, **changes}
        period = fields["period"]
        assert isinstance(period, Period)
        data = ":".join(
            (
                "tot",
                str(fields["unit_id"]),
                period.key(),
                str(fields["type_key"] or "-"),
                "o" if fields["by_org"] else "u",
                str(fields["page"]),
            )
        )
        if len(data.encode()) > DATA_LIMIT:  # a very long type key: the button shows every type
            return self.data(**{**changes, "type_key": None})
        return data


def _line(tr: Translator, kinds: list[Kind], cells: Cells) -> list[str]:
    lines = []
    for kind in kinds:
        parts = []
        for m in kind.measures:
            value = cells.get((kind.key, m.key))
            if not value:
                continue
            parts.append(figure(tr, kind, m, from_milli(value)))
        if parts:
            lines.append(f"{esc(kind.name(tr.locale))}: " + ", ".join(parts))
    return lines


def _row(tr: Translator, result: Totals, row: Row) -> str:
    lines = _line(tr, result.kinds, row.cells)
    return f"<b>{esc(row_label(tr, row))}</b>\n  " + "\n  ".join(lines)


def _head(tr: Translator, result: Totals) -> str:
    return tr._("<b>Totals: {unit}</b> — {period} ({range})").format(
        unit=esc(result.unit.name),
        period=esc(result.period.label(tr.locale)),
        range=result.period.range_label(tr.locale),
    )


@dataclass
class TotalsPage:
    lines: list[str]
    rows: list[Row]


def pages(tr: Translator, result: Totals, by_org: bool) -> list[TotalsPage]:
    """The pages: the first with the totals and the busiest rows, the others with the rows that
    follow, each at most ``PAGE_ROWS`` rows and ``PAGE_BUDGET`` characters (one row at least,
    however long, except on the first page: totals that leave no room for a row are the first
    page alone, saying the breakdown follows)."""
    head = _head(tr, result)
    body = _line(tr, result.kinds, result.total)
    if not body:
        return [TotalsPage([head, tr._("No activity was logged in this period.")], [])]
    if not by_org and all(row.direct for row in result.rows):
        # A unit with nothing below it that logged anything (a thôn, a cadre's own unit): a
        # breakdown of one row, "directly at" itself, would repeat the totals above.
        return [TotalsPage([head, *body], [])]
    title = tr._("By organisation:") if by_org else tr._("By unit:")
    done: list[TotalsPage] = []
    current = TotalsPage([head, *body, "", title], [])
    for row in result.rows:
        shown = _row(tr, result, row)
        size = visible_length("\n".join([*current.lines, shown]))
        full = len(current.rows) >= PAGE_ROWS or size > PAGE_BUDGET
        if full and not current.rows and not done:
            # The totals fill the first screen: the breakdown starts on the next page.
            current.lines[-1] = (
                tr._("By organisation: on the next page.")
                if by_org
                else tr._("By unit: on the next page.")
            )
            done.append(current)
            current = TotalsPage([head, title], [])
        elif full and current.rows:
            done.append(current)
            more = tr._("By organisation, continued:") if by_org else tr._("By unit, continued:")
            current = TotalsPage([head, more], [])
        current.lines.append(shown)
        current.rows.append(row)
    done.append(current)
    return done


def render_view(
    tr: Translator, result: Totals, view: View, today: date, rule: Rule
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The page ``view.page`` (clamped) of the totals, and its buttons."""
    all_pages = pages(tr, result, view.by_org)
    number = min(max(view.page, 0), len(all_pages) - 1)
    text = "\n".join(all_pages[number].lines)
    if len(all_pages) > 1:
        text += "\n\n" + tr._("Page {page} of {pages}").format(
            page=tr.number(number + 1), pages=tr.number(len(all_pages))
        )
    shown = render.Page(text, number, len(all_pages))
    view = View(view.unit_id, view.period, view.type_key, view.by_org, number)
    buttons: list[list[tuple[str, str]]] = []
    drill = [
        ("› " + row.target.name, view.data(unit_id=row.target.id, by_org=False, page=0))
        for row in all_pages[number].rows
        if row.target is not None
    ]
    buttons += [drill[i : i + 2] for i in range(0, len(drill), 2)]
    buttons += render.page_rows(tr, shown, lambda n: view.data(page=n))
    if result.parent is not None:
        buttons.append([("⬆ " + result.parent.name, view.data(unit_id=result.parent.id, page=0))])
    periods = []
    for label, kind, back in PERIOD_BUTTONS:
        period = period_containing(today, kind, rule)  # type: ignore[arg-type]
        for _ in range(-back):
            period = period.previous()
        mark = "✓ " if period == view.period else ""
        periods.append((mark + tr._(label), view.data(period=period, page=0)))
    buttons += [periods[:2], periods[2:]]
    switch = [
        (
            tr._("By unit") if view.by_org else tr._("By organisation"),
            view.data(by_org=not view.by_org, page=0),
        )
    ]
    if view.type_key is not None:
        switch.append((tr._("All activity types"), view.data(type_key=None, page=0)))
    buttons.append(switch)
    buttons.append([(tr._("Recommendations"), view.data(type_key=PETITIONS, by_org=False, page=0))])
    return shown.text, render.keyboard(buttons)
