"""/petitions: the recommendations the person may see, newest first, ten a page, one button each
(its card), with filters by status and by category as buttons.

Who sees what (``storage.queries.petition_handling.Visible``, the list's side of
``bot.petitions.can_see``): a cadre what they recorded; a leader what is placed, or supervised,
in the part of the tree they lead; an officer of a People's Committee what was forwarded to their
unit; an operator everything. The data is ``knl:<status|->:<category|->:<page>``, or ``knl:fs``
/ ``knl:fc`` with the same three for the status and category choices; whatever it says, the
query only ever returns what the person may see.
"""

from __future__ import annotations

from telegram import Update

from bot.i18n import N_
from bot.petitions import CATEGORIES, STATUSES
from bot.petitions import visible_to as petitions_visible_to
from handlers.access_rules import PRIVATE, Who, rule
from handlers.common import NOT_MEMBER, answer, edit, esc, inline, page_buttons, reply
from handlers.context import AppContext
from handlers.labels import button_label
from handlers.petitions.texts import category_label, stale, status_label
from storage.queries import petition_handling as handling_q

PER_PAGE = 10


# The rule is the domain's (shared with the dashboard, bot/dashboard.py).
visible_to = petitions_visible_to


async def _list(
    context: AppContext, status: str | None, category: str | None, page: int
) -> tuple[str, list[list[tuple[str, str]]]]:
    tr = context.tr
    async with context.services.db.session() as session:
        items, total = await handling_q.visible_page(
            session,
            visible_to(context.actor),
            status=status,
            category=category,
            offset=page * PER_PAGE,
            limit=PER_PAGE,
        )
    s, c = status or "-", category or "-"
    heading = [tr._("<b>Recommendations</b>")]
    if status or category:
        shown = [
            status_label(tr, status) if status else "",
            category_label(tr, category) if category else "",
        ]
        what = " · ".join(x for x in shown if x)
        heading.append(tr._("Showing: {what}").format(what=esc(what)))
    if total == 0:
        heading.append(tr._("None to show."))
    else:
        heading.append(
            tr.ngettext(
                "{n} recommendation, newest first.", "{n} recommendations, newest first.", total
            ).format(n=tr.number(total))
        )
    rows = [
        [
            (
                button_label(f"{p.code} · {status_label(tr, p.status)} · {p.text}"),
                f"kn:v:{p.id}",
            )
        ]
        for p in items
    ]
    nav = page_buttons(tr, page, PER_PAGE, total, lambda n: f"knl:{s}:{c}:{n}")
    if nav:
        rows.append(nav)
    rows.append(
        [
            (tr._("Filter by status"), f"knl:fs:{s}:{c}"),
            (tr._("Filter by category"), f"knl:fc:{s}:{c}"),
        ]
    )
    return "\n".join(heading), rows


@rule(
    Who.MEMBER,
    PRIVATE,
    why="the recommendations the person may see (recorded, led, forwarded to their unit)",
    wrong_chat=N_("See recommendations in a private chat with me."),
    not_allowed=NOT_MEMBER,
)
async def petitions_command(update: Update, context: AppContext) -> None:
    text, rows = await _list(context, None, None, 0)
    await reply(update, context, text, reply_markup=inline(rows))


def _choice(value: str, known: dict[str, str]) -> str | None:
    if value == "-":
        return None
    if value not in known:
        raise ValueError(value)
    return value


@rule(
    Who.MEMBER,
    PRIVATE,
    why="pages and filters of /petitions; the query returns only what the person may see",
    wrong_chat=N_("See recommendations in a private chat with me."),
    not_allowed=NOT_MEMBER,
)
async def list_button(update: Update, context: AppContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    tr = context.tr
    parts = query.data.split(":")
    try:
        if parts[1] in ("fs", "fc"):
            s, c = _choice(parts[2], STATUSES), _choice(parts[3], CATEGORIES)
            await answer(update)
            await edit(update, tr._("Show which?"), inline(_filters(context, parts[1], s, c)))
            return
        status, category = _choice(parts[1], STATUSES), _choice(parts[2], CATEGORIES)
        page = int(parts[3])
        if not 0 <= page < 10_000:
            raise ValueError(page)
    except (IndexError, ValueError):
        await answer(update, stale(tr), alert=True)
        return
    text, rows = await _list(context, status, category, page)
    await answer(update)
    await edit(update, text, inline(rows))


def _filters(
    context: AppContext, which: str, status: str | None, category: str | None
) -> list[list[tuple[str, str]]]:
    """One button per status (or category), and "All"; the other filter is kept."""
    tr = context.tr
    s, c = status or "-", category or "-"
    if which == "fs":
        choices = [(status_label(tr, k), f"knl:{k}:{c}:0") for k in STATUSES]
        everything = (tr._("All statuses"), f"knl:-:{c}:0")
    else:
        choices = [(category_label(tr, k), f"knl:{s}:{k}:0") for k in CATEGORIES]
        everything = (tr._("All categories"), f"knl:{s}:-:0")
    rows = [choices[i : i + 2] for i in range(0, len(choices), 2)]
    rows.append([everything])
    return rows
