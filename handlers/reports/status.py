"""/status: how complete a report round is (who submitted, on time or late, who is missing)."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardMarkup, Update

from bot import reports as rep
from bot.i18n import N_
from bot.names import name_of
from bot.parsing import ascii_int
from bot.periods import heading
from handlers import render
from handlers.access_rules import ANY_CHAT, Who, rule
from handlers.common import answer, edit, esc, reply
from handlers.context import AppContext
from handlers.dashboard_button import with_dashboard
from handlers.reports.texts import (
    status_label,
)
from handlers.router import quote
from storage.models import ReportRound


@rule(
    Who.ADMIN,
    ANY_CHAT,
    scoped=True,
    why="rounds of units the leader leads",
    refusals=(N_("There is no round {id} in your units. /status lists the latest."),),
    not_allowed=N_("Only unit leaders can see the status of a round."),
)
async def status_command(update: Update, context: AppContext) -> None:
    await _show(update, context)


async def _show(update: Update, context: AppContext, page: int | None = None) -> None:
    """The round asked (``context.args``), or the latest; ``page`` of it in place of the
    message whose « / » button was pressed, else as a new message from its first page."""
    tr = context.tr
    wanted: str | None = context.args[0] if context.args else None
    async with context.services.db.session() as session:
        rounds = await rep.rounds_visible_to(session, context.actor)
        chosen = next(
            (r for r in rounds if wanted is not None and str(r.id) == wanted.lstrip("#")), None
        )
        if wanted is not None and chosen is None:
            text, markup = (
                tr._("There is no round {id} in your units. /status lists the latest.").format(
                    id=quote(wanted)
                ),
                None,
            )
        elif not rounds:
            text, markup = tr._("No report round has been opened in your units yet."), None
        else:
            text, markup = await _status(context, session, chosen or rounds[0], rounds, page or 0)
    markup = with_dashboard(update, context, markup)
    if page is not None:
        await edit(update, text, markup)
    else:
        await reply(update, context, text, reply_markup=markup)


async def _status(
    context: AppContext, session: Any, row: ReportRound, rounds: list[ReportRound], page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    """A province's round lists a hundred communes: more than a message holds, so it is paged
    (``render.page``), the « / » buttons under the page with the other rounds'."""
    tr = context.tr
    info = await rep.round_info(session, row.id)
    assert info is not None
    rows = await rep.round_status(session, row)
    submitted = [r for r in rows if r.status in ("submitted", "approved")]
    on_time = [r for r in submitted if r.on_time]
    missing = [r for r in rows if r.status in rep.OPEN]
    approved = [r for r in rows if r.status == "approved"]
    lines = [
        f"<b>#{row.id} {esc(heading(info.template.title(tr.locale), info.period.label(tr.locale)))}</b>",
        tr._("{unit}, deadline {deadline}").format(
            unit=esc(info.unit.name), deadline=tr.moment(row.deadline)
        ),
        tr._(
            "Submitted {submitted}/{total} (on time {on_time}, late {late}); approved {approved}; missing {missing}."
        ).format(
            submitted=len(submitted),
            total=len(rows),
            on_time=len(on_time),
            late=len(submitted) - len(on_time),
            approved=len(approved),
            missing=len(missing),
        ),
    ]
    if missing:
        lines.append("")
        lines.append(tr._("Missing:"))
        for r in missing:
            names = ", ".join(esc(name_of(p)) for p in r.people) or tr._("no members yet")
            flag = f" ({status_label(tr, r.status)})" if r.status == "returned" else ""
            lines.append(f"• {esc(r.unit.name)}{flag}: {names}")
    late_rows = [r for r in submitted if not r.on_time]
    if late_rows:
        lines.append("")
        lines.append(tr._("Late:") + " " + ", ".join(esc(r.unit.name) for r in late_rows))
    shown = render.page(tr, "\n".join(lines), page)
    nav = render.page_rows(tr, shown, lambda n: f"rep:st:{row.id}:{n}")
    others = [(f"#{r.id}", f"rep:st:{r.id}") for r in rounds[:6] if r.id != row.id]
    return shown.text, render.keyboard([*nav, others])


@rule(
    Who.ADMIN,
    ANY_CHAT,
    scoped=True,
    why="round ids re-checked like /status",
    refusals=(
        N_("This button is no longer active."),
        N_("There is no round {id} in your units. /status lists the latest."),
    ),
    not_allowed=N_("Only unit leaders can see the status of a round."),
)
async def status_button(update: Update, context: AppContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    parts = query.data.split(":")
    round_id, page = parts[2:3], parts[3:4]
    if (
        not round_id
        or ascii_int(round_id[0]) is None
        or (page and ascii_int(page[0]) is None)
        or len(parts) > 4
    ):
        await answer(update, context.tr._("This button is no longer active."), alert=True)
        return
    context.args = round_id
    await answer(update)
    await _show(update, context, int(page[0]) if page else None)
