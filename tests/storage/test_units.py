"""The tree and scopes: a member organisation's leaders see their organisation under their area."""

from __future__ import annotations

import pytest

from bot.clock import FakeClock
from storage.db import Database
from storage.queries import units as units_q
from storage.queries.units import UnitError


async def _tree(db: Database, clock: FakeClock) -> dict[str, units_q.Unit]:
    now = clock.now()
    async with db.session() as s:
        prov = await units_q.add(
            s, code="08", name="Tỉnh Tuyên Quang", kind="province", org="mttq", parent=None, now=now
        )
        xa = await units_q.add(
            s, code="02365", name="Xã Yên Nguyên", kind="commune", org="mttq", parent=prov, now=now
        )
        pn_xa = await units_q.add(
            s,
            code="02365-pn",
            name="Hội Phụ nữ xã Yên Nguyên",
            kind="commune",
            org="phu_nu",
            parent=xa,
            now=now,
        )
        thon = await units_q.add(
            s,
            code="02365-t1",
            name="Thôn Cầu Bâm",
            kind="residential_area",
            org="mttq",
            parent=xa,
            now=now,
        )
        pn_thon = await units_q.add(
            s,
            code="02365-t1-pn",
            name="Chi hội Phụ nữ thôn Cầu Bâm",
            kind="residential_area",
            org="phu_nu",
            parent=thon,
            now=now,
        )
        tn_thon = await units_q.add(
            s,
            code="02365-t1-tn",
            name="Chi đoàn thôn Cầu Bâm",
            kind="residential_area",
            org="thanh_nien",
            parent=thon,
            now=now,
        )
        other = await units_q.add(
            s, code="02350", name="Xã Kim Bình", kind="commune", org="mttq", parent=prov, now=now
        )
        pn_other = await units_q.add(
            s,
            code="02350-pn",
            name="Hội Phụ nữ xã Kim Bình",
            kind="commune",
            org="phu_nu",
            parent=other,
            now=now,
        )
    return {u.code: u for u in (prov, xa, pn_xa, thon, pn_thon, tn_thon, other, pn_other)}


async def test_paths_and_front_scope(db: Database, clock: FakeClock) -> None:
    t = await _tree(db, clock)
    assert t["02365-t1"].path == f"{t['02365'].path}{t['02365-t1'].id}/"
    async with db.session() as s:
        umbrellas = await units_q.umbrella_orgs(s)
    scope = units_q.scope_of(t["02365"], umbrellas)
    inside = {code for code, u in t.items() if scope.contains(u)}
    assert inside == {"02365", "02365-pn", "02365-t1", "02365-t1-pn", "02365-t1-tn"}


async def test_member_org_scope_is_own_org_under_its_area(db: Database, clock: FakeClock) -> None:
    t = await _tree(db, clock)
    async with db.session() as s:
        umbrellas = await units_q.umbrella_orgs(s)
        scope = units_q.scope_of(t["02365-pn"], umbrellas)
        in_sql = {u.code for u in await units_q.list_units(s) if scope.contains(u)}
        from sqlalchemy import select

        from storage.models import Unit

        via_clause = set(await s.scalars(select(Unit.code).where(scope.clause())))
    assert in_sql == via_clause == {"02365-pn", "02365-t1-pn"}


async def test_add_refuses_unknown_kind_org_and_duplicate(db: Database, clock: FakeClock) -> None:
    await _tree(db, clock)
    async with db.session() as s:
        with pytest.raises(UnitError, match="unknown kind"):
            await units_q.add(
                s, code="x1", name="X", kind="hamlet", org="mttq", parent=None, now=clock.now()
            )
        with pytest.raises(UnitError, match="unknown organisation"):
            await units_q.add(
                s, code="x2", name="X", kind="commune", org="party", parent=None, now=clock.now()
            )
        with pytest.raises(UnitError, match="already exists"):
            await units_q.add(
                s, code="08", name="X", kind="province", org="mttq", parent=None, now=clock.now()
            )


async def test_search_name_ignores_diacritics(db: Database, clock: FakeClock) -> None:
    t = await _tree(db, clock)
    assert t["02365"].search_name == "xa yen nguyen"
