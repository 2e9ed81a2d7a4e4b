"""/digest: preview the weekly digest now: the current week so far (Monday to today), against the
same weekdays of the week before (like with like: not a part of a week against a whole one).

In a linked group, for the leaders of the linked unit (or of a unit above it), in the group's
language; in a private chat, for a leader's own unit. The answer is sent directly, not queued.
"""

from __future__ import annotations

from telegram import InputFile, Update

from bot import digests
from bot.digest_charts import ChartStore
from bot.i18n import N_
from handlers import render
from handlers.access_rules import ANY_CHAT, Who, rule
from handlers.common import reply
from handlers.context import AppContext
from handlers.digest_notices import build
from storage.queries import chats as chats_q
from storage.queries import units as units_q


@rule(
    Who.ADMIN,
    ANY_CHAT,
    scoped=True,
    why="the linked unit's digest (group) or the leader's unit (private)",
    refusals=(
        N_("Only the leaders of the linked unit can do this."),
        N_("This group is not linked to any unit."),
        N_("Only unit leaders can preview the digest."),
    ),
)
async def digest_command(update: Update, context: AppContext) -> None:
    chat = update.effective_chat
    assert chat is not None
    actor = context.actor
    tr = context.tr
    services = context.services
    # The week so far (Monday to today), compared with the same weekdays of the week before.
    today = context.services.today()
    start, end = digests.week_of(today)[0], today
    async with services.db.session() as session:
        if chat.type in ("group", "supergroup"):
            linked = await chats_q.get(session, chat.id)
            unit = (
                await units_q.get(session, linked.unit_id)
                if linked is not None and linked.active
                else None
            )
            if linked is None or unit is None:
                refusal = tr._("This group is not linked to any unit.")
            elif not actor.can_admin(unit):
                refusal = tr._("Only the leaders of the linked unit can do this.")
            else:
                refusal = None
                tr = services.i18n.translator(linked.language)
        else:
            leading = sorted((r.unit for r in actor.admin_roles()), key=lambda u: len(u.path))
            unit = leading[0] if leading else None
            refusal = (
                None if unit is not None else tr._("Only unit leaders can preview the digest.")
            )
        data = (
            await digests.digest_data(
                session, unit, start, end, services.clock.now(), tz=services.settings.tz
            )
            if refusal is None and unit is not None
            else None
        )
    if data is None:
        await reply(update, context, refusal or "")
        return
    notice = await build(tr, data, ChartStore(services.db, services.clock))
    if notice.document is None:
        await reply(update, context, notice.text)
        return
    name, png = notice.document
    await render.send_document(
        context.bot,
        chat.id,
        InputFile(png, filename=name),
        caption=notice.text,
        photo=render.photo_fits(png),
        filename=name,
    )
