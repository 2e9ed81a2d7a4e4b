"""Reading a cadre's own sentence as activities (issue 18, PRODUCT §11): "thăm 5 hộ nghèo, tặng quà
2 triệu" is Support for poor households {households: 5, value: 2 000 000}.

Offline and pure: text and the catalog in, proposals out; no telegram, no database, no prose.
The words come from the catalog (``words`` per type and per measure), so a deployment that adds a
type teaches the reader too; what is grammar rather than vocabulary (dates, money, the numbers that
are no figures: "thôn 3", "năm 2026") is here. Everything is matched on folded text (``fold``):
cadres type with and without diacritics.

How a sentence is read, and why:

* **Precision over recall.** A wrong proposal costs more trust than none: a question ("?",
  "bao nhiêu", "mấy"), a plan ("mai", "sẽ", "dự kiến", "kế hoạch", "tuần sau", "đề nghị") or a
  day still to come gives nothing; a type is proposed only with at least one figure it counts.
* **Figures are numbers with their unit** ("12 hộ", "3 buổi", "200m2"), the unit right after the
  number, as cadres write them; a sum of money is read by ``bot.parsing.parse_amount`` ("1,4 tỷ",
  "3tr5", "4.500.000đ"). A bare number is no figure: it is a village, a year or a phone number.
* **A figure belongs to the nearest type that counts it**, a comma or a full stop between them
  counting as distance, so two activities in one line ("thăm 5 hộ nghèo tặng quà 2 triệu, hòa
  giải 1 vụ") give two proposals. A type named only as a beneficiary ("nhà Đại đoàn kết cho hộ
  nghèo") does not compete with the one that acts.
* **Measures that share a unit** (a house built or repaired, a letter received or forwarded) are
  told apart by the measure's own words nearest the figure in its clause ("sửa chữa 3 căn"); with
  none, the first measure of the catalog is meant (the common case: "xây" is often left out).
* **Per-unit sums** ("mỗi suất 500 nghìn", "300 nghìn/hộ") are not the entry's value; a "tổng"
  sum is preferred over another one; otherwise the first figure of a measure stands.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Final, Protocol

from bot.date_parsing import parse_date
from bot.parsing import ParseError, clean_input, parse_amount
from storage.text import fold

__all__ = ["Proposal", "Reader", "Reading"]


class _MeasureLike(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def words(self) -> tuple[str, ...]: ...


class _KindLike(Protocol):
    """``bot.activities.Kind`` (the running bot's catalog) or ``bot.catalog.TypeSpec`` (a file)."""

    @property
    def key(self) -> str: ...
    @property
    def retired(self) -> bool: ...
    @property
    def words(self) -> tuple[str, ...]: ...
    @property
    def measures(self) -> Sequence[_MeasureLike]: ...


@dataclass(frozen=True)
class Proposal:
    """One activity read from the text: what is missing is missing, never guessed."""

    type: str
    measures: dict[str, Decimal]
    date: date | None


@dataclass(frozen=True)
class Reading:
    text: str
    activities: tuple[Proposal, ...]
    #: The entry's note: the cadre's own words, kept whole.
    note: str


#: Tokens of folded text: numbers (with their dot/comma groups), runs of letters, clause marks.
_TOKEN: Final = re.compile(r"[0-9]+(?:[.,][0-9]+)*|[a-z]+|[,;.:!?/\-]")
#: Longer messages are reports or forwarded articles, not one entry; and the cost of placing
#: every figure grows with the square of a text's length, which no handler should pay.
MAX_TEXT: Final = 500
#: Where one clause ends: a figure rarely reaches across these to a type.
_CLAUSE: Final = frozenset({",", ";", ".", "va"})
_CLAUSE_COST: Final = 4
#: Words that make a sentence a question or a plan, on NFC lower-case text (diacritics matter:
#: "mai" is tomorrow, "mái" a roof); ``_BLOCK_ASCII`` applies when a text has no diacritics at all.
_BLOCK_WORDS: Final = (
    "mai",
    "sẽ",
    "sắp",
    "dự kiến",
    "kế hoạch",
    "tuần sau",
    "tháng sau",
    "năm sau",
    "tuần tới",
    "tháng tới",
    "bao nhiêu",
    "mấy",
    "bao giờ",
    "thế nào",
    "làm sao",
    "đề nghị",
    "cần",
)
_BLOCK: Final = re.compile(r"(?<!\w)(?:" + "|".join(_BLOCK_WORDS) + r")(?!\w)")
#: Without diacritics "cần" (need) is "căn" (a house) and "cận" (near-poor): not a marker there.
_BLOCK_ASCII: Final = re.compile(
    r"\b(?:" + "|".join(sorted({fold(w) for w in _BLOCK_WORDS} - {"can"})) + r")\b"
)
#: Two-word day names, folded ("hôm qua"; never "qua" alone: "tặng quà" folds to "tang qua").
_RELATIVE_DAYS: Final = {
    (first, second): ago
    for first in ("hom", "sang", "trua", "chieu", "toi", "dem")
    for second, ago in (("nay", 0), ("qua", 1))
} | {("hom", "kia"): 2}
#: Multipliers and currency words of money, folded (``bot.parsing`` reads the amount itself).
_MULTIPLIER: Final = frozenset({"ty", "ti", "trieu", "tr", "nghin", "ngan", "k"})
_CURRENCY: Final = frozenset({"d", "dong", "vnd"})
#: A number right after these is a place, a time or an ordinal, never a figure ("thôn 3").
_NOT_FIGURE_AFTER: Final = frozenset(
    [
        "thon",
        "to",
        "xom",
        "khu",
        "ap",
        "ban",
        "so",
        "phong",
        "nam",
        "quy",
        "thang",
        "ngay",
        "dot",
        "lan",
        "khoa",
        "luc",
        "tuan",
    ]
)
#: Words that start with a unit but are another word: "5 đơn vị" are five units, not letters.
_COMPOUNDS: Final = frozenset({("don", "vi")})
#: A number right before these is a time of day ("8h", "14 giờ").
_TIME_UNIT: Final = frozenset({"h", "gio", "phut"})


@dataclass
class _Value:
    start: int  # first token of the figure
    end: int  # one past its last token (its unit included)
    value: Decimal
    #: (type key, measure keys it may be) for a count; empty for money, which fits money measures.
    candidates: dict[str, tuple[str, ...]] = field(default_factory=dict)
    money: bool = False
    total: bool = False


@dataclass(frozen=True)
class _Type:
    key: str
    words: tuple[tuple[str, ...], ...]
    #: measure key → its folded words; kinds kept to route money and counts.
    measure_words: dict[str, tuple[tuple[str, ...], ...]]
    kinds: dict[str, str]
    #: measure key → the words of it no sibling shares ("sửa chữa" for repaired).
    own_words: dict[str, tuple[tuple[str, ...], ...]]


def _phrase(word: str) -> tuple[str, ...]:
    return tuple(_TOKEN.findall(fold(word).replace("²", "2")))


def _compiled(kind: _KindLike) -> _Type:
    """A type's words folded into token tuples, and its measures' own words found."""
    measure_words = {m.key: tuple(_phrase(w) for w in m.words) for m in kind.measures}
    own = {
        key: tuple(
            w
            for w in words
            if not any(w in other for k, other in measure_words.items() if k != key)
        )
        for key, words in measure_words.items()
    }
    kinds = {m.key: m.kind for m in kind.measures}
    return _Type(kind.key, tuple(_phrase(w) for w in kind.words), measure_words, kinds, own)


class Reader:
    """Built once per catalog (compiling the words takes longer than reading a line);
    ``read`` is then cheap: well under a millisecond a line (bench/free_text.py)."""

    def __init__(self, kinds: Iterable[_KindLike]) -> None:
        self.types = [_compiled(kind) for kind in kinds if not kind.retired and kind.words]
        self.by_key = {kind.key: kind for kind in self.types}
        # Phrases indexed by their first token: a line is matched word by word, not phrase by
        # phrase (the catalog has some 150 phrases, a line a dozen words).
        self.signals: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        self.units: dict[str, list[tuple[tuple[str, ...], str, str]]] = {}
        owners: dict[tuple[str, ...], set[str]] = {}
        for each in self.types:
            for phrase in each.words:
                if phrase:
                    self.signals.setdefault(phrase[0], []).append((phrase, each.key))
            for measure, words in each.measure_words.items():
                for phrase in words:
                    owners.setdefault(phrase, set()).add(each.key)
                    if phrase and each.kinds[measure] != "money":
                        self.units.setdefault(phrase[0], []).append((phrase, each.key, measure))
        # A unit only one type counts names that type after a number: "chuyển 1 đơn", "2 vụ".
        self.unit_signals: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for phrase, keys in owners.items():
            if len(keys) == 1 and phrase:
                self.unit_signals.setdefault(phrase[0], []).append((phrase, next(iter(keys))))

    def read(self, text: str, today: date) -> Reading:
        """The activities ``text`` reports, dated when it says when (else ``date`` is None)."""
        return Reading(text, tuple(self._activities(text, today)), text)

    def _activities(self, text: str, today: date) -> list[Proposal]:
        if len(text) > MAX_TEXT:
            return []
        cleaned = clean_input(text)
        if "?" in cleaned or "？" in cleaned or _BLOCK.search(cleaned):  # full-width too
            return []
        folded = fold(cleaned).replace("²", "2")
        if cleaned.isascii() and _BLOCK_ASCII.search(folded):
            return []
        tokens = _TOKEN.findall(folded)
        used = [False] * len(tokens)
        day, to_come = _find_date(tokens, used, today)
        if to_come:
            return []  # a day still to come: a plan, not an entry
        # "mỗi" (each) and "mới" (new) fold alike: "mỗi suất 500 nghìn" is per unit, "nông thôn
        # mới 45 triệu" is not; without diacritics "moi" just before the sum is read as "new".
        values = _find_money(tokens, used, "mỗi" in cleaned, cleaned.isascii())
        signals = self._find_signals(tokens, used)
        if not signals:
            return []
        values += self._find_counts(tokens, used, signals)
        found: dict[str, dict[str, _Value]] = {}
        for value in sorted(values, key=lambda v: v.start):
            placed = self._place(tokens, value, signals)
            if placed is None:
                continue
            type_key, measure_key = placed
            kept = found.setdefault(type_key, {})
            if measure_key not in kept or (value.total and not kept[measure_key].total):
                kept[measure_key] = value
        order = {key: start for start, _, key, _ in reversed(signals)}
        return [
            Proposal(key, {m: v.value for m, v in found[key].items()}, day)
            for key in sorted(found, key=lambda k: order[k])
        ]

    def _find_signals(
        self, tokens: list[str], used: list[bool]
    ) -> list[tuple[int, int, str, bool]]:
        """Type words in the text, longest first and never overlapping: (start, end, type,
        weak). "ngày hội Đại đoàn kết" is the Solidarity Day, not a Great Solidarity house."""
        matches: list[tuple[int, int, str]] = []
        for i, token in enumerate(tokens):
            for phrase, key in self.signals.get(token, ()):
                if _at(tokens, i, phrase):
                    matches.append((i, i + len(phrase), key))
            if token[0].isdigit() and not used[i] and i + 1 < len(tokens):
                for phrase, key in self.unit_signals.get(tokens[i + 1], ()):
                    if _unit_at(tokens, i + 1, phrase):
                        matches.append((i + 1, i + 1 + len(phrase), key))
        matches.sort(key=lambda m: (m[0] - m[1], m[0]))
        taken = list(used)
        signals: list[tuple[int, int, str, bool]] = []
        for start, end, key in matches:
            if any(taken[start:end]):
                continue
            for i in range(start, end):
                taken[i] = True
            weak = start > 0 and tokens[start - 1] == "cho"  # "... cho hộ nghèo": beneficiaries
            signals.append((start, end, key, weak))
        if any(not weak for *_, weak in signals):
            signals = [s for s in signals if not s[3]]
        return sorted(signals)

    def _find_counts(
        self, tokens: list[str], used: list[bool], signals: list[tuple[int, int, str, bool]]
    ) -> list[_Value]:
        """Numbers followed by a unit of a type the text names: "12 hộ cận nghèo", "200m2"."""
        present = {key for *_, key, _ in signals}
        in_signal = {i for start, end, *_ in signals for i in range(start, end)}
        values: list[_Value] = []
        for i, token in enumerate(tokens):
            if used[i] or i in in_signal or not token[0].isdigit() or i + 1 == len(tokens):
                continue
            if i > 0 and tokens[i - 1] in _NOT_FIGURE_AFTER:
                continue
            best = 0
            candidates: dict[str, tuple[str, ...]] = {}
            for phrase, key, measure in self.units.get(tokens[i + 1], ()):
                if key not in present or not _unit_at(tokens, i + 1, phrase):
                    continue
                if len(phrase) > best:
                    best, candidates = len(phrase), {}
                if len(phrase) == best and measure not in candidates.get(key, ()):
                    candidates[key] = (*candidates.get(key, ()), measure)
            if not best:
                continue
            decimal = any(
                self.by_key[key].kinds[m] == "decimal" for key, ms in candidates.items() for m in ms
            )
            try:
                number = parse_amount(token, "decimal" if decimal else "count")
            except ParseError:
                continue
            for j in range(i, i + 1 + best):
                used[j] = True
            values.append(_Value(i, i + 1 + best, number, candidates))
        return values

    def _place(
        self, tokens: list[str], value: _Value, signals: list[tuple[int, int, str, bool]]
    ) -> tuple[str, str] | None:
        """The (type, measure) a figure belongs to: the nearest type that counts it."""
        best: tuple[int, int, str] | None = None
        for start, end, key, _ in signals:
            kind = self.by_key[key]
            if value.money:
                if not any(k == "money" for k in kind.kinds.values()):
                    continue
            elif key not in value.candidates:
                continue
            if end <= value.start:
                cost = _distance(tokens, end, value.start)
                rank = (cost, 0, key)
            else:
                cost = _distance(tokens, value.end, max(start, value.end))
                rank = (cost, 1, key)
            if best is None or rank < best:
                best = rank
        if best is None:
            return None
        kind = self.by_key[best[2]]
        if value.money:
            return kind.key, next(k for k, v in kind.kinds.items() if v == "money")
        options = value.candidates[kind.key]
        if len(options) == 1:
            return kind.key, options[0]
        return kind.key, _told_apart(tokens, value, kind, options)


def _told_apart(tokens: list[str], value: _Value, kind: _Type, options: tuple[str, ...]) -> str:
    """Among measures sharing a unit, the one whose own words stand nearest before the figure
    in its clause, else after it in its clause, else the catalog's first."""
    before = range(value.start - 1, -1, -1)
    after = range(value.end, len(tokens))
    for positions in (before, after):
        for i in positions:
            if tokens[i] in _CLAUSE:
                break
            for measure in options:
                if any(_at(tokens, i, w) for w in kind.own_words[measure]):
                    return measure
    return options[0]


def _distance(tokens: list[str], start: int, end: int) -> int:
    """Tokens between two places, a clause mark costing more than a word."""
    return sum(_CLAUSE_COST if t in _CLAUSE else 1 for t in tokens[start:end])


def _at(tokens: list[str], i: int, phrase: tuple[str, ...]) -> bool:
    return bool(phrase) and tuple(tokens[i : i + len(phrase)]) == phrase


def _unit_at(tokens: list[str], i: int, phrase: tuple[str, ...]) -> bool:
    """``phrase`` at ``i`` as a whole word: "đơn" is not the start of "đơn vị"."""
    end = i + len(phrase)
    return _at(tokens, i, phrase) and (tokens[end - 1], *tokens[end : end + 1]) not in _COMPOUNDS


def _occurrences(tokens: list[str], phrase: tuple[str, ...]) -> list[int]:
    if not phrase:
        return []
    first = phrase[0]
    return [i for i, t in enumerate(tokens) if t == first and _at(tokens, i, phrase)]


def _find_date(tokens: list[str], used: list[bool], today: date) -> tuple[date | None, bool]:
    """The first day the text names (its tokens marked used) or None, and whether it is still to
    come. Times of day ("8h") are marked used too: they are no figures."""
    found: date | None = None
    to_come = False
    for i, token in enumerate(tokens):
        if used[i]:
            continue
        if i + 1 < len(tokens) and (token, tokens[i + 1]) in _RELATIVE_DAYS:
            if found is None:
                found = today - timedelta(days=_RELATIVE_DAYS[(token, tokens[i + 1])])
            used[i] = used[i + 1] = True
        elif token.isdigit() and i + 1 < len(tokens) and tokens[i + 1] in _TIME_UNIT:
            used[i] = used[i + 1] = True
        elif token.isdigit() and len(token) <= 2 and _at(tokens, i + 1, ("/",)):
            parts = [token]
            j = i + 1
            while j + 1 < len(tokens) and tokens[j] in "/-" and tokens[j + 1].isdigit():
                parts.append(tokens[j + 1])
                j += 2
                if len(parts) == 3:
                    break
            if len(parts) < 2:
                continue
            for k in range(i, j):
                used[k] = True
            if found is None:
                try:
                    found = parse_date("/".join(parts), today)
                except ParseError as error:
                    to_come = error.code == "future_date"
                if found is not None and len(parts) == 2 and _soon_after(found, today):
                    found, to_come = None, True
    return found, to_come


def _soon_after(day: date, today: date) -> bool:
    """A day-month read as last year's (``parse_date``: "28/12" typed on 2 January) that this
    year falls within the coming month: "ngày 25/11" typed on 20/11 is a plan, not last year."""
    try:
        this_year = day.replace(year=today.year)
    except ValueError:  # 29/02
        return False
    return day.year < today.year and today < this_year <= today + timedelta(days=_SOON_DAYS)


_SOON_DAYS: Final = 31


def _find_money(tokens: list[str], used: list[bool], each: bool, bare: bool) -> list[_Value]:
    """Sums of money: a number with a multiplier or a currency word ("500tr", "1 tỷ 2",
    "4.500.000đ"), or a grouped number of millions ("12.500.000")."""
    values: list[_Value] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if used[i] or not token[0].isdigit():
            i += 1
            continue
        j = i + 1
        while j < len(tokens) and tokens[j] in _MULTIPLIER:
            # "2 triệu 500 nghìn", "3tr5", "1 tỷ 2": the number after a multiplier continues
            # the sum unless it has its own unit ("2 triệu 5 hộ" is two figures).
            if j + 1 < len(tokens) and tokens[j + 1][0].isdigit():
                after = tokens[j + 2] if j + 2 < len(tokens) else ""
                if after in _MULTIPLIER or not after.isalpha() or after in _CURRENCY:
                    j += 2
                    continue
                if not _is_unit_like(after):
                    j += 2
                    continue
            j += 1
        if j < len(tokens) and tokens[j] in _CURRENCY:
            j += 1
        grouped = j == i + 1 and token.count(".") >= 2
        if j == i + 1 and not grouped:
            i += 1
            continue
        per_unit = (j < len(tokens) and tokens[j] == "/") or (
            (each and "moi" in tokens[max(0, i - 3) : i])
            or (bare and "moi" in tokens[max(0, i - 3) : i - 1])
        )
        try:
            amount = parse_amount(" ".join(tokens[i:j]), "money")
        except ParseError:
            i = j
            continue
        for k in range(i, j):
            used[k] = True
        if not per_unit:
            total = "tong" in tokens[max(0, i - 2) : i]
            values.append(_Value(i, j, amount, money=True, total=total))
        i = j
    return values


def _is_unit_like(word: str) -> bool:
    """A word that may be the unit of a count after a number: any word but a few linking ones,
    which mean the number before them closes a sum ("1 tỷ 2 cho 20 hộ")."""
    return word not in {"cho", "va", "tai", "o", "de", "voi", "trong", "tu", "den"}
