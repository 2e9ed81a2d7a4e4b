"""/export [period] [unit]: the unit's figures as an ``.xlsx`` file (PRODUCT §6).

Arguments are read like /totals (any order, tolerant of case and diacritics); the default is the
current month and the user's own unit. The workbook is built into a temporary file inside one
database session, which is closed before the upload starts.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from telegram import Update

from bot import export as export_domain
from bot import totals as totals_domain
from bot.activities import offered_kinds
from bot.export import ExportError, ExportSummary
from bot.i18n import N_
from bot.periods import period_containing
from handlers.access_rules import PRIVATE, Who, rule
from handlers.common import esc, reply, require_member
from handlers.context import AppContext
from handlers.router import quote
from handlers.totals import parse_args
from storage.text import nfc


@rule(
    Who.MEMBER,
    PRIVATE,
    scoped=True,
    why="a spreadsheet of a unit in the member's subtree",
    refusals=(
        N_("Ask for spreadsheets in a private chat with me, not in a group."),
        N_(
            "I found no unit “{text}” among yours. Try its code or part of its name, e.g. /export quý này Cầu Bâm."
        ),
        N_("You can export figures only for your own unit and the units you lead."),
    ),
)
async def export_command(update: Update, context: AppContext) -> None:
    tr = context.tr
    actor = context.actor
    chat = update.effective_chat
    assert chat is not None
    if chat.type != "private":
        await reply(
            update, context, tr._("Ask for spreadsheets in a private chat with me, not in a group.")
        )
        return
    if not await require_member(update, context):
        return
    services = context.services
    rule = services.settings.period_rule
    today = context.services.today()
    raw = nfc(" ".join(context.args or []))  # also drops NUL, which PostgreSQL refuses
    with tempfile.TemporaryDirectory(prefix="phoihop-export-") as folder:
        path = Path(folder) / "export.xlsx"
        summary: ExportSummary | None = None
        text = ""
        async with services.db.session() as session:
            kinds = await offered_kinds(session, actor.person.id)
            # An indicator or "by organisation" means nothing here: they stay part of the unit text.
            _type_key, period, unit_text, _by_org = parse_args(raw, kinds, today, rule)
            unit = (
                await totals_domain.find_unit(session, actor, unit_text)
                if unit_text
                else totals_domain.default_unit(actor)
            )
            if unit is None:
                text = tr._(
                    "I found no unit “{text}” among yours. Try its code or part of its name, e.g. /export quý này Cầu Bâm."
                ).format(text=quote(unit_text))
            else:
                try:
                    summary = await export_domain.build_export(
                        session,
                        actor,
                        unit,
                        period or period_containing(today, "month", rule),
                        str(path),
                        locale=tr.locale,
                        tr=tr,
                        tz=services.settings.tz,
                    )
                except ExportError:
                    text = tr._(
                        "You can export figures only for your own unit and the units you lead."
                    )
        if summary is None:
            await reply(update, context, text)
            return
        caption = tr._(
            "<b>{unit}</b> — {period} ({range}): {entries} entries, {answers} report answers, {attendees} meeting replies."
        ).format(
            unit=esc(summary.unit.name),
            period=esc(summary.period.label(tr.locale)),
            range=summary.period.range_label(tr.locale),
            entries=summary.entries,
            answers=summary.answers,
            attendees=summary.attendees,
        )
        with path.open("rb") as handle:
            await context.bot.send_document(
                chat.id, document=handle, filename=summary.filename, caption=caption
            )
