"""Petition codes are handed out once each, even to two cadres recording at the same moment."""

from __future__ import annotations

import asyncio
from datetime import date

from bot.clock import FakeClock
from bot.petitions import code_for
from storage.db import Database
from storage.models import Petition
from storage.queries import petitions as petitions_q
from storage.queries import units as units_q


async def _commune(db: Database, clock: FakeClock) -> int:
    async with db.session() as s:
        xa = await units_q.add(
            s,
            code="02365",
            name="Xã Yên Nguyên",
            kind="commune",
            org="mttq",
            parent=None,
            now=clock.now(),
        )
        return xa.id


def _item(unit_id: int, clock: FakeClock, text: str) -> Petition:
    now = clock.now()
    return Petition(
        year=2026,
        text=text,
        category="ha_tang",
        source="tiep_xuc_cu_tri",
        unit_id=unit_id,
        people_count=1,
        received_on=date(2026, 12, 3),
        consent=False,
        status="recorded",
        front_unit_id=unit_id,
        reminders_sent=0,
        created_at=now,
        updated_at=now,
    )


async def test_codes_count_up_within_a_year_and_are_found_again(
    db: Database, clock: FakeClock
) -> None:
    unit_id = await _commune(db, clock)
    async with db.session() as s:
        first = await petitions_q.add(s, _item(unit_id, clock, "Sửa đường liên thôn"), code_for)
        await petitions_q.add_event(s, first, "recorded", clock.now(), None)
        second = await petitions_q.add(s, _item(unit_id, clock, "Đèn đường"), code_for)
    assert (first.code, second.code) == ("KN-2026-0001", "KN-2026-0002")
    async with db.session() as s:
        found = await petitions_q.by_code(s, 2026, 2)
        assert found is not None and found.text == "Đèn đường"
        assert [e.action for e in await petitions_q.history(s, first.id)] == ["recorded"]
        assert await petitions_q.by_code(s, 2025, 2) is None


async def test_two_recorders_at_once_get_two_codes(db: Database, clock: FakeClock) -> None:
    unit_id = await _commune(db, clock)

    async def record(text: str) -> str:
        async with db.session() as s:
            item = await petitions_q.add(s, _item(unit_id, clock, text), code_for)
            return item.code

    codes = await asyncio.gather(*(record(f"Kiến nghị {n}") for n in range(6)))
    assert sorted(codes) == [f"KN-2026-{n:04d}" for n in range(1, 7)]
