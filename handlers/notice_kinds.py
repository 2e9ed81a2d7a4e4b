"""Renderers of the report notices queued by ``bot/reports.py``. Each checks, at send time, that
the notice still matters (a reminder for a report submitted meanwhile is dropped)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot import reports as rep
from bot.i18n import Translator
from bot.names import name_of
from bot.notifications import Notice
from bot.periods import heading
from bot.services import Services
from handlers.common import esc
from handlers.notices import register
from storage.models import Person, Report, Unit


@dataclass(frozen=True)
class Loaded:
    """A report notice's facts, formatted for the recipient's language."""

    report: Report
    info: rep.RoundInfo
    title: str  # "<template> — <period>", escaped
    unit: str  # escaped
    answered: int
    deadline: str


async def _load(
    services: Services, tr: Translator, params: dict[str, Any], statuses: tuple[str, ...]
) -> Loaded | None:
    """The report behind a notice, or None when the notice no longer matters (report gone, round
    closed, or its status moved on since the notice was queued)."""
    async with services.db.session() as session:
        report = await session.get(Report, int(params["report_id"]))
        if report is None or report.status not in statuses:
            return None
        info = await rep.round_info(session, report.round_id)
        answered = len(await rep.answers(session, report.id))
        unit = await session.get(Unit, report.unit_id)
    if info is None or info.round.closed_at is not None or unit is None:
        return None
    title = esc(heading(info.template.title(tr.locale), info.period.label(tr.locale)))
    return Loaded(report, info, title, esc(unit.name), answered, tr.moment(info.round.deadline))


def _open_button(report_id: int, label: str) -> tuple[tuple[tuple[str, str], ...], ...]:
    return (((label, f"rep:o:{report_id}"),),)


async def round_opened(
    services: Services, tr: Translator, params: dict[str, Any], chat_id: int
) -> Notice | None:
    got = await _load(services, tr, params, rep.OPEN)
    if got is None:
        return None
    text = tr._("New report round: <b>{title}</b> for {unit}. Deadline: {deadline}.").format(
        title=got.title, unit=got.unit, deadline=got.deadline
    )
    if chat_id < 0:  # a linked group: answers are given in private chats
        return Notice(text + "\n" + tr._("Cadres answer it in a private chat with me: /report."))
    return Notice(text, _open_button(got.report.id, tr._("Answer the report")))


async def reminder(
    services: Services, tr: Translator, params: dict[str, Any], chat_id: int
) -> Notice | None:
    got = await _load(services, tr, params, rep.OPEN)
    if got is None:
        return None
    text = tr._(
        "Reminder: <b>{title}</b> for {unit} is due {deadline}. {answered} questions answered so far."
    ).format(title=got.title, unit=got.unit, deadline=got.deadline, answered=got.answered)
    return Notice(text, _open_button(got.report.id, tr._("Continue the report")))


async def overdue(
    services: Services, tr: Translator, params: dict[str, Any], chat_id: int
) -> Notice | None:
    got = await _load(services, tr, params, rep.OPEN)
    if got is None:
        return None
    text = tr._(
        "Overdue: <b>{title}</b> for {unit} was due {deadline}. Please submit it as soon as you can."
    ).format(title=got.title, unit=got.unit, deadline=got.deadline)
    return Notice(text, _open_button(got.report.id, tr._("Continue the report")))


async def overdue_admin(
    services: Services, tr: Translator, params: dict[str, Any], chat_id: int
) -> Notice | None:
    async with services.db.session() as session:
        info = await rep.round_info(session, int(params["round_id"]))
        if info is None or info.round.closed_at is not None:
            return None
        missing = [
            s.unit.name for s in await rep.round_status(session, info.round) if s.status in rep.OPEN
        ]
    if not missing:
        return None
    text = tr._(
        "Round #{round} <b>{title}</b> is past its deadline ({deadline}). Not submitted: {units}. /status {round} shows the details."
    ).format(
        round=info.round.id,
        title=esc(heading(info.template.title(tr.locale), info.period.label(tr.locale))),
        deadline=tr.moment(info.round.deadline),
        units=", ".join(esc(name) for name in missing),
    )
    return Notice(text)


async def submitted(
    services: Services, tr: Translator, params: dict[str, Any], chat_id: int
) -> Notice | None:
    got = await _load(services, tr, params, ("submitted",))
    if got is None:
        return None
    text = tr._("{unit} submitted <b>{title}</b>.").format(unit=got.unit, title=got.title)
    if got.report.submitted_at is not None and got.report.submitted_at > got.info.round.deadline:
        text += " " + tr._("(late)")
    return Notice(text + "\n" + tr._("Approve or return it with /review."))


async def returned(
    services: Services, tr: Translator, params: dict[str, Any], chat_id: int
) -> Notice | None:
    got = await _load(services, tr, params, ("returned",))
    if got is None:
        return None
    text = tr._("<b>{title}</b> for {unit} was returned for changes: “{comment}”").format(
        title=got.title, unit=got.unit, comment=esc(got.report.comment or "")
    )
    return Notice(text, _open_button(got.report.id, tr._("Change the report")))


async def approved(
    services: Services, tr: Translator, params: dict[str, Any], chat_id: int
) -> Notice | None:
    got = await _load(services, tr, params, ("approved",))
    if got is None:
        return None
    return Notice(
        tr._("<b>{title}</b> for {unit} was approved. Thank you!").format(
            title=got.title, unit=got.unit
        )
    )


async def reopened(
    services: Services, tr: Translator, params: dict[str, Any], chat_id: int
) -> Notice | None:
    """An approved report reopened (issue 16): its period is unlocked; the unit may change it."""
    got = await _load(services, tr, params, ("submitted",))
    if got is None:
        return None
    text = tr._(
        "<b>{title}</b> for {unit} was reopened after its approval: “{reason}”. Its period is unlocked; answers can be changed until it is approved again."
    ).format(title=got.title, unit=got.unit, reason=esc(str(params.get("reason", ""))))
    return Notice(text, _open_button(got.report.id, tr._("Change the report")))


async def nudge(
    services: Services, tr: Translator, params: dict[str, Any], chat_id: int
) -> Notice | None:
    """A leader pressed "Remind" on the dashboard's board (bot/dashboard_board.py ``remind``)."""
    got = await _load(services, tr, params, rep.OPEN)
    if got is None:
        return None
    async with services.db.session() as session:
        leader = await session.get(Person, int(params.get("by", 0)))
    who = esc(name_of(leader)) if leader is not None else tr._("Your leader")
    text = tr._(
        "{leader} reminds you: <b>{title}</b> for {unit} is due {deadline}. {answered} questions answered so far."
    ).format(
        leader=who, title=got.title, unit=got.unit, deadline=got.deadline, answered=got.answered
    )
    return Notice(text, _open_button(got.report.id, tr._("Continue the report")))


def register_renderers() -> None:
    """Called by the composition root: the outbox kinds queued by ``bot/reports.py``."""
    register("round_opened", round_opened)
    register("report_reminder", reminder)
    register("report_overdue", overdue)
    register("report_overdue_admin", overdue_admin)
    register("report_submitted", submitted)
    register("report_returned", returned)
    register("report_approved", approved)
    register("report_reopened", reopened)
    register("report_nudge", nudge)
