"""/totals [indicator] [period] [unit]: totals over a subtree, by child unit (or by organisation with
"theo tổ chức" / "by org"). Arguments are tolerant of order, case and diacritics."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from bot import totals as totals_domain
from bot.access import Actor
from bot.activities import Kind, from_milli, offered_kinds
from bot.i18n import N_, Translator
from bot.periods import Period, PeriodOutOfRange, parse_period, period_containing
from bot.totals import Cells, Totals, TotalsError
from bot.unit_search import UnitSearch
from handlers.access_rules import ANY_CHAT, Who, rule
from handlers.common import NOT_MEMBER, esc, reply
from handlers.context import AppContext
from handlers.entry_cards import show_value
from handlers.router import quote
from storage.text import fold, nfc

LIMIT = 3900
BY_ORG = ("theo to chuc", "by org", "theo_to_chuc", "by_org", "to chuc", "org")


def parse_args(
    text: str, kinds: list[Kind], today: object, rule: str
) -> tuple[str | None, Period | None, str, bool]:
    """Split free text into (indicator key, period, unit text, by organisation); a period outside
    the years kept raises ``PeriodOutOfRange`` (the caller says so)."""
    folded = " ".join(fold(text).split())
    by_org = False
    for marker in BY_ORG:
        if marker in folded:
            by_org = True
            folded = folded.replace(marker, " ")
    tokens = folded.split()
    # The period first: "quy 4" must not be read as the indicator quy_vi_nguoi_ngheo.
    period = None
    for size in range(min(len(tokens), 6), 0, -1):
        found = next(
            (
                start
                for start in range(len(tokens) - size + 1)
                if _period(" ".join(tokens[start : start + size]), today, rule)
            ),
            None,
        )
        if found is not None:
            period = _period(" ".join(tokens[found : found + size]), today, rule)
            del tokens[found : found + size]
            break
    type_key = None
    for i, token in enumerate(tokens):
        key = token.replace("-", "_")
        exact = [k.key for k in kinds if k.key == key]
        prefixed = [k.key for k in kinds if k.key.startswith(key)] if len(key) >= 3 else []
        match = exact or (prefixed if len(prefixed) == 1 else [])
        if match:
            type_key = match[0]
            tokens.pop(i)
            break
    return type_key, period, " ".join(tokens), by_org


def _period(text: str, today: object, rule: str) -> Period | None:
    """The period these words name, or None; a period outside the years kept raises
    ``PeriodOutOfRange``, whose reason the person is told (not "no unit called năm 9999")."""
    try:
        return parse_period(text, today, rule)  # type: ignore[arg-type]
    except PeriodOutOfRange:
        raise
    except ValueError:
        return None


def period_out_of_range(tr: Translator, error: PeriodOutOfRange) -> str:
    return tr._("I keep figures for the years {first} to {last}; {year} is outside them.").format(
        first=error.first, last=error.last, year=error.year
    )


@rule(
    Who.MEMBER,
    ANY_CHAT,
    scoped=True,
    why="totals of a unit in the member's subtree",
    not_allowed=NOT_MEMBER,
    refusals=(
        N_(
            "I found no unit “{text}” among yours. Try its code or part of its name, e.g. /totals quý này Cầu Bâm."
        ),
        N_("You can see totals only for your own unit and the units you lead."),
    ),
)
async def totals_command(update: Update, context: AppContext) -> None:
    tr = context.tr
    actor = context.actor
    services = context.services
    raw = nfc(" ".join(context.args or []))  # also drops NUL, which PostgreSQL refuses
    rule = services.settings.period_rule
    today = context.services.today()
    async with services.db.session() as session:
        kinds = await offered_kinds(session, actor.person.id)
        try:
            type_key, period, unit_text, by_org = parse_args(raw, kinds, today, rule)
        except PeriodOutOfRange as error:
            await reply(update, context, period_out_of_range(tr, error))
            return
        found = await find_or_default(session, actor, unit_text)
        unit = found.unit
        if found.choices:
            text, result = which_unit(tr, unit_text, found, "/totals"), None
        elif unit is None:
            text = tr._(
                "I found no unit “{text}” among yours. Try its code or part of its name, e.g. /totals quý này Cầu Bâm."
            ).format(text=quote(unit_text))
            result = None
        else:
            try:
                result = await totals_domain.compute(
                    session,
                    actor,
                    unit,
                    period or period_containing(today, "month", rule),
                    type_key=type_key,
                    by_org=by_org,
                )
                text = ""
            except TotalsError:
                result, text = (
                    None,
                    tr._("You can see totals only for your own unit and the units you lead."),
                )
    if result is None:
        await reply(update, context, text)
        return
    for chunk in render(tr, result, by_org):
        await reply(update, context, chunk)


async def find_or_default(session: AsyncSession, actor: Actor, unit_text: str) -> UnitSearch:
    """The unit named in a command's arguments, or the person's own when none is named."""
    if unit_text:
        return await totals_domain.find_unit(session, actor, unit_text)
    return UnitSearch(unit=totals_domain.default_unit(actor))


def which_unit(tr: Translator, unit_text: str, found: UnitSearch, command: str) -> str:
    """Ask which of the candidates was meant rather than guess (bot/unit_search.py)."""
    lines = [
        tr._("Which unit do you mean by “{text}”? Send {command} again with its code:").format(
            text=quote(unit_text), command=command
        )
    ]
    lines += [f"• {esc(u.name)} — <code>{esc(u.code)}</code>" for u in found.choices]
    more = found.matched - len(found.choices)
    if more > 0:
        lines.append(tr._("… and {count} more: type more of the name.").format(count=more))
    lines.append(
        tr._("For example: {example}").format(
            example=f"<code>{esc(command)} {esc(found.choices[0].code)}</code>"
        )
    )
    return "\n".join(lines)


def _line(tr: Translator, kinds: list[Kind], cells: Cells) -> list[str]:
    lines = []
    for kind in kinds:
        parts = []
        for m in kind.measures:
            value = cells.get((kind.key, m.key))
            if not value:
                continue
            amount = from_milli(value)
            shown = show_value(tr, m, amount, exact=False)
            parts.append(f"{esc(m.label(tr.locale))} {shown}")
        if parts:
            lines.append(f"{esc(kind.name(tr.locale))}: " + " · ".join(parts))
    return lines


def render(tr: Translator, result: Totals, by_org: bool) -> list[str]:
    """The answer, split into messages under Telegram's 4,096 characters."""
    head = tr._("<b>Totals: {unit}</b> — {period} ({range})").format(
        unit=esc(result.unit.name),
        period=esc(result.period.label(tr.locale)),
        range=result.period.range_label(tr.locale),
    )
    body = _line(tr, result.kinds, result.total)
    if not body:
        return [head + "\n" + tr._("No activity was logged in this period.")]
    lines = [head, *body, ""]
    lines.append(tr._("By organisation:") if by_org else tr._("By unit:"))
    for label_vi, label_en, cells in result.rows:
        row = _line(tr, result.kinds, cells)
        label = label_vi if tr.locale == "vi" else label_en
        lines.append(f"<b>{esc(label)}</b>\n  " + "\n  ".join(row))
    chunks, current = [], ""
    for line in lines:
        if len(current) + len(line) + 1 > LIMIT:
            chunks.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    chunks.append(current)
    return chunks
