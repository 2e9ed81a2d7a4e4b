"""What the report commands share: the flows' names, the texts of problems and statuses, and the
cards of a question and of a whole report (shown to the cadre answering and to the reviewing leader)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from bot import reports as rep
from bot.amount_display import format_amount, money_text
from bot.date_window import FIRST_DAY, YEARS_AHEAD
from bot.i18n import Translator
from bot.names import name_of
from bot.parsing import Kind
from bot.reports import OpenReport
from bot.templates import Question, Template, Violation
from handlers.common import esc
from handlers.labels import button_label
from storage.models import Organisation, Person, UnitKind

FLOW = "report"
RETURN_FLOW = "return"
REOPEN_FLOW = "reopen"
ROUND_FLOW = "round"
NUMERIC = {"integer": "money", "money": "money", "decimal": "decimal"}


def problem_text(tr: Translator, code: str) -> str:
    return {
        "forbidden": tr._("This report is not one of your units'."),
        "not_found": tr._("This report no longer exists."),
        "approved": tr._("This report has been approved and can no longer change."),
        "already_submitted": tr._("This report has already been submitted."),
        "incomplete": tr._("Some required questions are not answered yet."),
        "inconsistent": tr._("Some answers contradict each other. Change them, then submit again."),
        "not_approved": tr._("This report is not approved (it may have been reopened already)."),
        "not_submitted": tr._(
            "This report is not waiting for a decision (it was not submitted, or was already decided)."
        ),
        "deadline_past": tr._("The deadline must be in the future."),
        "no_units": tr._("There are no units below this one to ask."),
        "wrong_period_kind": tr._("This template is for another kind of period."),
        "template_units": tr._("This template is not for the units chosen."),
        "template_kind": tr._("This template is not for the units chosen."),
        "template_org": tr._("This template is not for the units chosen."),
        "before_cutoff": tr._("The deadline is before the end of the period."),
        "out_of_range": tr._(
            "The deadline and the period must lie between {first} and {years} years from now."
        ).format(first=tr.day(FIRST_DAY), years=YEARS_AHEAD),
    }.get(code, tr._("This cannot be done now."))


def audience(
    tr: Translator,
    template: Template,
    kinds: Sequence[UnitKind],
    orgs: Sequence[Organisation],
) -> str:
    """Whom a template is for, with the deployment's names of its levels and organisations."""
    vi = tr.locale.startswith("vi")
    kind_names = {k.key: k.name_vi if vi else k.name_en for k in kinds}
    org_names = {o.key: o.name_vi if vi else o.name_en for o in orgs}
    levels = ", ".join(kind_names.get(k, k) for k in template.kinds)
    groups = ", ".join(org_names.get(o, o) for o in template.orgs)
    if levels and groups:
        return tr._("{organisations} at the levels: {levels}").format(
            organisations=groups, levels=levels
        )
    if groups:
        return groups
    if levels:
        return tr._("units at the levels: {levels}").format(levels=levels)
    return tr._("every unit")


def template_not_for(
    tr: Translator,
    template: Template,
    kinds: Sequence[UnitKind],
    orgs: Sequence[Organisation],
) -> str:
    """Why a template cannot go to the units chosen (issue 16 §3)."""
    return tr._("“{title}” is only for: {audience}.").format(
        title=esc(template.title(tr.locale)), audience=esc(audience(tr, template, kinds, orgs))
    )


def duplicate_round(tr: Translator, round_id: int | None) -> str:
    return tr._(
        "Round #{id} already asks these units for this report for this period. /status {id} follows it; "
        "a second round would split their answers."
    ).format(id=round_id)


def violation_text(tr: Translator, opened: OpenReport, violation: Violation, value: Any) -> str:
    """A consistency rule of the template broken by an answer (issue 16), in words a cadre can act
    on; the answer is not stored, so the question is asked again."""
    question = violation.question
    shown = show_answer(tr, question, value)
    if violation.kind == "outside_period":
        period = opened.info.period
        return tr._(
            "“{value}” is outside the report's period ({start} to {end}). Type a date in it."
        ).format(value=esc(shown), start=tr.day(period.start), end=tr.day(period.end))
    other = violation.other
    assert other is not None and violation.limit is not None
    limit = show_answer(tr, other, violation.limit)
    if violation.kind == "above":
        return tr._(
            "“{value}” is more than the answer to “{other}” ({limit}): it cannot be. Type a number of at most {limit}, or change that answer first."
        ).format(value=esc(shown), other=esc(other.label(tr.locale)), limit=esc(limit))
    return tr._(
        "“{value}” is less than the answer to “{other}” ({limit}), which cannot be more than this one. Type a number of at least {limit}, or change that answer first."
    ).format(value=esc(shown), other=esc(other.label(tr.locale)), limit=esc(limit))


def status_label(tr: Translator, status: str) -> str:
    return {
        "draft": tr._("not submitted"),
        "returned": tr._("returned"),
        "submitted": tr._("submitted"),
        "approved": tr._("approved"),
    }.get(status, status)


def title(tr: Translator, opened: OpenReport) -> str:
    return f"{opened.info.template.title(tr.locale)} — {opened.info.period.label(tr.locale)}"


def amount_kind(question: Question) -> Kind:
    """How a numeric question's amount is read and shown."""
    if question.type == "money":
        return "money"
    return "decimal" if question.type == "decimal" else "count"


def show_answer(tr: Translator, question: Question, value: Any) -> str:
    if value is None:
        return tr._("(skipped)")
    if question.type == "money":
        return money_text(Decimal(str(value)), tr.locale, exact=True)
    if question.type in ("integer", "decimal"):
        return format_amount(Decimal(str(value)), amount_kind(question), tr.locale)
    if question.type == "yesno":
        return tr._("Yes") if value else tr._("No")
    if question.type == "choice":
        return next((o.label(tr.locale) for o in question.options if o.key == value), str(value))
    if question.type == "multi":
        return ", ".join(o.label(tr.locale) for o in question.options if o.key in value) or "—"
    if question.type == "date":
        return tr.day(date.fromisoformat(value))
    if question.type == "photo":
        return tr._("photo attached")
    text = str(value)
    return text if len(text) <= 200 else text[:199] + "…"


async def who_answered(session: Any, report_id: int) -> dict[str, tuple[str, datetime]]:
    result: dict[str, tuple[str, datetime]] = {}
    names: dict[int, str] = {}
    for row in await rep.answer_rows(session, report_id):
        if row.answered_by is not None and row.answered_by not in names:
            person = await session.get(Person, row.answered_by)
            names[row.answered_by] = name_of(person) if person else "?"
        result[row.question_key] = (names.get(row.answered_by or -1, "?"), row.answered_at)
    return result


Rows = list[list[tuple[str, str]]]


def question_card(
    tr: Translator,
    opened: OpenReport,
    question: Question,
    current: dict[str, Any],
    guess: Decimal | None,
    ticked: list[str],
) -> tuple[str, Rows]:
    """A question as the flow's step shows it: text, and rows of (label, action) for the kernel
    to wrap (``pf`` the activity log's figure, ``c:<option>``, ``y:1|0``, ``m:<option>`` and
    ``md`` for a multiple choice, ``s`` skip, ``k`` keep the current answer)."""
    template = opened.info.template
    index = template.questions.index(question)
    applicable = template.applicable(current)
    position = applicable.index(question) + 1 if question in applicable else index + 1
    lines = [
        f"<b>{esc(title(tr, opened))}</b> · {esc(opened.unit.name)}",
        tr._("Question {n} of {total}").format(n=position, total=len(applicable)),
        "",
        f"<b>{esc(question.label(tr.locale))}</b>",
    ]
    help_text = question.help(tr.locale)
    if help_text:
        lines.append(f"<i>{esc(help_text)}</i>")
    rows: Rows = []
    if question.type in NUMERIC:
        if guess is not None:
            shown = show_answer(tr, question, guess)
            lines.append(
                tr._(
                    "From the activity log: {value}. Is that right? Press the button, or type another number."
                ).format(value=shown)
            )
            rows.append([("✓ " + shown, "pf")])
        else:
            lines.append(tr._("Type a number."))
        if question.min is not None or question.max is not None:
            lines.append(bounds(tr, question))
    elif question.type == "text":
        lines.append(
            tr._("Type your answer (at most {max} characters).").format(
                max=tr.number(question.max_length)
            )
        )
    elif question.type == "choice":
        rows.extend(
            [(button_label(o.label(tr.locale)), f"c:{i}")] for i, o in enumerate(question.options)
        )
    elif question.type == "multi":
        lines.append(tr._("Press every option that applies, then “Done”."))
        rows.extend(
            [(("✓ " if o.key in ticked else "") + button_label(o.label(tr.locale)), f"m:{i}")]
            for i, o in enumerate(question.options)
        )
        rows.append([(tr._("Done"), "md")])
    elif question.type == "yesno":
        lines.append(tr._("Press a button, or type “yes” or “no”."))
        rows.append([(tr._("Yes"), "y:1"), (tr._("No"), "y:0")])
    elif question.type == "date":
        lines.append(tr._("Type the date (dd/mm/yyyy)."))
    elif question.type == "photo":
        lines.append(tr._("Send a photo."))
    if question.key in current:
        shown = esc(show_answer(tr, question, current[question.key]))
        lines.append(tr._("Current answer: {answer}").format(answer=f"<b>{shown}</b>"))
        rows.append([(tr._("Keep this answer"), "k")])
    if not question.required:
        rows.append([(tr._("Skip"), "s")])
    lines.append(tr._("/back goes one step back."))
    return "\n".join(lines), rows


def bounds(tr: Translator, q: Question) -> str:
    low = show_answer(tr, q, q.min) if q.min is not None else None
    high = show_answer(tr, q, q.max) if q.max is not None else None
    if low is not None and high is not None:
        return tr._("Between {low} and {high}.").format(low=low, high=high)
    if low is not None:
        return tr._("At least {low}.").format(low=low)
    return tr._("At most {high}.").format(high=high)


def review_card(
    tr: Translator,
    opened: OpenReport,
    current: dict[str, Any],
    who: dict[str, tuple[str, datetime]],
) -> str:
    """Every applicable answer, who gave it and when: the cadre's review before submitting, and
    the leader's card in /review."""
    template = opened.info.template
    lines = [
        f"<b>{esc(title(tr, opened))}</b> · {esc(opened.unit.name)}",
        tr._("Status: {status}. Deadline: {deadline}.").format(
            status=status_label(tr, opened.report.status),
            deadline=tr.moment(opened.info.round.deadline),
        ),
    ]
    if opened.report.status == "returned" and opened.report.comment:
        lines.append(
            tr._("Returned for changes: “{comment}”").format(comment=esc(opened.report.comment))
        )
    lines.append("")
    for n, q in enumerate(template.applicable(current), start=1):
        answer = (
            show_answer(tr, q, current.get(q.key)) if q.key in current else tr._("(not answered)")
        )
        by = who.get(q.key)
        suffix = f" <i>({esc(by[0])}, {tr.moment(by[1])})</i>" if by else ""
        lines.append(f"{n}. {esc(q.label(tr.locale))}: <b>{esc(answer)}</b>{suffix}")
    # Many long answers: handlers/render.py sends it as several messages, never cut mid-tag.
    return "\n".join(lines)
