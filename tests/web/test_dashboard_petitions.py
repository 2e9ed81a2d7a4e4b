"""Citizens' recommendations on the dashboard: what /petitions lists for the person, by status,
overdue first; never the citizen's name or phone."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot import petition_stats
from bot.demo import Demo
from bot.periods import Period
from storage.models import Petition
from storage.queries import units as units_q
from tests.harness import Harness, text_of
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


# --- the counts above the list: /totals kiến nghị's, for the same person and period -------------


async def _chat_says(h: Harness, user_id: int, words: str, language: str = "vi") -> list[str]:
    said = await h.user(user_id, f"U{user_id}", language_code=language).send(
        "/totals kiến nghị " + words
    )
    return text_of(said[0]).splitlines()


def _shown(summary: dict) -> list[str]:
    return [summary["head"], *summary["lines"]]


async def test_the_counts_are_those_of_totals_kien_nghi(harness: Harness, demo: Demo) -> None:
    h = harness
    async with served(h) as server:
        _, lan = await get(server, "api/petitions", signed(h, 1002))
        periods = {p["label"]: p["key"] for p in lan["summary"]["periods"]}
        assert list(periods) == ["Tháng này", "Quý này", "Năm nay", "Quý trước"]
        # By default this month, as /totals kiến nghị without a period.
        assert lan["summary"]["period"]["key"] == periods["Tháng này"]
        assert _shown(lan["summary"]) == await _chat_says(h, 1002, "")
        found = {}
        # A commune's leader, the province's, a thôn's cadre, a member organisation's cadre, the
        # leader of another commune.
        for who in (1002, 1001, 1004, 1005, 1008):
            _, body = await get(server, "api/petitions", signed(h, who), period=periods["Năm nay"])
            summary = body["summary"]
            assert summary["period"]["key"] == periods["Năm nay"]
            assert _shown(summary) == await _chat_says(h, who, "năm nay"), who
            found[who] = summary
        _, quarter = await get(
            server, "api/petitions", signed(h, 1002), period=periods["Quý trước"]
        )
        assert _shown(quarter["summary"]) == await _chat_says(h, 1002, "quý trước")
    lan_year, province, nam = found[1002], found[1001], found[1004]
    # The figures behind the lines: the same function's, over the viewer's own unit.
    async with h.db.session() as session:
        commune = await units_q.by_code(session, "02365")
        assert commune is not None
        direct = await petition_stats.totals(
            session,
            commune,
            Period.from_key(periods["Năm nay"]).start,
            Period.from_key(periods["Năm nay"]).end,
            h.services.today(),  # type: ignore[union-attr]
            h.services.settings.tz,  # type: ignore[union-attr]
        )
    assert lan_year["unit"]["id"] == commune.id
    assert lan_year["received"] == direct.total > 0
    assert {s["status"]: s["count"] for s in lan_year["by_status"]} == direct.by_status
    assert {c["category"]: c["count"] for c in lan_year["by_category"]} == direct.by_category
    assert [(a["name"], a["count"]) for a in lan_year["by_authority"]] == direct.by_authority
    assert (lan_year["answered"], lan_year["on_time"], lan_year["median_days"]) == (
        direct.answered,
        direct.on_time,
        direct.median_days,
    )
    assert f"Tiếp nhận: {direct.total}" in lan_year["lines"]
    # The province counts every commune's; a cadre only their own thôn's.
    assert province["received"] > lan_year["received"] > nam["received"] > 0
    assert nam["head"].startswith("Kiến nghị: Ban Công tác Mặt trận thôn Cầu Bâm — ")
    assert found[1008]["head"].startswith("Kiến nghị: Ủy ban MTTQ xã Kim Bình — ")
    assert lan_year["received"] + found[1008]["received"] <= province["received"]


async def test_the_counts_in_english_and_a_bad_period(harness: Harness, demo: Demo) -> None:
    h = harness
    async with served(h) as server:
        _, body = await get(server, "api/petitions", signed(h, 1002, language="en"))
        year = next(p["key"] for p in body["summary"]["periods"] if p["label"] == "This year")
        _, body = await get(server, "api/petitions", signed(h, 1002, language="en"), period=year)
        assert _shown(body["summary"]) == await _chat_says(h, 1002, "this year", "en")
        assert body["summary"]["lines"][0].startswith("Received: ")
        for bad in ("2026-M13", "nonsense", "1990-Y", "2999-Y"):
            status, refused = await get(server, "api/petitions", signed(h, 1002), period=bad)
            assert (status, refused["error"]) == (400, "bad_request"), bad
