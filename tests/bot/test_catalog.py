"""The catalog file: validated with line numbers; loading adds and retires types without losing
entries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import update

from bot import activities as acts
from bot.access import load_actor
from bot.activities import kinds as activity_kinds
from bot.catalog import (
    DEFAULT_CATALOG,
    CatalogError,
    fill_missing_words,
    load_catalog,
    parse_catalog,
)
from bot.clock import FakeClock
from bot.demo import seed_demo
from bot.free_text import Reader
from bot.schema import prepare_database
from storage.db import Database
from storage.models import ActivityMeasure, ActivityType
from storage.queries import activities as act_q
from storage.queries import people as people_q


def test_default_catalog_has_the_indicators_of_section_7() -> None:
    specs = parse_catalog(DEFAULT_CATALOG.read_text(encoding="utf-8"))
    assert len(specs) == 20
    by_key = {s.key: s for s in specs}
    assert by_key["xoa_nha_tam"].name_vi == "Xóa nhà tạm, nhà dột nát"
    assert [m.key for m in by_key["nha_dai_doan_ket"].measures] == ["built", "repaired", "value"]
    assert [m.kind for m in by_key["nha_dai_doan_ket"].measures] == ["count", "count", "money"]
    assert all(m.label_vi and m.label_en for s in specs for m in s.measures)


def test_default_catalog_counts_what_the_seeds_count() -> None:
    """Beyond §7 (issue 16 §6): new-rural-area contributions in work days, m² and money; credit
    by households and amount; the 18/11 Solidarity Day; the cultural-life campaign; houses under
    Resolution 30a and Decision 167 counted apart. English names complete."""
    by_key = {s.key: s for s in parse_catalog(DEFAULT_CATALOG.read_text(encoding="utf-8"))}
    ntm = by_key["nong_thon_moi"]
    assert [(m.key, m.kind, m.unit_vi) for m in ntm.measures] == [
        ("work_days", "count", "ngày công"),
        ("land_m2", "decimal", "m²"),
        ("amount", "money", "đồng"),
    ]
    assert "nông thôn mới" in ntm.name_vi and "đô thị văn minh" in ntm.name_vi
    assert [m.key for m in by_key["tin_dung_uu_dai"].measures] == ["households", "amount"]
    assert "18/11" in by_key["ngay_hoi_dai_doan_ket"].name_vi
    assert "Toàn dân đoàn kết xây dựng đời sống văn hóa ở khu dân cư" in (
        by_key["cuoc_van_dong_van_hoa"].name_vi
    )
    assert [m.key for m in by_key["nha_chuong_trinh"].measures] == [
        "built_30a",
        "built_167",
        "value",
    ]
    assert by_key["phan_bien"].name_en == "Social feedback and criticism"
    for spec in by_key.values():
        assert spec.name_en and spec.name_en != spec.name_vi
        assert all(m.label_en and m.label_en != m.label_vi for m in spec.measures)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("types: [", "line 1: not valid YAML"),
        ("items: []", "line 1: the file must have a list `types:`"),
        (
            "types:\n  - key: a\n    name: {vi: A, en: A}\n    measures:\n      - {key: n, kind: weight, label: {vi: N, en: N}}\n",
            "line 5: type a: measure n: kind must be one of count, money, decimal, not 'weight'",
        ),
        (
            "types:\n  - key: a\n    name: {vi: A}\n    measures: [{key: n, kind: count, label: {vi: N, en: N}}]\n",
            "line 2: type a: name needs both vi and en",
        ),
        (
            "types:\n  - key: a\n    name: {vi: Xóa nhà tạm, nhà dột nát, en: A}\n    measures: [{key: n, kind: count, label: {vi: N, en: N}}]\n",
            "line 2: type a: name has unexpected nhà dột nát (put text with commas in quotes)",
        ),
        (
            "types:\n  - key: a\n    name: {vi: A, en: A}\n    measures: [{key: n, kind: count, label: {vi: N, en: N}}]\n  - key: a\n    name: {vi: A, en: A}\n    measures: [{key: n, kind: count, label: {vi: N, en: N}}]\n",
            "line 5: type a appears twice",
        ),
        (
            "types:\n  - key: Bad Key\n",
            "line 2: type key 'Bad Key' must be lower-case letters, digits and _",
        ),
        (
            "types:\n  - key: a\n    name: {vi: A, en: A}\n",
            "line 2: type a needs at least one measure",
        ),
    ],
)
def test_errors_name_the_line(text: str, error: str) -> None:
    with pytest.raises(CatalogError) as info:
        parse_catalog(text)
    assert any(e.startswith(error) for e in info.value.errors), info.value.errors


RETIRE = """
types:
  - key: hoa_giai
    name: {vi: Hòa giải ở cơ sở, en: Grassroots mediation}
    retired: true
    measures: [{key: cases, kind: count, label: {vi: Số vụ hòa giải, en: Cases}}]
  - key: cuu_tro
    name: {vi: Cứu trợ thiên tai, en: Disaster relief}
    measures:
      - {key: amount, kind: money, label: {vi: Số tiền, en: Amount}}
      - {key: tonnes, kind: decimal, label: {vi: Hàng hóa, en: Goods}, unit: {vi: tấn, en: tonnes}}
"""


async def test_retiring_keeps_entries_and_new_types_are_offered(
    db: Database, clock: FakeClock
) -> None:
    async with db.session() as session:
        await seed_demo(session, clock.now())
        person = await people_q.by_telegram_id(session, 1004)
        assert person is not None
        actor = await load_actor(session, person)
        entry = acts.NewEntry(
            unit_id=actor.roles[0].unit.id,
            type_key="hoa_giai",
            values={"cases": Decimal(2)},
            occurred_on=date(2026, 11, 10),
        )
        activity = await acts.create_entry(session, actor, entry, clock.now())
        report = await load_catalog(session, parse_catalog(RETIRE), clock.now())
        assert report.retired == ["hoa_giai"] and report.added == ["cuu_tro"]
        offered = [k.key for k in await acts.offered_kinds(session, person.id)]
        assert "hoa_giai" not in offered and offered[-1] == "cuu_tro"
        kept = await act_q.values_of(session, [activity.id])
        assert kept[activity.id] == {"cases": 2000}
        cuu_tro = await acts.kind(session, "cuu_tro")
        assert cuu_tro is not None and [m.unit("vi") for m in cuu_tro.measures] == ["", "tấn"]


async def test_a_load_by_another_process_is_seen_at_the_next_check(
    db: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The catalog kept in memory is checked against the stored version (here at every use:
    ``CATALOG_RECHECK`` 0); a change written by another process, which cannot drop this one's
    memory, is seen."""
    monkeypatch.setattr(activity_kinds, "CATALOG_RECHECK", 0.0)
    async with db.session() as session:
        await seed_demo(session, clock.now())
    async with db.session() as session:
        assert "hoa_giai" in [k.key for k in await acts.active_kinds(session)]
    clock.advance(minutes=1)
    async with db.session() as session:  # what `phoihop catalog load` in another process writes
        await session.execute(
            update(ActivityType)
            .where(ActivityType.key == "hoa_giai")
            .values(retired=True, updated_at=clock.now())
        )
    async with db.session() as session:
        assert "hoa_giai" not in [k.key for k in await acts.active_kinds(session)]
        kind = await acts.kind(session, "hoa_giai")
        assert kind is not None and kind.retired  # still known: its entries keep counting


async def test_a_catalog_loaded_before_words_gets_the_shipped_words_at_start(
    db: Database, clock: FakeClock
) -> None:
    """An upgraded deployment: its catalog was loaded before types had words (the migration gave
    every row ``[]``). Starting the bot gives the shipped types their shipped words, so the
    free-text reader proposes entries without an operator's ``catalog load``; a type an operator
    taught words of their own keeps them."""
    async with db.session() as session:
        await seed_demo(session, clock.now())
        await session.execute(update(ActivityType).values(words=[]))
        await session.execute(update(ActivityMeasure).values(words=[]))
        await session.execute(
            update(ActivityType).where(ActivityType.key == "hoa_giai").values(words=["hòa hợp"])
        )
    async with db.session() as session:
        filled = await fill_missing_words(session, SHIPPED, clock.now())
    assert "nha_dai_doan_ket" in filled and "hoa_giai" not in filled
    await prepare_database(db, clock.now())  # a second start finds nothing left to fill
    async with db.session() as session:
        shipped = {spec.key: spec for spec in SHIPPED}
        nha = await session.get(ActivityType, "nha_dai_doan_ket")
        assert nha is not None and nha.words == list(shipped["nha_dai_doan_ket"].words)
        hoa_giai = await session.get(ActivityType, "hoa_giai")
        assert hoa_giai is not None and hoa_giai.words == ["hòa hợp"]
        assert await fill_missing_words(session, list(shipped.values()), clock.now()) == []
        kinds = await acts.active_kinds(session)
    found = Reader(kinds).read("sửa chữa 3 căn nhà đại đoàn kết", date(2026, 12, 3))
    assert [a.type for a in found.activities] == ["nha_dai_doan_ket"]


SHIPPED = parse_catalog(DEFAULT_CATALOG.read_text(encoding="utf-8"))
