"""Invite claims are atomic: a link for N people admits exactly N, however many open it at once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.clock import FakeClock
from bot.onboarding import RedeemOutcome, create_invite, hash_code, redeem
from storage.db import Database
from storage.models import Invite
from storage.queries import people as people_q
from storage.queries import units as units_q
from storage.queries.people import TelegramProfile


async def _unit_and_code(db: Database, clock: FakeClock, uses: int) -> str:
    async with db.session() as s:
        unit = await units_q.add(
            s,
            code="08",
            name="Tỉnh Tuyên Quang",
            kind="province",
            org="mttq",
            parent=None,
            now=clock.now(),
        )
        return await create_invite(
            s, unit=unit, role="cadre", now=clock.now(), valid_for=timedelta(days=7), max_uses=uses
        )


async def test_code_is_stored_hashed(db: Database, clock: FakeClock) -> None:
    code = await _unit_and_code(db, clock, 1)
    assert 20 <= len(code) <= 64
    async with db.session() as s:
        invite = await s.get(Invite, 1)
    assert (
        invite is not None and invite.code_hash == hash_code(code) and code not in invite.code_hash
    )


async def test_concurrent_redemptions_respect_the_use_limit(db: Database, clock: FakeClock) -> None:
    code = await _unit_and_code(db, clock, 3)

    async def join(telegram_id: int) -> RedeemOutcome:
        async with db.session() as s:
            person = await people_q.upsert(
                s, TelegramProfile(telegram_id, f"U{telegram_id}"), clock.now(), private_chat=True
            )
        async with db.session() as s:
            return (await redeem(s, person, code, clock.now())).outcome

    outcomes = await asyncio.gather(*(join(2000 + i) for i in range(8)))
    assert outcomes.count(RedeemOutcome.JOINED) == 3
    assert outcomes.count(RedeemOutcome.USED_UP) == 5
    async with db.session() as s:
        invite = await s.get(Invite, 1)
    assert invite is not None and invite.uses == 3


async def test_expired_and_unknown(db: Database, clock: FakeClock) -> None:
    code = await _unit_and_code(db, clock, 5)
    async with db.session() as s:
        person = await people_q.upsert(
            s, TelegramProfile(3001, "Mai"), clock.now(), private_chat=True
        )
        assert (await redeem(s, person, "A" * 43, clock.now())).outcome is RedeemOutcome.UNKNOWN
        assert (
            await redeem(s, person, "bad code!", clock.now())
        ).outcome is RedeemOutcome.MALFORMED
        assert (await redeem(s, person, "x" * 65, clock.now())).outcome is RedeemOutcome.MALFORMED
        later = clock.now() + timedelta(days=7, seconds=1)
        assert (await redeem(s, person, code, later)).outcome is RedeemOutcome.EXPIRED
