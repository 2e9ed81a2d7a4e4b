"""/report: answer a periodic report.

Every answer is written the moment it is given; the next question is always the template's first
unanswered applicable one, so a cadre who stops for days, or a restart, resumes exactly there, and
two cadres of one unit share one draft. Buttons carry small ids that are re-checked on the server."""

from __future__ import annotations

from datetime import date
from typing import Any

from telegram import Update

from bot import conversation
from bot import reports as rep
from bot.conversation import FlowState
from bot.i18n import N_, Translator
from bot.parsing import ParseError, parse_amount, parse_date
from bot.reports import OpenReport, ReportError
from bot.templates import Question
from handlers.access_rules import PRIVATE, Who, rule
from handlers.common import NOT_MEMBER, esc, inline, main_menu, reply
from handlers.context import AppContext
from handlers.entry_cards import date_problem, parse_problem
from handlers.reports.review import decide_button
from handlers.reports.texts import (
    FLOW,
    NUMERIC,
    amount_kind,
    bounds,
    load_state,
    problem_text,
    question_card,
    review_card,
    status_label,
    title,
    who_answered,
)
from handlers.router import quote, register_flow
from storage.text import nfc


@rule(
    Who.MEMBER,
    PRIVATE,
    why="the reports of the member's units",
    wrong_chat=N_("Answer reports in a private chat with me, not in a group."),
    not_allowed=NOT_MEMBER,
)
async def report_command(update: Update, context: AppContext) -> None:
    tr = context.tr
    chat = update.effective_chat
    assert chat is not None
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
        who = await who_answered(session, report_id)
    if question is None:
        text, markup = review_card(tr, opened, current, who)
    else:
        text, markup = question_card(tr, opened, template, question, current, guess)
    await reply(update, context, text, reply_markup=markup)


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
            await decide_button(update, context, action, rid)
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
    state = await load_state(update, context)
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
                value, problem = _parse(tr, question, text, context.services.today())
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


async def on_resume(update: Update, context: AppContext, state: FlowState) -> None:
    """Ask the current question again (the reply to the last answer may have been lost)."""
    try:
        await ask(update, context, int(state.data["report_id"]), state.data.get("editing"))
    except ReportError as exc:
        await reply(update, context, problem_text(context.tr, exc.code))


register_flow(FLOW, on_text, on_media, on_resume)
