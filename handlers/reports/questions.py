"""The questions of a report, one kernel step each (``q.<key>``), and the flow's state.

A step reads its question from the report's own template (the round keeps the version it asked)
and its answers from report_answers; an answer is stored in the update's transaction and the flow
goes on to the first unanswered question, or the review. Buttons: ``pf`` the activity log's
figure, ``c:<option>``, ``y:1|0``, ``m:<option>`` (ticks, kept in the state) and ``md`` (done),
``s`` skip, ``k`` keep the current answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

from bot import reports as rep
from bot.date_parsing import parse_date
from bot.i18n import Translator
from bot.parsing import ParseError, parse_amount
from bot.reports import OpenReport, ReportError
from bot.templates import Question
from bot.yes_no import parse_yes_no
from handlers.entry_cards import date_problem, parse_problem
from handlers.flow import YES_NO_ONLY, Call, Next, Outcome, Redraw, Screen, Sent, Stay, Step
from handlers.reports.texts import (
    NUMERIC,
    amount_kind,
    bounds,
    problem_text,
    question_card,
    violation_text,
)
from handlers.router import quote
from storage.text import fold, nfc


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


async def load(call: Call, draft: ReportDraft) -> OpenReport:
    return await rep.load_report(call.session, call.actor, draft.report_id or 0)


async def refresh(call: Call, draft: ReportDraft, opened: OpenReport) -> str:
    """Read the answers again: which questions apply, and where to go: the first unanswered
    question, or the review. A submitted report goes back to the review after a change too,
    unless the change made a question apply that has no answer ("was a briefing held?" changed
    to Yes asks its date): that is asked first, so a submitted report does not stay incomplete
    (and ``reports.decide`` refuses to approve one that does)."""
    template = opened.info.template
    current = await rep.answers(call.session, opened.report.id)
    draft.keys = [q.key for q in template.questions]
    draft.live = [q.key for q in template.applicable(current)]
    draft.ticking, draft.ticked, draft.choosing = None, [], False
    question = template.next_question(current) if opened.report.status != "approved" else None
    return f"q.{question.key}" if question is not None else "review"


async def _answered(
    call: Call, draft: ReportDraft, opened: OpenReport, key: str, value: Any
) -> Outcome:
    """Store the answer now; on to the first unanswered question, or the review. An answer that
    breaks a consistency rule of the template is refused with why, nothing stored."""
    period = opened.info.period
    current = await rep.answers(call.session, opened.report.id)
    violation = opened.info.template.violation(current, key, value, (period.start, period.end))
    if violation is not None:  # said in a message (a button's alert is too short), asked again
        return Next(to=f"q.{key}", text=violation_text(call.tr, opened, violation, value))
    await rep.set_answer(call.session, opened.report, key, value, call.actor.person.id, call.now)
    return Next(to=await refresh(call, draft, opened))


def _ticked(draft: ReportDraft, question: Question, current: dict[str, Any]) -> list[str]:
    if draft.ticking == question.key:
        return list(draft.ticked)
    given = current.get(question.key)
    return list(given) if isinstance(given, list) else []


async def show_question(key: str, call: Call, draft: ReportDraft) -> Screen:
    try:
        opened = await load(call, draft)
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
        opened = await load(call, draft)
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
        opened = await load(call, draft)
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
            return Next(to=await refresh(call, draft, opened))
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
        opened = await load(call, draft)
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
    if question.type == "yesno":
        answer = parse_yes_no(text)
        if answer is None:
            return None, tr._(YES_NO_ONLY)
        return answer, None
    if question.type == "choice":
        typed = fold(text)
        for option in question.options:
            if typed in (fold(option.label("vi")), fold(option.label("en"))):
                return option.key, None
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
