"""/totals [indicator] [period] [unit]: totals over a subtree, by child unit (or by organisation with
"theo tổ chức" / "by org"). Arguments are tolerant of order, case and diacritics
(``bot/totals_args.py``); a part not understood is named. The answer carries buttons
(``handlers/totals_view.py``) that edit it in place: period, by unit / by organisation, a
sub-unit, the unit above, the next page; each press is checked again on the server."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup, Update

from bot import petition_stats
from bot import totals as totals_domain
from bot.access import Actor
from bot.activities import Kind, catalog_kinds, offered_kinds
from bot.date_window import year_within
from bot.i18n import N_, Translator
from bot.parsing import ascii_int
from bot.periods import Period, PeriodOutOfRange, Rule, period_containing
from bot.totals import TotalsError
from bot.totals_args import TotalsArgs, petition_words, read_args
from bot.unit_search import UnitSearch
from handlers.access_rules import ANY_CHAT, Who, rule
from handlers.common import NOT_MEMBER, answer, edit, esc, reply
from handlers.context import AppContext
from handlers.dashboard_button import with_dashboard
from handlers.petitions.totals import petition_buttons, render_petitions
from handlers.router import quote
from handlers.totals_view import PETITIONS, View, render_view
from storage.queries import units as units_q
from storage.text import nfc

NOT_FOUND = N_(
    "I found no unit “{text}” among yours. Try its code or part of its name, e.g. /totals quý này Cầu Bâm."
)
FORBIDDEN = N_("You can see totals only for your own unit and the units you lead.")
BAD_PERIOD = N_(
    "I did not understand the period “{text}”. Try e.g. tháng này, quý này, quý trước, năm nay, quý 3/2026, tháng 11/2026 or năm 2026."
)
BAD_TYPE = N_(
    "There is no activity type “{text}”. Type its name (e.g. /totals nhà đại đoàn kết) or leave it out for every type."
)
WHICH_TYPE = N_("Which activity type do you mean by “{text}”? Send /totals again with its key:")
STALE = N_("This button is no longer active.")


def parse_args(
    text: str, kinds: list[Kind], today: date, rule: Rule
) -> tuple[str | None, Period | None, str, bool]:
    """(indicator key, period, unit text, by organisation), as /export reads its arguments; a
    period outside the years kept raises ``PeriodOutOfRange`` (the caller says so)."""
    args = read_args(text, kinds, today, rule)
    return args.type_key, args.period, args.unit_text, args.by_org


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
    refusals=(NOT_FOUND, FORBIDDEN),
)
async def totals_command(update: Update, context: AppContext) -> None:
    tr = context.tr
    actor = context.actor
    services = context.services
    raw = nfc(" ".join(context.args or []))  # also drops NUL, which PostgreSQL refuses
    rule = services.settings.period_rule
    today = services.today()
    markup: InlineKeyboardMarkup | None = None
    rest = petition_words(raw)  # /totals kiến nghị …: recommendations, not activities
    if rest is not None:
        raw = rest
    async with services.db.session() as session:
        kinds = await offered_kinds(session, actor.person.id)
        try:
            args = read_args(raw, kinds, today, rule)
        except PeriodOutOfRange as error:
            await reply(update, context, period_out_of_range(tr, error))
            return
        found = await _find(session, actor, args)
        if found.choices:
            text = which_unit(tr, args.unit_text, found, "/totals")
        elif found.unit is None:
            text = _not_understood(tr, args)
        elif args.type_choices and rest is None:
            text = _which_type(tr, args)
        else:
            period = args.period or period_containing(today, "month", rule)
            what = PETITIONS if rest is not None else args.type_key
            view = View(found.unit.id, period, what, args.by_org and rest is None)
            try:
                text, markup = await _show(
                    session, actor, tr, view, today, rule, services.settings.tz
                )
            except TotalsError:
                text = tr._(FORBIDDEN)
    await reply(update, context, text, reply_markup=with_dashboard(update, context, markup))


async def _find(session: AsyncSession, actor: Actor, args: TotalsArgs) -> UnitSearch:
    """The unit the words name; words taken for a type's name count as the unit's name when
    only that way a unit is found ("Tổ hòa giải" is a unit's name, not the type)."""
    found = await find_or_default(session, actor, args.unit_text)
    if found.unit is None and not found.choices and args.unit_text_with_type is not None:
        again = await find_or_default(session, actor, args.unit_text_with_type)
        if again.unit is not None or again.choices:
            args.type_key, args.type_choices = None, []
            args.unit_text = args.unit_text_with_type
            return again
    return found


def _not_understood(tr: Translator, args: TotalsArgs) -> str:
    """No unit has these words: name the part that was not understood."""
    if args.bad_period:
        return tr._(BAD_PERIOD).format(text=quote(args.bad_period))
    if args.bad_type:
        return tr._(BAD_TYPE).format(text=quote(args.bad_type))
    return tr._(NOT_FOUND).format(text=quote(args.unit_text))


def _which_type(tr: Translator, args: TotalsArgs) -> str:
    lines = [tr._(WHICH_TYPE).format(text=quote(args.type_words))]
    lines += [f"• {esc(k.name(tr.locale))} — <code>{esc(k.key)}</code>" for k in args.type_choices]
    lines.append(
        tr._("For example: {example}").format(
            example=f"<code>/totals {esc(args.type_choices[0].key)}</code>"
        )
    )
    return "\n".join(lines)


async def _show(
    session: AsyncSession,
    actor: Actor,
    tr: Translator,
    view: View,
    today: date,
    rule: Rule,
    tz: ZoneInfo,
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The view's text and buttons; ``TotalsError`` when the person may not see its unit."""
    unit = await units_q.get(session, view.unit_id)
    if unit is None:
        raise TotalsError("forbidden")
    if view.type_key == PETITIONS:
        if not totals_domain.may_see(actor, unit):
            raise TotalsError("forbidden")
        counted = await petition_stats.totals(
            session, unit, view.period.start, view.period.end, today, tz
        )
        return render_petitions(tr, counted, unit.name, view), petition_buttons(
            tr, view, today, rule
        )
    result = await totals_domain.compute(
        session,
        actor,
        unit,
        view.period,
        type_key=view.type_key,
        by_org=view.by_org,
        ranked=True,
    )
    return render_view(tr, result, view, today, rule)


@rule(
    Who.MEMBER,
    ANY_CHAT,
    scoped=True,
    why="a totals view of a unit in the presser's subtree, checked again at every press",
    not_allowed=NOT_MEMBER,
    refusals=(STALE, FORBIDDEN),
)
async def totals_button(update: Update, context: AppContext) -> None:
    """A /totals button: show the view its data names in place of the message, if the person
    pressing may see that unit (a forged unit of another commune gets an alert)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    tr = context.tr
    services = context.services
    today = services.today()
    rule = services.settings.period_rule
    async with services.db.session() as session:
        view = await _view_of(session, query.data, today)
        if view is None:
            await answer(update, tr._(STALE), alert=True)
            return
        try:
            text, markup = await _show(
                session, context.actor, tr, view, today, rule, services.settings.tz
            )
        except TotalsError:
            await answer(update, tr._(FORBIDDEN), alert=True)
            return
        await answer(update)
        await edit(update, text, with_dashboard(update, context, markup))


async def _view_of(session: AsyncSession, data: str, today: date) -> View | None:
    """The view in a button's data, or None when the data is not one the bot makes."""
    parts = data.split(":")
    if len(parts) != 6 or parts[0] != "tot" or parts[4] not in ("u", "o"):
        return None
    unit_id, page = ascii_int(parts[1]), ascii_int(parts[5], max_digits=4)
    try:
        period = Period.from_key(parts[2])
    except ValueError:
        return None
    if unit_id is None or page is None or not year_within(period.year, today):
        return None
    type_key = None if parts[3] == "-" else parts[3]
    if type_key == PETITIONS:
        return View(unit_id, period, PETITIONS)
    if type_key is not None and type_key not in {k.key for k in await catalog_kinds(session)}:
        return None
    return View(unit_id, period, type_key, parts[4] == "o", page)


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
