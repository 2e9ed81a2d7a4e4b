"""How a meeting's agenda of recommendations reads (issue 17): in every notice, on the meeting's
card, in its reminders and in the ``.ics`` description, one wording and one cut.

Why the cut is here and not left to the sender: ``handlers/render.py`` already splits a text too
long for one message (or for a file's caption) into several, so nothing is ever refused; but a
province-wide giao ban can attach hundreds of items, and a notice of twenty messages is not an
invitation. So the list shows at most :data:`SHOWN` items and at most :data:`BUDGET` characters
as Telegram counts them (``text_limits.visible_length``), then says "and N more
recommendations"; the calendar file's description is cut the same way (:func:`plain_lines`).
Nothing here names a citizen (``bot.meeting_agenda``). The labels come from ``bot.petitions``
directly: ``handlers.petitions`` imports the meetings' texts, so importing it here would loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.i18n import Translator
from bot.meeting_agenda import AgendaItem
from bot.petitions import AT_AUTHORITY, CATEGORIES, STATUSES
from handlers.common import esc
from handlers.text_limits import clip_plain, visible_length

#: Items listed at most; the rest are counted.
SHOWN = 15
#: Characters (as Telegram counts them) the list may take: with the meeting's card (title,
#: place, the typed agenda: at most ~2,400) an invitation stays its file and one or two messages.
BUDGET = 2000
#: The first characters of an item's text on its line.
TEXT_CHARS = 90


def _parts(tr: Translator, item: AgendaItem, today: date, *, html: bool) -> list[str]:
    def mark(text: str) -> str:
        return esc(text) if html else text

    parts = [
        f"<b>{esc(item.code)}</b>" if html else item.code,
        mark(tr._(CATEGORIES.get(item.category, item.category))),
        "“" + mark(clip_plain(" ".join(item.text.split()), TEXT_CHARS)) + "”",
    ]
    if item.authority:
        parts.append(mark(item.authority))
    if item.due_on is not None:
        parts.append(tr._("due {day}").format(day=tr.day(item.due_on)))
    late = item.overdue_days(today)
    if late:
        overdue = tr.ngettext("<b>overdue by {n} day</b>", "<b>overdue by {n} days</b>", late)
        overdue = overdue.format(n=tr.number(late))
        parts.append(overdue if html else overdue.replace("<b>", "").replace("</b>", ""))
    if item.status not in AT_AUTHORITY:
        parts.append(mark(tr._(STATUSES.get(item.status, item.status))))
    return parts


def _head(tr: Translator, items: Sequence[AgendaItem], today: date) -> str:
    late = sum(1 for i in items if i.overdue_days(today))
    return tr._("Recommendations on the agenda: {n}, {late} of them overdue").format(
        n=tr.number(len(items)), late=tr.number(late)
    )


def _more(tr: Translator, count: int) -> str:
    return tr.ngettext("and {n} more recommendation", "and {n} more recommendations", count).format(
        n=tr.number(count)
    )


def agenda_lines(
    tr: Translator, items: Sequence[AgendaItem], today: date, *, budget: int = BUDGET
) -> list[str]:
    """The agenda as HTML lines (none without items): a heading, one line per item (overdue
    first, as attached), cut at :data:`SHOWN` items or ``budget`` characters."""
    if not items:
        return []
    lines = [f"<b>{esc(_head(tr, items, today))}</b>"]
    used = visible_length(lines[0])
    for index, item in enumerate(items):
        line = "• " + " · ".join(_parts(tr, item, today, html=True))
        width = visible_length(line) + 1
        if index >= SHOWN or used + width > budget:
            lines.append(_more(tr, len(items) - index))
            break
        lines.append(line)
        used += width
    return lines


def plain_lines(tr: Translator, items: Sequence[AgendaItem], today: date) -> list[str]:
    """The same list as plain text, for the calendar file's description (same cut)."""
    if not items:
        return []
    lines = [_head(tr, items, today)]
    used = len(lines[0])
    for index, item in enumerate(items):
        line = "- " + " · ".join(_parts(tr, item, today, html=False))
        if index >= SHOWN or used + len(line) + 1 > BUDGET:
            lines.append(_more(tr, len(items) - index))
            break
        lines.append(line)
        used += len(line) + 1
    return lines
