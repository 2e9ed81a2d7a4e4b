"""/review: a leader approves a submitted report or returns it with a comment."""

from __future__ import annotations

from telegram import Update

from bot import conversation
from bot import reports as rep
from bot.conversation import FlowState
from bot.i18n import N_
from bot.reports import ReportError
from handlers.access_rules import PRIVATE, Who, rule
from handlers.common import esc, inline, reply
from handlers.context import AppContext
from handlers.reports.texts import (
    RETURN_FLOW,
    problem_text,
    review_card,
    title,
    who_answered,
)
from handlers.router import register_flow
from storage.text import nfc


@rule(
    Who.ADMIN,
    PRIVATE,
    why="reports submitted by units below the leader's",
    wrong_chat=N_("Review reports in a private chat with me."),
    not_allowed=N_("Only leaders of a higher unit approve reports."),
)
async def review_command(update: Update, context: AppContext) -> None:
    tr = context.tr
    async with context.services.db.session() as session:
        waiting = await rep.reports_to_decide(session, context.actor)
    if not waiting:
        await reply(update, context, tr._("No submitted report is waiting for your decision."))
        return
    for o in waiting[:10]:
        async with context.services.db.session() as session:
            current = await rep.answers(session, o.report.id)
            who = await who_answered(session, o.report.id)
        text, _ = review_card(tr, o, current, who)
        buttons = inline(
            [
                [
                    (tr._("Approve"), f"rep:ok:{o.report.id}"),
                    (tr._("Return with a comment"), f"rep:ret:{o.report.id}"),
                ]
            ]
        )
        await reply(update, context, text, reply_markup=buttons)


async def decide_button(update: Update, context: AppContext, action: str, rid: int) -> None:
    query = update.callback_query
    assert query is not None and update.effective_chat and update.effective_user
    tr = context.tr
    if action == "ret":
        async with context.services.db.session() as session:
            await rep.load_report(session, context.actor, rid, for_decision=True)
        await conversation.save(
            context.services,
            update.effective_chat.id,
            update.effective_user.id,
            FlowState(RETURN_FLOW, "comment", {"report_id": rid}),
        )
        await query.answer()
        await reply(
            update, context, tr._("Type the comment for the unit: what should they change?")
        )
        return
    async with context.services.db.session() as session:
        opened = await rep.decide(
            session,
            context.actor,
            rid,
            approve=True,
            comment=None,
            now=context.services.clock.now(),
        )
    await query.answer()
    await reply(
        update,
        context,
        tr._("Approved: {title}, {unit}. Its period is now locked.").format(
            title=esc(title(tr, opened)), unit=esc(opened.unit.name)
        ),
    )


async def on_return_comment(update: Update, context: AppContext, state: FlowState) -> None:
    assert update.message is not None and update.message.text is not None and update.effective_chat
    tr = context.tr
    comment = nfc(update.message.text.strip())
    if not comment or len(comment) > 1000:
        await reply(update, context, tr._("Type a comment of at most 1.000 characters."))
        return
    try:
        async with context.services.db.session() as session:
            opened = await rep.decide(
                session,
                context.actor,
                int(state.data["report_id"]),
                approve=False,
                comment=comment,
                now=context.services.clock.now(),
            )
    except ReportError as exc:
        await conversation.clear(
            context.services, update.effective_chat.id, context.actor.person.telegram_id
        )
        await reply(update, context, problem_text(tr, exc.code))
        return
    await conversation.clear(
        context.services, update.effective_chat.id, context.actor.person.telegram_id
    )
    await reply(
        update,
        context,
        tr._("Returned to {unit} with your comment. Its cadres have been told.").format(
            unit=esc(opened.unit.name)
        ),
    )


register_flow(RETURN_FLOW, on_return_comment)
