"""Which unit a typed code or name means (bot/unit_search.py): exact codes and names win, a part of
a name is never turned into a guess (issue 15 §4: "/totals P" answered with "Xã An Phú")."""

from __future__ import annotations

import random

from bot.unit_search import CHOICES, search
from storage.models import Unit
from storage.text import fold


class Tree:
    """Units without a database: only code, name and path matter to the search."""

    def __init__(self) -> None:
        self.units: list[Unit] = []

    def add(self, code: str, name: str, parent: Unit | None = None) -> Unit:
        unit = Unit(code=code, name=name, search_name=fold(name), id=len(self.units) + 1)
        unit.path = f"{parent.path if parent else '/'}{unit.id}/"
        self.units.append(unit)
        return unit


def communes() -> Tree:
    tree = Tree()
    province = tree.add("08", "Tỉnh Tuyên Quang")
    for code, name in (("02365", "Xã Yên Nguyên"), ("02401", "Xã An Phú"), ("02402", "Xã Phú Lâm")):
        commune = tree.add(code, name, province)
        tree.add(f"{code}-phu_nu", f"Hội Phụ nữ {name.lower()}", commune)
        for n in (1, 2, 10):
            thon = tree.add(f"{code}-t{n}", f"Thôn {n}", commune)
            tree.add(f"{code}-t{n}-phu_nu", f"Chi hội Phụ nữ Thôn {n}", thon)
    return tree


def test_a_letter_of_a_name_is_a_question_not_an_answer() -> None:
    found = search(communes().units, "P")
    assert found.unit is None
    assert len(found.choices) == CHOICES and found.matched > CHOICES
    # Even a lone partial match is asked about.
    alone = search(communes().units, "Tuyên Qu")
    assert alone.unit is None and [u.name for u in alone.choices] == ["Tỉnh Tuyên Quang"]


def test_exact_code_or_name_wins_over_partial_matches() -> None:
    units = communes().units
    assert (found := search(units, "02401").unit) is not None and found.name == "Xã An Phú"
    assert (found := search(units, "02365-PHU_NU").unit) is not None
    assert found.name == "Hội Phụ nữ xã yên nguyên"
    assert (found := search(units, "xa an phu").unit) is not None and found.code == "02401"
    # "Xã Phú Lâm" is exact although "Phú" appears in other names.
    assert (found := search(units, "Xã Phú Lâm").unit) is not None and found.code == "02402"


def test_whole_words_pick_the_place_that_holds_every_match() -> None:
    units = communes().units
    # The commune and its women's union both say "Yên Nguyên": the commune holds the other.
    assert (found := search(units, "yen nguyen").unit) is not None and found.code == "02365"
    # "Thôn 1" is the exact name of three hamlets in three communes: ask.
    same_name = search(units, "Thôn 1")
    assert same_name.unit is None
    assert {u.code for u in same_name.choices} == {"02365-t1", "02401-t1", "02402-t1"}
    # Whole words, not digits inside numbers: "1" is not "10".
    one = search(units, "1")
    assert one.matched == 6 and all(u.name.endswith("Thôn 1") for u in one.choices)


def test_nothing_and_blank() -> None:
    units = communes().units
    assert search(units, "Kim Bình") == search(units, "  ") == search(units, "—")
    assert search(units, "Kim Bình").matched == 0


def test_generated_names_never_yield_a_guess() -> None:
    """Random trees of names built from a few syllables (so that they overlap a lot) and random
    queries: a unit is returned only for its code, its whole name, or whole words of names that
    all lie in its subtree; a query found only inside words always asks."""
    rng = random.Random(15)
    syllables = ["An", "Phú", "Yên", "Nguyên", "Lâm", "Phụ", "nữ", "Thôn", "Xã", "1", "10"]
    for _ in range(200):
        tree = Tree()
        root = tree.add("r", "Tỉnh Thử")
        for i in range(rng.randint(1, 12)):
            parent = rng.choice(tree.units) if tree.units else root
            name = " ".join(rng.choices(syllables, k=rng.randint(1, 4)))
            tree.add(f"u{i}", name, parent)
        query = rng.choice(
            [
                rng.choice(tree.units).name,
                rng.choice(syllables),
                rng.choice(syllables)[: rng.randint(1, 3)],
                " ".join(rng.choices(syllables, k=2)),
            ]
        )
        found = search(tree.units, query)
        words = " " + " ".join(fold(query).split()) + " "
        tiers = [
            [u for u in tree.units if fold(u.code) == fold(query)],
            [u for u in tree.units if fold(u.name) == fold(query)],
            [u for u in tree.units if words in " " + fold(u.name) + " "],
        ]
        first = next((tier for tier in tiers if tier), [])
        if found.unit is not None:
            # Its code, its whole name, or whole words: and it holds every other such match.
            assert found.unit in first, (query, found.unit.name)
            assert all(u.path.startswith(found.unit.path) for u in first), query
        else:
            assert len(found.choices) == min(found.matched, CHOICES)
            assert not first or len(first) > 1, query
