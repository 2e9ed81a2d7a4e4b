"""/report: answer a periodic report, a flow on the kernel (handlers/flow.py).

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

from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

from telegram import Update

from bot import conversation
from bot import reports as rep
from bot.i18n import N_, Translator
from bot.parsing import ParseError, parse_amount, parse_date
from bot.reports import OpenReport, ReportError
from bot.templates import Question
from handlers import flow
from handlers.access_rules import PRIVATE, Who, rule
from handlers.common import NOT_MEMBER, answer, esc, main_menu, reply
from handlers.context import AppContext
from handlers.entry_cards import date_problem, parse_problem
from handlers.flow import Call, Finish, Next, Outcome, Redraw, Screen, Sent, Stay, Step
from handlers.reports.review import decide_button
from handlers.reports.texts import (
    FLOW,
    NUMERIC,
    amount_kind,
    bounds,
    problem_text,
    question_card,
    review_card,
    status_label,
    title,
    who_answered,
)
from handlers.router import quote
from storage.text import nfc

IN_GROUP = N_("Answer reports in a private chat with me, not in a group.")
STALE = N_("This button is no longer active. Start again with /report.")
NOT_YOURS = N_("This report is not one of your units'.")


@dataclass
class ReportDraft:
    """Which report, and where the person is in it (the answers are the report's rows)."""

    report_id: int | None = None
    #: Chosen from a list of several: the list is the first step, and /back returns to it.
    listed: bool = False
    #: The template's question keys (the steps), and those that apply to the answers as last read.
    keys: list[str] = field(default_factory=list)
    live: list[str] = field(default_factory=list)
    #: Options ticked on the multiple-choice question ``ticking``, not yet confirmed with "Done".
    ticking: str | None = None
    ticked: list[str] = field(default_factory=list)
    #: The review shows the list of answers to change.
    choosing: bool = False


async def begin(call: Call) -> ReportDraft | Stay:
    mine = await rep.reports_for(call.session, call.actor)
    if not mine:
        return Stay(call.tr._("No report is waiting for you now."))
    if len(mine) == 1:
        return ReportDraft(report_id=mine[0].report.id)
    return ReportDraft(listed=True)


async def _load(call: Call, draft: ReportDraft) -> OpenReport:
    return await rep.load_report(call.session, call.actor, draft.report_id or 0)


async def _refresh(call: Call, draft: ReportDraft, opened: OpenReport) -> str:
    """Read the answers again: which questions apply, and where to go: the first unanswered
    question, or the review (always, once submitted: a change goes back to it)."""
    template = opened.info.template
    current = await rep.answers(call.session, opened.report.id)
    draft.keys = [q.key for q in template.questions]
    draft.live = [q.key for q in template.applicable(current)]
    draft.ticking, draft.ticked, draft.choosing = None, [], False
    question = template.next_question(current) if opened.report.status in rep.OPEN else None
    return f"q.{question.key}" if question is not None else "review"


async def entry(call: Call, draft: ReportDraft) -> str | None:
    if draft.report_id is None:
        return None  # the list of reports
    try:
        return await _refresh(call, draft, await _load(call, draft))
    except ReportError:
        return "review"  # which says why


# --- the list of reports ---------------------------------------------------------------------


async def show_pick(call: Call, draft: ReportDraft) -> Screen:
    tr = call.tr
    rows = []
    for o in await rep.reports_for(call.session, call.actor):
        deadline = tr.moment(o.info.round.deadline)
        label = (
            f"{o.info.template.title(tr.locale)} · {o.info.period.label(tr.locale)} · {o.unit.name}"
        )
        status = status_label(tr, o.report.status)
        rows.append([(f"{label[:48]} ({status}, {deadline[:5]})", f"o:{o.report.id}")])
    if not rows:
        return Screen(tr._("No report is waiting for you now."))
    return Screen(tr._("Which report?"), rows)


async def press_pick(call: Call, draft: ReportDraft, action: str, args: list[str]) -> Outcome:
    if action != "o":
        raise ValueError(action)
    try:
        opened = await rep.load_report(call.session, call.actor, int(args[0]))
    except ReportError as exc:
        return Stay(problem_text(call.tr, exc.code))
    draft.report_id = opened.report.id
    return Next(to=await _refresh(call, draft, opened))


# --- one step per question ---------------------------------------------------------------------


async def _answered(
    call: Call, draft: ReportDraft, opened: OpenReport, key: str, value: Any
) -> Outcome:
    """Store the answer now; on to the first unanswered question, or the review."""
    await rep.set_answer(call.session, opened.report, key, value, call.actor.person.id, call.now)
    return Next(to=await _refresh(call, draft, opened))


def _ticked(draft: ReportDraft, question: Question, current: dict[str, Any]) -> list[str]:
    if draft.ticking == question.key:
        return list(draft.ticked)
    given = current.get(question.key)
    return list(given) if isinstance(given, list) else []


async def show_question(key: str, call: Call, draft: ReportDraft) -> Screen:
    try:
        opened = await _load(call, draft)
    except ReportError as exc:
        return Screen(problem_text(call.tr, exc.code))
    question = opened.info.template.question(key)
    current = await rep.answers(call.session, opened.report.id)
    guess = None if key in current else await rep.prefill(call.session, opened, question)
    text, rows = question_card(
        call.tr, opened, question, current, guess, _ticked(draft, question, current)
    )
    return Screen(text, rows)


async def typed_question(key: str, call: Call, draft: ReportDraft, text: str) -> Outcome:
    try:
        opened = await _load(call, draft)
        question = opened.info.template.question(key)
        value, problem = _parse(call.tr, question, nfc(text), call.services.today())
        if problem is not None:
            return Stay(problem)
        return await _answered(call, draft, opened, key, value)
    except ReportError as exc:
        return Stay(problem_text(call.tr, exc.code))


async def press_question(
    key: str, call: Call, draft: ReportDraft, action: str, args: list[str]
) -> Outcome:
    tr = call.tr
    try:
        opened = await _load(call, draft)
        question = opened.info.template.question(key)
        current = await rep.answers(call.session, opened.report.id)
        if action == "pf":
            guess = await rep.prefill(call.session, opened, question)
            value = (
                None if guess is None else str(guess) if question.type == "decimal" else int(guess)
            )
            return await _answered(call, draft, opened, key, value)
        if action == "c":
            return await _answered(call, draft, opened, key, _option(question, args[0]).key)
        if action == "y":
            return await _answered(call, draft, opened, key, {"1": True, "0": False}[args[0]])
        if action == "s":
            if question.required:
                return Stay(tr._("This question cannot be skipped."))
            return await _answered(call, draft, opened, key, None)
        if action == "k" and key in current:
            return Next(to=await _refresh(call, draft, opened))
        if action == "m":
            option = _option(question, args[0]).key
            ticked = _ticked(draft, question, current)
            ticked = [k for k in ticked if k != option] if option in ticked else [*ticked, option]
            draft.ticking, draft.ticked = key, ticked
            return Redraw()
        if action == "md":
            ticked = _ticked(draft, question, current)
            chosen = [o.key for o in question.options if o.key in ticked]
            if not chosen and question.required:
                return Stay(tr._("Choose at least one option."))
            return await _answered(call, draft, opened, key, chosen)
    except ReportError as exc:
        return Stay(problem_text(tr, exc.code))
    raise ValueError(action)


async def sent_question(key: str, call: Call, draft: ReportDraft, sent: Sent) -> Outcome:
    try:
        opened = await _load(call, draft)
        question = opened.info.template.question(key)
        if question.type != "photo" or sent.kind != "photo":
            return Stay(call.tr._("This question needs text or a button, not a file or picture."))
        return await _answered(call, draft, opened, key, sent.file_id)
    except ReportError as exc:
        return Stay(problem_text(call.tr, exc.code))


async def skipped_question(key: str, call: Call, draft: ReportDraft) -> Outcome:
    return await press_question(key, call, draft, "s", [])


def _option(question: Question, index: str) -> Any:
    """The option a button names; a forged index is a stale button, not a crash."""
    number = int(index)
    if not 0 <= number < len(question.options):
        raise IndexError(number)
    return question.options[number]


def _parse(tr: Translator, question: Question, text: str, today: date) -> tuple[Any, str | None]:
    if question.type in NUMERIC:
        kind = amount_kind(question)
        try:
            value = parse_amount(text, kind)
        except ParseError as exc:
            return None, parse_problem(tr, exc, kind, question.label(tr.locale))
        if (question.min is not None and value < question.min) or (
            question.max is not None and value > question.max
        ):
            return None, tr._("“{value}” is out of range. {bounds}").format(
                value=quote(text), bounds=bounds(tr, question)
            )
        return (str(value) if question.type == "decimal" else int(value)), None
    if question.type == "text":
        if len(text) > question.max_length:
            return None, tr._(
                "At most {max} characters, please; yours has {count}. Shorten it and send it again."
            ).format(max=tr.number(question.max_length), count=tr.number(len(text)))
        return text, None
    if question.type == "date":
        try:
            return parse_date(text, today).isoformat(), None
        except ParseError as exc:
            return None, date_problem(tr, exc, today)
    if question.type == "photo":
        return None, tr._("Send a photo for this question.")
    return None, tr._("Please press one of the buttons above.")


@cache
def question_step(key: str) -> Step[ReportDraft]:
    """The step of one question (built once per key: the steps are the same for every report
    that asks it, since they read the question from the report's own template)."""

    async def show(call: Call, draft: ReportDraft) -> Screen:
        return await show_question(key, call, draft)

    async def typed(call: Call, draft: ReportDraft, text: str) -> Outcome:
        return await typed_question(key, call, draft, text)

    async def press(call: Call, draft: ReportDraft, action: str, args: list[str]) -> Outcome:
        return await press_question(key, call, draft, action, args)

    async def sent(call: Call, draft: ReportDraft, what: Sent) -> Outcome:
        return await sent_question(key, call, draft, what)

    async def skipped(call: Call, draft: ReportDraft) -> Outcome:
        return await skipped_question(key, call, draft)

    return Step(
        f"q.{key}",
        show,
        typed=typed,
        press=press,
        sent=sent,
        optional=True,  # whether it may be skipped is the question's: ``skipped`` says
        skipped=skipped,
        applies=lambda draft: key in draft.live,
    )


# --- the review: submit, or change an answer ---------------------------------------------------


async def show_review(call: Call, draft: ReportDraft) -> Screen:
    tr = call.tr
    try:
        opened = await _load(call, draft)
    except ReportError as exc:
        return Screen(problem_text(tr, exc.code))
    current = await rep.answers(call.session, opened.report.id)
    text = review_card(tr, opened, current, await who_answered(call.session, opened.report.id))
    template = opened.info.template
    if draft.choosing:
        rows = [
            [(f"{n}. {q.label(tr.locale)[:50]}", f"e:{template.questions.index(q)}")]
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
        opened = await _load(call, draft)
        if action == "ed":
            if opened.report.status == "approved":
                raise ReportError("approved")
            draft.choosing = True
            return Redraw()
        if action == "e":
            question = opened.info.template.questions[int(args[0])]
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
        return (await _load(call, draft)).report.status != "approved"
    except ReportError:
        return False


@flow.button_rule(
    REPORT,
    Who.MEMBER,
    stale=STALE,
    why="report ids re-checked by reports.load_report",
    refusals=(NOT_YOURS,),
)
async def report_button(update: Update, context: AppContext) -> None:
    await flow.on_button(update, context, REPORT)


async def open_report(update: Update, context: AppContext, report_id: int) -> None:
    """A notice's "Answer the report" (``rep:o:<id>``): open that report where it stands."""
    async with context.services.db.session() as session:
        call = flow.call_for(context, session)
        await answer(update)
        try:
            await rep.load_report(session, context.actor, report_id)
        except ReportError as exc:
            await reply(update, context, problem_text(call.tr, exc.code))
            return
        await flow.open_at(update, context, REPORT, ReportDraft(report_id=report_id), call)


@rule(
    Who.MEMBER,
    PRIVATE,
    scoped=True,
    why="report ids re-checked by reports.load_report; decisions by can_decide",
    refusals=(IN_GROUP, N_("This button is no longer active."), NOT_YOURS),
    actions={"ok": Who.ADMIN, "ret": Who.ADMIN},
)
async def on_button(update: Update, context: AppContext) -> None:
    """``rep:o|ok|ret:<report>``: open a report from a notice; approve or return it (/review)."""
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
    elif action in ("ok", "ret"):
        await decide_button(update, context, action, rid)
    else:
        await answer(update, tr._("This button is no longer active."), alert=True)
