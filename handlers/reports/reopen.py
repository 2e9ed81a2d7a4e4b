"""Reopening an approved report (issue 16): the reason is a one-shot prompt on the flow kernel
(``REOPEN``), opened by a "Reopen" button (under the approval, or in /review's list of approved
reports) in that button's transaction, like the return comment. Sent, the report goes back to
"submitted", its period lock is lifted, the reason is kept in the report's history and the unit's
cadres are told (``bot.reports.reopen``). /cancel keeps the report approved; the same button
opens the prompt again.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Update

from bot import reports as rep
from bot.i18n import N_
from bot.reports import ReportError
from handlers import flow
from handlers.common import answer, esc
from handlers.context import AppContext
from handlers.flow import Call, Finish, Outcome, Screen, Stay, Step
from handlers.reports.texts import REOPEN_FLOW, problem_text, title
from storage.text import nfc

#: What /cancel says about the prompt (nothing changed).
REOPEN_AGAIN = N_(
    "Cancelled. The report stays approved and its period locked; press “Reopen” again to give the reason."
)
MAX_REASON = 1000


@dataclass
class ReopenDraft:
    report_id: int = 0


async def ask_reopen(update: Update, context: AppContext, call: Call, report_id: int) -> None:
    """``rep:reo:<id>``: check the leader may reopen this approved report, then ask why."""
    opened = await rep.load_report(call.session, call.actor, report_id, for_decision=True)
    if opened.report.status != "approved":
        raise ReportError("not_approved")
    await answer(update)
    await flow.open_at(
        update,
        context,
        REOPEN,
        ReopenDraft(report_id=report_id),
        call,
        keep=lambda draft: draft.report_id == report_id,
    )


async def begin(call: Call) -> ReopenDraft | Stay:
    return Stay(call.tr._(REOPEN_AGAIN))


async def show_reason(call: Call, draft: ReopenDraft) -> Screen:
    tr = call.tr
    try:
        opened = await rep.load_report(call.session, call.actor, draft.report_id, for_decision=True)
    except ReportError as exc:
        return Screen(problem_text(tr, exc.code))
    prompt = tr._(
        "Why reopen it? Type the reason: it is kept in the report's history and sent to the unit. Its period will be unlocked."
    )
    return Screen(f"<b>{esc(title(tr, opened))}</b> · {esc(opened.unit.name)}\n{prompt}")


async def typed_reason(call: Call, draft: ReopenDraft, text: str) -> Outcome:
    tr = call.tr
    reason = nfc(text).strip()
    if not reason or len(reason) > MAX_REASON:
        return Stay(tr._("Type a reason of at most 1.000 characters."))
    try:
        opened = await rep.reopen(
            call.session, call.actor, draft.report_id, reason=reason, now=call.now
        )
    except ReportError as exc:
        return Finish(problem_text(tr, exc.code))
    return Finish(
        tr._(
            "Reopened: {title}, {unit}. It is “submitted” again and its period is unlocked; the unit's cadres have been told. Approve or return it again with /review."
        ).format(title=esc(title(tr, opened)), unit=esc(opened.unit.name))
    )


REOPEN = flow.register(
    flow.Flow(
        name=REOPEN_FLOW,
        command="review",
        prefix="reo",
        title=N_("the reason for reopening the report"),
        state=ReopenDraft,
        steps=(Step("reason", show_reason, typed=typed_reason),),
        begin=begin,
        reopen=REOPEN_AGAIN,
    )
)
