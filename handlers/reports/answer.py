"""/report: answer a periodic report, a flow on the kernel (handlers/flow).

Its steps are the report's: the list of reports when the person has several (``pick``), one step
per question of the round's template (``q.<key>``, asked when it applies to the answers so far)
and the review, with "Submit" and "Change an answer". The answers are not in the flow's state:
each is a row of report_answers written in the update's transaction, so two cadres of a unit share
one draft, and a report (re)opens at its first unanswered question, after a restart or from a
reminder. The kernel gives /back, /skip, /cancel (kept: /report offers to continue), stale-button
alerts and the stack. Buttons carry small words and indexes; the one that names a report (the
list) is checked again by ``reports.load_report``.
"""

from __future__ import annotations

from babel.dates import format_date
from telegram import Update

from bot import conversation
from bot import reports as rep
from bot.i18n import N_, Translator
from bot.reports import OpenReport, ReportError
from handlers import flow
from handlers.access_rules import PRIVATE, Who, rule
from handlers.common import NOT_MEMBER, answer, esc, main_menu, reply
from handlers.context import AppContext
from handlers.flow import Call, Finish, Next, Outcome, Redraw, Screen, Stay, Step
from handlers.flow_units import report_unit
from handlers.labels import button_label, distinct
from handlers.reports.questions import ReportDraft, load, question_step, refresh
from handlers.reports.review import decide_button
from handlers.reports.texts import (
    FLOW,
    problem_text,
    review_card,
    status_label,
    title,
    who_answered,
)

IN_GROUP = N_("Answer reports in a private chat with me, not in a group.")
STALE = N_("This button is no longer active. Start again with /report.")
NOT_YOURS = N_("This report is not one of your units'.")


async def begin(call: Call) -> ReportDraft | Stay:
    mine = await rep.reports_for(call.session, call.actor)
    if not mine:
        return Stay(call.tr._("No report is waiting for you now."))
    if len(mine) == 1:
        return ReportDraft(report_id=mine[0].report.id)
    return ReportDraft(listed=True)


async def entry(call: Call, draft: ReportDraft) -> str | None:
    if draft.report_id is None:
        return None  # the list of reports
    try:
        return await refresh(call, draft, await load(call, draft))
    except ReportError:
        return "review"  # which says why


# --- the list of reports ---------------------------------------------------------------------


async def show_pick(call: Call, draft: ReportDraft) -> Screen:
    tr = call.tr
    reports = await rep.reports_for(call.session, call.actor)
    if not reports:
        return Screen(tr._("No report is waiting for you now."))
    # What tells the reports apart comes first on the buttons (a phone cuts a long one at its
    # end); what they all share is said once above them.
    labels, shared = distinct(
        [
            (o.unit.name, o.info.template.title(tr.locale), o.info.period.label(tr.locale))
            for o in reports
        ],
        limit=44,
    )
    rows = []
    for o, label in zip(reports, labels, strict=True):
        status = status_label(tr, o.report.status)
        deadline = format_date(o.info.round.deadline.astimezone(tr.tz), "dd/MM", locale=tr.locale)
        rows.append([(f"{label} ({status}, {deadline})", f"o:{o.report.id}")])
    text = tr._("Which report?")
    if shared:
        text += "\n" + esc(" · ".join(shared))
    return Screen(text, rows)


async def press_pick(call: Call, draft: ReportDraft, action: str, args: list[str]) -> Outcome:
    if action != "o":
        raise ValueError(action)
    try:
        opened = await rep.load_report(call.session, call.actor, int(args[0]))
    except ReportError as exc:
        return Stay(problem_text(call.tr, exc.code))
    draft.report_id = opened.report.id
    return Next(to=await refresh(call, draft, opened))


# --- the review: submit, or change an answer ---------------------------------------------------


async def show_review(call: Call, draft: ReportDraft) -> Screen:
    tr = call.tr
    try:
        opened = await load(call, draft)
    except ReportError as exc:
        return Screen(problem_text(tr, exc.code))
    current = await rep.answers(call.session, opened.report.id)
    text = review_card(tr, opened, current, await who_answered(call.session, opened.report.id))
    template = opened.info.template
    if draft.choosing:
        rows = [
            [(button_label(f"{n}. {q.label(tr.locale)}"), f"e:{template.questions.index(q)}")]
            for n, q in enumerate(template.applicable(current), start=1)
        ]
        return Screen(text + "\n\n" + tr._("Which answer do you want to change?"), rows)
    buttons = []
    if opened.report.status in rep.OPEN:
        buttons.append([(tr._("Submit the report"), "sub")])
    if opened.report.status != "approved":
        buttons.append([(tr._("Change an answer"), "ed")])
    return Screen(text, buttons)


async def typed_review(call: Call, draft: ReportDraft, text: str) -> Outcome:
    return Stay(
        call.tr._("All questions are answered. Press “Submit the report” above, or /cancel.")
    )


async def press_review(call: Call, draft: ReportDraft, action: str, args: list[str]) -> Outcome:
    tr = call.tr
    try:
        if action == "sub":
            return _submitted(
                tr, await rep.submit(call.session, call.actor, draft.report_id or 0, call.now)
            )
        opened = await load(call, draft)
        if action == "ed":
            if opened.report.status == "approved":
                raise ReportError("approved")
            draft.choosing = True
            return Redraw()
        if action == "e":
            index = int(args[0])
            if index < 0:
                raise IndexError(index)
            question = opened.info.template.questions[index]
            draft.choosing, draft.ticking, draft.ticked = False, None, []
            return Next(to=f"q.{question.key}")
    except ReportError as exc:
        return Stay(problem_text(tr, exc.code))
    raise ValueError(action)


def _submitted(tr: Translator, opened: OpenReport) -> Finish:
    text = tr._("Submitted: {title}, {unit}.").format(
        title=esc(title(tr, opened)), unit=esc(opened.unit.name)
    )
    submitted_at = opened.report.submitted_at
    if submitted_at is not None and submitted_at > opened.info.round.deadline:
        text += "\n" + tr._("It was submitted after the deadline ({deadline}).").format(
            deadline=tr.moment(opened.info.round.deadline)
        )
    text += "\n" + tr._("You can still change answers until it is approved: /report.")
    return Finish(text)


def _steps(draft: ReportDraft) -> list[Step[ReportDraft]]:
    return [PICK, *(question_step(key) for key in draft.keys), REVIEW]


PICK: Step[ReportDraft] = Step(
    "pick",
    show_pick,
    press=press_pick,
    applies=lambda draft: draft.report_id is None or draft.listed,
)
REVIEW: Step[ReportDraft] = Step(
    "review",
    show_review,
    typed=typed_review,
    press=press_review,
    applies=lambda draft: draft.report_id is not None,
)

REPORT = flow.register(
    flow.Flow(
        name=FLOW,
        command="report",
        prefix="rpt",
        title=N_("the report"),
        state=ReportDraft,
        steps=(PICK, REVIEW),
        expand=_steps,
        entry=entry,
        begin=begin,
        unit=report_unit,
    )
)


@rule(
    Who.MEMBER,
    PRIVATE,
    why="the reports of the member's units",
    wrong_chat=IN_GROUP,
    not_allowed=NOT_MEMBER,
)
async def report_command(update: Update, context: AppContext) -> None:
    """/report: where the person is in a report (after a restart too), the kept copy after
    /cancel, or the reports waiting (the only one opens at its first unanswered question)."""
    chat_id, user_id = flow.ids(update)
    async with context.services.db.session() as session:
        call = flow.call_for(context, session)
        current = await conversation.load_in(session, chat_id, user_id)
        if current is not None and current.flow == FLOW:
            if await _answerable(call, REPORT.load(current.data)):
                await flow.continue_flow(update, context, REPORT, call, current)
                return
            await conversation.leave(session, chat_id, user_id)  # approved or gone meanwhile
        elif await flow.offer_kept(update, context, REPORT, call):
            return
        begun = await begin(call)
        if isinstance(begun, Stay):
            await reply(update, context, begun.text, reply_markup=main_menu(call.tr))
            return
        await flow.open_at(update, context, REPORT, begun, call)


async def _answerable(call: Call, draft: ReportDraft) -> bool:
    if draft.report_id is None:
        return True
    try:
        return (await load(call, draft)).report.status != "approved"
    except ReportError:
        return False


report_button = flow.button_handler(
    REPORT,
    Who.MEMBER,
    stale=STALE,
    why="report ids re-checked by reports.load_report",
    refusals=(NOT_YOURS,),
)


async def open_report(update: Update, context: AppContext, report_id: int) -> None:
    """A notice's "Answer the report" (``rep:o:<id>``): open that report where it stands. An
    approved one is only shown: there is nothing left to do in it."""
    async with context.services.db.session() as session:
        call = flow.call_for(context, session)
        await answer(update)
        try:
            opened = await rep.load_report(session, context.actor, report_id)
        except ReportError as exc:
            await reply(update, context, problem_text(call.tr, exc.code))
            return
        if opened.report.status == "approved":
            current = await rep.answers(session, report_id)
            who = await who_answered(session, report_id)
            await reply(update, context, review_card(call.tr, opened, current, who))
            return
        await flow.open_at(update, context, REPORT, ReportDraft(report_id=report_id), call)


@rule(
    Who.MEMBER,
    PRIVATE,
    scoped=True,
    why="report ids re-checked by reports.load_report; decisions by can_decide",
    refusals=(IN_GROUP, N_("This button is no longer active."), NOT_YOURS),
    actions={
        "ok": Who.ADMIN,
        "okc": Who.ADMIN,
        "okx": Who.ADMIN,
        "ret": Who.ADMIN,
        "reo": Who.ADMIN,
    },
)
async def on_button(update: Update, context: AppContext) -> None:
    """``rep:o|ok|okc|okx|ret|reo:<report>``: open a report from a notice; approve (confirm,
    cancel), return or reopen it (/review)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    tr = context.tr
    if update.effective_chat is None or update.effective_chat.type != "private":
        await answer(update, tr._(IN_GROUP), alert=True)
        return
    parts = query.data.split(":")
    try:
        action, rid = parts[1], int(parts[2])
    except (IndexError, ValueError):
        await answer(update, tr._("This button is no longer active."), alert=True)
        return
    if action == "o":
        await open_report(update, context, rid)
    elif action in ("ok", "okc", "okx", "ret", "reo"):
        await decide_button(update, context, action, rid)
    else:
        await answer(update, tr._("This button is no longer active."), alert=True)
