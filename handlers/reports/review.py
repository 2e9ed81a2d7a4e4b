"""/review: a leader approves a submitted report or returns it with a comment.

The comment is a one-shot prompt on the flow kernel (``RETURN``), opened by a card's "Return with
a comment" in that button's transaction. It is a detour: the flow the leader was in is suspended
under it and comes straight back once the comment is sent; /cancel keeps it, and the same button
continues it; another command in the middle suspends it and offers it back.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Update

from bot import locks
from bot import reports as rep
from bot.i18n import N_
from bot.reports import ReportError
from handlers import flow
from handlers.access_rules import PRIVATE, Who, rule
from handlers.common import answer, edit, esc, inline, reply
from handlers.context import AppContext
from handlers.entry_cards import lock_scope
from handlers.flow import Call, Finish, Outcome, Screen, Stay, Step
from handlers.flow_units import report_unit
from handlers.labels import distinct
from handlers.reports.reopen import ask_reopen
from handlers.reports.texts import RETURN_FLOW, problem_text, review_card, title, who_answered
from storage.text import nfc


@rule(
    Who.ADMIN,
    PRIVATE,
    why="reports submitted by units below the leader's",
    wrong_chat=N_("Review reports in a private chat with me."),
    not_allowed=N_("Only leaders of a higher unit approve reports."),
)
async def review_command(update: Update, context: AppContext) -> None:
    """The reports waiting for the leader's decision, one card each; then the approved ones the
    leader may reopen. An incomplete report (an answer changed after submission made another
    question required) offers only "Return": it cannot be approved."""
    tr = context.tr
    async with context.services.db.session() as session:
        waiting = await rep.reports_to_decide(session, context.actor)
        approved = await rep.reports_to_reopen(session, context.actor)
        if not waiting:
            await reply(update, context, tr._("No submitted report is waiting for your decision."))
        for o in waiting[:10]:
            current = await rep.answers(session, o.report.id)
            text = review_card(tr, o, current, await who_answered(session, o.report.id))
            row = [(tr._("Return with a comment"), f"rep:ret:{o.report.id}")]
            if rep.missing_required(o.info.template, current):
                text += "\n\n" + tr._(INCOMPLETE)
            else:
                row.insert(0, (tr._("Approve"), f"rep:ok:{o.report.id}"))
            await reply(update, context, text, reply_markup=inline([row]))
        if approved:
            shown = approved[:10]
            labels, shared = distinct(
                [
                    (o.unit.name, o.info.template.title(tr.locale), o.info.period.label(tr.locale))
                    for o in shown
                ],
                limit=48,
            )
            rows = [
                [(f"{tr._('Reopen')}: {label}", f"rep:reo:{o.report.id}")]
                for o, label in zip(shown, labels, strict=True)
            ]
            text = tr._("Approved reports you can reopen (this lifts their lock):")
            if shared:
                text += "\n" + esc(" · ".join(shared))
            await reply(update, context, text, reply_markup=inline(rows))


#: Why a waiting report has no "Approve" (and why an old "Approve" of it is refused).
INCOMPLETE = N_(
    "This report is incomplete: a required question is not answered (an answer was changed after it was submitted). It cannot be approved; return it with a comment."
)


async def decide_button(update: Update, context: AppContext, action: str, rid: int) -> None:
    """``rep:ok:<id>`` approves, after a confirmation while the period still runs (``okc``
    confirms, ``okx`` cancels); ``rep:ret:<id>`` asks for the comment (the ``return`` flow);
    ``rep:reo:<id>`` asks why an approved report is reopened (the ``reopen`` flow)."""
    tr = context.tr
    async with context.services.db.session() as session:
        call = flow.call_for(context, session)
        try:
            if action == "ret":
                await rep.load_report(session, context.actor, rid, for_decision=True)
                await answer(update)
                await flow.open_at(
                    update,
                    context,
                    RETURN,
                    ReturnDraft(report_id=rid),
                    call,
                    keep=lambda draft: draft.report_id == rid,
                )
                return
            if action == "reo":
                await ask_reopen(update, context, call, rid)
                return
            if action == "okx":
                opened = await rep.load_report(session, context.actor, rid, for_decision=True)
                await answer(update)
                await edit(
                    update,
                    tr._(
                        "Not approved: {title}, {unit} still waits for your decision in /review."
                    ).format(title=esc(title(tr, opened)), unit=esc(opened.unit.name)),
                )
                return
            if action == "ok":
                opened = await rep.load_report(session, context.actor, rid, for_decision=True)
                current = await rep.answers(session, rid)
                if rep.missing_required(opened.info.template, current):
                    raise ReportError("incomplete")  # not worth a confirmation: never approved
                if opened.report.status == "submitted" and locks.period_running(
                    opened, context.services.today()
                ):
                    await answer(update)
                    await _confirm(update, context, await locks.preview(session, opened), opened)
                    return
            opened = await rep.decide(
                session, context.actor, rid, approve=True, comment=None, now=call.now
            )
        except ReportError as exc:
            text = tr._(INCOMPLETE) if exc.code == "incomplete" else problem_text(tr, exc.code)
            await answer(update, text, alert=True)
            return
        await answer(update)
        text = tr._("Approved: {title}, {unit}. Its period is now locked.").format(
            title=esc(title(tr, opened)), unit=esc(opened.unit.name)
        )
        lock = await locks.preview(session, opened)
        text += "\n" + tr._("Locked: {scope}.").format(scope=lock_scope(tr, lock))
        markup = inline([[(tr._("Reopen"), f"rep:reo:{rid}")]])
        if action == "okc":
            await edit(update, text, reply_markup=markup)
        else:
            await reply(update, context, text, reply_markup=markup)
        # A comment begun for this report is moot now (what it interrupted comes back).
        await flow.close(update, context, RETURN, call, only=lambda draft: draft.report_id == rid)


async def _confirm(
    update: Update, context: AppContext, lock: locks.Lock, opened: rep.OpenReport
) -> None:
    """The period still runs: say what approving locks, and ask."""
    tr = context.tr
    text = tr._(
        "Approve {title}, {unit}?\nIts period runs until {end}. Approving now locks {scope}: nobody can add, change or delete those entries until the report is reopened."
    ).format(
        title=f"<b>{esc(title(tr, opened))}</b>",
        unit=esc(opened.unit.name),
        end=tr.day(lock.ends_on),
        scope=lock_scope(tr, lock),
    )
    rid = opened.report.id
    buttons = inline(
        [[(tr._("Confirm approval"), f"rep:okc:{rid}"), (tr._("Cancel"), f"rep:okx:{rid}")]]
    )
    await reply(update, context, text, reply_markup=buttons)


# --- the return comment: a flow on the kernel ----------------------------------------------------


#: What /cancel says about the comment prompt (the report still waits for the decision).
REOPEN = N_(
    "Cancelled. The report still waits for your decision; press “Return with a comment” under it again to write the comment."
)


@dataclass
class ReturnDraft:
    report_id: int = 0


async def begin(call: Call) -> ReturnDraft | Stay:
    return Stay(call.tr._(REOPEN))


async def show_comment(call: Call, draft: ReturnDraft) -> Screen:
    tr = call.tr
    prompt = tr._("Type the comment for the unit: what should they change?")
    try:
        opened = await rep.load_report(call.session, call.actor, draft.report_id, for_decision=True)
    except ReportError as exc:
        return Screen(problem_text(tr, exc.code))
    return Screen(f"<b>{esc(title(tr, opened))}</b> · {esc(opened.unit.name)}\n{prompt}")


async def typed_comment(call: Call, draft: ReturnDraft, text: str) -> Outcome:
    tr = call.tr
    comment = nfc(text)
    if not comment or len(comment) > 1000:
        return Stay(tr._("Type a comment of at most 1.000 characters."))
    try:
        opened = await rep.decide(
            call.session, call.actor, draft.report_id, approve=False, comment=comment, now=call.now
        )
    except ReportError as exc:
        return Finish(problem_text(tr, exc.code))
    return Finish(
        tr._("Returned to {unit} with your comment. Its cadres have been told.").format(
            unit=esc(opened.unit.name)
        )
    )


RETURN = flow.register(
    flow.Flow(
        name=RETURN_FLOW,
        command="review",
        prefix="ret",
        title=N_("the comment on the report"),
        state=ReturnDraft,
        steps=(Step("comment", show_comment, typed=typed_comment),),
        begin=begin,
        reopen=REOPEN,
        unit=report_unit,
        leads=True,
    )
)
