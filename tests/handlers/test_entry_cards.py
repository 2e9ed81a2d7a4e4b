"""A figure reads as people say it: "1 case", "2 cases" in English; Vietnamese nouns stay."""

from __future__ import annotations

from decimal import Decimal

from bot.activities import Kind, Measure, catalog
from bot.catalog import DEFAULT_CATALOG, load_catalog, parse_catalog
from bot.clock import FakeClock
from bot.i18n import I18n
from handlers.entry_cards import figure, show_value
from storage.db import Database

CASES = Measure("cases", "count", "Số vụ hòa giải", "Number of cases", "vụ", "cases", 100, "case")


def test_english_says_one_case_and_two_cases(i18n: I18n) -> None:
    en, vi = i18n.translator("en"), i18n.translator("vi")
    assert show_value(en, CASES, Decimal(1)) == "1 case"
    assert show_value(en, CASES, Decimal(2)) == "2 cases"
    assert show_value(en, CASES, Decimal(0)) == "0 cases"
    assert show_value(vi, CASES, Decimal(1)) == "1 vụ"
    kind = Kind("hoa_giai", "Hòa giải", "Mediation", False, (CASES,))
    assert figure(en, kind, CASES, Decimal(1)) == "1 case"


def test_every_shipped_english_count_unit_has_its_singular() -> None:
    for spec in parse_catalog(DEFAULT_CATALOG.read_text(encoding="utf-8")):
        for m in spec.measures:
            if m.kind == "count" and m.unit_en:
                assert m.unit_en_one and m.unit_en_one != m.unit_en, (spec.key, m.key)


async def test_the_singular_is_stored_with_the_catalog(db: Database, clock: FakeClock) -> None:
    specs = parse_catalog(DEFAULT_CATALOG.read_text(encoding="utf-8"))
    async with db.session() as s:
        await load_catalog(s, specs, clock.now())
    async with db.session() as s:
        hoa_giai = (await catalog(s)).get("hoa_giai")
    assert hoa_giai is not None
    cases = next(m for m in hoa_giai.measures if m.key == "cases")
    assert (cases.unit("en", Decimal(1)), cases.unit("en", Decimal(3))) == ("case", "cases")
