"""Periodic reports (PRODUCT §4): template versions, rounds, answers stored as they are given,
submission, approval or return, reminders and completeness.

Notices (round opened, reminders, overdue, submitted, returned, approved) are queued in the outbox
in the transaction of the change; reminders are planned from the database (due times computed from
the round's deadline), so a restart neither loses nor doubles one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot import date_window
from bot.access import Actor
from bot.notifications import enqueue
from bot.periods import Period
from bot.report_templates import (
    ensure_default_templates as ensure_default_templates,
)
from bot.report_templates import known_activities as known_activities
from bot.report_templates import latest_templates as latest_templates
from bot.report_templates import store_template as store_template
from bot.report_templates import template_of
from bot.templates import Question, Template
from storage.models import (
    Person,
    Report,
    ReportAnswer,
    ReportRound,
    ReportTemplate,
    Unit,
)
from storage.queries import chats as chats_q
from storage.queries import people as people_q
from storage.queries import reports as reports_q
from storage.queries import units as units_q


class ReportError(Exception):
    """A report action cannot be done; ``code`` selects the localized explanation."""

    def __init__(self, code: str, round_id: int | None = None) -> None:
        super().__init__(code)
        self.code = code
        #: For "duplicate": the round that already asks the same.
        self.round_id = round_id


OPEN = ("draft", "returned")


# --- rounds ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundInfo:
    round: ReportRound
    template: Template
    period: Period
    unit: Unit


async def round_info(session: AsyncSession, round_id: int) -> RoundInfo | None:
    row = await reports_q.get_round(session, round_id)
    if row is None:
        return None
    template_row = await reports_q.get_template(session, row.template_id)
    unit = await units_q.get(session, row.unit_id)
    assert template_row is not None and unit is not None
    return RoundInfo(row, template_of(template_row), Period.from_key(row.period_key), unit)


async def target_units(
    session: AsyncSession,
    root: Unit,
    kind: str | None,
    org: str | None,
    template: Template | None = None,
) -> list[Unit]:
    """Who must report: the units directly below the root (or every unit of ``kind`` it
    oversees), optionally one organisation, and of those only the units ``template`` is for
    (``Template.fits``). A member organisation's units are the ones it oversees in its area
    (``units_q.overseen``), not its descendants: a commune's Women's Union asks the thôn branches."""
    below = await units_q.overseen(session, root)
    if kind is None:
        rows = sorted(units_q.directly_below(root, below), key=lambda u: u.name)
    else:
        rows = [u for u in below if u.kind == kind]
    return [
        u
        for u in rows
        if (org is None or u.org == org) and (template is None or template.fits(u.kind, u.org))
    ]


async def fitting_below(session: AsyncSession, root: Unit, template: Template) -> list[Unit]:
    """The active units ``root``'s leaders oversee (not itself) that ``template`` is for."""
    return [u for u in await units_q.overseen(session, root) if template.fits(u.kind, u.org)]


def before_cutoff(period: Period, deadline: datetime) -> bool:
    """A deadline before the period's last day (its cut-off, "thời gian chốt số liệu"): the units
    would report before the period they report on is over. Allowed, but only when confirmed."""
    return deadline.date() < period.end


async def open_round(
    session: AsyncSession,
    actor: Actor | None,
    *,
    template_row: ReportTemplate,
    period: Period,
    root: Unit,
    deadline: datetime,
    now: datetime,
    kind: str | None = None,
    org: str | None = None,
    early: bool = False,
) -> ReportRound:
    """Open a round and announce it to the cadres of every unit asked. ``actor`` None = operator CLI.

    Only units the template is for are asked (``Template.fits``): a round of the communes' Front
    report opened over "every direct sub-unit" of a commune asks nobody, a thôn's Ban Công tác
    Mặt trận is never asked the commune's questions.

    Refused (``ReportError``): a deadline already past, a deadline or period outside the years kept
    (``bot.date_window``), a template for another kind of period, a level (``template_kind``) or
    organisation (``template_org``) the template is not for, no unit to ask (``no_units``), none
    of them one the template is for (``template_units``), a round that already asks the same
    template for the same period of the same unit and organisation ("duplicate", with that
    round's id), and a deadline before the period's cut-off unless ``early`` confirms it
    (``before_cutoff``, checked last: confirming is asked only of a round that would open)."""
    if actor is not None and not actor.can_admin(root):
        raise ReportError("forbidden")
    if deadline <= now:
        raise ReportError("deadline_past")
    today = now.date()
    if not date_window.within(deadline.date(), today) or not date_window.year_within(
        period.year, today
    ):
        raise ReportError("out_of_range")
    if template_row.period != period.kind:
        raise ReportError("wrong_period_kind")
    template = template_of(template_row)
    if kind is not None and template.kinds and kind not in template.kinds:
        raise ReportError("template_kind")
    if org is not None and template.orgs and org not in template.orgs:
        raise ReportError("template_org")
    # Two rounds asking the same units the same thing would split their answers and double
    # every reminder: the second one is refused, naming the first.
    same = await reports_q.same_round(session, template_row.key, period.key(), root.id, org)
    if same is not None:
        raise ReportError("duplicate", same.id)
    asked = await target_units(session, root, kind, org)
    if not asked:
        raise ReportError("no_units")
    units = [u for u in asked if template.fits(u.kind, u.org)]
    if not units:
        raise ReportError("template_units")
    if before_cutoff(period, deadline) and not early:
        raise ReportError("before_cutoff")
    row = ReportRound(
        template_id=template_row.id,
        period_key=period.key(),
        unit_id=root.id,
        org=org,
        deadline=deadline,
        opened_by=actor.person.id if actor else None,
        opened_at=now,
    )
    await reports_q.add(session, row)
    for unit in units:
        report = Report(round_id=row.id, unit_id=unit.id, status="draft", version=1)
        await reports_q.add(session, report)
        # The unit's cadres, and the group chats linked to the unit.
        chats = [p.telegram_id for p in await recipients(session, unit.id)]
        chats += [c.chat_id for c in await chats_q.for_units(session, [unit.id])]
        for chat_id in chats:
            await enqueue(
                session,
                key=f"round:{row.id}:open:{report.id}:{chat_id}",
                chat_id=chat_id,
                kind="round_opened",
                params={"report_id": report.id},
                now=now,
            )
    return row


async def recipients(
    session: AsyncSession, unit_id: int, roles: Sequence[str] = ("cadre", "admin")
) -> list[Person]:
    """Members of a unit the bot may write to (they started it and did not block it)."""
    return [
        person
        for person, role in await people_q.members_of(session, unit_id)
        if role in roles and person.started and not person.blocked
    ]


async def round_admins(session: AsyncSession, round_row: ReportRound) -> list[Person]:
    return await recipients(session, round_row.unit_id, roles=("admin", "owner"))


# --- answering ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenReport:
    report: Report
    info: RoundInfo
    unit: Unit


async def reports_for(
    session: AsyncSession, actor: Actor, *, include_submitted: bool = True
) -> list[OpenReport]:
    """The reports the actor answers: those of units they belong to, in rounds not closed."""
    unit_ids = {r.unit.id for r in actor.roles}
    if not unit_ids:
        return []
    statuses = ("draft", "returned", "submitted") if include_submitted else OPEN
    result = []
    for report in await reports_q.reports_of_units(session, unit_ids, statuses):
        info = await round_info(session, report.round_id)
        unit = await units_q.get(session, report.unit_id)
        assert info is not None and unit is not None
        result.append(OpenReport(report, info, unit))
    return result


async def load_report(
    session: AsyncSession, actor: Actor, report_id: int, *, for_decision: bool = False
) -> OpenReport:
    report = await reports_q.get_report(session, report_id)
    if report is None:
        raise ReportError("not_found")
    unit = await units_q.get(session, report.unit_id)
    info = await round_info(session, report.round_id)
    assert unit is not None and info is not None
    member = any(r.unit.id == unit.id for r in actor.roles)
    if not (member or actor.can_admin(unit)):
        raise ReportError("forbidden")
    if for_decision and not can_decide(actor, unit):
        raise ReportError("forbidden")
    return OpenReport(report, info, unit)


def can_decide(actor: Actor, unit: Unit) -> bool:
    """The parent's leaders approve: an admin over the unit through a role in an ancestor, never
    the unit's own leaders approving themselves."""
    return actor.is_owner or any(
        r.is_admin and r.unit.id != unit.id and r.scope.contains(unit) for r in actor.roles
    )


async def answers(session: AsyncSession, report_id: int) -> dict[str, Any]:
    rows = await reports_q.answer_rows(session, report_id)
    return {row.question_key: row.value.get("v") for row in rows}


async def answer_rows(session: AsyncSession, report_id: int) -> list[ReportAnswer]:
    return await reports_q.answer_rows(session, report_id, oldest_first=True)


async def set_answer(
    session: AsyncSession, report: Report, key: str, value: Any, person_id: int, now: datetime
) -> None:
    """Store one answer now. After submission an edit is allowed (until approval) and logged."""
    if report.status == "approved":
        raise ReportError("approved")
    await reports_q.upsert_answer(session, report.id, key, {"v": value}, person_id, now)
    if report.status == "submitted":
        await reports_q.add_event(session, report.id, person_id, now, "edited", {key: value})


async def clear_answer(session: AsyncSession, report: Report, key: str) -> None:
    if report.status == "approved":
        raise ReportError("approved")
    await reports_q.delete_answer(session, report.id, key)


async def last_answered(session: AsyncSession, report_id: int, template: Template) -> str | None:
    """The most recent applicable answer (what /back forgets)."""
    current = await answers(session, report_id)
    applicable = {q.key for q in template.applicable(current)}
    for row in reversed(await answer_rows(session, report_id)):
        if row.question_key in applicable:
            return row.question_key
    return None


async def prefill(session: AsyncSession, report: OpenReport, question: Question) -> Decimal | None:
    """The activity log's total for the question over the unit's scope and the round's period."""
    if question.prefill is None:
        return None
    umbrellas = await units_q.umbrella_orgs(session)
    scope = units_q.scope_of(report.unit, umbrellas)
    period = report.info.period
    total = await reports_q.activity_total_milli(
        session,
        scope,
        question.prefill.activity,
        question.prefill.measure,
        period.start,
        period.end,
    )
    value = Decimal(total) / 1000
    return value.to_integral_value() if value == value.to_integral_value() else value.normalize()


def missing_required(template: Template, current: dict[str, Any]) -> list[Question]:
    return [
        q
        for q in template.applicable(current)
        if q.key not in current or (q.required and current[q.key] is None)
    ]


# --- submission and decisions ---------------------------------------------------------------


async def submit(session: AsyncSession, actor: Actor, report_id: int, now: datetime) -> OpenReport:
    opened = await load_report(session, actor, report_id)
    current = await answers(session, report_id)
    if missing_required(opened.info.template, current):
        raise ReportError("incomplete")
    period = opened.info.period
    if opened.info.template.violations(current, (period.start, period.end)):
        raise ReportError("inconsistent")
    # One atomic step: of two cadres pressing Submit at once, exactly one succeeds.
    if not await reports_q.mark_submitted(session, report_id, OPEN, now, actor.person.id):
        await session.refresh(opened.report)
        raise ReportError("approved" if opened.report.status == "approved" else "already_submitted")
    late = now > opened.info.round.deadline
    await reports_q.add_event(session, report_id, actor.person.id, now, "submitted", {"late": late})
    for person in await round_admins(session, opened.info.round):
        await enqueue(
            session,
            key=f"report:{report_id}:submitted:{now.isoformat()}:{person.telegram_id}",
            chat_id=person.telegram_id,
            kind="report_submitted",
            params={"report_id": report_id},
            now=now,
        )
    await session.refresh(opened.report)
    return opened


async def decide(
    session: AsyncSession,
    actor: Actor,
    report_id: int,
    *,
    approve: bool,
    comment: str | None,
    now: datetime,
) -> OpenReport:
    opened = await load_report(session, actor, report_id, for_decision=True)
    status = "approved" if approve else "returned"
    if approve and missing_required(opened.info.template, await answers(session, report_id)):
        # Checked here, not only by hiding the button: an old or forged "Approve" must not pass
        # a report that an edit after submission left incomplete.
        raise ReportError("incomplete")
    if not await reports_q.mark_decided(session, report_id, status, now, actor.person.id, comment):
        raise ReportError("not_submitted")
    await reports_q.add_event(
        session, report_id, actor.person.id, now, status, {"comment": comment}
    )
    if approve:
        period = opened.info.period
        await reports_q.lock_period(session, report_id, opened.unit, period.start, period.end, now)
    for person in await recipients(session, opened.unit.id):
        await enqueue(
            session,
            key=f"report:{report_id}:{status}:{now.isoformat()}:{person.telegram_id}",
            chat_id=person.telegram_id,
            kind=f"report_{status}",
            params={"report_id": report_id},
            now=now,
        )
    await session.refresh(opened.report)
    return opened


async def reopen(
    session: AsyncSession, actor: Actor, report_id: int, *, reason: str, now: datetime
) -> OpenReport:
    """Undo an approval: the report goes back to "submitted" and its period lock is lifted.

    Who: whoever may approve it (``can_decide``: the approver, or any leader of a unit above the
    report's). Back to *submitted*, not draft: its answers were complete and the unit submitted
    them; the leader decides again (approve, or return with a comment) while the unit's cadres
    may change answers meanwhile, as for any submitted report. The reason is kept in the report's
    history; the unit's cadres (and the approver, when someone else reopens) are told."""
    opened = await load_report(session, actor, report_id, for_decision=True)
    approver = opened.report.decided_by
    if not await reports_q.mark_reopened(session, report_id):
        raise ReportError("not_approved")
    await reports_q.unlock_period(session, report_id)
    await reports_q.add_event(
        session, report_id, actor.person.id, now, "reopened", {"reason": reason}
    )
    people = await recipients(session, opened.unit.id)
    if approver is not None and approver != actor.person.id:
        approving = await session.get(Person, approver)
        if approving is not None and approving.started and not approving.blocked:
            people.append(approving)
    for person in people:
        await enqueue(
            session,
            key=f"report:{report_id}:reopened:{now.isoformat()}:{person.telegram_id}",
            chat_id=person.telegram_id,
            kind="report_reopened",
            params={"report_id": report_id, "reason": reason},
            now=now,
        )
    await session.refresh(opened.report)
    return opened


async def reports_to_reopen(session: AsyncSession, actor: Actor) -> list[OpenReport]:
    """Approved reports of rounds not closed that the actor may reopen, the latest first."""
    return await _decidable(session, actor, await reports_q.approved_reports(session))


async def reports_to_decide(session: AsyncSession, actor: Actor) -> list[OpenReport]:
    return await _decidable(session, actor, await reports_q.submitted_reports(session))


async def _decidable(
    session: AsyncSession, actor: Actor, reports: Sequence[Report]
) -> list[OpenReport]:
    """Those of ``reports`` whose unit the actor may decide on, with their round and unit."""
    result = []
    for report in reports:
        unit = await units_q.get(session, report.unit_id)
        if unit is None or not can_decide(actor, unit):
            continue
        info = await round_info(session, report.round_id)
        assert info is not None
        result.append(OpenReport(report, info, unit))
    return result


# --- completeness ---------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitStatus:
    unit: Unit
    status: str
    submitted_at: datetime | None
    on_time: bool | None
    people: list[Person]


async def round_status(session: AsyncSession, round_row: ReportRound) -> list[UnitStatus]:
    result = []
    for report in await reports_q.reports_of_round(session, round_row.id):
        unit = await units_q.get(session, report.unit_id)
        assert unit is not None
        people = [p for p, _ in await people_q.members_of(session, unit.id)]
        on_time = None if report.submitted_at is None else report.submitted_at <= round_row.deadline
        result.append(UnitStatus(unit, report.status, report.submitted_at, on_time, people))
    return result


async def rounds_visible_to(session: AsyncSession, actor: Actor) -> list[ReportRound]:
    result = []
    for row in await reports_q.rounds_newest_first(session):
        unit = await units_q.get(session, row.unit_id)
        if unit is not None and actor.can_admin(unit):
            result.append(row)
    return result
