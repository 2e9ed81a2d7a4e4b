"""What a person typed after /totals (or /export): a period, an activity type, "by organisation"
and a unit, in any order, with or without diacritics (``storage.text.fold``).

Each part is read on its own, so an answer can name the part it did not understand: "quý 5" is a
period that does not exist, not a unit that was not found; "nha_dai_doan_kez" is no activity
type. A type is named by its key (or a unique prefix of it) or by its name in either language
("nhà đại đoàn kết", "Great Solidarity"); words that fit several types' names are not guessed at:
the candidates are listed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from bot.activities import Kind
from bot.periods import Period, PeriodOutOfRange, Rule, parse_period
from storage.text import fold

#: Markers of the breakdown by organisation, as folded words.
BY_ORG: tuple[tuple[str, ...], ...] = (
    ("theo", "to", "chuc"),
    ("by", "org"),
    ("by", "organisation"),
    ("by", "organization"),
    ("theo_to_chuc",),
    ("by_org",),
    ("to", "chuc"),
    ("org",),
)
#: Words that start a period ("quý", "tháng", "năm", "q3", "t11", "h1", "11/2026"): when the text
#: left over names no unit and holds one of these, the period is what was not understood.
_PERIOD_WORDS = frozenset(
    {"quy", "thang", "nam", "ky", "month", "quarter", "year", "half", "q", "t", "h"}
)
_PERIOD_SHAPE = re.compile(r"^(?:[qth][0-9]+|[0-9]{1,4}[/.-][0-9]{1,4}(?:[/.-][0-9]{1,4})?)$")
_NUMBERISH = re.compile(r"^(?:[0-9ivx]+|nay|truoc|ngoai|sau|dau|cuoi|this|last|next|[0-9/.-]+)$")
_WORD = re.compile(r"\w+")
#: Arguments longer than this are not read for a type's name (a name is a dozen words at most).
MAX_WORDS = 40
#: A type key's shape (unit codes have digits or hyphens: "02365-phu_nu").
_KEY_SHAPE = re.compile(r"^[a-z]+(?:_[a-z]+)+$")


@dataclass
class TotalsArgs:
    type_key: str | None = None
    period: Period | None = None
    #: The words left for the unit, folded (as unit search and its answers quote them).
    unit_text: str = ""
    by_org: bool = False
    #: The words that looked like a period and were not one, as typed ("quý 5").
    bad_period: str = ""
    #: A word shaped like a type key that is no type, as typed ("nha_dai_doan_kez"): the answer
    #: when no unit has that code either.
    bad_type: str = ""
    #: Words that fit several types' names: the words as typed, and the candidates.
    type_words: str = ""
    type_choices: list[Kind] = field(default_factory=list)
    #: The unit words had the type words been part of the unit's name (a unit named like a type).
    unit_text_with_type: str | None = None


def _name_words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def _contains(words: list[str], run: list[str]) -> bool:
    size = len(run)
    return any(words[i : i + size] == run for i in range(len(words) - size + 1))


def _period_at(text: str, today: date, rule: Rule) -> Period | None:
    """The period these words name, or None; out of the years kept raises ``PeriodOutOfRange``."""
    try:
        return parse_period(text, today, rule)
    except PeriodOutOfRange:
        raise
    except ValueError:
        return None


def read_args(text: str, kinds: list[Kind], today: date, rule: Rule) -> TotalsArgs:
    """Read the arguments; a period outside the years kept raises ``PeriodOutOfRange``."""
    typed = [t for t in text.split() if fold(t)]
    folded = [fold(t) for t in typed]
    args = TotalsArgs()
    # "By organisation": the longest marker first.
    for marker in sorted(BY_ORG, key=len, reverse=True):
        size = len(marker)
        for start in range(len(folded) - size + 1):
            if tuple(folded[start : start + size]) == marker:
                args.by_org = True
                del folded[start : start + size], typed[start : start + size]
                break
    # The period first: "quy 4" must not be read as the indicator quy_vi_nguoi_ngheo.
    for size in range(min(len(folded), 6), 0, -1):
        for start in range(len(folded) - size + 1):
            found = _period_at(" ".join(folded[start : start + size]), today, rule)
            if found is not None:
                args.period = found
                del folded[start : start + size], typed[start : start + size]
                break
        if args.period is not None:
            break
    _read_type(args, folded, typed, kinds)
    args.unit_text = " ".join(folded)
    if args.period is None:
        args.bad_period = _period_suspect(folded, typed)
    return args


def _read_type(args: TotalsArgs, folded: list[str], typed: list[str], kinds: list[Kind]) -> None:
    """A type by its key, else by the words of its name, else by a unique prefix of its key."""
    for i, token in enumerate(folded):
        key = token.replace("-", "_")
        if any(k.key == key for k in kinds):
            args.type_key = key
            del folded[i], typed[i]
            return
    if _by_name(args, folded, typed, kinds):
        return
    # Not the words of a period that was not understood ("quý 5" is no quy_vi_nguoi_ngheo).
    suspect = set(_period_span(folded) if args.period is None else ())
    for i, token in enumerate(folded):
        key = token.replace("-", "_")
        prefixed = [k.key for k in kinds if k.key.startswith(key)] if len(key) >= 3 else []
        if len(prefixed) == 1 and i not in suspect:
            args.type_key = prefixed[0]
            del folded[i], typed[i]
            return
    # Kept in the unit's words (unit codes have underscores too): named only if no unit is found.
    args.bad_type = next(
        (t for t, f in zip(typed, folded, strict=True) if "_" in f and _KEY_SHAPE.match(f)), ""
    )


def _by_name(args: TotalsArgs, folded: list[str], typed: list[str], kinds: list[Kind]) -> bool:
    """The longest run of typed words that fits some type's name (at least two words, or a
    type's whole name): that type, or the candidates when several fit."""
    if not kinds or len(folded) > MAX_WORDS:
        return False
    names = [(k, _name_words(k.name_vi), _name_words(k.name_en)) for k in kinds]
    vocabulary = {w for _k, vi, en in names for w in (*vi, *en)}
    words = [_name_words(t) for t in folded]
    longest = max(len(w) for _k, vi, en in names for w in (vi, en))
    for size in range(min(len(folded), longest), 0, -1):
        for start in range(len(folded) - size + 1):
            run = [w for token in words[start : start + size] for w in token]
            if not run or not vocabulary.issuperset(run):
                continue
            fits = [
                k
                for k, vi, en in names
                if (len(run) >= 2 and (_contains(vi, run) or _contains(en, run))) or run in (vi, en)
            ]
            if not fits:
                continue
            whole = [k for k, vi, en in names if run in (vi, en)]
            chosen = whole if len(whole) == 1 else fits if len(fits) == 1 else []
            args.unit_text_with_type = " ".join(folded)
            if chosen:
                args.type_key = chosen[0].key
            else:
                args.type_words = " ".join(typed[start : start + size])
                args.type_choices = fits
            del folded[start : start + size], typed[start : start + size]
            return True
    return False


def _period_span(folded: list[str]) -> range:
    """Where the words that look like a period are (a period word and the numbers after it,
    or a shape like "q5", "13/2026"); empty when there are none."""
    for i, token in enumerate(folded):
        if _PERIOD_SHAPE.match(token):
            return range(i, i + 1)
        if token in _PERIOD_WORDS:
            end = i + 1
            while end < len(folded) and end - i <= 3 and _NUMBERISH.match(folded[end]):
                end += 1
            if end > i + 1:
                return range(i, end)
    return range(0)


def _period_suspect(folded: list[str], typed: list[str]) -> str:
    """The typed words that look like a period, or ""."""
    span = _period_span(folded)
    return " ".join(typed[span.start : span.stop]) if span else ""


#: What starts ``/totals`` for citizens' recommendations instead of activities, as folded words.
PETITION_WORDS: tuple[tuple[str, ...], ...] = (
    ("kien", "nghi"),
    ("petitions",),
    ("petition",),
    ("kn",),
)


def petition_words(text: str) -> str | None:
    """The rest of the arguments when they start with "kiến nghị" / "petitions" (any case, with
    or without diacritics), else None: ``/totals kiến nghị quý này`` counts recommendations."""
    typed = text.split()
    folded = [fold(word) for word in typed]
    for marker in PETITION_WORDS:
        if tuple(folded[: len(marker)]) == marker:
            return " ".join(typed[len(marker) :])
    return None
