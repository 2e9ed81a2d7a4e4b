"""Renderers of the report notices queued by ``bot/reports.py``. Each checks, at send time, that
the notice still matters (a reminder for a report submitted meanwhile is dropped)."""

from __future__ import annotations

from typing import Any

from bot import reports as rep
from bot.i18n import Translator
from bot.notifications import Notice
from bot.services import Services
from handlers.common import esc
from handlers.notices import register
from storage.models import Report


async def _load(
    services: Services, params: dict[str, Any]
) -> tuple[Report, rep.RoundInfo, str] | None:
    async with services.db.session() as session:
        report = await session.get(Report, int(params["report_id"]))
        if report is None:
            return None
        info = await rep.round_info(session, report.round_id)
        answered = len(await rep.answers(session, report.id))
        unit_name = (await session.get(type(info.unit), report.unit_id)).name if info else ""  # type: ignore[union-attr]
    if info is None or info.round.closed_at is not None:
        return None
    return report, info, f"{unit_name}\x00{answered}"


def _parts(tr: Translator, info: rep.RoundInfo, extra: str) -> tuple[str, str, int]:
    unit_name, answered = extra.split("\x00")
    return (
        f"{esc(info.template.title(tr.locale))} — {esc(info.period.label(tr.locale))}",
        esc(unit_name),
        int(answered),
    )


def _open_button(
    tr: Translator, report_id: int, label: str
) -> tuple[tuple[tuple[str, str], ...], ...]:
    return (((label, f"rep:o:{report_id}"),),)


async def round_opened(
    services: Services, tr: Translator, params: dict[str, Any], chat_id: int
) -> Notice | None:
    loaded = await _load(services, params)
    if loaded is None or loaded[0].status not in rep.OPEN:
        return None
    report, info, extra = loaded
    title, unit, _ = _parts(tr, info, extra)
    text = tr._("New report round: <b>{title}</b> for {unit}. Deadline: {deadline}.").format(
        title=title, unit=unit, deadline=tr.moment(info.round.deadline)
    )
    if chat_id < 0:  # a linked group: answers are given in private chats
        return Notice(text + "\n" + tr._("Cadres answer it in a private chat with me: /report."))
    return Notice(text, _open_button(tr, report.id, tr._("Answer the report")))


async def reminder(
    services: Services, tr: Translator, params: dict[str, Any], chat_id: int
) -> Notice | None:
    loaded = await _load(services, params)
    if loaded is None or loaded[0].status not in rep.OPEN:
        return None
    report, info, extra = loaded
    title, unit, answered = _parts(tr, info, extra)
    text = tr._(
        "Reminder: <b>{title}</b> for {unit} is due {deadline}. {answered} questions answered so far."
    ).format(title=title, unit=unit, deadline=tr.moment(info.round.deadline), answered=answered)
    return Notice(text, _open_button(tr, report.id, tr._("Continue the report")))


async def overdue(
    services: Services, tr: Translator, params: dict[str, Any], chat_id: int
) -> Notice | None:
    loaded = await _load(services, params)
    if loaded is None or loaded[0].status not in rep.OPEN:
        return None
    report, info, extra = loaded
    title, unit, _ = _parts(tr, info, extra)
    text = tr._(
        "Overdue: <b>{title}</b> for {unit} was due {deadline}. Please submit it as soon as you can."
    ).format(title=title, unit=unit, deadline=tr.moment(info.round.deadline))
    return Notice(text, _open_button(tr, report.id, tr._("Continue the report")))


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
        title=f"{esc(info.template.title(tr.locale))} — {esc(info.period.label(tr.locale))}",
        deadline=tr.moment(info.round.deadline),
        units=", ".join(esc(name) for name in missing),
    )
    return Notice(text)


async def submitted(
    services: Services, tr: Translator, params: dict[str, Any], chat_id: int
) -> Notice | None:
    loaded = await _load(services, params)
    if loaded is None or loaded[0].status != "submitted":
        return None
    report, info, extra = loaded
    title, unit, _ = _parts(tr, info, extra)
    late = report.submitted_at is not None and report.submitted_at > info.round.deadline
    text = tr._("{unit} submitted <b>{title}</b>.").format(unit=unit, title=title)
    if late:
        text += " " + tr._("(late)")
    return Notice(text + "\n" + tr._("Approve or return it with /review."))


async def returned(
    services: Services, tr: Translator, params: dict[str, Any], chat_id: int
) -> Notice | None:
    loaded = await _load(services, params)
    if loaded is None or loaded[0].status != "returned":
        return None
    report, info, extra = loaded
    title, unit, _ = _parts(tr, info, extra)
    text = tr._("<b>{title}</b> for {unit} was returned for changes: “{comment}”").format(
        title=title, unit=unit, comment=esc(report.comment or "")
    )
    return Notice(text, _open_button(tr, report.id, tr._("Change the report")))


async def approved(
    services: Services, tr: Translator, params: dict[str, Any], chat_id: int
) -> Notice | None:
    loaded = await _load(services, params)
    if loaded is None or loaded[0].status != "approved":
        return None
    _report, info, extra = loaded
    title, unit, _ = _parts(tr, info, extra)
    return Notice(
        tr._("<b>{title}</b> for {unit} was approved. Thank you!").format(title=title, unit=unit)
    )


def register_renderers() -> None:
    """Called by the composition root: the outbox kinds queued by ``bot/reports.py``."""
    register("round_opened", round_opened)
    register("report_reminder", reminder)
    register("report_overdue", overdue)
    register("report_overdue_admin", overdue_admin)
    register("report_submitted", submitted)
    register("report_returned", returned)
    register("report_approved", approved)
