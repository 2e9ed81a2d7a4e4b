"""A proposal (issue 18) is claimed for saving by one statement: of many presses at once, in as
many transactions, exactly one gets it."""

from __future__ import annotations

import asyncio
from datetime import date

from bot.clock import FakeClock
from storage.db import Database
from storage.queries import people as people_q
from storage.queries import proposals as proposals_q


async def test_concurrent_claims_save_once(db: Database, clock: FakeClock) -> None:
    async with db.session() as s:
        person = await people_q.ensure(s, 2001, clock.now())
        proposal = await proposals_q.add(
            s,
            person.id,
            7,
            "hoa_giai",
            {"cases": "2"},
            date(2026, 11, 16),
            "hòa giải 2 vụ",
            clock.now(),
        )

    async def press() -> bool:
        async with db.session() as s:
            return await proposals_q.claim(s, person.id, proposal)

    assert sorted(await asyncio.gather(*(press() for _ in range(8)))) == [False] * 7 + [True]
    async with db.session() as s:
        row = await proposals_q.get(s, person.id, proposal)
        other = await proposals_q.get(s, person.id + 1, proposal)
    assert row is not None and row.status == "saved" and other is None
