"""/report (answer a periodic report), /review (approve or return), /status (completeness) and
/round (open a round).

Every answer is written the moment it is given; the next question is always the template's first
unanswered applicable one, so a cadre who stops for days, or a restart, resumes exactly there, and
two cadres of one unit share one draft. Buttons carry small ids that are re-checked on the server.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from telegram import InlineKeyboardMarkup, Update

from bot import conversation
from bot import reports as rep
from bot.conversation import FlowState
from bot.i18n import N_, Translator
from bot.parsing import Kind, ParseError, format_amount, parse_amount, parse_date
from bot.periods import Period, period_containing
from bot.reports import OpenReport, ReportError
from bot.templates import Question, Template
from handlers.access_rules import ANY_CHAT, PRIVATE, Who, rule
from handlers.activity_log import date_problem, parse_problem, today_local
from handlers.common import display_name, esc, inline, main_menu, reply, require_member
from handlers.context import AppContext
from handlers.router import quote, register_flow
from storage.models import Person, ReportRound, ReportTemplate
from storage.queries import units as units_q
from storage.text import nfc

FLOW = "report"
RETURN_FLOW = "return"
ROUND_FLOW = "round"
NUMERIC = {"integer": "money", "money": "money", "decimal": "decimal"}


# --- texts ----------------------------------------------------------------------------------


def problem_text(tr: Translator, code: str) -> str:
    return {
        "forbidden": tr._("This report is not one of your units'."),
        "not_found": tr._("This report no longer exists."),
        "approved": tr._("This report has been approved and can no longer change."),
        "already_submitted": tr._("This report has already been submitted."),
        "incomplete": tr._("Some required questions are not answered yet."),
        "not_submitted": tr._(
            "This report is not waiting for a decision (it was not submitted, or was already decided)."
        ),
        "deadline_past": tr._("The deadline must be in the future."),
        "no_units": tr._("There are no units below this one to ask."),
        "wrong_period_kind": tr._("This template is for another kind of period."),
    }.get(code, tr._("This cannot be done now."))


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
    if question.type in ("integer", "money", "decimal"):
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


# --- /report --------------------------------------------------------------------------------


@rule(
    Who.MEMBER,
    PRIVATE,
    why="the reports of the member's units",
    refusals=(N_("Answer reports in a private chat with me, not in a group."),),
)
async def report_command(update: Update, context: AppContext) -> None:
    tr = context.tr
    chat = update.effective_chat
    assert chat is not None
    if chat.type != "private":
        await reply(
            update, context, tr._("Answer reports in a private chat with me, not in a group.")
        )
        return
    if not await require_member(update, context):
        return
    async with context.services.db.session() as session:
        mine = await rep.reports_for(session, context.actor)
    if not mine:
        await reply(
            update, context, tr._("No report is waiting for you now."), reply_markup=main_menu(tr)
        )
        return
    if len(mine) == 1:
        await open_report(update, context, mine[0].report.id)
        return
    rows = []
    for o in mine:
        deadline = tr.moment(o.info.round.deadline)
        label = (
            f"{o.info.template.title(tr.locale)} · {o.info.period.label(tr.locale)} · {o.unit.name}"
        )
        rows.append(
            [
                (
                    f"{label[:48]} ({status_label(tr, o.report.status)}, {deadline[:5]})",
                    f"rep:o:{o.report.id}",
                )
            ]
        )
    await reply(update, context, tr._("Which report?"), reply_markup=inline(rows))


async def open_report(update: Update, context: AppContext, report_id: int) -> None:
    """Open a report where it stands: the next question, or the review when all are answered."""
    assert update.effective_chat and update.effective_user
    tr = context.tr
    try:
        async with context.services.db.session() as session:
            opened = await rep.load_report(session, context.actor, report_id)
    except ReportError as exc:
        await reply(update, context, problem_text(tr, exc.code))
        return
    await conversation.save(
        context.services,
        update.effective_chat.id,
        update.effective_user.id,
        FlowState(FLOW, "answer", {"report_id": report_id}),
    )
    if opened.report.status == "returned" and opened.report.comment:
        await reply(
            update,
            context,
            tr._("Returned for changes: “{comment}”").format(comment=esc(opened.report.comment)),
        )
    await ask(update, context, report_id)


async def _state(update: Update, context: AppContext) -> FlowState | None:
    assert update.effective_chat and update.effective_user
    return await conversation.load(
        context.services, update.effective_chat.id, update.effective_user.id
    )


async def ask(
    update: Update, context: AppContext, report_id: int, editing: str | None = None
) -> None:
    tr = context.tr
    async with context.services.db.session() as session:
        opened = await rep.load_report(session, context.actor, report_id)
        current = await rep.answers(session, report_id)
        template = opened.info.template
        question = template.question(editing) if editing else template.next_question(current)
        if opened.report.status in ("submitted", "approved") and editing is None:
            question = None
        guess = (
            await rep.prefill(session, opened, question)
            if question is not None and question.key not in current
            else None
        )
        who = await _who_answered(session, report_id)
    if question is None:
        text, markup = _review(tr, opened, current, who)
    else:
        text, markup = _question(tr, opened, template, question, current, guess)
    await reply(update, context, text, reply_markup=markup)


async def _who_answered(session: Any, report_id: int) -> dict[str, tuple[str, datetime]]:
    result: dict[str, tuple[str, datetime]] = {}
    names: dict[int, str] = {}
    for row in await rep.answer_rows(session, report_id):
        if row.answered_by is not None and row.answered_by not in names:
            person = await session.get(Person, row.answered_by)
            names[row.answered_by] = (
                display_name(person.first_name, person.last_name) if person else "?"
            )
        result[row.question_key] = (names.get(row.answered_by or -1, "?"), row.answered_at)
    return result


def _question(
    tr: Translator,
    opened: OpenReport,
    template: Template,
    question: Question,
    current: dict[str, Any],
    guess: Decimal | None,
) -> tuple[str, InlineKeyboardMarkup | None]:
    rid = opened.report.id
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
    rows: list[list[tuple[str, str]]] = []
    if question.type in NUMERIC:
        if guess is not None:
            shown = show_answer(tr, question, guess)
            lines.append(
                tr._(
                    "From the activity log: {value}. Is that right? Press the button, or type another number."
                ).format(value=shown)
            )
            rows.append([("✓ " + shown, f"rep:pf:{rid}:{index}")])
        else:
            lines.append(tr._("Type a number."))
        if question.min is not None or question.max is not None:
            lines.append(_bounds(tr, question))
    elif question.type == "text":
        lines.append(
            tr._("Type your answer (at most {max} characters).").format(
                max=tr.number(question.max_length)
            )
        )
    elif question.type == "choice":
        rows.extend(
            [(o.label(tr.locale)[:60], f"rep:c:{rid}:{index}:{i}")]
            for i, o in enumerate(question.options)
        )
    elif question.type == "multi":
        lines.append(tr._("Press every option that applies, then “Done”."))
        rows.extend(
            [(o.label(tr.locale)[:60], f"rep:m:{rid}:{index}:{i}")]
            for i, o in enumerate(question.options)
        )
        rows.append([(tr._("Done"), f"rep:md:{rid}:{index}")])
    elif question.type == "yesno":
        rows.append(
            [(tr._("Yes"), f"rep:y:{rid}:{index}:1"), (tr._("No"), f"rep:y:{rid}:{index}:0")]
        )
    elif question.type == "date":
        lines.append(tr._("Type the date (dd/mm/yyyy)."))
    elif question.type == "photo":
        lines.append(tr._("Send a photo."))
    if not question.required:
        rows.append([(tr._("Skip"), f"rep:s:{rid}:{index}")])
    lines.append(tr._("/back goes one step back."))
    return "\n".join(lines), inline(rows) if rows else None


def _bounds(tr: Translator, q: Question) -> str:
    kind = amount_kind(q)
    low = format_amount(q.min, kind, tr.locale) if q.min is not None else None
    high = format_amount(q.max, kind, tr.locale) if q.max is not None else None
    if low is not None and high is not None:
        return tr._("Between {low} and {high}.").format(low=low, high=high)
    if low is not None:
        return tr._("At least {low}.").format(low=low)
    return tr._("At most {high}.").format(high=high)


def _review(
    tr: Translator,
    opened: OpenReport,
    current: dict[str, Any],
    who: dict[str, tuple[str, datetime]],
) -> tuple[str, InlineKeyboardMarkup | None]:
    template = opened.info.template
    rid = opened.report.id
    lines = [
        f"<b>{esc(title(tr, opened))}</b> · {esc(opened.unit.name)}",
        tr._("Status: {status}. Deadline: {deadline}.").format(
            status=status_label(tr, opened.report.status),
            deadline=tr.moment(opened.info.round.deadline),
        ),
        "",
    ]
    for n, q in enumerate(template.applicable(current), start=1):
        answer = (
            show_answer(tr, q, current.get(q.key)) if q.key in current else tr._("(not answered)")
        )
        by = who.get(q.key)
        suffix = f" <i>({esc(by[0])}, {tr.moment(by[1])})</i>" if by else ""
        lines.append(f"{n}. {esc(q.label(tr.locale))}: <b>{esc(answer)}</b>{suffix}")
    text = "\n".join(lines)
    if len(text) > 3900:
        text = text[:3900] + "\n…"
    rows: list[list[tuple[str, str]]] = []
    if opened.report.status in rep.OPEN:
        rows.append([(tr._("Submit the report"), f"rep:sub:{rid}")])
    if opened.report.status != "approved":
        rows.append([(tr._("Change an answer"), f"rep:ed:{rid}")])
    return text, inline(rows) if rows else None


@rule(
    Who.MEMBER,
    PRIVATE,
    scoped=True,
    why="report ids re-checked by reports.load_report; decisions by can_decide",
    refusals=(
        N_("Answer reports in a private chat with me, not in a group."),
        N_("This button is no longer active."),
        N_("This report is not one of your units'."),
    ),
    actions={"ok": Who.ADMIN, "ret": Who.ADMIN},
)
async def on_button(update: Update, context: AppContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    tr = context.tr
    if update.effective_chat is None or update.effective_chat.type != "private":
        await query.answer(
            tr._("Answer reports in a private chat with me, not in a group."), show_alert=True
        )
        return
    parts = query.data.split(":")
    try:
        action, rid = parts[1], int(parts[2])
        args = [int(p) for p in parts[3:]]
        if action in ANSWER_ACTIONS and len(args) < ANSWER_ACTIONS[action]:
            raise IndexError(action)
    except (IndexError, ValueError):
        await query.answer(tr._("This button is no longer active."), show_alert=True)
        return
    try:
        if action == "o":
            await query.answer()
            await open_report(update, context, rid)
        elif action == "sub":
            await _submit(update, context, rid)
        elif action == "ed":
            await _edit_menu(update, context, rid)
        elif action in ANSWER_ACTIONS:
            await _answer_button(update, context, action, rid, args)
        elif action in ("ok", "ret"):
            await _decide_button(update, context, action, rid)
        else:
            await query.answer(tr._("This button is no longer active."), show_alert=True)
    except ReportError as exc:
        await query.answer(problem_text(tr, exc.code), show_alert=True)
    except IndexError:
        await query.answer(tr._("This button is no longer active."), show_alert=True)


#: Answer buttons and how many numbers follow the report id (question index, option or yes/no).
ANSWER_ACTIONS = {"pf": 1, "c": 2, "y": 2, "s": 1, "m": 2, "md": 1, "e": 1}


async def _current_question(
    context: AppContext, session: Any, rid: int, index: int
) -> tuple[OpenReport, Question, dict[str, Any]]:
    opened = await rep.load_report(session, context.actor, rid)
    template = opened.info.template
    if not 0 <= index < len(template.questions):
        raise ReportError("not_found")
    return opened, template.questions[index], await rep.answers(session, rid)


async def _answer_button(
    update: Update, context: AppContext, action: str, rid: int, args: list[int]
) -> None:
    """A button answering the current question (or choosing one to change). The database work is
    one short transaction; saving the flow state and replying happen after it."""
    query = update.callback_query
    assert query is not None and update.effective_chat and update.effective_user
    tr = context.tr
    services = context.services
    chat_id, user_id = update.effective_chat.id, update.effective_user.id
    state = await _state(update, context)
    mine = state is not None and state.flow == FLOW and state.data.get("report_id") == rid
    chosen: list[str] = list(state.data.get("multi", [])) if state is not None and mine else []
    async with services.db.session() as session:
        opened, question, _current = await _current_question(context, session, rid, args[0])
        value: Any = None
        answered = False
        if action == "pf":
            guess = await rep.prefill(session, opened, question)
            value = (
                None
                if guess is None
                else (str(guess) if question.type == "decimal" else int(guess))
            )
            answered = True
        elif action == "c":
            value, answered = _option(question, args[1]).key, True
        elif action == "y":
            value, answered = bool(args[1]), True
        elif action == "s":
            if question.required:
                raise ReportError("incomplete")
            answered = True
        elif action == "md":
            value = [o.key for o in question.options if o.key in chosen]
            answered = bool(value) or not question.required
        if answered:
            await rep.set_answer(
                session,
                opened.report,
                question.key,
                value,
                context.actor.person.id,
                services.clock.now(),
            )
    if action == "m":
        key = _option(question, args[1]).key
        chosen = [k for k in chosen if k != key] if key in chosen else [*chosen, key]
        editing = state.data.get("editing") if state is not None and mine else None
        await conversation.save(
            services,
            chat_id,
            user_id,
            FlowState(FLOW, "answer", {"report_id": rid, "multi": chosen, "editing": editing}),
        )
        await query.answer(
            ", ".join(o.label(tr.locale) for o in question.options if o.key in chosen) or "—"
        )
        return
    if action == "md" and not answered:
        await query.answer(tr._("Choose at least one option."), show_alert=True)
        return
    await query.answer()
    editing_key = question.key if action == "e" else None
    await conversation.save(
        services,
        chat_id,
        user_id,
        FlowState(FLOW, "answer", {"report_id": rid, "editing": editing_key}),
    )
    await ask(update, context, rid, editing=editing_key)


def _option(question: Question, index: int) -> Any:
    """The option a button names; a forged index is a stale button, not a crash."""
    if not 0 <= index < len(question.options):
        raise IndexError(index)
    return question.options[index]


async def _edit_menu(update: Update, context: AppContext, rid: int) -> None:
    query = update.callback_query
    assert query is not None
    tr = context.tr
    async with context.services.db.session() as session:
        opened = await rep.load_report(session, context.actor, rid)
        current = await rep.answers(session, rid)
    if opened.report.status == "approved":
        raise ReportError("approved")
    template = opened.info.template
    rows = [
        [(f"{n}. {q.label(tr.locale)[:50]}", f"rep:e:{rid}:{template.questions.index(q)}")]
        for n, q in enumerate(template.applicable(current), start=1)
    ]
    await query.answer()
    await reply(
        update, context, tr._("Which answer do you want to change?"), reply_markup=inline(rows)
    )


async def _submit(update: Update, context: AppContext, rid: int) -> None:
    query = update.callback_query
    assert query is not None and update.effective_chat and update.effective_user
    tr = context.tr
    async with context.services.db.session() as session:
        opened = await rep.submit(session, context.actor, rid, context.services.clock.now())
    await query.answer()
    await conversation.clear(context.services, update.effective_chat.id, update.effective_user.id)
    late = (
        opened.report.submitted_at is not None
        and opened.report.submitted_at > opened.info.round.deadline
    )
    text = tr._("Submitted: {title}, {unit}.").format(
        title=esc(title(tr, opened)), unit=esc(opened.unit.name)
    )
    if late:
        text += "\n" + tr._("It was submitted after the deadline ({deadline}).").format(
            deadline=tr.moment(opened.info.round.deadline)
        )
    text += "\n" + tr._("You can still change answers until it is approved: /report.")
    await reply(update, context, text, reply_markup=main_menu(tr))


async def on_text(update: Update, context: AppContext, state: FlowState) -> None:
    """A typed answer to the current question (or to the one being changed)."""
    assert update.message is not None and update.message.text is not None
    tr = context.tr
    services = context.services
    rid = int(state.data["report_id"])
    text = nfc(update.message.text.strip())
    try:
        async with services.db.session() as session:
            opened = await rep.load_report(session, context.actor, rid)
            current = await rep.answers(session, rid)
            template = opened.info.template
            editing = state.data.get("editing")
            question = template.question(editing) if editing else template.next_question(current)
            if question is None:
                problem: str | None = tr._(
                    "All questions are answered. Press “Submit the report” above, or /cancel."
                )
            else:
                value, problem = _parse(tr, question, text, today_local(context))
                if problem is None:
                    await rep.set_answer(
                        session,
                        opened.report,
                        question.key,
                        value,
                        context.actor.person.id,
                        services.clock.now(),
                    )
    except ReportError as exc:
        await reply(update, context, problem_text(tr, exc.code))
        return
    if problem is not None:
        await reply(update, context, problem)
        return
    if state.data.get("editing"):
        await conversation.save(
            services,
            update.message.chat_id,
            context.actor.person.telegram_id,
            FlowState(FLOW, "answer", {"report_id": rid}),
        )
    await ask(update, context, rid)


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
                value=quote(text), bounds=_bounds(tr, question)
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


async def on_media(update: Update, context: AppContext, state: FlowState) -> None:
    assert update.message is not None
    tr = context.tr
    rid = int(state.data["report_id"])
    async with context.services.db.session() as session:
        opened = await rep.load_report(session, context.actor, rid)
        current = await rep.answers(session, rid)
        editing = state.data.get("editing")
        question = (
            opened.info.template.question(editing)
            if editing
            else opened.info.template.next_question(current)
        )
        if question is not None and question.type == "photo" and update.message.photo:
            await rep.set_answer(
                session,
                opened.report,
                question.key,
                update.message.photo[-1].file_id,
                context.actor.person.id,
                context.services.clock.now(),
            )
            ok = True
        else:
            ok = False
    if not ok:
        await reply(
            update, context, tr._("This question needs text or a button, not a file or picture.")
        )
        return
    await ask(update, context, rid)


async def back_or_skip(update: Update, context: AppContext, state: FlowState, skip: bool) -> None:
    """/back and /skip inside a report (called by the activity log's commands when this flow is active)."""
    tr = context.tr
    rid = int(state.data["report_id"])
    try:
        async with context.services.db.session() as session:
            opened = await rep.load_report(session, context.actor, rid)
            template = opened.info.template
            current = await rep.answers(session, rid)
            if skip:
                question = template.next_question(current)
                if question is None or question.required:
                    message: str | None = tr._("This question cannot be skipped.")
                else:
                    await rep.set_answer(
                        session,
                        opened.report,
                        question.key,
                        None,
                        context.actor.person.id,
                        context.services.clock.now(),
                    )
                    message = None
            else:
                last = await rep.last_answered(session, rid, template)
                if last is None:
                    message = tr._(
                        "This is the first question. /cancel stops; your answers are kept."
                    )
                else:
                    await rep.clear_answer(session, opened.report, last)
                    message = None
    except ReportError as exc:
        await reply(update, context, problem_text(tr, exc.code))
        return
    if message:
        await reply(update, context, message)
    await ask(update, context, rid)


# --- /review: approve or return ---------------------------------------------------------------


@rule(
    Who.ADMIN,
    PRIVATE,
    why="reports submitted by units below the leader's",
    refusals=(
        N_("Review reports in a private chat with me."),
        N_("Only leaders of a higher unit approve reports."),
    ),
)
async def review_command(update: Update, context: AppContext) -> None:
    tr = context.tr
    if update.effective_chat is None or update.effective_chat.type != "private":
        await reply(update, context, tr._("Review reports in a private chat with me."))
        return
    if not context.actor.is_admin:
        await reply(update, context, tr._("Only leaders of a higher unit approve reports."))
        return
    async with context.services.db.session() as session:
        waiting = await rep.reports_to_decide(session, context.actor)
    if not waiting:
        await reply(update, context, tr._("No submitted report is waiting for your decision."))
        return
    for o in waiting[:10]:
        async with context.services.db.session() as session:
            current = await rep.answers(session, o.report.id)
            who = await _who_answered(session, o.report.id)
        text, _ = _review(tr, o, current, who)
        buttons = inline(
            [
                [
                    (tr._("Approve"), f"rep:ok:{o.report.id}"),
                    (tr._("Return with a comment"), f"rep:ret:{o.report.id}"),
                ]
            ]
        )
        await reply(update, context, text, reply_markup=buttons)


async def _decide_button(update: Update, context: AppContext, action: str, rid: int) -> None:
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


# --- /status --------------------------------------------------------------------------------


@rule(
    Who.ADMIN,
    ANY_CHAT,
    scoped=True,
    why="rounds of units the leader leads",
    refusals=(
        N_("Only unit leaders can see the status of a round."),
        N_("There is no round {id} in your units. /status lists the latest."),
    ),
)
async def status_command(update: Update, context: AppContext) -> None:
    tr = context.tr
    if not context.actor.is_admin:
        await reply(update, context, tr._("Only unit leaders can see the status of a round."))
        return
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
            text, markup = await _status(context, session, chosen or rounds[0], rounds)
    await reply(update, context, text, reply_markup=markup)


async def _status(
    context: AppContext, session: Any, row: ReportRound, rounds: list[ReportRound]
) -> tuple[str, InlineKeyboardMarkup | None]:
    tr = context.tr
    info = await rep.round_info(session, row.id)
    assert info is not None
    rows = await rep.round_status(session, row)
    submitted = [r for r in rows if r.status in ("submitted", "approved")]
    on_time = [r for r in submitted if r.on_time]
    missing = [r for r in rows if r.status in rep.OPEN]
    approved = [r for r in rows if r.status == "approved"]
    lines = [
        f"<b>#{row.id} {esc(info.template.title(tr.locale))} — {esc(info.period.label(tr.locale))}</b>",
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
            names = ", ".join(
                esc(display_name(p.first_name, p.last_name)) for p in r.people
            ) or tr._("no members yet")
            flag = f" ({status_label(tr, r.status)})" if r.status == "returned" else ""
            lines.append(f"• {esc(r.unit.name)}{flag}: {names}")
    late_rows = [r for r in submitted if not r.on_time]
    if late_rows:
        lines.append("")
        lines.append(tr._("Late:") + " " + ", ".join(esc(r.unit.name) for r in late_rows))
    others = [(f"#{r.id}", f"rep:st:{r.id}") for r in rounds[:6] if r.id != row.id]
    return "\n".join(lines), inline([others]) if others else None


@rule(
    Who.ADMIN,
    ANY_CHAT,
    scoped=True,
    why="round ids re-checked like /status",
    refusals=(
        N_("This button is no longer active."),
        N_("Only unit leaders can see the status of a round."),
        N_("There is no round {id} in your units. /status lists the latest."),
    ),
)
async def status_button(update: Update, context: AppContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    round_id = query.data.split(":")[2:3]
    if not round_id or not round_id[0].isdigit():
        await query.answer(context.tr._("This button is no longer active."), show_alert=True)
        return
    context.args = round_id
    await query.answer()
    await status_command(update, context)


# --- /round: open a round -------------------------------------------------------------------


@rule(
    Who.ADMIN,
    PRIVATE,
    why="opens a round over units the leader leads",
    refusals=(
        N_("Open report rounds in a private chat with me."),
        N_("Only unit leaders can open report rounds."),
    ),
)
async def round_command(update: Update, context: AppContext) -> None:
    assert update.effective_chat and update.effective_user
    tr = context.tr
    if update.effective_chat.type != "private":
        await reply(update, context, tr._("Open report rounds in a private chat with me."))
        return
    if not context.actor.is_admin:
        await reply(update, context, tr._("Only unit leaders can open report rounds."))
        return
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
    state = await _state(update, context)
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
    today = today_local(context)
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
            template_row = await session.get(ReportTemplate, int(parts[2]))
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
        day = _parse_future_date(text, today_local(context))
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
            template_row = await session.get(ReportTemplate, int(data["template_id"]))
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


async def on_resume(update: Update, context: AppContext, state: FlowState) -> None:
    """Ask the current question again (the reply to the last answer may have been lost)."""
    try:
        await ask(update, context, int(state.data["report_id"]), state.data.get("editing"))
    except ReportError as exc:
        await reply(update, context, problem_text(context.tr, exc.code))


register_flow(FLOW, on_text, on_media, on_resume)
register_flow(RETURN_FLOW, on_return_comment)
register_flow(ROUND_FLOW, on_round_text)
