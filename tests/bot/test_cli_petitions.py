"""``phoihop petitions list``: the exact JSON shape scripts rely on (``[]`` when none), the table,
and one-line refusals of an unknown unit or status."""

from __future__ import annotations

import asyncio
import json
from datetime import date

import pytest

from bot.clock import FakeClock
from bot.demo import seed_demo
from storage.db import Database
from tests.bot.test_cli import run
from tests.bot.test_cli import url as url  # the fixture, shared
from tests.conftest import T0
from tests.petition_items import make_item


async def _seed(url: str) -> None:
    db = Database(url)
    try:
        async with db.session() as s:
            await seed_demo(s, FakeClock(T0).now())
        async with db.session() as s:
            await make_item(s, status="recorded", received_on=date(2026, 11, 2))
            await make_item(
                s,
                status="acknowledged",
                received_on=date(2026, 11, 3),
                authority="02365-ubnd",
                forwarded_on=date(2026, 11, 4),
                category="moi_truong",
            )
            await make_item(
                s,
                status="closed",
                received_on=date(2026, 11, 5),
                place="02350-t2",
                front="02350",
                authority="02350-ubnd",
                forwarder=1008,
                recorder=1009,
                forwarded_on=date(2026, 11, 5),
                answered_on=date(2026, 11, 20),
                closed_on=date(2026, 11, 21),
                rating="satisfactory",
                category="dat_dai",
            )
    finally:
        await db.dispose()


def test_the_list_as_json_and_as_a_table(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, url, "db", "upgrade")[0] == 0
    assert run(capsys, url, "petitions", "list", "--json") == (0, "[]\n", "")
    assert run(capsys, url, "petitions", "list") == (0, "no recommendations\n", "")
    asyncio.run(_seed(url))

    code, out, err = run(capsys, url, "petitions", "list", "--json")
    assert (code, err) == (0, "")
    assert json.loads(out) == [
        {
            "code": "KN-2026-0001",
            "status": "recorded",
            "category": "ha_tang",
            "unit": "02365-t1",
            "authority": None,
            "received_on": "2026-11-02",
            "due_on": None,
            "answered_on": None,
            "rating": None,
        },
        {
            "code": "KN-2026-0002",
            "status": "acknowledged",
            "category": "moi_truong",
            "unit": "02365-t1",
            "authority": "02365-ubnd",
            "received_on": "2026-11-03",
            "due_on": "2026-12-04",
            "answered_on": None,
            "rating": None,
        },
        {
            "code": "KN-2026-0003",
            "status": "closed",
            "category": "dat_dai",
            "unit": "02350-t2",
            "authority": "02350-ubnd",
            "received_on": "2026-11-05",
            "due_on": "2026-12-05",
            "answered_on": "2026-11-20",
            "rating": "satisfactory",
        },
    ]
    code, out, _ = run(capsys, url, "petitions", "list", "--unit", "02365", "--json")
    assert [i["code"] for i in json.loads(out)] == ["KN-2026-0001", "KN-2026-0002"]
    code, out, _ = run(capsys, url, "petitions", "list", "--status", "Closed", "--json")
    assert [i["code"] for i in json.loads(out)] == ["KN-2026-0003"]
    code, out, _ = run(
        capsys, url, "petitions", "list", "--unit", "02350", "--status", "recorded", "--json"
    )
    assert (code, out) == (0, "[]\n")

    code, out, _ = run(capsys, url, "petitions", "list", "--unit", "02350")
    assert code == 0
    assert out.splitlines() == [
        "code          status  category  unit      authority   received_on  due_on      answered_on  rating",
        "KN-2026-0003  closed  dat_dai   02350-t2  02350-ubnd  2026-11-05   2026-12-05  2026-11-20   satisfactory",
    ]


def test_unknown_unit_or_status_is_one_line(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, url, "db", "upgrade")[0] == 0
    code, out, err = run(capsys, url, "petitions", "list", "--unit", "nope")
    assert (code, out, err) == (
        2,
        "",
        "phoihop: no unit with code 'nope' (see `phoihop units list`)\n",
    )
    code, out, err = run(capsys, url, "petitions", "list", "--status", "lost", "--json")
    assert (code, out) == (2, "")
    assert err == (
        "phoihop: unknown status 'lost' (one of: recorded, forwarded, acknowledged, answered, "
        "closed, declined, merged)\n"
    )
