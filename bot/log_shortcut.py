"""The one-line /log shortcut, read: ``nha_dai_doan_ket 2 120tr "thôn 3"`` is an activity code
(or an unambiguous start of one), numbers in the order of the activity's measures, money written
the way cadres write it (120tr, 1,5 tỷ), an optional date, and an optional note between quotes.

Quotes hold the note, and only the note: a quoted part that is nothing but a number or a sum of
money (``"120tr"``, ``"1,5 tỷ"``, ``"2"``) is read as a number in its place, since cadres quote
sums to keep "1,5 tỷ" together; any other quoted text is the note, and there is one note at most.
A money form given where the activity counts things (``hoa_giai 20tr``) is refused as such.

Pure functions over the catalog's ``Kind``: what the words mean is the domain's business, the
replies to what cannot be read are the handler's (handlers/log_save.py).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from bot.activities import Kind, Measure
from bot.date_parsing import parse_date
from bot.parsing import ParseError, parse_amount
from storage.text import fold

#: A number followed by a money multiplier or currency word (on folded text): "120tr", "1,5 ty".
MONEY_WORD = re.compile(r"\d\s*(k|nghin|ngan|tr|trieu|m|ty|ti|toi|d|dong|vnd)\b")
QUOTED = re.compile(r"[\"“”](.*?)[\"“”]", re.S)


class UnclosedQuote(ValueError):
    """A quote opens a note that never closes: the words after it cannot be told from the note."""


class TwoNotes(ValueError):
    """Two quoted parts that are not numbers: which one is the note cannot be told."""


def is_amount(text: str) -> bool:
    """Nothing but a number or a sum of money (a quoted "120tr" is a value, not a note). One
    too large or negative counts too: the shortcut then says what is wrong with it."""
    try:
        parse_amount(text, "money")
    except ParseError as exc:
        return exc.code in SAID
    return True


def split_note(text: str) -> tuple[list[str], str | None]:
    """The words of a shortcut and its note (the quoted part, straight or curly quotes); a quoted
    number or sum stays a word, in its place."""
    words: list[str] = []
    note: str | None = None
    position = 0
    for match in QUOTED.finditer(text):
        words.extend(text[position : match.start()].split())
        position = match.end()
        quoted = match.group(1).strip()
        if quoted and is_amount(quoted):
            words.append(quoted)
        elif note is not None:
            raise TwoNotes(text)
        else:
            note = quoted
    rest = text[position:]
    if '"' in rest or "“" in rest or "”" in rest:
        raise UnclosedQuote(text)
    return [*words, *rest.split()], note


def find_kind(kinds: list[Kind], token: str) -> Kind | None:
    wanted = fold(token).replace("-", "_")
    if not wanted:
        return None
    exact = [k for k in kinds if k.key == wanted]
    if exact:
        return exact[0]
    prefixed = [k for k in kinds if k.key.startswith(wanted)]
    return prefixed[0] if len(prefixed) == 1 else None


#: The most words a type's name is typed in at the start of a shortcut ("nhà đại đoàn kết").
MAX_NAME_WORDS = 8
_WORD = re.compile(r"[a-z0-9]+")


def _name_words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def lead_kind(kinds: list[Kind], tokens: list[str]) -> tuple[Kind | None, int]:
    """The activity a shortcut starts with, and how many of its tokens name it: its code (or an
    unambiguous start of one, ``find_kind``) or its name typed as words, with or without
    diacritics ("/log hòa giải 2", "/log nha dai doan ket 2 120tr"): cadres type what they say,
    and the code is the name folded. The longest leading run of words without a digit that is a
    code, a code's unambiguous start, or the start of exactly one type's Vietnamese or English
    name (two words at least, or the whole name) wins."""
    run = 0
    while run < min(len(tokens), MAX_NAME_WORDS) and not any(c.isdigit() for c in tokens[run]):
        run += 1
    names = [(k, _name_words(k.name_vi), _name_words(k.name_en)) for k in kinds]
    for size in range(run, 0, -1):
        kind = find_kind(kinds, "_".join(tokens[:size]))
        if kind is not None:
            return kind, size
        words = _name_words(" ".join(tokens[:size]))
        fits = [
            k
            for k, vi, en in names
            if words
            and any(
                name[: len(words)] == words and (len(words) >= 2 or name == words)
                for name in (vi, en)
            )
        ]
        if len(fits) == 1:
            return fits[0], size
    return None, 0


class AmountError(ValueError):
    """A number the shortcut cannot take for a reason worth saying ("far too large", "negative",
    a sum of money for a count), rather than its usage form: the cadre typed the right shape with
    a wrong value. ``measure`` is the measure it was meant for, when that is known."""

    def __init__(self, error: ParseError, is_money: bool, measure: Measure | None = None) -> None:
        super().__init__(error.text)
        self.error = error
        self.kind = "money" if is_money else "count"  # the example: 2, or 120tr
        self.measure = measure


#: Amount problems said as they are; any other unreadable token shows the usage form.
SAID = frozenset({"too_large", "negative", "money_form"})


def assign(kind: Kind, tokens: list[str], today: date) -> tuple[dict[str, Decimal], date]:
    """Numbers fill the count/decimal measures in order and money-looking ones the money measures;
    plain numbers left over go to money. A date-looking token sets the date. Missing measures are 0.
    A date that cannot be used raises its ``ParseError``, an amount too large or negative, or a
    sum of money for an activity that has no money measure, ``AmountError``; anything else a
    plain ``ValueError``."""
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
        if is_money and not any(m.kind == "money" for m in kind.measures):
            # "hoa_giai 20tr": the activity counts things; 20 million cases is a slip.
            counted = next((m for m in kind.measures if m.kind != "money"), None)
            raise AmountError(ParseError("money_form", token), False, counted)
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
