"""/round: a leader opens a report round for the units below theirs."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from telegram import Update

from bot import conversation
from bot import reports as rep
from bot.conversation import FlowState
from bot.i18n import N_
from bot.parsing import ParseError, parse_date
from bot.periods import Period, period_containing
from bot.reports import ReportError
from handlers.access_rules import PRIVATE, Who, rule
from handlers.common import esc, inline, reply
from handlers.context import AppContext
from handlers.reports.texts import (
    ROUND_FLOW,
    load_state,
    problem_text,
)
from handlers.router import quote, register_flow
from storage.queries import reports as reports_q
from storage.queries import units as units_q


@rule(
    Who.ADMIN,
    PRIVATE,
    why="opens a round over units the leader leads",
    wrong_chat=N_("Open report rounds in a private chat with me."),
    not_allowed=N_("Only unit leaders can open report rounds."),
)
async def round_command(update: Update, context: AppContext) -> None:
    assert update.effective_chat and update.effective_user
    tr = context.tr
    async with context.services.db.session() as session:
        templates = await rep.latest_templates(session)
    await conversation.save(
        context.services,
        update.effective_chat.id,
        update.effective_user.id,
        FlowState(ROUND_FLOW, "template", {}),
    )
    rows = [
        [
            (
                f"{t.title_vi if tr.locale == 'vi' else t.title_en} (v{t.version})"[:60],
                f"rnd:t:{t.id}",
            )
        ]
        for t in templates
    ]
    await reply(
        update, context, tr._("Open a report round. Which template?"), reply_markup=inline(rows)
    )


@rule(
    Who.ADMIN,
    PRIVATE,
    scoped=True,
    why="unit ids re-checked with Actor.can_admin",
    refusals=(
        N_("This button is no longer active. Start again with /round."),
        N_("You can open rounds only for the units you lead."),
    ),
)
async def round_button(update: Update, context: AppContext) -> None:
    query = update.callback_query
    assert (
        query is not None
        and query.data is not None
        and update.effective_chat
        and update.effective_user
    )
    tr = context.tr
    state = await load_state(update, context)
    if state is None or state.flow != ROUND_FLOW or not context.actor.is_admin:
        await query.answer(
            tr._("This button is no longer active. Start again with /round."), show_alert=True
        )
        return
    parts = query.data.split(":")
    try:
        await _round_step(update, context, state, parts)
    except (IndexError, KeyError, ValueError):
        await query.answer(
            tr._("This button is no longer active. Start again with /round."), show_alert=True
        )


#: The step each /round button answers.
ROUND_STEPS = {
    "t": "template",
    "p": "period",
    "u": "unit",
    "k": "targets",
    "g": "org",
    "d": "deadline",
}


async def _round_step(
    update: Update, context: AppContext, state: FlowState, parts: list[str]
) -> None:
    """One /round button. Every id in the data is checked here: the unit must be one the leader
    leads, since the next steps list its sub-units (names of another unit's tree otherwise)."""
    query = update.callback_query
    assert query is not None
    tr = context.tr
    services = context.services
    data = dict(state.data)
    rule = services.settings.period_rule
    today = context.services.today()
    if len(parts) < 3 or ROUND_STEPS.get(parts[1]) != state.step:
        raise IndexError(parts)  # a malformed button, or one of another step
    if parts[1] == "t":
        int(parts[2])
    elif parts[1] == "p":
        Period.from_key(":".join(parts[2:]))  # a forged key fails here, not three steps later
    elif parts[1] == "d":
        date.fromisoformat(parts[2])
    elif parts[1] == "u":
        async with services.db.session() as session:
            chosen = await units_q.get(session, int(parts[2]))
        if chosen is None or not context.actor.can_admin(chosen):
            await query.answer(
                tr._("You can open rounds only for the units you lead."), show_alert=True
            )
            return
    await query.answer()
    if parts[1] == "t":
        async with services.db.session() as session:
            template_row = await reports_q.get_template(session, int(parts[2]))
        if template_row is None:
            return
        data["template_id"] = template_row.id
        current = period_containing(today, template_row.period, rule)  # type: ignore[arg-type]
        choices = [current.previous(), current, current.next()]
        rows = [[(p.label(tr.locale), f"rnd:p:{p.key()}")] for p in choices]
        await _save_round(update, context, "period", data)
        await reply(update, context, tr._("For which period?"), reply_markup=inline(rows))
    elif parts[1] == "p":
        data["period"] = ":".join(parts[2:])
        units = []
        for role in context.actor.admin_roles():
            units.append(role.unit)
        rows = [[(u.name[:60], f"rnd:u:{u.id}")] for u in units]
        await _save_round(update, context, "unit", data)
        await reply(
            update, context, tr._("Which unit's sub-units must report?"), reply_markup=inline(rows)
        )
    elif parts[1] == "u":
        data["unit_id"] = int(parts[2])
        async with services.db.session() as session:
            root = await units_q.get(session, data["unit_id"])
            below = [u for u in await units_q.list_units(session, root) if root and u.id != root.id]
            kinds = {k.key: k for k in await units_q.kinds(session)}
        levels = sorted({u.kind for u in below}, key=lambda k: kinds[k].level if k in kinds else 99)
        rows = [[(tr._("Its direct sub-units"), "rnd:k:-")]]
        for key in levels:
            kind = kinds.get(key)
            name = (kind.name_vi if tr.locale == "vi" else kind.name_en) if kind else key
            rows.append(
                [(tr._("Every unit of level: {level}").format(level=name)[:60], f"rnd:k:{key}")]
            )
        await _save_round(update, context, "targets", data)
        await reply(update, context, tr._("Which units must report?"), reply_markup=inline(rows))
    elif parts[1] == "k":
        data["kind"] = None if parts[2] == "-" else parts[2]
        async with services.db.session() as session:
            root = await units_q.get(session, int(data["unit_id"]))
            targets = await rep.target_units(session, root, data["kind"], None) if root else []
            orgs = {o.key: o for o in await units_q.organisations(session)}
        present = sorted({u.org for u in targets})
        rows = [[(tr._("All organisations"), "rnd:g:-")]]
        if len(present) > 1:
            for key in present:
                org = orgs.get(key)
                rows.append(
                    [
                        (
                            (org.name_vi if tr.locale == "vi" else org.name_en) if org else key,
                            f"rnd:g:{key}",
                        )
                    ]
                )
        await _save_round(update, context, "org", data)
        await reply(update, context, tr._("Which organisation?"), reply_markup=inline(rows))
    elif parts[1] == "g":
        data["org"] = None if parts[2] == "-" else parts[2]
        await _save_round(update, context, "deadline", data)
        period = Period.from_key(data["period"])
        suggestions = [period.end + timedelta(days=3), period.end + timedelta(days=7)]
        rows = [[(tr.day(d), f"rnd:d:{d.isoformat()}") for d in suggestions if d > today]]
        await reply(
            update,
            context,
            tr._("Deadline? Press a date or type one (dd/mm/yyyy)."),
            reply_markup=inline(rows) if rows[0] else None,
        )
    elif parts[1] == "d":
        await _open_round(update, context, data, date.fromisoformat(parts[2]))


async def _save_round(update: Update, context: AppContext, step: str, data: dict[str, Any]) -> None:
    assert update.effective_chat and update.effective_user
    await conversation.save(
        context.services,
        update.effective_chat.id,
        update.effective_user.id,
        FlowState(ROUND_FLOW, step, data),
    )


async def on_round_text(update: Update, context: AppContext, state: FlowState) -> None:
    assert update.message is not None and update.message.text is not None
    tr = context.tr
    if state.step != "deadline":
        await reply(
            update, context, tr._("Please press one of the buttons above, or /cancel to stop.")
        )
        return
    text = update.message.text.strip()
    try:
        day = _parse_future_date(text, context.services.today())
    except ParseError:
        await reply(
            update,
            context,
            tr._("“{text}” is not a date in the future. Type it as dd/mm/yyyy.").format(
                text=quote(text)
            ),
        )
        return
    await _open_round(update, context, dict(state.data), day)


def _parse_future_date(text: str, today: date) -> date:
    """Deadlines lie ahead: parse against a far 'today' so future dates are accepted."""
    day = parse_date(text, today.replace(year=today.year + 2))
    if day <= today:
        raise ParseError("bad_date", text)
    return day


async def _open_round(update: Update, context: AppContext, data: dict[str, Any], day: date) -> None:
    assert update.effective_chat and update.effective_user
    tr = context.tr
    services = context.services
    deadline = datetime.combine(day, datetime.min.time(), tzinfo=services.settings.tz).replace(
        hour=23, minute=59
    )
    try:
        async with services.db.session() as session:
            template_row = await reports_q.get_template(session, int(data["template_id"]))
            root = await units_q.get(session, int(data["unit_id"]))
            if template_row is None or root is None:
                raise ReportError("not_found")
            row = await rep.open_round(
                session,
                context.actor,
                template_row=template_row,
                period=Period.from_key(data["period"]),
                root=root,
                deadline=deadline,
                now=services.clock.now(),
                kind=data.get("kind"),
                org=data.get("org"),
            )
            count = len(await rep.round_status(session, row))
            period_label = Period.from_key(data["period"]).label(tr.locale)
    except ReportError as exc:
        await reply(update, context, problem_text(tr, exc.code))
        return
    await conversation.clear(services, update.effective_chat.id, update.effective_user.id)
    await reply(
        update,
        context,
        tr._(
            "Round #{id} is open: {period}, {count} units, deadline {deadline}. Their cadres are being told. /status {id} follows it."
        ).format(id=row.id, period=esc(period_label), count=count, deadline=tr.moment(deadline)),
    )


register_flow(ROUND_FLOW, on_round_text)
