"""How an activity entry and the problems with one are shown: the entry card, a value with its
unit, and the answers to a number, date or note that cannot be used. The /log flow, /mine, /totals,
/report and the digest notices all show entries the same way, so the texts live here once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from bot import activities as acts
from bot.activities import Kind, Measure
from bot.amount_display import format_amount, money_text
from bot.date_window import FIRST_DAY
from bot.i18n import Translator
from bot.locks import Lock
from bot.names import name_of
from bot.parsing import ParseError
from bot.periods import heading
from handlers.common import esc, quote


def show_value(tr: Translator, measure: Measure, value: Decimal, *, exact: bool = True) -> str:
    """A measure's value with its unit: ``2 căn``, money in words (``120 triệu đồng``, the one
    money form of every screen, ``bot.amount_display.money_text``). ``exact``: a value a person
    typed (an entry) shows its exact figure too when the words round it; totals pass False."""
    if measure.kind == "money":
        return money_text(value, tr.locale, exact=exact)
    text = format_amount(value, measure.kind, tr.locale)  # type: ignore[arg-type]
    unit = measure.unit(tr.locale, value)
    return f"{text} {unit}" if unit else text


def figure(
    tr: Translator, kind: Kind, measure: Measure, value: Decimal, *, exact: bool = False
) -> str:
    """One measure's figure in a line of totals or of /mine: "4 buổi", "102 lượt người", "2 mô hình".

    The unit says what was counted, so the label is left out ("Số buổi 4 buổi" said it twice),
    except where the unit cannot tell: money ("Số tiền vận động 120 triệu đồng"), a measure with
    no unit, or several measures of the type counted in the same unit ("Xây mới 2 căn, Sửa chữa
    1 căn"). The result is HTML-escaped. ``exact`` as in ``show_value``: an entry a person typed
    (/mine) keeps its exact sum beside the words; totals do not.
    """
    label = esc(measure.label(tr.locale))
    if measure.kind == "money":
        return f"{label} {esc(show_value(tr, measure, value, exact=exact))}"
    unit = measure.unit(tr.locale)
    shared = any(o.key != measure.key and o.unit(tr.locale) == unit for o in kind.measures)
    shown = esc(show_value(tr, measure, value))
    return f"{label} {shown}" if not unit or shared else shown


def measure_prompt_label(tr: Translator, measure: Measure) -> str:
    """A measure's name as a question asks it: "Số buổi?", not "Số buổi (buổi)?"; the unit is
    added only where the label does not already say it ("Số tiền vận động (đồng)")."""
    label = measure.label(tr.locale)
    unit = measure.unit(tr.locale)
    if not unit or unit.casefold() in label.casefold():
        return esc(label)
    return f"{esc(label)} ({esc(unit)})"


def card(
    tr: Translator,
    kind: Kind,
    unit_name: str,
    values: dict[str, Decimal],
    occurred_on: date | None,
    note: str | None,
    photo: bool,
) -> str:
    lines = [f"<b>{esc(kind.name(tr.locale))}</b> — {esc(unit_name)}"]
    for m in kind.measures:
        if m.key in values:
            lines.append(f"{esc(m.label(tr.locale))}: {show_value(tr, m, values[m.key])}")
    if occurred_on is not None:
        lines.append(tr._("Date: {date}").format(date=tr.day(occurred_on)))
    if note:
        lines.append(tr._("Note: {note}").format(note=esc(note)))
    if photo:
        lines.append(tr._("Photo: attached"))
    return "\n".join(lines)


def note_too_long(tr: Translator, length: int) -> str:
    return tr._(
        "A note can be at most {max} characters; yours has {count}. Shorten it and send it again."
    ).format(max=tr.number(acts.MAX_NOTE), count=tr.number(length))


def example(tr: Translator, kind: str) -> str:
    return {"money": tr._("120tr, 1,5 tỷ or 68.000.000"), "decimal": "1,5"}.get(kind, "2")


def parse_problem(tr: Translator, error: ParseError, kind: str, label: str) -> str:
    ex = example(tr, kind)
    messages = {
        "empty": tr._("Please type a number, for example {example}."),
        "negative": tr._("Numbers cannot be negative. Type for example {example}."),
        "fraction": tr._("{label} must be a whole number. Type for example {example}."),
        "too_many_decimals": tr._("At most 3 decimal places, for example {example}."),
        "too_large": tr._("That number is far too large. Check it and type for example {example}."),
        "money_form": tr._(
            "“{text}” is a sum of money, but {label} is a number, not money. Type just the number, for example {example}."
        ),
    }
    default = tr._("“{text}” is not a number. Type for example {example}.")
    return messages.get(error.code, default).format(
        example=ex, label=esc(label), text=quote(error.text)
    )


def date_problem(tr: Translator, error: ParseError, today: date) -> str:
    if error.code == "future_date":
        return tr._("“{text}” is in the future. Log an activity once it has taken place.").format(
            text=quote(error.text)
        )
    if error.code == "out_of_range":
        return tr._(
            "“{text}” is before {first}: check the year. Type the date as dd/mm/yyyy, for example {example}."
        ).format(text=quote(error.text), first=tr.day(FIRST_DAY), example=tr.day(today))
    return tr._(
        "“{text}” is not a date. Type it as dd/mm/yyyy, for example {example}, or press a button."
    ).format(text=quote(error.text), example=tr.day(today))


def entry_problem(tr: Translator, code: str) -> str:
    return {
        "locked": tr._(
            "The report for this period has been approved, so entries in it can no longer change."
        ),
        "all_zero": tr._("An entry needs at least one number above 0. Type the numbers again."),
        "forbidden": tr._("You can only change entries of your own units."),
        "not_found": tr._("This entry no longer exists."),
        "bad_date": tr._(
            "The date of this entry is before {first} or too many years ahead. Give the date again."
        ).format(first=tr.day(FIRST_DAY)),
        "too_large": tr._(
            "With these numbers a total would grow too large to be added up exactly. Check the numbers."
        ),
    }.get(code, tr._("This entry cannot be changed."))


def ceiling_question(tr: Translator, measure: Measure, value: Decimal) -> str:
    """The "are you sure?" of a value above its measure's ceiling (``acts.above_ceiling``), asked
    the same way by the guided /log, the shortcut and an edit in /mine."""
    return tr._("{value} for “{label}” is unusually large. Is it right?").format(
        value=show_value(tr, measure, value), label=esc(measure.label(tr.locale))
    )


def lock_scope(tr: Translator, lock: Lock) -> str:
    """What a lock covers, in words: the unit, its organisation's units under it, the dates."""
    organisation = lock.unit.org
    if lock.organisation is not None:
        organisation = lock.organisation.name_vi if tr.locale == "vi" else lock.organisation.name_en
    return tr._(
        "the activity log of {unit} and the {organisation} units under it, from {start} to {end}"
    ).format(
        organisation=esc(organisation),
        unit=esc(lock.unit.name),
        start=tr.day(lock.starts_on),
        end=tr.day(lock.ends_on),
    )


def lock_reason(tr: Translator, lock: Lock) -> str:
    """Why a day cannot take entries: which report locked it, who approved it and when."""
    scope = lock_scope(tr, lock)
    if lock.template is None or lock.period is None:
        return tr._("This period is locked: {scope}.").format(scope=scope)
    what = heading(lock.template.title(tr.locale), lock.period.label(tr.locale))
    if lock.approver is None or lock.approved_at is None:
        return tr._("“{report}” of {unit} was approved, which locked {scope}.").format(
            report=esc(what), unit=esc(lock.unit.name), scope=scope
        )
    return tr._(
        "“{report}” of {unit} was approved by {name} on {date}, which locked {scope}. Ask them to reopen it if an entry is missing."
    ).format(
        report=esc(what),
        unit=esc(lock.unit.name),
        name=esc(name_of(lock.approver)),
        date=tr.day(lock.approved_at),
        scope=scope,
    )


def locked_day(tr: Translator, day: date, lock: Lock) -> str:
    """A date refused because an approved report locks it, with the report and what to do."""
    return (
        tr._("Entries dated {date} cannot be added for this unit now.").format(date=tr.day(day))
        + "\n"
        + lock_reason(tr, lock)
        + "\n"
        + tr._("Type another date, or /cancel (the entry is kept).")
    )
