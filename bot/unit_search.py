"""Which unit a person means when they type one: a code or a name, with or without diacritics.

A partial name is convenient ("Cầu Bâm" for "Thôn Cầu Bâm (xã Yên Nguyên)") but must not turn
into a guess: "P" once answered with the totals of "Xã An Phú" because its folded name contains
a "p". So matches come in tiers, and only the first tier that matches anything counts:

1. the unit's code, exactly (case aside);
2. the unit's whole name (``storage.text.fold`` on both sides, punctuation aside);
3. whole words of the name, in order ("cau bam");
4. any other part of the name ("p", "cau ba").

Within the tiers 1–3 one match wins, and so do several when one of them contains all the others
in its subtree ("Yên Nguyên" is the commune, not its women's union): asking about a place by
its name means the place. Anything else, and every match of tier 4, is not decided here: the
person is shown the candidates and asked to name one by its code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from storage.models import Unit
from storage.text import fold

#: At most this many candidates are listed when asking; more means "type more of the name".
CHOICES = 8

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class UnitSearch:
    """The unit meant (``unit``), or the candidates to ask about (``choices``, at most
    ``CHOICES`` of ``matched``), or neither: nothing matched."""

    unit: Unit | None = None
    choices: tuple[Unit, ...] = ()
    matched: int = 0


def _words(text: str) -> str:
    """The folded words of a name, one space apart, with spaces around (for whole-word search)."""
    return " " + " ".join(_WORD.findall(fold(text))) + " "


def search(units: Iterable[Unit], text: str) -> UnitSearch:
    """Find the unit ``text`` names among ``units`` (those the person may see)."""
    wanted = _words(text)
    code = fold(text)
    if not wanted.strip():
        return UnitSearch()
    tiers: list[list[Unit]] = [[], [], [], []]
    for unit in units:
        name = _words(unit.name)
        if fold(unit.code) == code:
            tiers[0].append(unit)
        elif name == wanted:
            tiers[1].append(unit)
        elif wanted in name:
            tiers[2].append(unit)
        elif wanted.strip() in name:
            tiers[3].append(unit)
    for level, found in enumerate(tiers):
        if not found:
            continue
        top = _common_top(found)
        if top is not None and level < 3:
            return UnitSearch(unit=top, matched=len(found))
        found.sort(key=lambda u: (len(u.path), u.search_name, u.code))
        return UnitSearch(choices=tuple(found[:CHOICES]), matched=len(found))
    return UnitSearch()


def _common_top(found: list[Unit]) -> Unit | None:
    """The one match whose subtree holds every other match, if there is one."""
    top = min(found, key=lambda u: len(u.path))
    return top if all(u.path.startswith(top.path) for u in found) else None
