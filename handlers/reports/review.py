"""/review: a leader approves a submitted report or returns it with a comment.

The comment is a flow on the kernel (``return``): opened by a card's "Return with a comment" at
its one question, or begun again from the list of the reports waiting. /cancel keeps it (/review
then offers to continue), and another command in the middle suspends it and offers it back.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Update

from bot import reports as rep
from bot.i18n import N_
from bot.reports import ReportError
from handlers import flow
from handlers.access_rules import PRIVATE, Who, rule
from handlers.common import answer, esc, inline, reply
from handlers.context import AppContext
from handlers.flow import Call, Finish, Next, Outcome, Screen, Stay, Step
from handlers.reports.texts import RETURN_FLOW, problem_text, review_card, title, who_answered
from storage.text import nfc

STALE = N_("This button is no longer active. Start again with /review.")
NOT_YOURS = N_("This report is not one of your units'.")


@rule(
    Who.ADMIN,
    PRIVATE,
    why="reports submitted by units below the leader's",
    wrong_chat=N_("Review reports in a private chat with me."),
    not_allowed=N_("Only leaders of a higher unit approve reports."),
)
async def review_command(update: Update, context: AppContext) -> None:
    """The reports waiting for the leader's decision, one card each (or the comment the leader
    had begun, kept by /cancel: continue it or start over)."""
    tr = context.tr
    async with context.services.db.session() as session:
        call = flow.call_for(context, session)
        if await flow.offer_kept(update, context, RETURN, call):
            return
        waiting = await rep.reports_to_decide(session, context.actor)
        if not waiting:
            await reply(update, context, tr._("No submitted report is waiting for your decision."))
            return
        for o in waiting[:10]:
            current = await rep.answers(session, o.report.id)
            text = review_card(tr, o, current, await who_answered(session, o.report.id))
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
    """``rep:ok:<id>`` approves; ``rep:ret:<id>`` asks for the comment (the ``return`` flow)."""
    tr = context.tr
    async with context.services.db.session() as session:
        call = flow.call_for(context, session)
        try:
            if action == "ret":
                await rep.load_report(session, context.actor, rid, for_decision=True)
                await answer(update)
                await flow.open_at(update, context, RETURN, ReturnDraft(report_id=rid), call)
                return
            opened = await rep.decide(
                session, context.actor, rid, approve=True, comment=None, now=call.now
            )
        except ReportError as exc:
            await answer(update, problem_text(tr, exc.code), alert=True)
            return
        await answer(update)
        await reply(
            update,
            context,
            tr._("Approved: {title}, {unit}. Its period is now locked.").format(
                title=esc(title(tr, opened)), unit=esc(opened.unit.name)
            ),
        )


# --- the return comment: a flow on the kernel ----------------------------------------------------


@dataclass
class ReturnDraft:
    report_id: int | None = None
    #: Chosen from the list (begun again with "Start over"): /back returns to it.
    picked: bool = False


async def begin(call: Call) -> ReturnDraft | Stay:
    if not await rep.reports_to_decide(call.session, call.actor):
        return Stay(call.tr._("No submitted report is waiting for your decision."))
    return ReturnDraft()


async def show_pick(call: Call, draft: ReturnDraft) -> Screen:
    tr = call.tr
    rows = [
        [(f"{title(tr, o)} · {o.unit.name}"[:60], f"r:{o.report.id}")]
        for o in (await rep.reports_to_decide(call.session, call.actor))[:20]
    ]
    if not rows:
        return Screen(tr._("No submitted report is waiting for your decision."))
    return Screen(tr._("Which report do you return with a comment?"), rows)


async def press_pick(call: Call, draft: ReturnDraft, action: str, args: list[str]) -> Outcome:
    if action != "r":
        raise ValueError(action)
    try:
        opened = await rep.load_report(call.session, call.actor, int(args[0]), for_decision=True)
    except ReportError as exc:
        return Stay(problem_text(call.tr, exc.code))
    if opened.report.status != "submitted":
        return Stay(problem_text(call.tr, "not_submitted"))
    draft.report_id, draft.picked = opened.report.id, True
    return Next()


async def show_comment(call: Call, draft: ReturnDraft) -> Screen:
    tr = call.tr
    prompt = tr._("Type the comment for the unit: what should they change?")
    try:
        opened = await rep.load_report(
            call.session, call.actor, draft.report_id or 0, for_decision=True
        )
    except ReportError as exc:
        return Screen(problem_text(tr, exc.code))
    heading = f"<b>{esc(title(tr, opened))}</b> · {esc(opened.unit.name)}"
    return Screen(f"{heading}\n{prompt}", [[(tr._("Do not return it"), "x")]])


async def typed_comment(call: Call, draft: ReturnDraft, text: str) -> Outcome:
    tr = call.tr
    comment = nfc(text)
    if not comment or len(comment) > 1000:
        return Stay(tr._("Type a comment of at most 1.000 characters."))
    try:
        opened = await rep.decide(
            call.session,
            call.actor,
            draft.report_id or 0,
            approve=False,
            comment=comment,
            now=call.now,
        )
    except ReportError as exc:
        return Finish(problem_text(tr, exc.code))
    return Finish(
        tr._("Returned to {unit} with your comment. Its cadres have been told.").format(
            unit=esc(opened.unit.name)
        )
    )


async def press_comment(call: Call, draft: ReturnDraft, action: str, args: list[str]) -> Outcome:
    if action != "x":
        raise ValueError(action)
    return Finish(call.tr._("Not returned: the report still waits for your decision (/review)."))


RETURN = flow.register(
    flow.Flow(
        name=RETURN_FLOW,
        command="review",
        prefix="ret",
        title=N_("the comment on the report"),
        state=ReturnDraft,
        steps=(
            Step(
                "pick",
                show_pick,
                press=press_pick,
                applies=lambda draft: draft.report_id is None or draft.picked,
            ),
            Step("comment", show_comment, typed=typed_comment, press=press_comment),
        ),
        begin=begin,
    )
)


@flow.button_rule(
    RETURN,
    Who.ADMIN,
    stale=STALE,
    why="report ids re-checked by reports.load_report(for_decision=True)",
    refusals=(NOT_YOURS,),
)
async def return_button(update: Update, context: AppContext) -> None:
    await flow.on_button(update, context, RETURN)
