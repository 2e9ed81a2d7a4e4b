"""The one-line /log shortcut, read: ``nha_dai_doan_ket 2 120tr "thôn 3"`` is an activity code
(or an unambiguous start of one), numbers in the order of the activity's measures, money written
the way cadres write it (120tr, 1,5 tỷ), an optional date, and an optional note between quotes.

Pure functions over the catalog's ``Kind``: what the words mean is the domain's business, the
replies to what cannot be read are the handler's (handlers/log_save.py).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from bot.activities import Kind
from bot.parsing import ParseError, parse_amount, parse_date
from storage.text import fold

#: A number followed by a money multiplier or currency word (on folded text): "120tr", "1,5 ty".
MONEY_WORD = re.compile(r"\d\s*(k|nghin|ngan|tr|trieu|m|ty|ti|toi|d|dong|vnd)\b")
QUOTED = re.compile(r"[\"“”](.*?)[\"“”]", re.S)


class UnclosedQuote(ValueError):
    """A quote opens a note that never closes: the words after it cannot be told from the note."""


def split_note(text: str) -> tuple[list[str], str | None]:
    """The words of a shortcut and its note (the first quoted part, straight or curly quotes)."""
    note_match = QUOTED.search(text)
    note = note_match.group(1).strip() if note_match else None
    rest = QUOTED.sub(" ", text) if note_match else text
    if '"' in rest or "“" in rest or "”" in rest:
        raise UnclosedQuote(text)
    return rest.split(), note


def find_kind(kinds: list[Kind], token: str) -> Kind | None:
    wanted = fold(token).replace("-", "_")
    if not wanted:
        return None
    exact = [k for k in kinds if k.key == wanted]
    if exact:
        return exact[0]
    prefixed = [k for k in kinds if k.key.startswith(wanted)]
    return prefixed[0] if len(prefixed) == 1 else None


class AmountError(ValueError):
    """A number the shortcut cannot take for a reason worth saying ("far too large", "negative"),
    rather than its usage form: the cadre typed the right shape with a wrong value."""

    def __init__(self, error: ParseError, is_money: bool) -> None:
        super().__init__(error.text)
        self.error = error
        self.kind = "money" if is_money else "count"  # the example: 2, or 120tr


#: Amount problems said as they are; any other unreadable token shows the usage form.
SAID = frozenset({"too_large", "negative"})


def assign(kind: Kind, tokens: list[str], today: date) -> tuple[dict[str, Decimal], date]:
    """Numbers fill the count/decimal measures in order and money-looking ones the money measures;
    plain numbers left over go to money. A date-looking token sets the date. Missing measures are 0.
    A date that cannot be used raises its ``ParseError``, an amount too large or negative
    ``AmountError``; anything else a plain ``ValueError``."""
    tokens = join_words(tokens)
    day = today
    money_like: list[Decimal] = []
    plain: list[Decimal] = []
    for token in tokens:
        if "/" in token or fold(token) in {"hom_nay", "hom_qua", "hom_kia", "today", "yesterday"}:
            # A ParseError (a ValueError) keeps its code: the date's own reason is worth saying.
            day = parse_date(token.replace("_", " "), today)
            continue
        is_money = bool(MONEY_WORD.search(fold(token))) or "₫" in token
        try:
            value = parse_amount(token, "money" if is_money else "decimal")
        except ParseError as exc:
            if exc.code in SAID:
                raise AmountError(exc, is_money) from exc
            raise ValueError(token) from exc
        (money_like if is_money else plain).append(value)
    values: dict[str, Decimal] = {}
    for m in kind.measures:
        if m.kind == "money" and money_like:
            values[m.key] = money_like.pop(0)
        elif m.kind != "money" and plain:
            values[m.key] = plain.pop(0)
    for m in kind.measures:
        if m.key not in values and m.kind == "money" and plain:
            values[m.key] = plain.pop(0)
    if money_like or plain or not values:
        raise ValueError("numbers left over")
    for m in kind.measures:
        if (
            m.kind == "count"
            and values.get(m.key, Decimal(0)) != values.get(m.key, Decimal(0)).to_integral_value()
        ):
            raise ValueError("fraction")
        values.setdefault(m.key, Decimal(0))
    if not any(v > 0 for v in values.values()):
        raise ValueError("all zero")
    return values, day


def join_words(tokens: list[str]) -> list[str]:
    """ "hôm qua" arrives as two tokens; so does "1 tỷ" or "500 triệu"."""
    joined: list[str] = []
    for token in tokens:
        word = fold(token)
        if joined and fold(joined[-1]) == "hom" and word in {"nay", "qua", "kia"}:
            joined[-1] = f"{joined[-1]}_{token}"
        elif (
            joined
            and word != "hom"
            and re.fullmatch(r"[a-z]+", word)
            and re.search(r"\d$", joined[-1])
        ):
            joined[-1] = f"{joined[-1]} {token}"
        else:
            joined.append(token)
    return joined
