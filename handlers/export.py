"""/export [period] [unit]: the unit's figures as an ``.xlsx`` file (PRODUCT §6).

Arguments are read like /totals (any order, tolerant of case and diacritics); the default is the
current month and the user's own unit. A province-year takes minutes to build, so the handler
only finds the unit (one short transaction), answers "preparing…" and returns; the workbook is
built in the background (``ExportJobs``): in the export process (``bot/export_worker.py``: a
thread would share the bot's GIL), from a snapshot read through a connection of its own, and
then uploaded. The bot's event loop
keeps serving everyone else meanwhile, and no Bot API call waits inside a transaction.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import Application

from bot import export as export_domain
from bot import export_worker
from bot.activities import offered_kinds
from bot.export import ExportError, ExportSummary, Progress
from bot.i18n import N_
from bot.periods import Period, PeriodOutOfRange, period_containing
from handlers import render
from handlers.access_rules import PRIVATE, Who, rule
from handlers.common import esc, reply
from handlers.context import AppContext
from handlers.router import quote
from handlers.totals import find_or_default, parse_args, period_out_of_range, which_unit
from storage.models import Unit
from storage.text import nfc

log = logging.getLogger(__name__)

#: Exports built at once per bot process; more wait their turn (the export process's workers).
WORKERS = export_worker.WORKERS


class ExportJobs:
    """The exports being built in the background for one application.

    ``join`` waits until none is left (the test harness waits for it as it waits for updates);
    ``progress`` is handed to every build (a test holds a build half-way with it)."""

    def __init__(self, workers: int = WORKERS) -> None:
        self.workers = workers
        self.progress: Progress | None = None
        self._slots: asyncio.Semaphore | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def running(self) -> int:
        return len(self._tasks)

    def start(
        self,
        app: Application[Any, Any, Any, Any, Any, Any],
        update: Update,
        job: Coroutine[Any, Any, None],
    ) -> None:
        """Run ``job`` as an application task: its failure reaches the error handler (the user
        is told), and stopping the application waits for it (the file is still sent)."""
        task = app.create_task(job, update=update, name="phoihop:export")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def slot(self) -> asyncio.Semaphore:
        if self._slots is None:  # made on the application's loop, at first use
            self._slots = asyncio.Semaphore(self.workers)
        return self._slots

    async def join(self) -> None:
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


def export_jobs(app: Application[Any, Any, Any, Any, Any, Any]) -> ExportJobs:
    """The application's ``ExportJobs`` (made at first use)."""
    jobs: ExportJobs = app.bot_data.setdefault("exports", ExportJobs())
    return jobs


#: Exports are the leaders' (PRODUCT §1): a cadre reads figures with /totals.
NOT_LEADER = N_("Spreadsheets are for unit leaders. Use /totals to see your unit's figures.")


@rule(
    Who.ADMIN,
    PRIVATE,
    scoped=True,
    why="a spreadsheet of a unit the leader leads",
    wrong_chat=N_("Ask for spreadsheets in a private chat with me, not in a group."),
    not_allowed=NOT_LEADER,
    refusals=(
        N_(
            "I found no unit “{text}” among yours. Try its code or part of its name, e.g. /export quý này Cầu Bâm."
        ),
        N_("You can export figures only for the units you lead."),
    ),
)
async def export_command(update: Update, context: AppContext) -> None:
    tr = context.tr
    actor = context.actor
    services = context.services
    rule = services.settings.period_rule
    today = context.services.today()
    raw = nfc(" ".join(context.args or []))  # also drops NUL, which PostgreSQL refuses
    async with services.db.session() as session:
        kinds = await offered_kinds(session, actor.person.id)
        # An indicator or "by organisation" means nothing here: they stay part of the unit text.
        try:
            _type_key, period, unit_text, _by_org = parse_args(raw, kinds, today, rule)
        except PeriodOutOfRange as error:
            await reply(update, context, period_out_of_range(tr, error))
            return
        found = await find_or_default(session, actor, unit_text)
    unit = found.unit
    if found.choices:
        await reply(update, context, which_unit(tr, unit_text, found, "/export"))
        return
    if unit is None:
        text = tr._(
            "I found no unit “{text}” among yours. Try its code or part of its name, e.g. /export quý này Cầu Bâm."
        ).format(text=quote(unit_text))
        await reply(update, context, text)
        return
    if not actor.can_admin(unit):
        await reply(
            update,
            context,
            tr._("You can export figures only for the units you lead."),
        )
        return
    period = period or period_containing(today, "month", rule)
    await reply(
        update,
        context,
        tr._(
            "Preparing the spreadsheet of <b>{unit}</b> for {period}… I will send it here when it is ready."
        ).format(unit=esc(unit.name), period=esc(period.label(tr.locale))),
    )
    jobs = export_jobs(context.application)
    jobs.start(context.application, update, _build_and_send(update, context, jobs, unit, period))


async def _build_and_send(
    update: Update, context: AppContext, jobs: ExportJobs, unit: Unit, period: Period
) -> None:
    """Build the workbook off the loop, then upload it (outside any transaction)."""
    tr = context.tr
    chat = update.effective_chat
    assert chat is not None
    async with jobs.slot():
        with tempfile.TemporaryDirectory(prefix="phoihop-export-") as folder:
            path = Path(folder) / "export.xlsx"
            try:
                summary = await _build(context, jobs, unit, period, path)
            except ExportError as error:
                log.info("export of unit %s refused: %s", unit.id, error.code)
                await reply(
                    update,
                    context,
                    tr._("You can export figures only for the units you lead."),
                )
                return
            await _send(context, chat.id, summary, path)


async def _build(
    context: AppContext, jobs: ExportJobs, unit: Unit, period: Period, path: Path
) -> ExportSummary:
    """The workbook, built in the export process (bot/export_worker.py says why); in a thread
    of this process when a test holds the build half-way (``jobs.progress``)."""
    services = context.services
    args = (services.db.url, context.actor, unit.id, period, str(path))
    if jobs.progress is not None:
        return await export_domain.export_in_thread(
            *args, tr=context.tr, tz=services.settings.tz, progress=jobs.progress
        )
    return await export_worker.export_in_process(
        *args, locale=context.tr.locale, tz=services.settings.tz
    )


async def _send(context: AppContext, chat_id: int, summary: ExportSummary, path: Path) -> None:
    tr = context.tr
    caption = tr._(
        "<b>{unit}</b> — {period} ({range}): {entries} entries, {answers} report answers, {attendees} meeting replies, {petitions} recommendations."
    ).format(
        unit=esc(summary.unit.name),
        period=esc(summary.period.label(tr.locale)),
        range=summary.period.range_label(tr.locale),
        entries=summary.entries,
        answers=summary.answers,
        attendees=summary.attendees,
        petitions=summary.petitions,
    )
    with path.open("rb") as handle:
        await render.send_document(
            context.bot, chat_id, handle, filename=summary.filename, caption=caption
        )
