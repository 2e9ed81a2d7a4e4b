"""Reading the numbers and dates cadres type (``bot.amount_display`` writes amounts back in the forms
this module reads).

Cadres type on cheap phones, in Vietnamese habits: ``68.000.000.000``, ``68 tỷ``, ``1,4 tỷ``,
``3tr5``, ``2 căn``, ``hôm qua``, ``16/11``. The parser accepts every reasonable form and refuses
the rest with a :class:`ParseError` whose ``code`` the bot translates into a reason the user can act
on; this module never produces user-facing prose for errors.

Conventions and the ambiguity decisions behind them (tests pin each one):

* **Vietnamese first.** In Vietnamese the dot groups thousands and the comma is the decimal mark,
  so ``1.500`` is one thousand five hundred and ``1,5`` is one and a half. A single dot followed by
  exactly three digits (``1.500``, ``1.500 tỷ``) is therefore a thousands separator; a single dot
  followed by any other number of digits (``1.5``, ``2.25``, ``1234.5``) can only be a decimal
  point (English habit) and is read as one. ``0.500`` is a decimal too: grouped numbers never start
  with a zero group.
* **A single comma is a decimal comma** (``1,5``, ``1,4 tỷ``, ``1,500 tỷ`` = 1,5 tỷ). Two or more
  commas between groups of exactly three digits (``68,000,000,000``) can only be English thousands
  separators, and both marks together (``1.234,5`` / ``1,234.5``) mean the last one is the decimal.
* **The lone ``2,500`` is ambiguous** (Vietnamese 2,5 or English 2 500). For a count or a sum of
  money neither reading is safe to guess - a wrong guess is a silent 1000x error in a report - and
  the Vietnamese reading has a fraction, so it is refused as ``"fraction"`` (the message can say
  "write 2.500 or 2500"). This holds even for ``2,000``, which would "resolve" to 2 but is almost
  always an English-style two thousand. For ``"decimal"`` it is 2,5: that is how the Vietnamese
  display (``format_amount``) writes decimals, so it must read back.
* **English markers** resolve that ambiguity the other way: a leading ``₫``/``VND`` (Babel's English
  money format, ``₫2,500``) or an English multiplier word (``thousand``/``million``/``billion``, as
  written by ``money_words(..., "en")``) make a single comma followed by three digits a thousands
  separator. So both display forms round-trip; English *counts* from 1 000 to 999 999 (``1,045``)
  do not, and are refused as ``"fraction"`` rather than misread.
* **Multipliers** ``k``/``nghìn``/``ngàn``/``thousand`` = 10^3, ``tr``/``triệu``/``million`` = 10^6,
  ``tỷ``/``tỉ``/``billion`` = 10^9, matched case- and diacritic-insensitively (``ty``, ``trieu``). The
  single letter ``m`` (10^6) and the slang ``tỏi`` (10^9) and ``củ`` (10^6) count only for money: for
  counts and decimals ``m`` is far more likely metres, and slang nouns are ordinary words there.
* **Compounds** are read as spoken: ``1 tỷ 200 triệu``, ``2 triệu 500 nghìn`` (strictly decreasing
  units, each part a whole number smaller than one of the unit before). A compound starts with a
  whole number (``1,5 tỷ 200 triệu`` is refused).
* **Colloquial tails** ``3tr5``, ``1 tỷ 2``, ``2k5`` are accepted: one to three bare digits after the
  last unit are the leading digits of the next place down, as speakers mean them (``3tr5`` =
  3 triệu 500 nghìn, ``1 tỷ 2`` = 1 tỷ 200 triệu, ``1 tỷ 25`` = 1 tỷ 250 triệu).
* **Spaces** (including U+00A0 and U+202F, which Babel and phones insert) group thousands only
  between groups of exactly three digits after a first group of one to three (``68 000 000 000``);
  any other loose numbers (``1 2 3``) are refused - they look like a list, not an amount.
* **Money forms are not counts.** For a count or a decimal, a currency word or sign (``đ``,
  ``đồng``, ``₫``, ``VND``) or a multiplier written only for money (``tr``, ``tỷ``/``tỉ``) is
  ``"money_form"``: ``20tr vụ`` typed for a number of cases is a slip, not 20 million cases.
  Spelled-out ``triệu``/``nghìn``/``k`` still multiply counts (``2 triệu người``).
* **Unit words** after a count or decimal (``2 căn``, ``3 mô hình``, ``1,5 ha``) are dropped when
  separated by a space and made of letters only; glued letters (``12a``) are refused. Money accepts
  only currency words (``đ``, ``₫``, ``đồng``, ``dong``, ``d``, ``VND``, ``VNĐ``).
* **Signs.** A leading ``+`` is ignored; ``-``, ``−``, ``–`` or ``âm`` before a number is
  ``"negative"`` (even when the rest would also be refused for another reason: the sign is the
  more useful thing to tell). ``-0`` is simply 0.
* **Robustness.** Input is NFC-normalised, full-width digits and punctuation are folded to ASCII,
  format characters (RTL marks, zero-width spaces) and control characters are dropped. Other
  scripts' digits are refused. Input longer than 512 characters is never parsed: it is
  ``"too_large"`` when mostly digits and ``"not_a_number"`` otherwise, and no integer is ever built
  from more than 16 significant digits, so absurd input costs nothing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Context, Decimal, localcontext
from typing import Final, Literal

from storage.text import fold

__all__ = [
    "ERROR_CODES",
    "MAX_VALUE",
    "Kind",
    "ParseError",
    "ascii_int",
    "clean_input",
    "parse_amount",
]

Kind = Literal["count", "money", "decimal"]

#: Every ``ParseError.code``; the bot keeps one translated reason per code.
ERROR_CODES: Final = frozenset(
    {
        "empty",
        "negative",
        "not_a_number",
        "fraction",
        "too_many_decimals",
        "too_large",
        "money_form",
        "bad_date",
        "future_date",
        "past_date",
        "out_of_range",
    }
)

#: Anything above is absurd ("too_large"): 10.000 tỷ đồng, or ten million million people, in one
#: entry. Values are stored in thousandths in a BIGINT and summed by the database, whose integers
#: stop at 2^63 (≈ 9.2 × 10^18): SQLite then turns a sum into an inexact float, PostgreSQL fails.
#: At 10^15 (the first limit) nine entries overflowed a rollup cell; at 10^13 a hundred entries at
#: the maximum fit in the cells' own limit (``storage.queries.rollup.SUM_LIMIT_MILLI``, which
#: refuses the entry that would pass it). A per-measure "are you sure?" ceiling is applied
#: elsewhere.
MAX_VALUE: Decimal = Decimal(10) ** 13


class ParseError(ValueError):
    """Why some text is not an acceptable amount or date: a code the bot translates, and the text.

    A ``ValueError`` so generic handlers treat it as bad input; the code (not a message) so the
    reason is shown in the user's language by the caller, which owns the translations.
    """

    code: str
    text: str

    def __init__(self, code: str, text: str) -> None:
        if code not in ERROR_CODES:
            raise ValueError(f"unknown ParseError code {code!r}")
        super().__init__(code, text)
        self.code = code
        self.text = text

    def __str__(self) -> str:
        return f"{self.code}: {self.text!r}"


# --------------------------------------------------------------------------------------------------
# Text clean-up shared by amounts and dates
# --------------------------------------------------------------------------------------------------

#: Longer input is refused without being parsed (no one types a 512-character number).
_MAX_INPUT: Final = 512
#: 10^13 has 14 digits; more significant integer digits than this are too large whatever follows
#: (a cheap guard before any arithmetic; the exact limit is ``MAX_VALUE``).
_MAX_INT_DIGITS: Final = 16
#: Decimals beyond 3 (storage precision) + 9 (largest multiplier) can never resolve.
_MAX_FRAC_DIGITS: Final = 12
#: Exact arithmetic for every number the grammar admits (at most ~40 significant digits).
_EXACT: Final = Context(prec=80)

#: Full-width forms that phone keyboards in CJK or "wide" mode produce.
_FOLD: Final[dict[int, str]] = {0xFF10 + i: str(i) for i in range(10)} | {
    0xFF0B: "+",
    0xFF0C: ",",
    0xFF0D: "-",
    0xFF0E: ".",
    0xFF0F: "/",
    0x3000: " ",
}


def clean_input(text: str) -> str:
    """NFC, ASCII digits, one plain space for any run of spaces, no invisible characters, lower case.

    Decomposed Vietnamese (``tỷ`` typed as ``y`` + two combining marks) must match the composed
    words; no-break and thin spaces are spaces; RTL marks and zero-width characters that keyboards
    and copy-paste slip in carry no meaning for a number.
    """
    text = unicodedata.normalize("NFC", text.translate(_FOLD))
    kept: list[str] = []
    for ch in text:
        if ch.isspace():
            kept.append(" ")
        elif unicodedata.category(ch) not in ("Cc", "Cf"):
            kept.append(ch)
    return " ".join("".join(kept).split()).lower()


# --------------------------------------------------------------------------------------------------
# Amounts
# --------------------------------------------------------------------------------------------------

_KINDS: Final = frozenset({"count", "money", "decimal"})

#: Multipliers (powers of ten), looked up on the diacritic-free word.
_MULTIPLIERS: Final[dict[str, int]] = {
    "k": 3,
    "nghin": 3,
    "ngan": 3,
    "thousand": 3,
    "tr": 6,
    "trieu": 6,
    "million": 6,
    "ty": 9,
    "ti": 9,
    "billion": 9,
}
#: Money only, folded: ``m`` is metres as often as millions outside money.
_MONEY_MULTIPLIERS: Final[dict[str, int]] = {"m": 6}
#: Money only, exact spelling: the folded forms (``toi``, ``cu``) are common unrelated words.
_MONEY_SLANG: Final[dict[str, int]] = {"tỏi": 9, "củ": 6}
#: Words that only an English writer uses: they make ``1,234`` a thousands group.
_ENGLISH_WORDS: Final = frozenset({"thousand", "million", "billion"})
#: Currency words (folded) and the symbol, accepted after a sum of money.
_CURRENCY_WORDS: Final = frozenset({"d", "dong", "vnd"})
_CURRENCY_SYMBOL: Final = "₫"

_TOKEN: Final = re.compile(
    r"(?P<num>[0-9](?:[0-9.,]| (?=[0-9]{3}(?![0-9])))*)"  # digits, marks, spaces before 3-groups
    r"|(?P<word>[^\W\d_]+)"  # letters (any script; lookups decide)
    r"|(?P<sym>₫)"
    r"|(?P<space> )"
)
_NEGATIVE: Final = re.compile(r"(?:[-−–—﹣]|âm(?![^\W\d_])|am(?![^\W\d_])) ?")
_PLAIN: Final = re.compile(r"[0-9]+")
_SPACED: Final = re.compile(r"([1-9][0-9]{0,2}(?: [0-9]{3})+)(?:[.,]([0-9]+))?")
_MARKED: Final = re.compile(r"[0-9]+(?:[.,][0-9]+)+")
_GROUPED: Final = {
    sep: re.compile(rf"[1-9][0-9]{{0,2}}(?:{re.escape(sep)}[0-9]{{3}})+") for sep in ".,"
}


@dataclass(frozen=True, slots=True)
class _Token:
    """One piece of an amount: a number, a word or the ₫ sign, and whether a space preceded it."""

    kind: Literal["num", "word", "sym"]
    text: str
    spaced: bool


@dataclass(frozen=True, slots=True)
class _Number:
    """A number token split into integer and fraction digits (no separators).

    ``ambiguous`` marks the lone ``a,bbb`` form, which is Vietnamese a,bbb or English a bbb.
    """

    whole: str
    fraction: str
    ambiguous: bool = False


def parse_amount(text: str, kind: Kind) -> Decimal:
    """The non-negative amount in ``text``, or a :class:`ParseError` saying why there is none.

    Count and money give an integral Decimal with exponent 0; decimal gives at most three places,
    without trailing zeros. Only ``ParseError`` escapes, whatever ``text`` is (the caller shows
    its code to the user). See the module docstring for the accepted forms and their reasons.
    """
    if kind not in _KINDS:
        raise ValueError(f"unknown amount kind {kind!r}")
    if not isinstance(text, str):
        raise ParseError("not_a_number", repr(text))
    if len(text) > _MAX_INPUT:
        folded = text.translate(_FOLD)
        digits = sum(folded.count(d) for d in "0123456789")
        raise ParseError("too_large" if digits * 2 > len(text) else "not_a_number", text)
    cleaned = clean_input(text)
    if not cleaned:
        raise ParseError("empty", text)
    if cleaned.startswith("+"):
        cleaned = cleaned[1:].lstrip()
    sign = _NEGATIVE.match(cleaned)
    if sign is None:
        return _parse_unsigned(cleaned, kind, text)
    try:
        value = _parse_unsigned(cleaned[sign.end() :], kind, text)
    except ParseError as error:
        if error.code in ("fraction", "too_many_decimals", "too_large"):
            raise ParseError("negative", text) from None
        raise ParseError("not_a_number", text) from None
    if value:
        raise ParseError("negative", text)
    return value


def _tokenize(cleaned: str, text: str) -> list[_Token]:
    """Split cleaned text into numbers, words and ₫; anything else is not part of an amount."""
    tokens: list[_Token] = []
    pos = 0
    spaced = False
    while pos < len(cleaned):
        match = _TOKEN.match(cleaned, pos)
        if match is None:
            raise ParseError("not_a_number", text)
        pos = match.end()
        group = match.lastgroup
        if group == "space":
            spaced = True
            continue
        if group == "num":
            tokens.append(_Token("num", match.group(), spaced))
        elif group == "word":
            tokens.append(_Token("word", match.group(), spaced))
        else:
            tokens.append(_Token("sym", match.group(), spaced))
        spaced = False
    return tokens


def _multiplier(token: _Token, kind: Kind) -> int | None:
    """The power of ten a word stands for, or None when it is not a multiplier for this kind."""
    if token.kind != "word":
        return None
    folded = fold(token.text)
    if folded in _MULTIPLIERS:
        return _MULTIPLIERS[folded]
    if kind == "money":
        if folded in _MONEY_MULTIPLIERS:
            return _MONEY_MULTIPLIERS[folded]
        return _MONEY_SLANG.get(token.text)
    return None


#: Written only for sums of money: the short "tr" (a count of millions is "triệu") and tỷ/tỉ.
_MONEY_ONLY_WORDS: Final = frozenset({"tr", "ty", "ti"})


def _is_money_form(token: _Token) -> bool:
    """A currency word or sign, or a multiplier only money is written with (``20tr``, ``1 tỷ``):
    refused for a count or a decimal as ``"money_form"``, not read as millions of cases."""
    if _is_currency(token):
        return True
    return token.kind == "word" and fold(token.text) in _MONEY_ONLY_WORDS


def _is_currency(token: _Token) -> bool:
    """``₫`` or a word for the đồng (``đ``, ``đồng``, ``VND``, with or without diacritics)."""
    if token.kind == "sym":
        return True
    return token.kind == "word" and fold(token.text) in _CURRENCY_WORDS


def _parse_unsigned(cleaned: str, kind: Kind, text: str) -> Decimal:
    """Apply the amount grammar to sign-free cleaned text (see the module docstring)."""
    tokens = _tokenize(cleaned, text)
    english = False
    if kind == "money" and tokens and _is_currency(tokens[0]):
        # ₫68,000 / VND 68,000 is how English writers (and Babel's "en" format) put it.
        english = tokens[0].kind == "sym" or fold(tokens[0].text) == "vnd"
        if not english:
            raise ParseError("not_a_number", text)
        tokens = tokens[1:]
    elif kind == "money" and tokens and _is_currency(tokens[-1]):
        tokens = tokens[:-1]
    elif kind != "money":
        if any(_is_money_form(t) for t in tokens):
            raise ParseError("money_form", text)  # "20tr vụ" for a count of cases
        while (
            len(tokens) > 1
            and tokens[-1].kind == "word"
            and tokens[-1].spaced
            and _multiplier(tokens[-1], kind) is None
        ):
            tokens.pop()  # unit words: "2 căn", "3 mô hình"
    if not tokens or tokens[0].kind != "num":
        raise ParseError("not_a_number", text)
    english = english or any(t.kind == "word" and fold(t.text) in _ENGLISH_WORDS for t in tokens)
    first = _split_number(tokens[0].text, english, text)
    with localcontext(_EXACT):
        value = _to_decimal(first, kind, text)
        if len(tokens) == 1:
            if first.ambiguous and kind != "decimal":
                raise ParseError("fraction", text)
        else:
            value = _apply_units(value, first, tokens[1:], kind, text)
        return _finish(value, kind, text)


def _split_number(token: str, english: bool, text: str) -> _Number:
    """Separate integer and fraction digits of one number token, deciding what each mark means."""
    if _PLAIN.fullmatch(token):
        return _Number(token, "")
    if " " in token:
        spaced = _SPACED.fullmatch(token)
        if spaced is None:
            raise ParseError("not_a_number", text)
        return _Number(spaced.group(1).replace(" ", ""), spaced.group(2) or "")
    if not _MARKED.fullmatch(token):
        raise ParseError("not_a_number", text)  # 1..2, 5., 1,,000
    dots, commas = token.count("."), token.count(",")
    if dots and commas:
        decimal_mark = "." if token.rfind(".") > token.rfind(",") else ","
        group_mark = "," if decimal_mark == "." else "."
        head, _, fraction = token.rpartition(decimal_mark)
        if not _GROUPED[group_mark].fullmatch(head):
            raise ParseError("not_a_number", text)  # 1,2.3 or 1.5.000,2
        return _Number(head.replace(group_mark, ""), fraction)
    mark = "." if dots else ","
    if dots + commas > 1:
        if not _GROUPED[mark].fullmatch(token):
            raise ParseError("not_a_number", text)  # 1,2,3 or 1.23.456
        return _Number(token.replace(mark, ""), "")
    head, _, tail = token.partition(mark)
    groups_like = len(tail) == 3 and len(head) <= 3 and not head.startswith("0")
    if groups_like and (mark == "." or english):
        return _Number(head + tail, "")
    return _Number(head, tail, ambiguous=groups_like)


def _to_decimal(number: _Number, kind: Kind, text: str) -> Decimal:
    """The exact value of a split number, refusing absurd sizes before building anything big."""
    whole = number.whole.lstrip("0")
    fraction = number.fraction.rstrip("0")
    if len(whole) > _MAX_INT_DIGITS:
        raise ParseError("too_large", text)
    if len(fraction) > _MAX_FRAC_DIGITS:
        raise ParseError("too_many_decimals" if kind == "decimal" else "fraction", text)
    return Decimal(f"{whole or '0'}.{fraction or '0'}")


def _apply_units(
    value: Decimal, first: _Number, rest: list[_Token], kind: Kind, text: str
) -> Decimal:
    """Multiply by the first unit, then add compound parts and a colloquial tail (``3tr5``)."""
    unit = _multiplier(rest[0], kind)
    if unit is None:
        raise ParseError("not_a_number", text)  # 1 2 3, 12a, 5 tỷ tỷ
    total = value * Decimal(10**unit)
    index = 1
    while index < len(rest):
        part = rest[index]
        if part.kind != "num" or not _PLAIN.fullmatch(part.text) or first.fraction.strip("0"):
            raise ParseError("not_a_number", text)
        digits = part.text.lstrip("0") or "0"
        if index + 1 == len(rest):
            # Colloquial tail: "3tr5" = 3,5 triệu, "1 tỷ 25" = 1,25 tỷ (leading digits of the rest).
            if len(part.text) > 3:
                raise ParseError("not_a_number", text)
            total += Decimal(int(digits) * 10**unit).scaleb(-len(part.text))
            break
        smaller = _multiplier(rest[index + 1], kind)
        if smaller is None or smaller >= unit or len(digits) > unit - smaller:
            raise ParseError("not_a_number", text)  # 1 tỷ 1500 triệu, 2 nghìn 3 triệu
        total += Decimal(int(digits) * 10**smaller)
        unit = smaller
        index += 2
    return total


def _finish(value: Decimal, kind: Kind, text: str) -> Decimal:
    """Range and precision checks, then the canonical form callers store and compare."""
    if value > MAX_VALUE:
        raise ParseError("too_large", text)
    integral = value == value.to_integral_value()
    if integral:
        return value.quantize(Decimal(1))
    if kind != "decimal":
        raise ParseError("fraction", text)
    normal = value.normalize()
    exponent = normal.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -3:
        raise ParseError("too_many_decimals", text)
    return normal


def ascii_int(text: str, max_digits: int = 18) -> int | None:
    """A whole number written in ASCII digits only, or None.

    ``str.isdigit`` accepts "²" (which ``int`` then refuses: a crash) and ``int`` accepts "٣" and
    other scripts' digits: neither is what a cadre means by a number here. Full-width digits
    (phone keyboards in "wide" mode) are folded to ASCII first, as amounts do. ``max_digits``
    keeps the value inside a 64-bit integer column."""
    stripped = text.translate(_FOLD).strip()
    if not stripped or len(stripped) > max_digits or not stripped.isascii():
        return None
    return int(stripped) if stripped.isdigit() else None
