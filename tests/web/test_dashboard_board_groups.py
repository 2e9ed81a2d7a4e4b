"""The completeness board grouped per commune for a province's leader (``api/completeness``): a
row per unit directly below theirs with its counts, worst first; ``unit=<id>`` drills into one
(only inside their subtree); a commune's leader and a cadre see the rows they always saw."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot import reports
from bot.demo import Demo
from bot.periods import period_containing
from storage.queries import people as people_q
from storage.queries import reports as reports_q
from storage.queries import units as units_q
from tests.harness import Harness
from tests.web.dashboard_server import get, seed, served, signed

STATES = ("missing", "late", "submitted", "approved")


def code_of(demo: Demo, telegram_id: int) -> str:
    person = next(p for p in demo.people if p.telegram_id == telegram_id)
    assert person.unit_code is not None
    return person.unit_code


@pytest.fixture
async def demo(harness: Harness) -> Demo:
    demo = await seed(harness)
    await open_province_round(harness, demo)
    return demo


async def open_province_round(h: Harness, demo: Demo) -> None:
    """Beside the demo's round over the first commune's areas, a round over every residential
    area of the province (its three communes), some of its reports submitted on time, late and
    approved."""
    now = h.clock.now()
    async with h.db.session() as session:
        (first,) = await reports_q.open_rounds(session)
        template = await reports_q.latest_template(session, "residential_front")
        assert template is not None
        wide = await reports.open_round(
            session,
            None,
            template_row=template,
            period=period_containing(now.date(), "quarter").previous(),
            root=demo.province,
            deadline=first.deadline,
            now=now,
            kind="residential_area",
            org="mttq",
            early=True,
        )
        owed = await reports_q.reports_of_round(session, wide.id)
        assert len(owed) > 4
        person = await people_q.by_telegram_id(session, 1001)
        assert person is not None
        await reports_q.mark_submitted(session, owed[0].id, ("draft",), now, person.id)
        late = wide.deadline + timedelta(hours=1)
        await reports_q.mark_submitted(session, owed[1].id, ("draft",), late, person.id)
        await reports_q.mark_submitted(session, owed[2].id, ("draft",), now, person.id)
        await reports_q.mark_decided(session, owed[2].id, "approved", now, person.id, None)


async def board(h: Harness, server: Any, telegram_id: int, **params: str) -> dict[str, Any]:
    status, body = await get(server, "api/completeness", signed(h, telegram_id), **params)
    assert status == 200, body
    return body


async def test_a_province_leader_sees_a_row_per_commune_adding_up(
    harness: Harness, demo: Demo
) -> None:
    h = harness
    async with served(h) as server:
        top = await board(h, server, 1001)
        assert top["view"]["grouped"] and not top["view"]["drilled"]
        assert top["view"]["up"] is None
        assert len(top["rounds"]) == 2
        for round_ in top["rounds"]:
            assert round_["units"] == []
            groups = round_["groups"]
            # The rows add up to the round's counts.
            for state in STATES:
                assert sum(g["counts"][state] for g in groups) == round_["counts"][state]
            assert sum(g["total"] for g in groups) == round_["total"]
            for g in groups:
                assert g["done"] == g["total"] - g["counts"]["missing"]
                assert g["percent"] == round(100 * g["done"] / g["total"])
            # Worst first.
            missing = [g["counts"]["missing"] for g in groups]
            assert missing == sorted(missing, reverse=True)
            # Each row is what its commune's board shows, drilled into: per-unit rows.
            seen = dict.fromkeys(STATES, 0)
            for g in groups:
                assert g["drill"]
                down = await board(h, server, 1001, unit=str(g["id"]))
                assert down["view"]["unit"]["id"] == g["id"]
                assert down["view"]["drilled"] and not down["view"]["grouped"]
                assert down["view"]["up"] is None  # back up = the first screen
                (same,) = [r for r in down["rounds"] if r["id"] == round_["id"]]
                assert same["counts"] == g["counts"]
                assert len(same["units"]) == g["total"]
                for state in STATES:
                    seen[state] += sum(1 for u in same["units"] if u["state"] == state)
            assert seen == round_["counts"]
        wide = next(r for r in top["rounds"] if len(r["groups"]) > 1)
        assert wide["counts"] == {
            "missing": wide["total"] - 3,
            "late": 1,
            "submitted": 1,
            "approved": 1,
        }


async def test_drilling_into_a_commune_is_the_commune_leaders_board(
    harness: Harness, demo: Demo
) -> None:
    h = harness
    commune = await _unit_id(h, code_of(demo, 1002))
    async with served(h) as server:
        own = await board(h, server, 1002)
        down = await board(h, server, 1001, unit=str(commune))
    assert [r["units"] for r in down["rounds"]] == [r["units"] for r in own["rounds"]]
    cau_bam = next(u for u in down["rounds"][0]["units"] if u["name"].endswith("Cầu Bâm"))
    assert cau_bam["cadres"] == ["Lê Văn Nam"] and cau_bam["remindable"]


async def test_a_commune_leader_and_a_cadre_see_what_they_always_saw(
    harness: Harness, demo: Demo
) -> None:
    h = harness
    async with served(h) as server:
        lan = await board(h, server, 1002)
        nam = await board(h, server, 1004)
    for body in (lan, nam):
        assert not body["view"]["grouped"] and not body["view"]["drilled"]
        assert all(r["groups"] is None for r in body["rounds"])
    assert [len(r["units"]) for r in lan["rounds"]] == [3, 3]  # its areas in both rounds
    assert all(len(r["units"]) == 1 for r in nam["rounds"])
    assert {u["name"] for r in nam["rounds"] for u in r["units"]} == {
        next(u["name"] for u in lan["rounds"][0]["units"] if u["name"].endswith("Cầu Bâm"))
    }


async def test_a_unit_outside_the_subtree_is_refused(harness: Harness, demo: Demo) -> None:
    h = harness
    province = demo.province.id
    c1 = await _unit_id(h, code_of(demo, 1002))
    c2 = await _unit_id(h, code_of(demo, 1008))
    t1 = await _unit_id(h, code_of(demo, 1004))
    cases = {
        1001: {c1: 200, c2: 200, t1: 200, 999999: 403},
        1002: {province: 403, c2: 403, c1: 200, t1: 200, 999999: 403},
        1008: {c1: 403, t1: 403, c2: 200},
        1004: {c1: 403, province: 403, t1: 200},  # a thôn's cadre: their own unit only
    }
    async with served(h) as server:
        for user_id, expected in cases.items():
            for unit, status in expected.items():
                got, body = await get(
                    server, "api/completeness", signed(h, user_id), unit=str(unit)
                )
                assert (user_id, unit, got) == (user_id, unit, status), body
                if status == 403:
                    assert body["error"] == "forbidden"
        got, body = await get(server, "api/completeness", signed(h, 1001), unit="x")
        assert (got, body["error"]) == (400, "bad_request")
        # A cadre's drill into their own unit shows only it.
        _, own = await get(server, "api/completeness", signed(h, 1004), unit=str(t1))
        assert {u["id"] for r in own["rounds"] for u in r["units"]} == {t1}


async def _unit_id(h: Harness, code: str) -> int:
    async with h.db.session() as session:
        unit = await units_q.by_code(session, code)
        assert unit is not None, code
        return unit.id
