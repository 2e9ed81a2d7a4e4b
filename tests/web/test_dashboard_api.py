"""The dashboard's JSON API over HTTP (bot/runtime/webapp.py): Telegram's launch data checked on
every request, every figure limited to what the person may see (each role × each endpoint ×
inside / outside their subtree), and totals that are /totals' own figures."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import update
from sqlalchemy.exc import OperationalError

from bot.demo import Demo
from bot.runtime.webapp import Dashboard
from bot.runtime.webhook import WebhookServer
from storage.models import Person
from storage.queries import people as people_q
from storage.queries import reports as reports_q
from storage.queries import units as units_q
from tests.harness import Harness, text_of
from tests.web.dashboard_server import get, seed, served, signed

API = ("api/me", "api/completeness", "api/totals", "api/meetings", "api/petitions")


@pytest.fixture
async def demo(harness: Harness) -> Demo:
    return await seed(harness)


def code_of(demo: Demo, telegram_id: int) -> str:
    person = next(p for p in demo.people if p.telegram_id == telegram_id)
    assert person.unit_code is not None
    return person.unit_code


async def unit_id(h: Harness, code: str) -> int:
    async with h.db.session() as session:
        unit = await units_q.by_code(session, code)
        assert unit is not None, code
        return unit.id


# --- authentication ------------------------------------------------------------------------


@pytest.mark.parametrize("path", API)
async def test_every_endpoint_checks_the_launch(harness: Harness, demo: Demo, path: str) -> None:
    h = harness
    async with served(h) as server:
        status, body = await get(server, path, signed(h, 1002))
        assert status == 200, body
        status, body = await get(server, path, None)
        assert (status, body["error"]) == (401, "missing")
        assert "Telegram" in body["message"]
        forged = signed(h, 1002).replace("U1002", "U1001")
        status, body = await get(server, path, forged)
        assert (status, body["error"]) == (401, "forged")
        other_bot = signed(h, 1002, token="999999:OtherBotTokenOtherBotToken0123")
        status, body = await get(server, path, other_bot)
        assert (status, body["error"]) == (401, "forged")


async def test_refusals_are_said_in_the_persons_language(harness: Harness, demo: Demo) -> None:
    h = harness
    async with served(h) as server:
        status, body = await get(server, "api/me", signed(h, 1002) + "0")
        assert status == 401
        assert body["title"] == "Không mở được bảng điều khiển"
        assert body["message"].startswith("Dữ liệu đăng nhập của Telegram không hợp lệ")
        status, body = await get(server, "api/me", signed(h, 1002, language="en") + "0")
        assert body["title"] == "The dashboard cannot open"


async def test_an_old_launch_expires_after_the_configured_age(harness: Harness, demo: Demo) -> None:
    h = harness
    data = signed(h, 1002)
    async with served(h) as server:
        h.clock.advance(timedelta(minutes=59))
        assert (await get(server, "api/me", data))[0] == 200
        h.clock.advance(timedelta(minutes=2))
        status, body = await get(server, "api/me", data)
        assert (status, body["error"]) == (401, "expired")
    h.overrides["web_auth_max_age"] = 7200
    await h.restart()
    async with served(h) as server:
        assert (await get(server, "api/me", data))[0] == 200


async def test_a_signed_stranger_is_not_a_member(harness: Harness, demo: Demo) -> None:
    h = harness
    async with served(h) as server:
        for user_id in (1012, 424242):  # no unit yet; never seen
            for path in API:
                status, body = await get(server, path, signed(h, user_id))
                assert (path, status, body["error"]) == (path, 403, "not_member")
                assert "link mời" in body["message"]


# --- access: each role × each endpoint × inside / outside ---------------------------------


def test_every_api_route_is_probed_here() -> None:
    """A new endpoint fails this until the tests above (and test_dashboard_remind.py) probe it:
    the web's part of the access matrix."""
    app = web.Application()
    Dashboard(None, "0:x").add_routes(app)  # type: ignore[arg-type]
    routes = {
        r.resource.canonical
        for r in app.router.routes()
        if r.resource is not None and r.resource.canonical.startswith("/app/api/")
    }
    assert routes == {"/app/" + p for p in API} | {"/app/api/remind"}


async def test_totals_inside_and_outside_each_subtree(harness: Harness, demo: Demo) -> None:
    h = harness
    province = await unit_id(h, code_of(demo, 1001))
    c1 = await unit_id(h, code_of(demo, 1002))
    c2 = await unit_id(h, code_of(demo, 1008))
    t1 = await unit_id(h, code_of(demo, 1004))
    c2_t2 = await unit_id(h, code_of(demo, 1009))
    women_c1 = await unit_id(h, code_of(demo, 1003))
    cases = {
        1001: {province: 200, c1: 200, c2: 200, t1: 200, women_c1: 200},  # province leader
        1002: {province: 403, c1: 200, c2: 403, t1: 200, women_c1: 200},  # commune leader
        1008: {province: 403, c1: 403, c2: 200, t1: 403, c2_t2: 200},
        1003: {c1: 403, women_c1: 200, t1: 403, c2: 403},  # Women's Union of the commune
        1004: {c1: 403, t1: 200, c2_t2: 403, province: 403},  # a thôn's cadre: own unit only
        1009: {t1: 403, c2_t2: 200, c2: 403},
    }
    async with served(h) as server:
        for user_id, expected in cases.items():
            for unit, status in expected.items():
                got, body = await get(server, "api/totals", signed(h, user_id), unit=str(unit))
                assert (user_id, unit, got) == (user_id, unit, status), body
                if status == 403:
                    assert body["error"] == "forbidden"
        # A unit that does not exist answers as one that is not yours.
        got, body = await get(server, "api/totals", signed(h, 1002), unit="999999")
        assert (got, body["error"]) == (403, "forbidden")
        got, body = await get(server, "api/totals", signed(h, 1002), unit="x")
        assert (got, body["error"]) == (400, "bad_request")
        got, body = await get(server, "api/totals", signed(h, 1002), period="2026-Q9")
        assert (got, body["error"]) == (400, "bad_request")
        # The organisation's unit in an area: the commune's Women's Union, through the commune.
        got, body = await get(server, "api/totals", signed(h, 1002), unit=str(c1), org="phu_nu")
        assert got == 200 and body["unit"]["id"] == women_c1
        # The page offers the area's organisations: the committee (all of them) first.
        assert body["area"]["id"] == c1 and body["org"] == "phu_nu"
        assert body["orgs"][0] == {"org": None, "unit": c1, "label": "Mọi tổ chức"}
        assert [o["label"] for o in body["orgs"][1:]] == [
            "Công đoàn", "Đoàn Thanh niên", "Hội Cựu chiến binh", "Hội Liên hiệp Phụ nữ",
            "Hội Nông dân", "Ủy ban nhân dân",
        ]  # fmt: skip
        assert body["orgs"][4]["org"] == "phu_nu"
        got, body = await get(server, "api/totals", signed(h, 1008), unit=str(c1), org="phu_nu")
        assert got == 403


async def test_completeness_shows_only_the_persons_units(harness: Harness, demo: Demo) -> None:
    h = harness
    async with served(h) as server:
        status, body = await get(server, "api/completeness", signed(h, 1002))
        assert status == 200
        (round_,) = body["rounds"]
        names = [u["name"] for u in round_["units"]]
        assert len(names) == round_["total"] == round_["counts"]["missing"] == 3
        cau_bam = next(u for u in round_["units"] if u["name"].endswith("Cầu Bâm"))
        assert cau_bam["cadres"] == ["Lê Văn Nam"]
        assert cau_bam["state"] == "missing"
        # The province's leader sees the same round; the other commune's leader sees none.
        assert (await get(server, "api/completeness", signed(h, 1001)))[1]["rounds"]
        assert (await get(server, "api/completeness", signed(h, 1008)))[1]["rounds"] == []
        # A thôn's cadre sees their own unit only.
        status, body = await get(server, "api/completeness", signed(h, 1004))
        assert [u["name"] for r in body["rounds"] for u in r["units"]] == [cau_bam["name"]]
        # Another commune's cadre: nothing of it.
        assert (await get(server, "api/completeness", signed(h, 1009)))[1]["rounds"] == []


async def test_states_on_the_board(harness: Harness, demo: Demo) -> None:
    """Submitted on time, late and approved are told apart (marked in the database the way
    submitting and approving mark them; the flows themselves are tested in tests/handlers)."""
    h = harness
    async with h.db.session() as session:
        rounds = await reports_q.open_rounds(session)
        (round_,) = rounds
        reports = await reports_q.reports_of_round(session, round_.id)
        person = await people_q.by_telegram_id(session, 1004)
        assert person is not None and len(reports) == 3
        await reports_q.mark_submitted(session, reports[0].id, ("draft",), h.clock.now(), person.id)
        late = round_.deadline + timedelta(hours=1)
        await reports_q.mark_submitted(session, reports[1].id, ("draft",), late, person.id)
    async with served(h) as server:
        _, body = await get(server, "api/completeness", signed(h, 1002))
    counts = body["rounds"][0]["counts"]
    assert counts == {"missing": 1, "late": 1, "submitted": 1, "approved": 0}
    states = [u["state"] for u in body["rounds"][0]["units"]]
    assert states == ["missing", "late", "submitted"]  # what needs chasing first


async def test_meetings_are_those_the_person_sees(harness: Harness, demo: Demo) -> None:
    h = harness
    async with served(h) as server:
        _, lan = await get(server, "api/meetings", signed(h, 1002))
        _, thu = await get(server, "api/meetings", signed(h, 1008))
    assert lan["meetings"], "the demo schedules the first commune's meetings"
    assert all(set(m["answers"]) == {"yes", "no", "delegate"} for m in lan["meetings"])
    lan_ids = {m["id"] for m in lan["meetings"]}
    assert not lan_ids & {m["id"] for m in thu["meetings"] if m["unit"].endswith("Yên Nguyên")}


# --- the figures are /totals' ----------------------------------------------------------------


@pytest.mark.parametrize("words", ["", "quý này", "năm nay"])
async def test_totals_equal_the_totals_command(harness: Harness, demo: Demo, words: str) -> None:
    h = harness
    lan = h.user(1002, "Lan")
    text = text_of((await lan.send(f"/totals {words}".strip()))[0])
    kinds = {"": "month", "quý này": "quarter", "năm nay": "year"}
    async with served(h) as server:
        _, me = await get(server, "api/me", signed(h, 1002))
        period = me["periods"][me["rule"]][kinds[words]][0]["key"]
        status, body = await get(server, "api/totals", signed(h, 1002), period=period)
    assert status == 200
    assert body["period"]["label"] in text.splitlines()[0]
    lines = [k["line"] for k in body["kinds"] if k["line"]]
    assert lines, body
    head = text.split("\n\n")[0].splitlines()[1:]  # the totals, before "Theo đơn vị:"
    assert lines == head
    for row in body["rows"]:
        block = row["label"] + "\n  " + "\n  ".join(row["lines"])
        assert block in text


async def test_drill_down_gives_the_rows_figures(harness: Harness, demo: Demo) -> None:
    h = harness
    async with served(h) as server:
        _, me = await get(server, "api/me", signed(h, 1001))
        year = me["periods"][me["rule"]]["year"][0]["key"]
        _, province = await get(server, "api/totals", signed(h, 1001), period=year)
        commune = next(r for r in province["rows"] if r["unit"])
        _, down = await get(
            server, "api/totals", signed(h, 1001), period=year, unit=str(commune["unit"]["id"])
        )
        assert [k["line"] for k in down["kinds"] if k["line"]] == commune["lines"]
        assert down["parent"]["id"] == province["unit"]["id"]
        thon = next(r for r in down["rows"] if r["unit"])
        _, area = await get(
            server, "api/totals", signed(h, 1001), period=year, unit=str(thon["unit"]["id"])
        )
        assert [k["line"] for k in area["kinds"] if k["line"]] == thon["lines"]
        assert area["parent"]["id"] == commune["unit"]["id"]
        # The same period a year earlier is named beside it.
        assert area["last_year"]["key"] == year.replace("2026", "2025")


async def test_english_page_strings(harness: Harness, demo: Demo) -> None:
    h = harness
    async with served(h) as server:
        _, vi = await get(server, "api/me", signed(h, 1002))
        _, en = await get(server, "api/me", signed(h, 1011, language="en"))
    assert vi["strings"]["title"] == "Bảng điều khiển"
    assert en["strings"]["title"] == "Dashboard"
    assert en["locale"] == "en" and en["period_kinds"][0]["label"] == "Month"
    assert [r["label"] for r in en["rules"]] == ["Decree 09", "Calendar"]
    assert vi["rule"] == "decree09"
    # Both rules' periods, newest first: under Decree 09 the quarter after 15/11 is still IV.
    assert vi["periods"]["decree09"]["quarter"][0] == {"key": "2026-Q4", "label": "Quý IV/2026"}
    assert vi["periods"]["calendar"]["quarter"][0]["key"] == "2026-Q4@calendar"
    assert [len(vi["periods"]["decree09"][k]) for k in ("month", "quarter", "half", "year")] == [
        12, 8, 4, 3
    ]  # fmt: skip


# --- one server in webhook mode --------------------------------------------------------------


async def test_the_webhook_server_serves_the_dashboard_too(harness: Harness, demo: Demo) -> None:
    h = harness
    assert h.app is not None and h.services is not None
    server = WebhookServer(
        h.app,
        h.services,
        secret="s3cret",
        path="/tg",
        port=0,
        routes=Dashboard(h.services, h.emu.token).add_routes,
    )
    await server.start()
    try:
        base = f"http://127.0.0.1:{server.port}"
        async with aiohttp.ClientSession() as client:
            async with client.get(base + "/app/") as page:
                assert page.status == 200
                assert "static/app.js" in await page.text()
            headers = {"Authorization": f"tma {signed(h, 1002)}"}
            async with client.get(base + "/app/api/me", headers=headers) as me:
                assert me.status == 200
            async with client.post(base + "/tg", json={"update_id": 1}) as hook:
                assert hook.status == 403  # the webhook still wants its secret
    finally:
        await server.stop()


async def test_static_files_and_nothing_else(harness: Harness, demo: Demo) -> None:
    h = harness
    async with served(h) as server, aiohttp.ClientSession() as client:
        for name in ("app.js", "app.css"):
            async with client.get(server.url + "static/" + name) as response:
                assert response.status == 200
                assert "default-src 'none'" in response.headers["Content-Security-Policy"]
        for name in ("../webapp.py", "index.html.bak", "%2e%2e%2fsettings.py"):
            async with client.get(server.url + "static/" + name) as response:
                assert response.status == 404


# --- reading waits for no writer ---------------------------------------------------------------


async def test_a_get_does_not_wait_behind_a_held_write_transaction(
    harness: Harness, demo: Demo
) -> None:
    """On SQLite a ``Database.session`` takes the write lock (BEGIN IMMEDIATE) and queues behind
    the bot's transactions; the dashboard's GETs read in ``Database.read`` instead, so a screen
    opens while a handler holds the lock. "Nhắc" (a POST) still writes in a transaction."""
    h = harness
    held, release = asyncio.Event(), asyncio.Event()

    async def writer() -> None:
        async with h.db.session() as session:
            await session.execute(update(Person).values(last_seen_at=Person.last_seen_at))
            held.set()
            await release.wait()

    task = asyncio.create_task(writer())
    try:
        await held.wait()
        async with served(h) as server:
            for path in ("api/me", "api/totals", "api/completeness", "api/meetings"):
                status, _body = await asyncio.wait_for(get(server, path, signed(h, 1002)), 5)
                assert status == 200, path
    finally:
        release.set()
        await task


async def test_a_read_session_refuses_to_write(harness: Harness) -> None:
    h = harness
    if h.db.dialect != "sqlite":
        pytest.skip("query_only is SQLite's; PostgreSQL's read session is rolled back")
    with pytest.raises(OperationalError, match="readonly"):
        async with h.db.read() as session:
            await session.execute(update(Person).values(last_seen_at=Person.last_seen_at))
