"""Writing amounts the way cadres read them: the locale's own number and money formats
(``format_amount``, which ``bot.parsing.parse_amount`` reads back) and sums in words the way
official prose writes them (``money_words``: ``68 tỷ đồng``, ``1,4 tỷ đồng``)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from functools import lru_cache
from typing import Final

from babel.numbers import format_currency, format_decimal

from bot.parsing import Kind

__all__ = ["format_amount", "money_text", "money_words"]

_WORD_UNITS: Final[dict[str, tuple[tuple[int, str], ...]]] = {
    "vi": ((9, "tỷ"), (6, "triệu"), (3, "nghìn")),
    "en": ((9, "billion"), (6, "million"), (3, "thousand")),
}
_HUNDREDTH: Final = Decimal("0.01")


def _language(locale: str) -> str:
    """``vi`` for any Vietnamese locale (``vi``, ``vi_VN``, ``vi-VN``), else ``en``."""
    return "vi" if locale.replace("-", "_").split("_")[0].lower() == "vi" else "en"


def _in_words_unit(magnitude: Decimal, units: tuple[tuple[int, str], ...]) -> tuple[Decimal, str]:
    """The rounded number and unit word for ``money_words``, choosing the unit after rounding.

    Choosing on the rounded value is what sends 999 999 999 to ``1 tỷ`` instead of ``1.000 triệu``.
    """
    with localcontext(Context(prec=max(28, magnitude.adjusted() + 8))):
        for exponent, word in units:
            shown = magnitude.scaleb(-exponent).quantize(_HUNDREDTH, rounding=ROUND_HALF_UP)
            if shown >= 1:
                return shown, word
        return magnitude.quantize(_HUNDREDTH, rounding=ROUND_HALF_UP), ""


def money_words(amount: int | Decimal, locale: str) -> str:
    """A sum the way official prose writes it: ``68 tỷ đồng``, ``1,4 tỷ đồng``, ``950 đồng``.

    The largest of tỷ / triệu / nghìn that keeps the number at least 1, with at most two decimals
    (half-up) and no trailing zeros; the rounding is for reading only, the stored amount is exact.
    Rounding that reaches 1 000 of a unit moves to the next unit (999 999 999 -> ``1 tỷ đồng``).
    English keeps the word ``đồng``, as English-language Vietnamese documents do.
    """
    value = Decimal(amount)
    if not value.is_finite():
        raise ValueError(f"not a finite amount: {amount!r}")
    shown, word = _in_words_unit(abs(value), _WORD_UNITS[_language(locale)])
    if not shown:
        shown = Decimal(0)
    elif value < 0:
        shown = -shown
    number = format_decimal(shown, format="#,##0.##", locale=locale)
    return f"{number} {word} đồng" if word else f"{number} đồng"


def money_text(amount: int | Decimal, locale: str, *, exact: bool = False) -> str:
    """Money as every screen shows it (PRODUCT §9): ``money_words`` (``1,4 tỷ đồng``,
    ``120 triệu đồng``). ``exact`` is for a sum a person typed (an entry, a report's answer):
    when the words round it, the exact figure follows, ``1,23 triệu đồng (1.234.567 đồng)``, so
    a typo stays visible. Totals and digests round; exports keep exact numbers."""
    words = money_words(amount, locale)
    if not exact:
        return words
    value = Decimal(amount)
    if _words_value(value, locale) == value:
        return words
    return f"{words} ({format_decimal(value, format='#,##0.###', locale=locale)} đồng)"


def _words_value(value: Decimal, locale: str) -> Decimal:
    """The amount ``money_words`` shows, as a number (to tell whether it rounded)."""
    units = _WORD_UNITS[_language(locale)]
    exponents = {word: exponent for exponent, word in units}
    shown, word = _in_words_unit(abs(value), units)
    result = shown.scaleb(exponents[word]) if word else shown
    return -result if value < 0 else result


def format_amount(value: Decimal, kind: Kind, locale: str) -> str:
    """A stored value as the user's locale displays it, in a form :func:`parse_amount` reads back.

    Money uses the locale's currency format (``68.000.000.000 ₫`` / ``₫68,000,000,000``); counts
    and decimals use plain grouped numbers, decimals with up to three places (storage precision).
    Remembered for the most recent values: Babel takes tens of microseconds a number, and cards,
    digests and totals show the same small numbers over and over. Babel rounds to the pattern, so
    equal values (``2`` and ``2.0``) format alike and may share an entry.
    """
    if not value.is_finite():
        return _format_amount(value, kind, locale)
    return _remembered_amount(value, kind, locale)


def _format_amount(value: Decimal, kind: Kind, locale: str) -> str:
    if kind == "money":
        return format_currency(value, "VND", locale=locale)
    if kind == "count":
        return format_decimal(value, locale=locale)
    if kind == "decimal":
        return format_decimal(value, format="#,##0.###", locale=locale)
    raise ValueError(f"unknown amount kind {kind!r}")


_remembered_amount = lru_cache(maxsize=8192)(_format_amount)
