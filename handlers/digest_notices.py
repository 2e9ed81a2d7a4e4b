"""The digest notice (PRODUCT §6): queued by ``bot/digests.py`` for linked groups, rendered at send
time in the group's language, with a chart image when the period has entries, shown inline (a
photo, not a file to open). The same rendering
serves the /digest preview.

The chart is usually drawn already (``bot/digest_charts.py``: ahead of the slot, or for another
chat showing the same figures); it is looked up by the hash of the figures computed here, so a
late entry means a new chart, drawn now. The notice names the chart's key so that the sender can
send Telegram's ``file_id`` of an earlier upload instead of the bytes."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot import digests
from bot.activities import from_milli
from bot.digest_charts import ChartStore, chart_spec, range_label
from bot.i18n import Translator
from bot.notifications import Notice
from bot.periods import Period, heading
from bot.services import Services
from handlers.common import esc
from handlers.entry_cards import figure
from handlers.notices import register
from handlers.petitions.digest_lines import digest_lines
from handlers.text_limits import fits
from storage.queries import chats as chats_q
from storage.queries import units as units_q

#: A photo's caption: Telegram's limit.
CAPTION = 1024
#: A plain message (no chart): well under Telegram's 4,096.
MESSAGE = 3900
FILENAME = "tong-hop.png"
MISSING_SHOWN = 4
MEETINGS_SHOWN = 3


def change(tr: Translator, now: int, before: int) -> str:
    """▲/▼ and the percentage against the previous period."""
    if before == 0:
        return "▲ " + tr._("new") if now else ""
    percent = round((now - before) * 100 / before)
    if percent > 0:
        return f"▲ {tr.number(percent)}%"
    if percent < 0:
        return f"▼ {tr.number(-percent)}%"
    return tr._("unchanged")


def _kind_lines(tr: Translator, data: digests.DigestData) -> list[str]:
    lines = []
    for kind in data.kinds:
        parts = []
        for m in kind.measures:
            value = data.total.get((kind.key, m.key))
            if not value:
                continue
            delta = change(tr, value, data.previous.get((kind.key, m.key), 0))
            parts.append(f"{figure(tr, kind, m, from_milli(value))} ({delta})")
        if parts:
            lines.append(f"• {esc(kind.name(tr.locale))}: " + ", ".join(parts))
    return lines


def _tail(tr: Translator, data: digests.DigestData) -> list[str]:
    lines = digest_lines(tr, data.petitions)
    if data.top:
        lines.append(
            tr._("Most active: {units}").format(
                units=", ".join(f"{esc(name)} ({tr.number(n)})" for name, n in data.top)
            )
        )
    if data.rounds:
        lines.append(tr._("<b>Open report rounds</b>"))
        for r in data.rounds:
            title = r.title_vi if tr.locale == "vi" else r.title_en
            # One heading as every report screen writes it ("Báo cáo công tác Mặt trận Quý IV/2026",
            # not "… quý — Quý IV/2026"), and "hạn nộp" as reminders say it (issue 16 §5).
            named = heading(title, Period.from_key(r.period_key).label(tr.locale))
            head = tr._("{report}, due {deadline}").format(
                report=esc(named), deadline=tr.moment(r.deadline)
            )
            if r.missing:
                names = ", ".join(esc(n) for n in r.missing[:MISSING_SHOWN])
                if len(r.missing) > MISSING_SHOWN:
                    names += f" (+{len(r.missing) - MISSING_SHOWN})"
                lines.append("• " + head + ": " + tr._("still missing {units}").format(units=names))
            else:
                lines.append("• " + head + ": " + tr._("every unit has reported"))
    if data.meetings:
        lines.append(tr._("<b>Meetings in the next 7 days</b>"))
        for m in data.meetings[:MEETINGS_SHOWN]:
            place = f" ({esc(m.place)})" if m.place else ""
            lines.append(f"• {tr.moment(m.starts_at)} — {esc(m.title)}{place}")
        if len(data.meetings) > MEETINGS_SHOWN:
            lines.append(
                tr._("… and {n} more: /meetings").format(
                    n=tr.number(len(data.meetings) - MEETINGS_SHOWN)
                )
            )
    return lines


def render(tr: Translator, data: digests.DigestData, limit: int) -> str:
    """The digest text, at most ``limit`` characters as Telegram counts them
    (``text_limits.fits``): indicator lines, then the tail, are left out when needed."""
    title = (
        tr._("<b>Weekly digest: {unit}</b>")
        if data.cadence == "w"
        else tr._("<b>Monthly digest: {unit}</b>")
    ).format(unit=esc(data.unit.name))
    head = [f"{title}\n{range_label(tr, data.start, data.end)}"]
    if data.empty:
        head.append(tr._("No activity was logged in this period."))
        kinds: list[str] = []
    else:
        head.append(
            tr._("Activities logged: {n} ({change} on the previous period)").format(
                n=tr.number(data.entries),
                change=change(tr, data.entries, data.previous_entries),
            )
        )
        if data.partial_week and data.previous_start and data.previous_end:
            head.append(
                tr._(
                    "The week so far, compared with the same days of the week before ({days})."
                ).format(days=range_label(tr, data.previous_start, data.previous_end))
            )
        kinds = _kind_lines(tr, data)
    tail = _tail(tr, data)
    hidden = 0

    def text() -> str:
        more = (
            [tr._("… and {n} more indicators: /totals").format(n=tr.number(hidden))]
            if hidden
            else []
        )
        return "\n".join([*head, *kinds, *more, *(["", *tail] if tail else [])])

    while not fits(text(), limit) and kinds:
        kinds.pop()
        hidden += 1
    while not fits(text(), limit) and tail:
        tail.pop()
    # Still too long (a very long unit name): the sender moves the rest after the chart.
    return text()


async def build(tr: Translator, data: digests.DigestData, charts: ChartStore) -> Notice:
    """Text, plus the chart (stored, or drawn off the event loop) when the period has entries."""
    if data.empty:
        return Notice(render(tr, data, MESSAGE))
    spec = chart_spec(tr, data)
    png = await charts.png(spec)
    return Notice(
        render(tr, data, CAPTION), document=(FILENAME, png), document_key=spec.key, photo=True
    )


async def digest(
    services: Services, tr: Translator, params: dict[str, Any], chat_id: int
) -> Notice | None:
    async with services.db.session() as session:
        chat = await chats_q.get(session, chat_id)
        if chat is None or not chat.active:
            return None  # unlinked meanwhile
        unit = await units_q.get(session, chat.unit_id)
        if unit is None:
            return None
        data = await digests.digest_data(
            session,
            unit,
            date.fromisoformat(str(params["start"])),
            date.fromisoformat(str(params["end"])),
            services.clock.now(),
            cadence=str(params.get("cadence", "w")),
            tz=services.settings.tz,
        )
    return await build(tr, data, ChartStore(services.db, services.clock))


def register_renderers() -> None:
    """Called by the composition root: the outbox kind queued by ``bot/digests.py``."""
    register("digest", digest)
