"""Citizens' recommendations on the dashboard: what /petitions lists for the person, by status,
overdue first; never the citizen's name or phone."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot.demo import Demo
from storage.models import Petition
from tests.harness import Harness
from tests.web.dashboard_server import get, seed, served, signed


@pytest.fixture
async def demo(harness: Harness) -> Demo:
    return await seed(harness)


async def test_petitions_by_status_overdue_first(harness: Harness, demo: Demo) -> None:
    h = harness
    async with served(h) as server:
        status, lan = await get(server, "api/petitions", signed(h, 1002))
        _, thu = await get(server, "api/petitions", signed(h, 1008))
        _, province = await get(server, "api/petitions", signed(h, 1001))
        _, officer = await get(server, "api/petitions", signed(h, 1013))  # UBND xã Yên Nguyên
        _, other_cadre = await get(server, "api/petitions", signed(h, 1009))
    assert status == 200
    assert lan["items"], "the demo has items in the first commune"
    late = [i["overdue"] for i in lan["items"] if i["overdue"]]
    assert late and all(o.startswith("quá hạn ") for o in late)
    # Overdue first: once an item is not overdue, none after it is.
    flags = [bool(i["overdue"]) for i in lan["items"]]
    assert flags == sorted(flags, reverse=True)
    # Counts by status add up to what the person may see; the province sees all communes'.
    assert sum(c["count"] for c in province["counts"]) > sum(c["count"] for c in lan["counts"])
    codes = {i["code"] for i in lan["items"]}
    assert not codes & {i["code"] for i in thu["items"]}
    assert {i["code"] for i in officer["items"]} <= codes
    assert other_cadre["items"] == [] or not codes & {i["code"] for i in other_cadre["items"]}
    # Nothing of the citizen: no name, no phone, no text.
    async with h.db.session() as session:
        rows = (await session.execute(select(Petition.citizen_name, Petition.citizen_phone))).all()
    personal = [v for row in rows for v in row if v]
    assert personal, "the demo keeps some citizens' names (with consent)"
    shown = json.dumps(province, ensure_ascii=False)
    assert not [v for v in personal if v in shown]
    for item in lan["items"]:
        assert set(item) == {
            "code",
            "status",
            "status_label",
            "category",
            "place",
            "authority",
            "received",
            "due",
            "overdue",
        }
